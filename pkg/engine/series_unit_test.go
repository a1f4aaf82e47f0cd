package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// cBadIn is svc c's bad events in the window (end-w, end] by hand: 1 a minute, 500 a
// minute in its last 30 minutes before uNow (samples at whole minutes).
func cBadIn(end time.Time, w time.Duration) (bad, total float64) {
	incident := uNow.Add(-30 * time.Minute)
	for t := end.Add(-w).Add(time.Minute); !t.After(end); t = t.Add(time.Minute) {
		total += 1000
		if t.After(incident) {
			bad += 500
		} else {
			bad++
		}
	}
	return bad, total
}

// Rolling SLI, budget and burn-rate series of the incident, at every output time.
func TestRollingSeriesFromTrafficModel(t *testing.T) {
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			f := webWorld(uNow, 2)
			f.growth = form.probe
			e := New(f)
			e.Ranges = form.ranges
			s := ratioSLO("c", "c", 99, rolling(uDay))
			windows := []time.Duration{time.Hour, 5 * time.Minute}
			r, err := e.RollingCounts(context.Background(), s, uNow.Add(-2*time.Hour), uNow, 5*time.Minute, windows)
			require.NoError(t, err)
			require.Equal(t, 5*time.Minute, r.Step)
			require.Len(t, r.Times, 25, "every 5 minutes from -2h to now, both ends included")
			require.Equal(t, uNow.Add(-2*time.Hour), r.Times[0])
			require.Equal(t, uNow, r.Times[len(r.Times)-1])
			for wi, w := range windows {
				sli := SLIPoints(r.Times, r.Counts[wi])
				bud := BudgetPoints(r.Times, r.Counts[wi], s.Target())
				burn := BurnPoints(r.Times, r.Counts[wi], s.Target())
				for i, at := range r.Times {
					bad, total := cBadIn(at, w)
					require.True(t, sli[i].OK)
					require.Equal(t, at, sli[i].Time)
					near(t, total, r.Counts[wi][i].Total, "total in %s at %s", w, at)
					near(t, 1-bad/total, sli[i].Value, "SLI over %s at %s", w, at)
					near(t, bad/total/0.01, burn[i].Value, "burn over %s at %s", w, at)
					near(t, 1-bad/total/0.01, bud[i].Value, "budget over %s at %s", w, at)
				}
			}
			// The incident's last point: 5m all at 50 % errors burns 50× at 99 %.
			near(t, 50, BurnPoints(r.Times, r.Counts[1], s.Target())[24].Value, "5m burn at the end")
		})
	}
}

// Points are never finer than the source's scrape interval, and a window without
// traffic is no data at every point.
func TestRollingSeriesSpacingAndNoData(t *testing.T) {
	f := webWorld(uNow, 1)
	e := New(f)
	e.ScrapeInterval = 2 * time.Minute
	r, err := e.RollingCounts(context.Background(), ratioSLO("idle", "idle", 99, rolling(time.Hour)), uNow.Add(-time.Hour), uNow, time.Minute, []time.Duration{time.Hour})
	require.NoError(t, err)
	require.Len(t, r.Times, 31)
	for i := 1; i < len(r.Times); i++ {
		require.Equal(t, 2*time.Minute, r.Times[i].Sub(r.Times[i-1]))
	}
	for _, p := range BurnPoints(r.Times, r.Counts[0], 0.99) {
		require.False(t, p.OK, "no traffic at %s is no data", p.Time)
	}
	_, err = e.RollingCounts(context.Background(), ratioSLO("idle", "idle", 99, rolling(time.Hour)), uNow.Add(-time.Hour), uNow, time.Minute, nil)
	require.ErrorContains(t, err, "no windows")
}

// zoneWorld has svc z whose errors go from 0.1 % to 1 % at midnight of 1 March in
// Berlin (23:00 UTC on 28 February), sampled every 5 minutes from 20 February to uNow.
func zoneWorld() *fakeSource {
	f := newFake(uNow)
	berlinMarch := time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)
	from := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	f.counter(`req_total{svc="z",code="200"}`, from, uNow, 5*time.Minute, traffic{inc: func(t time.Time) float64 {
		if t.After(berlinMarch) {
			return 5 * 990
		}
		return 5 * 999
	}})
	f.counter(`req_total{svc="z",code="500"}`, from, uNow, 5*time.Minute, traffic{inc: func(t time.Time) float64 {
		if t.After(berlinMarch) {
			return 5 * 10
		}
		return 5 * 1
	}})
	return f
}

// Calendar series reset at the period boundary of the SLO's time zone.
func TestCalendarSeriesResetInTheSLOZone(t *testing.T) {
	from := time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	hoursSinceBerlinMarch := func(at time.Time) float64 {
		return at.Sub(time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)).Hours()
	}
	cases := []struct {
		zone string
		// want is the SLI to date at each daily point (UTC midnights 26 Feb .. 4 Mar).
		want func(at time.Time) (float64, bool)
	}{
		{"Europe/Berlin", func(at time.Time) (float64, bool) {
			if at.Before(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
				return 0.999, true // February in Berlin: all at 0.1 %
			}
			return 0.99, hoursSinceBerlinMarch(at) > 0 // since 23:00 UTC: 1 %
		}},
		{"", func(at time.Time) (float64, bool) {
			if at.Before(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
				return 0.999, true // the daily points of February are all before 23:00 UTC on the 28th
			}
			if at.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
				return 0, false // the period has just begun: no events yet
			}
			return 0.99, true
		}},
	}
	for _, c := range cases {
		t.Run("zone "+c.zone, func(t *testing.T) {
			e := New(zoneWorld())
			s := ratioSLO("z", "z", 99.5, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: c.zone})
			r, err := e.CalendarCounts(context.Background(), s, from, to, uDay)
			require.NoError(t, err)
			require.Len(t, r.Times, 7)
			pts := SLIPoints(r.Times, r.Counts[0])
			for _, p := range pts {
				want, ok := c.want(p.Time)
				require.Equal(t, ok, p.OK, "data at %s", p.Time)
				if ok {
					near(t, want, p.Value, "SLI to date at %s", p.Time)
				}
			}
		})
	}
}
