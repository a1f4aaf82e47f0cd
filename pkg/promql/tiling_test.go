package promql

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrowthForms(t *testing.T) {
	cases := []struct {
		name   string
		tiling Tiling
		want   string
	}{
		{"increase", Tiling{Form: FormIncrease, Step: time.Minute},
			`sum(increase(x_total{job="a"}[1m]))`},
		{"anchored", Tiling{Form: FormAnchored, Step: 5 * time.Minute},
			`sum(increase(x_total{job="a"}[5m] anchored))`},
		{"last sample, default gap", Tiling{Form: FormLastSample, Step: time.Minute},
			`sum(last_over_time(x_total{job="a"}[1h]) - last_over_time(x_total{job="a"}[1h] offset 1m) >= 0 or last_over_time(x_total{job="a"}[1h]) + clamp_min(max_over_time(x_total{job="a"}[1m]) - last_over_time(x_total{job="a"}[1h] offset 1m), 0))`},
		{"last sample, gap 2h, 1d buckets", Tiling{Form: FormLastSample, Step: 24 * time.Hour, Gap: 2 * time.Hour},
			`sum(last_over_time(x_total{job="a"}[2h]) - last_over_time(x_total{job="a"}[2h] offset 1d) >= 0 or last_over_time(x_total{job="a"}[2h]) + clamp_min(max_over_time(x_total{job="a"}[1d]) - last_over_time(x_total{job="a"}[2h] offset 1d), 0))`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Increase(`x_total{job="a"}`, c.tiling)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			// What is printed parses back to the same query.
			e, err := parser.NewParser(parser.Options{}).ParseExpr(got)
			require.NoError(t, err)
			assert.Equal(t, got, e.String())
		})
	}
}

func TestGrowthKeepsPrecedenceInsideExpressions(t *testing.T) {
	// "or" binds loosest: without parentheses, a + b would swallow half of each growth.
	got, err := Increase(`a_total + b_total`, Tiling{Form: FormLastSample, Step: time.Minute})
	require.NoError(t, err)
	e, err := parser.NewParser(parser.Options{}).ParseExpr(got)
	require.NoError(t, err)
	sum := e.(*parser.AggregateExpr)
	add, ok := sum.Expr.(*parser.BinaryExpr)
	require.True(t, ok, got)
	assert.Equal(t, parser.ItemType(parser.ADD), add.Op)
	for _, side := range []parser.Expr{add.LHS, add.RHS} {
		_, ok := side.(*parser.ParenExpr)
		assert.True(t, ok, "each growth is one parenthesised term: %s", got)
	}
}

func TestTilingRefusesBadInput(t *testing.T) {
	for _, tl := range []Tiling{
		{Form: FormLastSample, Step: 0},
		{Form: FormLastSample, Step: time.Minute, Gap: time.Microsecond},
		{Form: "extrapolate", Step: time.Minute},
	} {
		_, err := Increase(`x_total`, tl)
		assert.Error(t, err, "%+v", tl)
	}
}

func TestSampled(t *testing.T) {
	s := ratio(`x_total{job="a",code!~"5.."}`, "", `x_total{job="a"}`)
	count, raw, err := Sampled(s, "", time.Minute, 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, `max(count_over_time(x_total{job="a"}[1m]))`, count)
	assert.Equal(t, `x_total{job="a"}[10m]`, raw)
}
