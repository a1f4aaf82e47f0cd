package definitions

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// parseFile parses a testdata file.
func parseFile(t *testing.T, path string) Result {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return Parse(path, data)
}

// normal prints a PromQL expression the way the parser does, "" stays "".
func normal(t *testing.T, q string) string {
	t.Helper()
	if q == "" {
		return ""
	}
	e, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	require.NoError(t, err, q)
	return e.String()
}

// assertSameSLOs checks that got and want hold the same SLOs, field by field, apart
// from where and in which format they were written; queries compare as parsed.
func assertSameSLOs(t *testing.T, want, got []*slo.SLO, format string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := *want[i], *got[i]
		assert.Equal(t, format, g.Format, g.Name)
		w.Source, g.Source, w.Format, g.Format = slo.Location{}, slo.Location{}, "", ""
		for _, in := range []*slo.Indicator{&w.Indicator, &g.Indicator} {
			in.Good, in.Bad, in.Total = normal(t, in.Good), normal(t, in.Bad), normal(t, in.Total)
			in.Histogram, in.Gauge = normal(t, in.Histogram), normal(t, in.Gauge)
		}
		assert.Equal(t, w, g, w.Name)
	}
}

func TestSlothEqualsNative(t *testing.T) {
	native := parseFile(t, "testdata/sloth/native/payments.yaml")
	require.Empty(t, errorStrings(native.Errors))
	for _, f := range []string{"testdata/sloth/payments.yaml", "testdata/sloth/crd.yaml"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := parseFile(t, f)
			require.Empty(t, errorStrings(res.Errors))
			assertSameSLOs(t, native.SLOs, res.SLOs, FormatSloth)

			a := res.Alerts["charge-availability"]
			require.NotNil(t, a)
			assert.Equal(t, "PaymentsChargeErrors", a.Name)
			assert.Equal(t, map[string]string{"category": "availability"}, a.Labels)
			assert.Equal(t, "https://runbooks.example.org/payments/charges", a.Annotations["runbook"])
			assert.Equal(t, map[string]string{"severity": "pager", "routing_key": "payments"}, a.Severity["page"].Labels)
			assert.Equal(t, map[string]string{"channel": "#payments"}, a.Severity["ticket"].Annotations)
			assert.False(t, a.Disabled)
			assert.True(t, res.Alerts["refund-availability"].Disabled)
		})
	}
}

func TestPyrraEqualsNative(t *testing.T) {
	native := parseFile(t, "testdata/pyrra/native/shop.yaml")
	require.Empty(t, errorStrings(native.Errors))
	res := parseFile(t, "testdata/pyrra/shop.yaml")
	require.Empty(t, errorStrings(res.Errors))
	assertSameSLOs(t, native.SLOs, res.SLOs, FormatPyrra)
	assert.Equal(t, "https://runbooks.example.org/cart", res.Alerts["cart-errors"].Annotations["runbook_url"])
	assert.Equal(t, "CartLatencyBudgetBurn", res.Alerts["cart-latency"].Name)
	assert.True(t, res.Alerts["checkout-fast"].Disabled)
	assert.False(t, res.Alerts["storefront-probe"].Disabled)
}

func TestPyrraBurnWindows28d(t *testing.T) {
	assert.Equal(t, []slo.BurnWindow{
		{Long: 3600e9, Short: 300e9, Factor: 14, Severity: "critical"},
		{Long: 6 * 3600e9, Short: 1800e9, Factor: 7, Severity: "critical"},
		{Long: 24 * 3600e9, Short: 2 * 3600e9, Factor: 2, Severity: "warning"},
		{Long: 96 * 3600e9, Short: 6 * 3600e9, Factor: 1, Severity: "warning"},
	}, PyrraBurnWindows(28*24*3600e9))
}

