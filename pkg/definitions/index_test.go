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
	idx, written, complete := indexFields(doc.Content[0])
	require.True(t, complete)
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

func TestMergeKeyIsUnknown(t *testing.T) {
	res := Parse("t.yaml", []byte("service: s\nslos:\n  - name: a\n    <<: {objective: 99}\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n"))
	assert.Empty(t, res.SLOs)
	assert.Contains(t, errorStrings(res.Errors), `t.yaml:4: a: slo: unknown field "<<" (known: name, displayName, description, userStory, owner, labels, objective, window, timeZone, budgeting, indicator, happiness, alerting)`)
}
