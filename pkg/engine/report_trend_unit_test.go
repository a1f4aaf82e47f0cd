package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// The report's trend: the SLI over the SLO's window up to the status time, about
// TrendPoints points, and for a calendar window the period to date.
func TestReportTrend(t *testing.T) {
	f := happyWorld()
	from := uNow.Add(-3 * uDay)
	f.counter(`req_total{svc="a",code="200"}`, from, uNow, time.Minute, traffic{inc: perMin(990)})
	f.counter(`req_total{svc="a",code="500"}`, from, uNow, time.Minute, traffic{inc: perMin(10)})
	a := ratioSLO("a", "a", 99.9, rolling(uDay))
	cal := ratioSLO("cal", "a", 99, slo.Window{Kind: slo.Calendar, Unit: slo.Week})
	r := New(f).Report(context.Background(), []*slo.SLO{a, cal}, uNow, ReportOptions{})

	ra := r.SLOs[0]
	require.NoError(t, ra.TrendErr)
	tr := ra.Trend
	require.Equal(t, ra.Status.At, tr.Times[len(tr.Times)-1], "the last point is the status time")
	require.False(t, tr.Times[0].Before(uNow.Add(-uDay)), "the points cover the window")
	require.GreaterOrEqual(t, len(tr.Times), TrendPoints/2)
	require.LessOrEqual(t, len(tr.Times), TrendPoints+1)
	pts := SLIPoints(tr.Times, tr.Counts[0])
	for _, p := range pts {
		require.True(t, p.OK, "%s has data", p.Time)
		near(t, 0.99, p.Value, "SLI at %s", p.Time)
	}
	left := BudgetPoints(tr.Times, tr.Counts[0], a.Target())
	near(t, ra.Status.Remaining, left[len(left)-1].Value, "the last budget point is the status")

	rc := r.SLOs[1]
	require.NoError(t, rc.TrendErr)
	ct := rc.Trend
	require.False(t, ct.Times[0].Before(rc.Status.PeriodStart), "the week to date")
	require.Equal(t, rc.Status.At, ct.Times[len(ct.Times)-1])
	last := SLIPoints(ct.Times, ct.Counts[0])
	near(t, rc.Status.SLI, last[len(last)-1].Value, "the last point is the SLI to date")
}
