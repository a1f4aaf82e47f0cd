package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/series"
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
			require.True(t, strings.Contains(q, "[5m]") || strings.Contains(q, "[10m]"),
				"the last values are looked up over the short lookback, then within the bound: %s", q)
		}
	}
}

// The short first lookup of last values (5m) gives the counts of a lookup over the whole
// gap bound, on scrapes with a restart, missed scrapes and gaps shorter and longer than
// the bound, in fine and coarse buckets; it sends follow-up lookups only for boundaries
// it missed.
func TestShortLookbackEqualsGapLookup(t *testing.T) {
	for _, w := range []struct {
		name  string
		world func() *fakeSource
		slo   *slo.SLO
		from  time.Time
		to    time.Time
	}{
		{"20m and 2h gaps, a restart", func() *fakeSource { return scrapeWorld(mins(24 * 60)) }, scrapeSLO, mins(0), mins(180)},
		{"every 30s off the grid, a missed scrape", func() *fakeSource { return offGridWorld(uNow) }, ratioSLO("a", "a", 99.9, rolling(uDay)), uNow.Add(-20 * time.Hour), uNow.Add(-7 * time.Minute)},
	} {
		for _, step := range []time.Duration{time.Minute, 5 * time.Minute, time.Hour} {
			t.Run(fmt.Sprintf("%s/%s", w.name, step), func(t *testing.T) {
				short := New(w.world())
				short.Ranges = RangesLastSample
				whole := New(w.world())
				whole.Ranges = RangesLastSample
				whole.ScrapeInterval = time.Hour // the first lookup covers the whole bound
				require.Equal(t, ShortLookback, short.lookback())
				require.Equal(t, whole.gap(), whole.lookback())
				from, to := series.Align(w.from, step), series.Align(w.to, step)
				got, err := short.Buckets(context.Background(), w.slo, from, to, step)
				require.NoError(t, err)
				want, err := whole.Buckets(context.Background(), w.slo, from, to, step)
				require.NoError(t, err)
				require.Equal(t, want.Buckets.Total, got.Buckets.Total, "totals per bucket")
				require.Equal(t, want.Buckets.Good, got.Buckets.Good, "good per bucket")
				require.Equal(t, want.Warnings, got.Warnings)
			})
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
