package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/embedded"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// History's months are the SLO's own, whoever asks: the command line's report passes no
// zone, and its months must still start at midnight in the SLO's time zone, as the
// plugin's history query does.
func TestHistoryPeriodsFollowTheSLOZone(t *testing.T) {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 20, Seed: demo.DefaultSeed})
	ctx := context.Background()
	srv, err := embedded.Start(ctx, h)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	src, err := source.New(source.Config{URL: srv.URL})
	require.NoError(t, err)
	e := engine.New(src)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, c := range []struct {
		zone  string
		start time.Time
	}{
		{"", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 2, 1, 0, 0, 0, 0, ny)},
	} {
		s := &slo.SLO{Name: "monthly", Objective: 99.9,
			Window:    slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: c.zone},
			Indicator: slo.Indicator{Kind: slo.Ratio, Good: `http_requests_total{job="checkout",code!~"5.."}`, Total: `http_requests_total{job="checkout"}`}}
		r := e.Report(ctx, []*slo.SLO{s}, time.Date(2026, 2, 8, 12, 0, 0, 0, time.UTC), engine.ReportOptions{HistoryPeriods: 1})
		require.NoError(t, r.SLOs[0].Err)
		require.NoError(t, r.SLOs[0].HistoryErr)
		got := r.SLOs[0].History.Periods[0].Start
		require.True(t, got.Equal(c.start), "zone %q: the report's month starts at %s, want %s", c.zone, got, c.start)
	}
}
