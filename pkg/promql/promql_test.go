package promql

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

const nasty = "a\"b\\\"}{\nx"

// selectors returns every vector selector of a re-parsed query.
func selectors(t *testing.T, q string) []*parser.VectorSelector {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	require.NoError(t, err, "output must re-parse: %s", q)
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

// matcher returns the matcher on label name of vs, or nil.
func matcher(vs *parser.VectorSelector, name string) *labels.Matcher {
	for _, m := range vs.LabelMatchers {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func TestIncrease(t *testing.T) {
	tests := []struct {
		name, in string
		r        time.Duration
		want     string
	}{
		{"selector", `http_requests_total{code!~"5.."}`, 5 * time.Minute, `sum(increase(http_requests_total{code!~"5.."}[5m]))`},
		{"bare metric", `up_total`, time.Hour, `sum(increase(up_total[1h]))`},
		{"plain sum kept", `sum(a{j="k"})`, 5 * time.Minute, `sum(increase(a{j="k"}[5m]))`},
		{"paren plain sum kept", `(sum(a))`, 5 * time.Minute, `sum(increase(a[5m]))`},
		{"sum by wrapped", `sum by (x) (a{j="k"})`, 5 * time.Minute, `sum(sum by (x) (increase(a{j="k"}[5m])))`},
		{"sum without wrapped", `sum without (x) (a)`, time.Minute, `sum(sum without (x) (increase(a[1m])))`},
		{"binary", `sum by (x) (a{j="k"}) - ignoring (y) sum by (x) (b)`, 30 * time.Second,
			`sum(sum by (x) (increase(a{j="k"}[30s])) - ignoring (y) sum by (x) (increase(b[30s])))`},
		{"addition", `a + b`, 5 * time.Minute, `sum(increase(a[5m]) + increase(b[5m]))`},
		{"label_replace", `label_replace(a, "d", "$1", "s", "(.*)")`, 5 * time.Minute, `sum(label_replace(increase(a[5m]), "d", "$1", "s", "(.*)"))`},
		{"name matcher", `{__name__="a", job="x"}`, 5 * time.Minute, `sum(increase({__name__="a",job="x"}[5m]))`},
		{"nasty value", `a{v="a\"b\\\"}{\n"}`, 5 * time.Minute, `sum(increase(a{v="a\"b\\\"}{\n"}[5m]))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Increase(tt.in, inc(tt.r))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			selectors(t, got)
		})
	}
}

func TestIncreaseRefusals(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		r                 time.Duration
	}{
		{"range selector", `rate(a[5m])`, "range selector", time.Minute},
		{"bare range", `a[5m]`, "instant vector", time.Minute},
		{"subquery", `sum(max_over_time(a[1h:1m]))`, "subquery", time.Minute},
		{"offset", `a offset 1h`, "offset", time.Minute},
		{"at", `a @ 1700000000`, "@ modifier", time.Minute},
		{"at start", `a @ start()`, "@ modifier", time.Minute},
		{"scalar", `1 + 2`, "instant vector", time.Minute},
		{"no selector", `vector(1)`, "no series selector", time.Minute},
		{"parse error", `sum(a`, "parse", time.Minute},
		{"empty", ``, "empty", time.Minute},
		{"zero range", `a`, "positive", 0},
		{"sub-ms range", `a`, "milliseconds", time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Increase(tt.in, inc(tt.r))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNastyValueStaysOneMatcher(t *testing.T) {
	ms := []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "team", nasty)}
	got, err := WithMatchers(`sum(a{job="x"}) / sum(b)`, ms...)
	require.NoError(t, err)
	vss := selectors(t, got)
	require.Len(t, vss, 2)
	for _, vs := range vss {
		m := matcher(vs, "team")
		require.NotNil(t, m, got)
		assert.Equal(t, labels.MatchEqual, m.Type)
		assert.Equal(t, nasty, m.Value)
		// Only the name and the added matcher (and job on a): nothing leaked into new matchers.
		assert.LessOrEqual(t, len(vs.LabelMatchers), 3)
	}

	// The same value inside an SLO's own query survives Increase.
	q, err := Increase(vss[0].String(), inc(5*time.Minute))
	require.NoError(t, err)
	again := selectors(t, q)
	require.Len(t, again, 1)
	assert.Equal(t, nasty, matcher(again[0], "team").Value)
}

func TestWithMatchers(t *testing.T) {
	tests := []struct {
		name, in string
		ms       []*labels.Matcher
		want     string
	}{
		{"one selector", `a`, []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "env", "prod")}, `a{env="prod"}`},
		{"regex", `sum(rate(a[5m])) / sum(rate(b[5m]))`, []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "env", "prod|dev")},
			`sum(rate(a{env=~"prod|dev"}[5m])) / sum(rate(b{env=~"prod|dev"}[5m]))`},
		{"none", `a{x="y"}`, nil, `a{x="y"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithMatchers(tt.in, tt.ms...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := WithMatchers(`a`, nil)
	assert.Error(t, err)
	_, err = WithMatchers(`a{`, labels.MustNewMatcher(labels.MatchEqual, "x", "y"))
	assert.Error(t, err)
}

func ratio(good, bad, total string) *slo.SLO {
	return &slo.SLO{Name: "avail", Indicator: slo.Indicator{Kind: slo.Ratio, Good: good, Bad: bad, Total: total}}
}

func latency(hist string, le float64) *slo.SLO {
	return &slo.SLO{Name: "fast", Indicator: slo.Indicator{Kind: slo.Latency, Histogram: hist, Le: le}}
}

func TestForSLO(t *testing.T) {
	tests := []struct {
		name string
		s    *slo.SLO
		le   string
		want Bucketed
	}{
		{"ratio good", ratio(`http_requests_total{code!~"5.."}`, "", `http_requests_total`), "",
			Bucketed{Good: `sum(increase(http_requests_total{code!~"5.."}[5m]))`, Total: `sum(increase(http_requests_total[5m]))`}},
		{"ratio bad", ratio("", `errors_total`, `requests_total`), "",
			Bucketed{Bad: `sum(increase(errors_total[5m]))`, Total: `sum(increase(requests_total[5m]))`}},
		{"latency", latency(`http_request_duration_seconds{job="api"}`, 0.3), "0.3",
			Bucketed{Good: `sum(increase(http_request_duration_seconds_bucket{job="api",le="0.3"}[5m]))`, Total: `sum(increase(http_request_duration_seconds_count{job="api"}[5m]))`}},
		{"latency strips _bucket", latency(`h_bucket{job="api"}`, 1), "1.0",
			Bucketed{Good: `sum(increase(h_bucket{job="api",le="1.0"}[5m]))`, Total: `sum(increase(h_count{job="api"}[5m]))`}},
		{"latency name matcher", latency(`{__name__="h", job="api"}`, 0.25), "0.25",
			Bucketed{Good: `sum(increase(h_bucket{job="api",le="0.25"}[5m]))`, Total: `sum(increase(h_count{job="api"}[5m]))`}},
		{"latency exact le string kept", latency(`h`, 0.3), "3e-01",
			Bucketed{Good: `sum(increase(h_bucket{le="3e-01"}[5m]))`, Total: `sum(increase(h_count[5m]))`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ForSLO(tt.s, inc(5*time.Minute), tt.le)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for _, q := range []string{got.Good, got.Bad, got.Total} {
				if q != "" {
					selectors(t, q)
				}
			}
		})
	}
}

func TestForSLOLatencyLeIsOneMatcher(t *testing.T) {
	got, err := ForSLO(latency(`h{job="api"}`, 0.3), inc(time.Minute), nasty)
	require.NoError(t, err)
	vss := selectors(t, got.Good)
	require.Len(t, vss, 1)
	assert.Equal(t, nasty, matcher(vss[0], "le").Value)
	assert.Equal(t, "api", matcher(vss[0], "job").Value)
	assert.Len(t, vss[0].LabelMatchers, 3)
}

func TestForSLORefusals(t *testing.T) {
	tests := []struct {
		name    string
		s       *slo.SLO
		le      string
		wantErr string
	}{
		{"nil", nil, "", "nil SLO"},
		{"both good and bad", ratio("a", "b", "c"), "", "exactly one"},
		{"neither", ratio("", "", "c"), "", "exactly one"},
		{"no total", ratio("a", "", ""), "", "total"},
		{"good range", ratio("rate(a[5m])", "", "c"), "", "good: "},
		{"total offset", ratio("a", "", "c offset 5m"), "", "total: "},
		{"latency no le", latency("h", 0.3), "", "no bucket bound"},
		{"latency expression", latency("sum(h)", 0.3), "0.3", "plain metric selector"},
		{"latency regex name", latency(`{__name__=~"h.*"}`, 0.3), "0.3", "exactly one metric"},
		{"latency le matcher", latency(`h{le="0.3"}`, 0.3), "0.3", "must not match"},
		{"latency no name", latency(`{job="x"}`, 0.3), "0.3", "must name a metric"},
		{"latency offset", latency(`h offset 1h`, 0.3), "0.3", "offset"},
		{"threshold", &slo.SLO{Name: "t", Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: "up"}}, "", "cannot be bucketed"},
		{"raw", &slo.SLO{Name: "r", Indicator: slo.Indicator{Kind: slo.Raw, ErrorRatio: "x"}}, "", "cannot be bucketed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ForSLO(tt.s, inc(5*time.Minute), tt.le)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	_, err := ForSLO(ratio("a", "", "b"), inc(0), "")
	assert.ErrorContains(t, err, "positive")
}

func TestHandWritten(t *testing.T) {
	tests := []struct {
		name string
		s    *slo.SLO
		le   string
		want string
	}{
		{"good", ratio(`a{code!~"5.."}`, "", "a"), "",
			`sum(increase(a{code!~"5.."}[30d])) / sum(increase(a[30d]))`},
		{"bad", ratio("", `errs`, "reqs"), "",
			`1 - (sum(increase(errs[30d])) / sum(increase(reqs[30d])))`},
		{"latency", latency(`h{job="api"}`, 0.3), "0.3",
			`sum(increase(h_bucket{job="api",le="0.3"}[30d])) / sum(increase(h_count{job="api"}[30d]))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HandWritten(tt.s, 30*24*time.Hour, tt.le)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			e, err := parser.NewParser(parser.Options{}).ParseExpr(got)
			require.NoError(t, err)
			// The top node is the ratio (or 1 - ratio), never a sum of something else.
			be, ok := e.(*parser.BinaryExpr)
			require.True(t, ok)
			if tt.s.Indicator.Bad != "" {
				assert.Equal(t, parser.ItemType(parser.SUB), be.Op)
			} else {
				assert.Equal(t, parser.ItemType(parser.DIV), be.Op)
			}
		})
	}
	_, err := HandWritten(ratio("rate(a[1m])", "", "b"), time.Hour, "")
	assert.Error(t, err)
}

func TestHistogramSeries(t *testing.T) {
	tests := []struct{ hist, want string }{
		{`h{job="api"}`, `h_bucket{job="api"}`},
		{`h_bucket`, `h_bucket`},
		{`(h{a=~"x|y"})`, `h_bucket{a=~"x|y"}`},
	}
	for _, tt := range tests {
		got, err := HistogramSeries(latency(tt.hist, 1))
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	_, err := HistogramSeries(ratio("a", "", "b"))
	assert.Error(t, err)
}

func TestMatchLe(t *testing.T) {
	tests := []struct {
		name      string
		les       []string
		threshold float64
		want      string
		ok        bool
	}{
		{"exact", []string{"0.1", "0.3", "+Inf"}, 0.3, "0.3", true},
		{"trailing zero", []string{"0.10", "0.30"}, 0.3, "0.30", true},
		{"exponent", []string{"1e-1", "3e-1"}, 0.3, "3e-1", true},
		{"integer as 1.0", []string{"0.5", "1.0", "2.5"}, 1, "1.0", true},
		{"inf", []string{"1", "+Inf"}, posInf(), "+Inf", true},
		{"none", []string{"0.25", "0.5"}, 0.3, "", false},
		{"garbage ignored", []string{"abc", "0.3"}, 0.3, "0.3", true},
		{"empty", nil, 0.3, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MatchLe(tt.les, tt.threshold)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func posInf() float64 {
	var zero float64
	return 1 / zero
}

// inc is the plain increase tiling over r, the form the older tests were written for.
func inc(r time.Duration) Tiling { return Tiling{Form: FormIncrease, Step: r} }
