package promql

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// FuzzBuilders feeds arbitrary selectors and expressions to every query builder: they
// must return a query that parses or an error, never panic or hang.
func FuzzBuilders(f *testing.F) {
	for _, seed := range [][2]string{
		{`http_requests_total{job="a",code!~"5.."}`, `http_requests_total{job="a"}`},
		{`sum(rate(x[5m])) by (code)`, `x`},
		{`x{le="0.3"}`, `x{a=~".*"} offset 1h`},
		{`(((x)))`, `-x`},
		{`x[5m]`, `{__name__="x"}`},
		{`x @ 100`, `label_replace(x, "a", "$1", "b", "(.*)")`},
		{"x{a=\"\x00\"}", `"string"`},
		{`1`, `vector(time())`},
		{`x`, ``},
	} {
		f.Add(seed[0], seed[1], 0.3, int64(300))
	}
	f.Fuzz(func(t *testing.T, good, total string, le float64, stepSeconds int64) {
		if len(good)+len(total) > 4096 {
			return
		}
		step := time.Duration(stepSeconds%86400) * time.Second
		if step <= 0 {
			step = time.Minute
		}
		check := func(what, q string, err error) {
			if err != nil || q == "" {
				return
			}
			if _, perr := parser.NewParser(parser.Options{}).ParseExpr(q); perr != nil {
				t.Fatalf("%s built %q, which does not parse: %v", what, q, perr)
			}
		}
		for _, form := range []Form{FormLastSample, FormAnchored, FormIncrease} {
			tl := Tiling{Form: form, Step: step, Gap: DefaultGap}
			s := &slo.SLO{Name: "f", Objective: 99, Window: slo.Window{Kind: slo.Rolling, Duration: 24 * time.Hour},
				Indicator: slo.Indicator{Kind: slo.Ratio, Good: good, Total: total}}
			b, err := ForSLO(s, tl, "0.3")
			check("ForSLO good", b.Good, err)
			check("ForSLO total", b.Total, err)
			g, ok := ForSLOGrouped(s, tl)
			if ok {
				check("ForSLOGrouped", g.Query, nil)
			}
			q, err := Increase(good, tl)
			check("Increase", q, err)
			sig, err := Signal(slo.Signal{Name: "s", Kind: slo.Counter, Query: good}, tl)
			check("Signal", sig, err)
		}
		hw, err := HandWritten(&slo.SLO{Name: "f", Objective: 99, Indicator: slo.Indicator{Kind: slo.Ratio, Bad: good, Total: total}}, time.Hour, "0.3")
		check("HandWritten", hw, err)
		lv, err := LastValues(good, time.Hour)
		check("LastValues", lv, err)
		lat := &slo.SLO{Name: "f", Objective: 99, Indicator: slo.Indicator{Kind: slo.Latency, Histogram: good, Le: le}}
		hs, err := HistogramSeries(lat)
		check("HistogramSeries", hs, err)
		th, err := ForThreshold(&slo.SLO{Name: "f", Objective: 99, Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: good, Op: ">=", Value: le}}, step, time.Minute)
		check("ForThreshold", th.Good, err)
	})
}
