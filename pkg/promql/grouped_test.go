package promql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestForSLOGrouped(t *testing.T) {
	ratio := func(good, bad, total string) *slo.SLO {
		return &slo.SLO{Name: "x", Indicator: slo.Indicator{Kind: slo.Ratio, Good: good, Bad: bad, Total: total}}
	}
	cases := []struct {
		name  string
		s     *slo.SLO
		ok    bool
		query string
		bad   bool
		good  map[string]string // a group that must be selected
		other map[string]string // a group that must not be
	}{
		{"good narrows total", ratio(`http_requests_total{job="a",code!~"5.."}`, "", `http_requests_total{job="a"}`), true,
			`sum by (code) (increase(http_requests_total{job="a"}[5m]))`, false, map[string]string{"code": "200"}, map[string]string{"code": "503"}},
		{"bad narrows total", ratio("", `http_requests_total{job="a",code=~"5..",method="GET"}`, `http_requests_total{job="a"}`), true,
			`sum by (code, method) (increase(http_requests_total{job="a"}[5m]))`, true, map[string]string{"code": "500", "method": "GET"}, map[string]string{"code": "500", "method": "POST"}},
		{"different metrics", ratio("", `errors_total{job="a"}`, `requests_total{job="a"}`), false, "", false, nil, nil},
		{"total has a matcher good lacks", ratio(`x_total{code="200"}`, "", `x_total{job="a"}`), false, "", false, nil, nil},
		{"same selector", ratio(`x_total{job="a"}`, "", `x_total{job="a"}`), false, "", false, nil, nil},
		{"expression", ratio(`sum(x_total{code="200"})`, "", `x_total`), false, "", false, nil, nil},
		{"offset", ratio(`x_total{code="200"} offset 5m`, "", `x_total`), false, "", false, nil, nil},
		{"latency", &slo.SLO{Indicator: slo.Indicator{Kind: slo.Latency, Histogram: "h", Le: 1}}, false, "", false, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, ok := ForSLOGrouped(c.s, inc(5*time.Minute))
			require.Equal(t, c.ok, ok)
			if !ok {
				return
			}
			require.Equal(t, c.query, g.Query)
			require.Equal(t, c.bad, g.Bad)
			require.True(t, g.Select(c.good))
			require.False(t, g.Select(c.other))
			_, err := parse(g.Query)
			require.NoError(t, err)
		})
	}
}
