package definitions

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// nativeDoc is a valid native document; cases replace parts of it.
const okSLO = `  - name: ok
    objective: 99
    window: 28d
    indicator: {ratio: {good: g, total: t}}
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line: slo: message", in the file t.yaml
		kept int      // valid SLOs left
	}{
		{"unknown slo field", `service: s
slos:
  - name: a
    objective: 99
    windw: 28d
    window: 28d
    indicator: {ratio: {good: g, total: t}}
`, []string{`5: a: slo: unknown field "windw" (known: name, displayName, description, userStory, owner, labels, objective, window, timeZone, budgeting, indicator, happiness, alerting, grouping)`}, 0},
		{"unknown document field", "service: s\nteam: x\nslos:\n" + okSLO,
			[]string{`2: document: unknown field "team" (known: service, owner, labels, slos)`}, 1},
		{"no slos", "service: s\n", []string{`1: document has no slos (a native document has a service and a list of slos; OpenSLO documents start with apiVersion)`}, 0},
		{"bad duration", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28x\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: window: duration "28x": unknown unit "x" in duration "28x" (a rolling duration such as 28d, or week, month or quarter)`}, 0},
		{"months", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 1M\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: window: duration "1M": "M" means months, which have no fixed length; use a calendar window or days (d) (a rolling duration such as 28d, or week, month or quarter)`}, 0},
		{"too short", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 5m\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: window 5m is too short: a rolling window must be at least 1h (did you mean month?)`}, 0},
		{"objective not a number", "service: s\nslos:\n  - name: a\n    objective: 99.9%\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`4: a: objective: "99.9%" is not a number`}, 0},
		{"objective out of range", "service: s\nslos:\n  - name: a\n    window: 28d\n    objective: 100\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: objective 100 must be strictly between 0 and 100 (percent, e.g. 99.9)`}, 0},
		{"objective as a ratio", "service: s\nslos:\n  - name: a\n    window: 28d\n    objective: 0.999\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: objective 0.999 is below 1 %: objectives are percentages: did you mean 99.9?`}, 0},
		{"objective as a small ratio", "service: s\nslos:\n  - name: a\n    window: 28d\n    objective: 0.95\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`5: a: objective 0.95 is below 1 %: objectives are percentages: did you mean 95?`}, 0},
		{"bad name", "service: s\nslos:\n  - objective: 99\n    name: Bad Name\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`4: Bad Name: name "Bad Name" must consist of lowercase letters, digits and inner dashes ([a-z0-9-]+)`}, 0},
		{"name too long", "service: s\nslos:\n  - objective: 99\n    name: " + strings.Repeat("n", 64) + "\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`4: ` + strings.Repeat("n", 64) + `: name "` + strings.Repeat("n", 63) + `…" is 64 characters long: names are RFC 1123 labels of at most 63 characters`}, 0},
		{"no service", "slos:\n" + okSLO, []string{`2: ok: service is required`}, 0},
		{"service empty", "service:\nslos:\n" + okSLO, []string{`1: ok: service is required`}, 0},
		{"two indicator kinds", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      raw: {errorRatio: r}\n      ratio: {good: g, total: t}\n",
			[]string{`6: a: indicator needs exactly one of ratio, latency, threshold or raw`}, 0},
		{"no indicator", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n",
			[]string{`3: a: indicator is required (ratio, latency, threshold or raw)`}, 0},
		{"unknown ratio field", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      ratio:\n        good: g\n        totl: t\n",
			[]string{`7: a: ratio indicator needs total events`, `9: a: ratio: unknown field "totl" (known: good, bad, total)`}, 0},
		{"promql parse error", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      ratio:\n        good: g\n        total: sum(t\n",
			[]string{`9: a: total: invalid PromQL "sum(t": 1:6: parse error: unclosed left parenthesis`}, 0},
		{"histogram not a selector", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      latency:\n        histogram: sum(h_bucket)\n        threshold: 0.3\n",
			[]string{`8: a: histogram: "sum(h_bucket)" must be a plain metric selector such as http_request_duration_seconds{job="api"}`}, 0},
		{"latency threshold missing", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      latency:\n        histogram: h\n",
			[]string{`7: a: latency threshold 0 must be a bucket bound greater than 0`}, 0},
		{"bad op", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator:\n      threshold:\n        gauge: up\n        op: '=>'\n        value: 1\n",
			[]string{`9: a: threshold op "=>" must be one of <, <=, >, >=, ==, !=`}, 0},
		{"happiness duplicate", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    happiness:\n      - name: x\n        gauge: g\n      - name: x\n        counter: c\n",
			[]string{`10: a: duplicate happiness signal "x"`}, 0},
		{"happiness counter and gauge", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    happiness:\n      - name: x\n        counter: c\n        gauge: g\n",
			[]string{`8: a: happiness signal "x" needs a counter or gauge query`, `10: a: happiness signal "x" needs one of counter and gauge, not both`}, 0},
		{"happiness counter with range", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    happiness:\n      - name: x\n        counter: increase(c[1h])\n",
			[]string{`9: a: happiness signal "x": "increase(c[1h])": c[1h] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}, 0},
		{"happiness combine", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    happiness:\n      - name: x\n        counter: c\n        combine: median\n",
			[]string{`10: a: happiness signal "x": combine "median" must be one of sum, avg, max, min`}, 0},
		{"burn windows", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    alerting:\n      windows:\n        - long: 1h\n          short: 2h\n          factor: 0\n        - {long: 6x, short: 30m, factor: 6}\n",
			[]string{`10: a: burn window short 2h must be shorter than long 1h`, `11: a: burn window factor 0 must be greater than 0`, `12: a: long: duration "6x": unknown unit "x" in duration "6x"`}, 0},
		{"grouping", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {ratio: {good: g, total: t}}\n    grouping:\n      - route\n      - http-method\n      - route\n      - le\n",
			[]string{`9: a: grouping label "http-method" must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`, `10: a: grouping label "route" is listed twice`,
				`11: a: grouping by "le" would make one SLO per histogram bucket: group by a label that tells requests apart, such as route`}, 0},
		{"grouping not a list", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {ratio: {good: g, total: t}}\n    grouping: route\n",
			[]string{`7: a: grouping must be a list`}, 0},
		{"grouping item not a name", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {ratio: {good: g, total: t}}\n    grouping: [route, [a]]\n" + okSLO,
			[]string{`7: a: grouping: item 2 must be a label name`}, 1},
		{"time zone", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: month\n    timeZone: Nowhere/City\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`6: a: time zone "Nowhere/City": unknown time zone Nowhere/City`}, 0},
		{"slice threshold", "service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    budgeting:\n      method: timeslices\n      sliceLength: 1m\n      sliceThreshold: 95\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`9: a: slice threshold 95 must be in (0, 1]`}, 0},
		{"label not a string", "service: s\nlabels:\n  tier: {a: b}\nslos:\n" + okSLO,
			[]string{`3: label "tier" must be a string`}, 1},
		{"syntax error keeps other documents", "service: s\nslos:\n" + okSLO + "---\nservice: t\nslos:\n  - name: b\n    objective: [99\n---\nservice: u\nslos:\n  - name: c\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n",
			[]string{`11: YAML syntax error: did not find expected ',' or ']'`}, 2},
		{"duplicate names", "service: s\nslos:\n" + okSLO + "---\nservice: t\nslos:\n" + okSLO,
			[]string{`10: ok: duplicate SLO name "ok", first defined at t.yaml:3`}, 1},
		{"not a mapping", "- a\n- b\n", []string{`1: a definitions document must be a mapping (native: service and slos; OpenSLO: apiVersion, kind, metadata, spec)`}, 0},

		// OpenSLO.
		{"unknown apiVersion", "apiVersion: example.org/v9\nkind: ServiceLevel\n",
			[]string{`1: unsupported apiVersion "example.org/v9" (Nines reads openslo/v1 and its native format)`}, 0},
		{"unknown kind", "apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: x}\n",
			[]string{`2: unsupported kind "AlertPolicy" (Nines reads SLO, SLI, Service and DataSource)`}, 0},
		{"openslo name too long", openSLO(map[string]string{"name: o}": "name: " + strings.Repeat("o", 64) + "}"}),
			[]string{`3: ` + strings.Repeat("o", 64) + `: name "` + strings.Repeat("o", 63) + `…" is 64 characters long: names are RFC 1123 labels of at most 63 characters`}, 0},
		{"sli name too long", "apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: " + strings.Repeat("i", 64) + "\nspec: {}\n",
			[]string{`4: metadata.name "` + strings.Repeat("i", 63) + `…" is 64 characters long: names are RFC 1123 labels of at most 63 characters`}, 0},
		{"rolling minute", openSLO(map[string]string{"duration: 28d": "duration: 1m"}),
			[]string{`14: o: window 1m is too short (did you mean 1M, a month?)`}, 0},
		{"calendar minute", openSLO(map[string]string{"isRolling: true": "isRolling: false", "duration: 28d": "duration: 1m"}),
			[]string{`14: o: calendar timeWindow duration "1m" must be 1w, 1M or 1Q (a week, a month or a quarter)`}, 0},
		{"rolling month", openSLO(map[string]string{"duration: 28d": "duration: 1M"}),
			[]string{`14: o: timeWindow duration: duration "1M": "M" means months, which have no fixed length; use a calendar window or days (d)`}, 0},
		{"non-Prometheus source", openSLO(map[string]string{"type: Prometheus": "type: Datadog"}),
			[]string{`10: o: metricSource type "Datadog" is not supported: Nines reads Prometheus queries`}, 0},
		{"target in percent", openSLO(map[string]string{"target: 0.99": "target: 99"}),
			[]string{`18: o: target 99 must be a ratio between 0 and 1 (use targetPercent for percent)`}, 0},
		{"targetPercent as a ratio", openSLO(map[string]string{"target: 0.99": "targetPercent: 0.995"}),
			[]string{`18: o: targetPercent 0.995 is below 1 %: objectives are percentages: did you mean 99.5?`}, 0},
		{"unknown spec field", openSLO(map[string]string{"  service: s\n": "  service: s\n  owner: me\n"}),
			[]string{`6: o: SLO spec: unknown field "owner" (known: description, service, indicator, indicatorRef, timeWindow, budgetingMethod, objectives, alertPolicies)`}, 0},
		{"bad budgeting method", openSLO(map[string]string{"budgetingMethod: Occurrences": "budgetingMethod: Events"}),
			[]string{`15: o: budgetingMethod "Events" must be Occurrences, Timeslices or RatioTimeslices`}, 0},
		{"counter false", openSLO(map[string]string{"counter: true": "counter: false"}),
			[]string{`9: o: ratioMetric counter: false is not supported: Nines needs counters (counter: true)`}, 0},
		{"query with range", openSLO(map[string]string{"query: g": "query: 'rate(g[5m])'"}),
			[]string{`10: o: good: "rate(g[5m])": g[5m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}, 0},
		{"no objectives", openSLO(map[string]string{"  objectives:\n    - displayName: ok\n      target: 0.99\n": ""}),
			[]string{`1: o: SLO needs objectives`}, 0},
		{"sli query error", "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: x}\nspec:\n  thresholdMetric:\n    metricSource:\n      type: prometheus\n      spec:\n        query: up(\n" +
			"---\n" + openSLO(map[string]string{"  indicator:\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: g}}}\n        total: {metricSource: {type: Prometheus, spec: {query: t}}}\n": "  indicatorRef: x\n", "target: 0.99": "op: gte\n      value: 1\n      target: 0.99"}),
			[]string{`9: o: gauge: invalid PromQL "up(": 1:4: parse error: unclosed left parenthesis`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Parse("t.yaml", []byte(tt.src))
			var got []string
			for _, e := range res.Errors {
				s := e.Error()
				assert.Equal(t, "t.yaml", e.File, s)
				got = append(got, s[len("t.yaml:"):])
			}
			assert.Equal(t, tt.want, got)
			assert.Len(t, res.SLOs, tt.kept)
		})
	}
}

// openSLO returns a valid OpenSLO SLO document "o" with replacements applied.
func openSLO(repl map[string]string) string {
	src := `apiVersion: openslo/v1
kind: SLO
metadata: {name: o}
spec:
  service: s
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: g}}}
        total: {metricSource: {type: Prometheus, spec: {query: t}}}
  timeWindow:
    - isRolling: true
      duration: 28d
  budgetingMethod: Occurrences
  objectives:
    - displayName: ok
      target: 0.99
`
	for from, to := range repl {
		if !strings.Contains(src, from) {
			panic("openSLO: no " + from)
		}
		src = strings.Replace(src, from, to, 1)
	}
	return src
}
