package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func utcDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// monthsWorld has svc m sampled every 5 minutes from 20 November 2025 to uNow, 5000
// requests a sample, with bad ones by the UTC month of the events: 0.05 % in November
// and December, 0.2 % in January, 1 % from February on.
func monthsWorld() *fakeSource {
	f := newFake(uNow)
	from := utcDate(2025, 11, 20)
	badPerSample := func(t time.Time) float64 {
		switch t.Add(-time.Nanosecond).Month() { // a sample counts the 5 minutes before it
		case time.November, time.December:
			return 2.5
		case time.January:
			return 10
		}
		return 50
	}
	f.counter(`req_total{svc="m",code="200"}`, from, uNow, 5*time.Minute, traffic{inc: func(t time.Time) float64 { return 5000 - badPerSample(t) }})
	f.counter(`req_total{svc="m",code="500"}`, from, uNow, 5*time.Minute, traffic{inc: badPerSample})
	return f
}

func TestHistoryPeriods(t *testing.T) {
	const perDay = 288 // samples a day
	jan, feb, mar := 31.0*perDay, 28.0*perDay, 9.5*perDay
	q1 := 1 - (10*jan+50*(feb+mar))/(5000*(jan+feb+mar))
	utcFeb := 1 - (5*(8*perDay+23*12)+50*12)/(5000*9.0*perDay) // UTC February from the 20th: its last hour at 1 %
	type period struct {
		start           time.Time
		sli             float64
		met             bool
		running, midway bool
	}
	cases := []struct {
		name    string
		s       *slo.SLO
		world   func() *fakeSource
		o       HistoryOptions
		periods []period
		met     int
		share   float64
		achv    float64
		rec     float64
		partial bool
	}{
		{"months", ratioSLO("m", "m", 99.5, rolling(28*uDay)), monthsWorld,
			HistoryOptions{Period: "month", Periods: 3, End: utcDate(2026, 3, 1), Share: 0.9},
			[]period{{utcDate(2025, 12, 1), 0.9995, true, false, false}, {utcDate(2026, 1, 1), 0.998, true, false, false}, {utcDate(2026, 2, 1), 0.99, false, false, false}},
			2, 2.0 / 3, 0.99, 0.99, false},
		{"months, 2 of 3 must be met", ratioSLO("m", "m", 99.5, rolling(28*uDay)), monthsWorld,
			HistoryOptions{Period: "month", Periods: 3, End: utcDate(2026, 3, 1), Share: 0.6},
			[]period{{utcDate(2025, 12, 1), 0.9995, true, false, false}, {utcDate(2026, 1, 1), 0.998, true, false, false}, {utcDate(2026, 2, 1), 0.99, false, false, false}},
			2, 2.0 / 3, 0.998, 0.995, false},
		{"quarters, running and starting midway", ratioSLO("m", "m", 99.5, rolling(28*uDay)), monthsWorld,
			HistoryOptions{Period: "quarter", Periods: 2, End: uNow, Share: 1},
			[]period{{utcDate(2025, 10, 1), 0.9995, true, false, true}, {utcDate(2026, 1, 1), q1, false, true, false}},
			1, 0.5, q1, 0.99, false},
		{"quarters, complete only: none is, so the partial ones", ratioSLO("m", "m", 99.5, rolling(28*uDay)), monthsWorld,
			HistoryOptions{Period: "quarter", Periods: 2, End: uNow, Share: 1, CompleteOnly: true},
			[]period{{utcDate(2025, 10, 1), 0.9995, true, false, true}, {utcDate(2026, 1, 1), q1, false, true, false}},
			1, 0.5, q1, 0.99, true},
		{"rolling weeks", ratioSLO("m", "m", 99.5, rolling(7*uDay)), monthsWorld,
			HistoryOptions{Period: RollingPeriod, Window: 7 * uDay, Periods: 4, End: utcDate(2026, 2, 15), Share: 0.5},
			[]period{{utcDate(2026, 1, 18), 0.998, true, false, false}, {utcDate(2026, 1, 25), 0.998, true, false, false},
				{utcDate(2026, 2, 1), 0.99, false, false, false}, {utcDate(2026, 2, 8), 0.99, false, false, false}},
			2, 0.5, 0.998, 0.995, false},
		{"months in the SLO's zone", ratioSLO("z", "z", 99.5, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: "Europe/Berlin"}), zoneWorld,
			HistoryOptions{Period: "month", Periods: 2, End: utcDate(2026, 3, 10), Share: 1},
			[]period{{time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC), 0.999, true, false, true}, {time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), 0.99, false, true, false}},
			1, 0.5, 0.99, 0.99, false},
		{"months in UTC", ratioSLO("z", "z", 99.5, slo.Window{Kind: slo.Calendar, Unit: slo.Month}), zoneWorld,
			HistoryOptions{Period: "month", Periods: 2, End: utcDate(2026, 3, 10), Share: 1},
			[]period{{utcDate(2026, 2, 1), utcFeb, true, false, true}, {utcDate(2026, 3, 1), 0.99, false, true, false}},
			1, 0.5, 0.99, 0.99, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(c.world())
			e.Ranges = RangesLastSample
			h, err := e.History(context.Background(), c.s, c.o)
			require.NoError(t, err)
			require.Len(t, h.Periods, len(c.periods))
			for i, w := range c.periods {
				p := h.Periods[i]
				require.Equal(t, w.start, p.Start.UTC(), "period %d start", i)
				require.True(t, p.HasData)
				near(t, w.sli, p.SLI, "period %d SLI", i)
				require.Equal(t, w.met, p.Met, "period %d met", i)
				require.Equal(t, w.running, p.Running, "period %d running", i)
				require.Equal(t, w.midway, p.StartsMidway, "period %d starts midway", i)
				require.Equal(t, w.running || w.midway, p.Partial, "period %d partial", i)
				require.True(t, p.Summarised)
				near(t, (1-w.sli)/(1-c.s.Target()), p.BudgetUsed, "period %d budget used", i)
			}
			require.True(t, h.HasSummary)
			require.Equal(t, c.partial, h.SummaryOfPartial)
			require.Equal(t, len(c.periods), h.Summary.Periods)
			require.Equal(t, c.met, h.Summary.Met)
			near(t, c.share, h.Summary.ShareMet, "share met")
			near(t, c.achv, h.Summary.Achievable, "achievable")
			near(t, c.rec, h.Summary.Recommended, "recommended")
		})
	}
}

