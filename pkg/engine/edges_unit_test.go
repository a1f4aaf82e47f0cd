package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// A long window ending inside an hour: its body is read by the hour, its partial hours
// by the minute, and the sum is still the window's events.
func TestStatusLongWindowOffTheHour(t *testing.T) {
	at := uNow.Add(-17 * time.Minute) // 13 minutes into svc c's incident
	week := 7 * uDay
	weekMin := float64(week / time.Minute)
	bad := (weekMin - 13) + 13*500
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			f := webWorld(uNow, 8)
			f.growth = form.probe
			e := New(f)
			e.Ranges = form.ranges
			st, err := e.Status(context.Background(), ratioSLO("c", "c", 99, rolling(week)), at)
			require.NoError(t, err)
			near(t, weekMin*1000, st.Counts.Total, "a week of requests")
			near(t, 1-bad/(weekMin*1000), st.SLI, "SLI")
			near(t, (47+13*500)/60000.0/0.01, st.Burns[0].Rate, "1h burn")
			joined := strings.Join(st.Fetched.Queries, "\n")
			require.NotEmpty(t, joined)
		})
	}
}

// A gap bound below the default: a 20-minute gap is no longer bridged, and the warning
// says so with the bound.
func TestCustomGapBound(t *testing.T) {
	f := scrapeWorld(mins(24 * 60))
	e := New(f)
	e.Ranges = RangesLastSample
	e.Gap = 10 * time.Minute
	fe, err := e.Buckets(context.Background(), scrapeSLO, mins(0), mins(180), 5*time.Minute)
	require.NoError(t, err)
	all := strings.Join(fe.Warnings, "\n")
	require.Contains(t, all, `web_total{i="1"} for more than 10m before `+mins(80).Format(time.RFC3339))
	require.Contains(t, all, "maxGap bridges gaps up to 10m")
	for _, q := range fe.Queries {
		if strings.Contains(q, "last_over_time") {
			require.Contains(t, q, "[10m]", "the last values are looked up within the bound")
		}
	}
}

// Time slices without traffic: left out, counted as good or as bad, and always counted.
func TestTimeslicesWithoutData(t *testing.T) {
	f := newFake(uNow)
	quiet := func(t time.Time) bool { return t.After(uNow.Add(-2*time.Hour)) && !t.After(uNow.Add(-90*time.Minute)) }
	f.counter(`req_total{svc="q",code="200"}`, uNow.Add(-uDay), uNow, time.Minute, traffic{inc: func(t time.Time) float64 {
		if quiet(t) {
			return 0
		}
		return 100
	}})
	cases := []struct {
		empty  slo.EmptySlices
		sli    float64
		slices float64
	}{
		{slo.EmptySkip, 1, 66},
		{slo.EmptyGood, 1, 72},
		{slo.EmptyBad, 66.0 / 72, 72},
	}
	for _, c := range cases {
		t.Run("empty slices "+string(c.empty), func(t *testing.T) {
			s := ratioSLO("q", "q", 90, rolling(6*time.Hour))
			s.Budgeting = slo.Budgeting{Method: slo.Timeslices, SliceLength: 5 * time.Minute, SliceThreshold: 0.99, EmptySlices: c.empty}
			st, err := New(f).Status(context.Background(), s, uNow)
			require.NoError(t, err)
			near(t, 6, st.EmptySlices, "30 quiet minutes are 6 empty slices")
			near(t, c.slices, st.Counts.Total, "slices counted")
			near(t, c.sli, st.SLI, "SLI")
			h, err := New(f).History(context.Background(), s, HistoryOptions{Period: RollingPeriod, Window: 6 * time.Hour, Periods: 2, End: uNow, Share: 1})
			require.NoError(t, err)
			near(t, 6, h.Periods[1].EmptySlices, "history: empty slices of the last 6h")
			near(t, c.sli, h.Periods[1].SLI, "history: SLI of the last 6h")
			near(t, 0, h.Periods[0].EmptySlices, "history: none before")
		})
	}
}
