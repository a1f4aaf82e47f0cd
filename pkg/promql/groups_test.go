package promql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestGroupsQuery(t *testing.T) {
	tests := []struct {
		name string
		in   slo.Indicator
		want string
	}{
		{"ratio", slo.Indicator{Kind: slo.Ratio, Bad: `x{code=~"5.."}`, Total: `x{job="a"}`},
			`count by (route, method) (last_over_time(x{job="a"}[1d]))`},
		{"expression", slo.Indicator{Kind: slo.Ratio, Good: `a`, Total: `sum by (code) (a_total{job="a"}) + b_total offset 5m`},
			`count by (route, method) (last_over_time(a_total{job="a"}[1d])) or count by (route, method) (last_over_time(b_total[1d]))`},
		{"latency", slo.Indicator{Kind: slo.Latency, Histogram: `h{job="a"}`, Le: 0.25},
			`count by (route, method) (last_over_time(h_count{job="a"}[1d]))`},
		{"threshold", slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success{job="b"} > 0`, Op: "==", Value: 1},
			`count by (route, method) (last_over_time(probe_success{job="b"}[1d]))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &slo.SLO{Name: "a", Indicator: tt.in, Grouping: []string{"route", "method"}}
			got, err := GroupsQuery(s, 24*time.Hour)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := GroupsQuery(&slo.SLO{Name: "a", Indicator: slo.Indicator{Kind: slo.Ratio, Total: "x"}}, time.Hour)
	assert.EqualError(t, err, "SLO a has no grouping")
}

func TestForGroup(t *testing.T) {
	s := &slo.SLO{Name: "api", DisplayName: "API", Grouping: []string{"route", "method"},
		Indicator: slo.Indicator{Kind: slo.Ratio, Bad: `sum by (code) (x{code=~"5.."})`, Total: `x{job="a"}`},
		Happiness: []slo.Signal{{Name: "tickets", Query: "tickets_total", Kind: slo.Counter}}}
	// A value that would change the query's shape if it were pasted in.
	g, err := ForGroup(s, map[string]string{"route": `/a"} or vector(1) #`, "method": ""})
	require.NoError(t, err)
	assert.Equal(t, `sum by (code) (x{code=~"5..",method="",route="/a\"} or vector(1) #"})`, g.Indicator.Bad)
	assert.Equal(t, `x{job="a",method="",route="/a\"} or vector(1) #"}`, g.Indicator.Total)
	assert.Equal(t, map[string]string{"route": `/a"} or vector(1) #`, "method": ""}, g.Group)
	assert.Equal(t, "tickets_total", g.Happiness[0].Query)
	assert.Equal(t, `x{job="a"}`, s.Indicator.Total, "the grouped SLO is left as it was")
	assert.Nil(t, s.Group)
	require.NoError(t, slo.CheckCounterQuery(g.Indicator.Total))

	l, err := ForGroup(&slo.SLO{Name: "l", Indicator: slo.Indicator{Kind: slo.Latency, Histogram: `h{job="a"}`, Le: 0.5}}, map[string]string{"route": "/b"})
	require.NoError(t, err)
	assert.Equal(t, `h{job="a",route="/b"}`, l.Indicator.Histogram)
	_, err = ForGroup(s, nil)
	assert.Error(t, err)
}
