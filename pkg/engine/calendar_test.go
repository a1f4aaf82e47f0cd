package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

func TestZoneGrid(t *testing.T) {
	from := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for zone, want := range map[string]time.Duration{
		"UTC": 24 * time.Hour, "America/New_York": time.Hour, "Europe/Berlin": time.Hour,
		"Asia/Kolkata": 30 * time.Minute, "Asia/Kathmandu": 15 * time.Minute, "Australia/Adelaide": 30 * time.Minute,
	} {
		loc, err := series.Location(zone)
		require.NoError(t, err)
		require.Equal(t, want, ZoneGrid(loc, from, to), zone)
		// Every period start lies on the grid.
		for _, unit := range []series.Unit{series.Week, series.Month, series.Quarter} {
			ps, err := series.Periods(from, to, unit, loc)
			require.NoError(t, err)
			for _, p := range ps {
				require.Equal(t, p.End, series.Align(p.End, want), "%s %s %s", zone, unit, p.End)
			}
		}
	}
	_, err := series.Location("Nowhere/City")
	require.ErrorContains(t, err, `unknown time zone "Nowhere/City"`)
}

func TestSliceStep(t *testing.T) {
	occ := &slo.SLO{}
	require.Equal(t, time.Hour, SliceStep(occ, time.Hour, 30*24*time.Hour))
	sl := func(d time.Duration) *slo.SLO {
		return &slo.SLO{Budgeting: slo.Budgeting{Method: slo.Timeslices, SliceLength: d, SliceThreshold: 0.9}}
	}
	require.Equal(t, time.Hour, SliceStep(sl(5*time.Minute), time.Hour, 30*24*time.Hour))
	require.Equal(t, 5*time.Minute, SliceStep(sl(5*time.Minute), time.Minute))
	require.Equal(t, 2*time.Hour, SliceStep(sl(2*time.Hour), time.Hour, 24*time.Hour))
	require.Equal(t, 7*time.Minute, SliceStep(sl(7*time.Minute), time.Hour))

	ny, _ := series.Location("America/New_York")
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	st, err := CalendarStep(sl(5*time.Minute), time.Hour, ny, from, to)
	require.NoError(t, err)
	require.Equal(t, time.Hour, st)
	_, err = CalendarStep(sl(7*time.Minute), time.Hour, ny, from, to)
	require.ErrorContains(t, err, "does not divide the calendar grid")
}

func TestPeriodEnd(t *testing.T) {
	ny, _ := series.Location("America/New_York")
	end, err := series.PeriodEnd(time.Date(2026, 3, 1, 0, 0, 0, 0, ny), slo.Month, ny)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC), end.UTC())
	end, err = series.PeriodEnd(time.Date(2026, 3, 2, 0, 0, 0, 0, ny), slo.Week, ny)
	require.NoError(t, err)
	require.Equal(t, 167*time.Hour, end.Sub(time.Date(2026, 3, 2, 0, 0, 0, 0, ny)))
}
