package engine

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
)

func TestResolveSignal(t *testing.T) {
	s := &slo.SLO{Name: "a", Happiness: []slo.Signal{
		{Name: "tickets", Query: "tickets_total", Kind: slo.Counter},
		{Name: "carts", Query: "carts", Kind: slo.Gauge},
	}}
	got, err := ResolveSignal(s, "")
	require.NoError(t, err)
	assert.Equal(t, s.Happiness, got)
	got, err = ResolveSignal(s, " carts ")
	require.NoError(t, err)
	assert.Equal(t, []slo.Signal{s.Happiness[1]}, got)

	for q, kind := range map[string]slo.SignalKind{
		`sum(x_total{a="b"})`:          slo.Counter,
		`x_count + y_sum`:              slo.Counter,
		`avg(queue_depth)`:             slo.Gauge,
		`x_total / on() group_left up`: slo.Gauge,
	} {
		got, err := ResolveSignal(s, q)
		require.NoError(t, err, q)
		assert.Equal(t, []slo.Signal{{Name: q, Query: q, Kind: kind}}, got, q)
	}
	_, err = ResolveSignal(s, "sum(")
	require.ErrorContains(t, err, `SLO a has no happiness signal "sum(" (it has "tickets", "carts"), and "sum(" is not a PromQL expression either`)
	_, err = ResolveSignal(&slo.SLO{Name: "b"}, "support tickets")
	require.ErrorContains(t, err, `SLO b has no happiness signal "support tickets" (it has none)`)
	_, err = ResolveSignal(&slo.SLO{Name: "b"}, "")
	require.ErrorContains(t, err, "SLO b has no happiness signals")
	_, err = ResolveSignal(s, "rate(x_total[5m])")
	require.Error(t, err)
}

func TestFormatLag(t *testing.T) {
	assert.Equal(t, "0", FormatLag(0, time.Hour))
	assert.Equal(t, "1h", FormatLag(1, time.Hour))
	assert.Equal(t, "-1h30m", FormatLag(-3, 30*time.Minute))
	assert.Equal(t, "2d", FormatLag(2, 24*time.Hour))
}

func TestCorrelate(t *testing.T) {
	nan := math.NaN()
	// The signal follows the SLI by one interval; two intervals have no traffic.
	sli := []float64{1, 0.9, 1, 1, 0.8, 1, nan, 1, 0.95, 1, 1, 0.7, 1, 1, nan, 0.9, 1, 1, 0.85, 1}
	sig := make([]float64, len(sli))
	sig[0] = 2
	for i := 1; i < len(sli); i++ {
		prev := sli[i-1]
		if math.IsNaN(prev) {
			prev = 1
		}
		sig[i] = 2 + 100*(1-prev)
	}
	h := &Happiness{SLO: &slo.SLO{Name: "a", DisplayName: "Checkout availability"}, Signal: slo.Signal{Name: "tickets"},
		Interval: time.Hour, MaxLag: 3, SLI: sli, Value: sig}
	Correlate(h)
	assert.Equal(t, 18, h.Used)
	assert.Equal(t, 1, h.Lag)
	assert.InDelta(t, -1, h.LagR, 1e-9)
	assert.Equal(t, budget.Strong, h.Verdict.Strength)
	assert.Equal(t, "strong: tickets rises when checkout availability falls (Pearson −1.00, best lag 1h)", h.Verdict.Text)

	h.SLI, h.Value = sli[:8], sig[:8]
	Correlate(h)
	assert.Equal(t, budget.TooFew, h.Verdict.Strength)
}