func TestSlothPyrraBadFiles(t *testing.T) {
	tests := map[string][]string{
		"testdata/sloth/bad/bad.yaml": {
			`8: ratio-inside: error_query: / of two queries computes a ratio or product inside the query: Nines needs the error and total counts apart`,
			`13: raw: sli.raw is not supported: an error ratio computed over {{.window}} cannot be split into the counters Nines adds up over its own windows; write sli.events with error_query and total_query`,
			`18: plugin: sli.plugin is not supported: Nines cannot run Sloth SLI plugins; write the plugin's error and total queries as sli.events`,
			`24: no-window: error_query: the query has no {{.window}} placeholder: Sloth events queries count events over {{.window}}`,
			`31: mixed: error_query uses rate() but total_query uses increase(): the two queries must use the same one for their ratio to be exact`,
			`36: average: error_query: aggregation avg is not additive over time: only sum can be split into counters`,
			`39: percent: objective 0.999 is below 1 %: objectives are percentages: did you mean 99.9?`,
			`40: percent: slo: unknown field "unknown" (known: name, description, objective, labels, plugins, sli, alerting)`,
			`43: percent: error_query: function irate() is not supported in an events query: only rate() and increase() over {{.window}} can be split into counters`,
		},
		"testdata/sloth/bad/bad-plugins.yaml": {
			`3: Sloth SLO plugins are not supported: they rewrite Sloth's generated rules, which Nines does not use`,
		},
		"testdata/pyrra/bad/bad.yaml": {
			`17: grouped: grouping by "le" would make one SLO per histogram bucket: group by a label that tells requests apart, such as route`,
			`18: grouped: grouping label "handler" is listed twice`,
			`19: grouped: grouping: item 4 must be a label name`,
			`26: bad-target: target "ninety-nine" is not a number (a percentage such as "99.5")`,
			`38: native-histogram: window 1m is too short: a window must be at least 1h`,
			`40: native-histogram: latencyNative (native histograms) is not supported yet: use latency with the classic histogram's _bucket and _count`,
			`53: ratio-no-errors: ratio indicator needs good or bad events`,
			`55: ratio-no-errors: total: "rate(http_requests_total[5m])": http_requests_total[5m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`,
			`57: ratio-no-errors: alerting: unknown field "colour" (known: disabled, burnrates, absent, name, absentName, severities)`,
		},
	}
	for f, want := range tests {
		t.Run(f, func(t *testing.T) {
			res := parseFile(t, f)
			assert.Empty(t, res.SLOs)
			var got []string
			for _, e := range res.Errors {
				assert.Equal(t, f, e.File)
				got = append(got, e.Error()[len(f)+1:])
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestSlothCounter(t *testing.T) {
	tests := []struct{ in, want, fn, err string }{
		{in: `sum(rate(a{x="1"}[{{.window}}]))`, want: `sum(a{x="1"})`, fn: "rate"},
		{in: `increase(a[{{ .window }}])`, want: `a`, fn: "increase"},
		{in: `2 * sum(rate(a[{{.window}}]))`, want: `2 * sum(a)`, fn: "rate"},
		{in: `label_replace(sum(rate(a[{{.window}}])), "k", "v", "", "")`, want: `label_replace(sum(a), "k", "v", "", "")`, fn: "rate"},
		{in: `sum(rate(a[{{.window}}])) * sum(rate(b[{{.window}}]))`, err: "* of two queries computes a ratio or product inside the query"},
		{in: `sum(rate(a[{{.window}}] offset 1h))`, err: "offset and @ modifiers"},
		{in: `sum(rate(a[{{.window}}])) > 0`, err: "operator > is not additive"},
		{in: `sum(rate(a[{{.window}}])) + 1`, err: "between a query and a constant"},
		{in: `max_over_time(rate(a[{{.window}}])[{{.window}}:1m])`, err: "function max_over_time() is not supported"},
		{in: `vector(1) + rate(a[{{.window}}])`, err: "between a query and a constant"},
		{in: `sum(rate(a[{{.window}}]))) `, err: "invalid PromQL"},
	}
	for _, tt := range tests {
		got, fn, err := SlothCounter(tt.in)
		if tt.err != "" {
			if assert.Error(t, err, tt.in) {
				assert.Contains(t, err.Error(), tt.err, tt.in)
			}
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, tt.fn, fn, tt.in)
	}
}