// A history in another zone than the SLO's, and the what-if objectives.
func TestHistoryLocationAndWhatIf(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	e := New(zoneWorld())
	s := ratioSLO("z", "z", 99.5, slo.Window{Kind: slo.Calendar, Unit: slo.Month}) // UTC
	h, err := e.History(context.Background(), s, HistoryOptions{Period: "month", Periods: 2, End: utcDate(2026, 3, 10), Share: 1,
		Location: berlin, Objectives: []float64{0.99, 0.999, 0.9999}})
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), h.Periods[1].Start.UTC())
	near(t, 0.999, h.Periods[0].SLI, "February in Berlin")
	near(t, 0.99, h.Periods[1].SLI, "March in Berlin")
	require.Len(t, h.WhatIf, 3)
	want := []struct {
		met  int
		used float64
	}{{2, (0.1 + 1) / 2}, {1, (1 + 10) / 2.0}, {0, (10 + 100) / 2.0}}
	for i, w := range want {
		require.Equal(t, 2, h.WhatIf[i].WithData)
		require.Equal(t, w.met, h.WhatIf[i].Met, "what-if %v", h.WhatIf[i].Objective)
		near(t, w.used, h.WhatIf[i].MeanBudgetUsed, "what-if %v budget used", h.WhatIf[i].Objective)
	}
}

// Past periods without traffic have no data and no summary.
func TestHistoryNoData(t *testing.T) {
	e := New(monthsWorld())
	h, err := e.History(context.Background(), ratioSLO("m", "m", 99.5, rolling(28*uDay)),
		HistoryOptions{Period: "month", Periods: 2, End: utcDate(2025, 11, 1), Share: 0.9, Objectives: []float64{0.99}})
	require.NoError(t, err)
	require.Len(t, h.Periods, 2)
	for _, p := range h.Periods {
		require.False(t, p.HasData)
		require.False(t, p.Met)
		require.False(t, p.Summarised)
	}
	require.False(t, h.HasSummary)
	require.Equal(t, 2, h.Summary.Periods)
	require.Equal(t, 0, h.WhatIf[0].WithData)
	require.True(t, h.WhatIf[0].MeanBudgetUsed != h.WhatIf[0].MeanBudgetUsed, "no data is NaN, not 0")
}

func TestHistoryErrors(t *testing.T) {
	s := ratioSLO("m", "m", 99.5, rolling(28*uDay))
	cases := []struct {
		name string
		s    *slo.SLO
		o    HistoryOptions
		want string
	}{
		{"no periods", s, HistoryOptions{Period: "month", Periods: 0, End: uNow, Share: 0.9}, "period count 0"},
		{"share", s, HistoryOptions{Period: "month", Periods: 1, End: uNow, Share: 1.5}, "share 1.5"},
		{"unknown period", s, HistoryOptions{Period: "year", Periods: 1, End: uNow, Share: 0.9}, `unknown period "year"`},
		{"rolling without window", s, HistoryOptions{Period: RollingPeriod, Periods: 1, End: uNow, Share: 0.9}, "needs a window"},
		{"bad zone", ratioSLO("m", "m", 99.5, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: "Mars/Olympus"}),
			HistoryOptions{Period: "month", Periods: 1, End: uNow, Share: 0.9}, `unknown time zone "Mars/Olympus"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := monthsWorld()
			_, err := New(f).History(context.Background(), c.s, c.o)
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, "SLO m")
			require.Zero(t, f.count("Range")+f.count("RangeGroups"), "nothing is asked of the source")
		})
	}
	t.Run("source down", func(t *testing.T) {
		f := monthsWorld()
		boom := errors.New("connection refused")
		f.fail = func(method, _ string) error {
			if method == "RangeGroups" || method == "Range" {
				return boom
			}
			return nil
		}
		_, err := New(f).History(context.Background(), s, HistoryOptions{Period: "month", Periods: 2, End: uNow, Share: 0.9})
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, "SLO m")
	})
}
