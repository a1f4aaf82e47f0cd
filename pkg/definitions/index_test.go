package definitions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestIndexFieldsLines(t *testing.T) {
	src := "spec:\n  indicator:\n    ratio:\n      good: g\n      good: again\n  objectives:\n    - target: 0.9\n"
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	idx, written, err := indexFields(doc.Content[0])
	require.Nil(t, err)
	lines := map[string]int{}
	for p, s := range idx {
		if s.key != nil {
			lines[p] = s.key.Line
		} else {
			lines[p] = s.val.Line
		}
	}
	assert.Equal(t, map[string]int{"": 1, "spec": 1, "spec.indicator": 2, "spec.indicator.ratio": 3,
		"spec.indicator.ratio.good": 4, "spec.objectives": 6, "spec.objectives[0]": 7,
		"spec.objectives[0].target": 7}, lines)
	assert.Equal(t, "g", idx["spec.indicator.ratio.good"].val.Value, "the first of a key written twice")
	assert.Len(t, written, 1, "the mapping with a key written twice is kept as written")
}

func TestSpotsSilence(t *testing.T) {
	s := newSpots()
	s.set("window", slo.Location{File: "f", Line: 3})
	s.silence("objective")
	s.place("indicator", slo.Location{File: "f", Line: 5}, false)
	_, ok := s.line("objective")
	assert.False(t, ok)
	_, ok = s.line("indicator")
	assert.False(t, ok, "a field whose error was reported is no line to point at")
	at, ok := s.line("window")
	assert.True(t, ok)
	assert.Equal(t, 3, at.Line)
	s.set("objective", slo.Location{File: "f", Line: 4})
	_, ok = s.line("objective")
	assert.True(t, ok, "a later location replaces the mark")

	s.silence("objective")
	v := s.forValidation()
	assert.Equal(t, slo.Location{File: "f", Line: 3}, v["window"])
	assert.True(t, v["objective"].Reported, "slo.Fields' mark for an error already reported")
}

func TestDuplicateKeysKeepFirst(t *testing.T) {
	res := Parse("t.yaml", []byte("service: s\nservice: t\nslos:\n"+okSLO))
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, "s", res.SLOs[0].Service)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, `t.yaml:2: document: field "service" is set twice`, res.Errors[0].Error())
}

func TestMergeKeys(t *testing.T) {
	res := Parse("t.yaml", []byte("service: s\nslos:\n  - name: a\n    <<: {objective: 99}\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n"))
	require.Empty(t, errorStrings(res.Errors))
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, 99.0, res.SLOs[0].Objective)

	// An OpenSLO SLO whose total merges in its good's source, then overrides the query.
	src := openSLO(map[string]string{
		"good: {metricSource: {type: Prometheus, spec: {query: g}}}":  "good: &src {metricSource: {type: Prometheus, spec: {query: g}}}",
		"total: {metricSource: {type: Prometheus, spec: {query: t}}}": "total:\n          <<: *src",
	})
	res = Parse("o.yaml", []byte(src))
	require.Empty(t, errorStrings(res.Errors))
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, "g", res.SLOs[0].Indicator.Total)

	// Explicit keys win over merged ones, earlier merged mappings over later ones;
	// a merged unknown field is reported where it is written.
	src = "service: s\nslos:\n  - &base\n    name: a\n    objective: 99\n    window: 28d\n    indicator: &ind {raw: {errorRatio: r}}\n" +
		"  - <<: [*base, {objective: 98, name: x}]\n    name: b\n  - <<: {windw: 7d}\n    name: c\n    objective: 99\n    window: 7d\n    indicator: *ind\n" +
		"  - name: d\n    <<: 3\n"
	res = Parse("t.yaml", []byte(src))
	require.Len(t, res.SLOs, 2)
	assert.Equal(t, "b", res.SLOs[1].Name)
	assert.Equal(t, 99.0, res.SLOs[1].Objective)
	assert.Equal(t, 28*day, res.SLOs[1].Window.Duration)
	errs := errorStrings(res.Errors)
	assert.Equal(t, `t.yaml:10: c: slo: unknown field "windw" merged in (known: name, displayName, description, userStory, owner, labels, objective, window, timeZone, budgeting, indicator, happiness, alerting, grouping)`, errs[0])
	assert.Contains(t, errs, `t.yaml:16: slo: merge key <<: the value must be a mapping or a list of mappings`)
}

func TestAliasLines(t *testing.T) {
	// An error in a field reached through an alias points at the line it is written on.
	src := "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: &ind\n      ratio:\n        good: sum(g\n        total: t\n  - name: b\n    objective: 99\n    window: 28d\n    indicator: *ind\n"
	res := Parse("t.yaml", []byte(src))
	assert.Equal(t, []string{
		`t.yaml:8: a: good: invalid PromQL "sum(g": 1:6: parse error: unclosed left parenthesis`,
		`t.yaml:8: b: good: invalid PromQL "sum(g": 1:6: parse error: unclosed left parenthesis`,
	}, errorStrings(res.Errors))
}
