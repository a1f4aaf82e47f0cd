package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// One report over several SLOs: each entry holds its own figures or its own error.
func TestReport(t *testing.T) {
	f := happyWorld()
	from := uNow.Add(-3 * uDay)
	f.counter(`req_total{svc="a",code="200"}`, from, uNow, time.Minute, traffic{inc: perMin(990)})
	f.counter(`req_total{svc="a",code="500"}`, from, uNow, time.Minute, traffic{inc: perMin(10)})
	a := ratioSLO("a", "a", 99.9, rolling(uDay))
	raw := &slo.SLO{Name: "raw", Objective: 99, Window: rolling(uDay), Indicator: slo.Indicator{Kind: slo.Raw, ErrorRatio: `x`}}
	h := happySLO()
	h.Happiness = append(h.Happiness, slo.Signal{Name: "many", Query: `tickets_region`, Kind: slo.Gauge})
	cal := ratioSLO("cal", "a", 99, slo.Window{Kind: slo.Calendar, Unit: slo.Week})
	cal.Happiness = []slo.Signal{{Name: "tickets", Query: `tickets_open`, Kind: slo.Gauge}}
	var progress []string
	at := uNow.Add(30 * time.Second) // aligned down to the minute
	r := New(f).Report(context.Background(), []*slo.SLO{raw, a, h, cal}, at, ReportOptions{Progress: func(m string) { progress = append(progress, m) }})
	require.Equal(t, uNow, r.At)
	require.Len(t, r.SLOs, 4)

	require.ErrorContains(t, r.SLOs[0].Err, "SLO raw: raw indicators are not supported yet")
	require.Nil(t, r.SLOs[0].Status)

	ra := r.SLOs[1]
	require.NoError(t, ra.Err)
	near(t, 0.99, ra.Status.SLI, "a: SLI")
	require.Equal(t, budget.StateBreached, ra.Status.State)
	require.NoError(t, ra.HistoryErr)
	require.Len(t, ra.History.Periods, 3, "three months by default")
	last := ra.History.Periods[2]
	require.Equal(t, utcDate(2026, 3, 1), last.Start.UTC())
	require.True(t, last.Running && last.StartsMidway)
	near(t, 0.99, last.SLI, "a: March to date")
	require.False(t, ra.History.Periods[0].HasData)
	require.Empty(t, ra.Happiness)

	rh := r.SLOs[2]
	require.NoError(t, rh.Err)
	require.Len(t, rh.Happiness, 4)
	require.Len(t, rh.HappinessErrs, 4)
	for i := 0; i < 3; i++ {
		require.NoError(t, rh.HappinessErrs[i], rh.SLO.Happiness[i].Name)
		require.Len(t, rh.Happiness[i].Times, 24, "the SLO's 1d window in hours")
		near(t, -1, rh.Happiness[i].Pearson, "%s: Pearson", rh.SLO.Happiness[i].Name)
	}
	require.Nil(t, rh.Happiness[3])
	require.ErrorIs(t, rh.HappinessErrs[3], source.ErrManySeries)

	rc := r.SLOs[3]
	require.NoError(t, rc.Err)
	// The week of Monday 9 March to date: 1.5 days at 1 % errors.
	require.Equal(t, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), rc.Status.PeriodStart)
	require.Equal(t, time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), rc.Status.PeriodEnd)
	near(t, 1.5/7, rc.Status.Elapsed, "share of the week elapsed")
	near(t, 0.99, rc.Status.SLI, "cal: SLI to date")
	require.Len(t, rc.Happiness[0].Times, 28*24, "calendar SLOs look back 28 days")

	require.Equal(t, "status of raw", progress[0])
	require.Contains(t, progress, "history of a")
	require.Contains(t, progress, "happiness of h against many")
}

// The report options: a happiness span, an interval and a history length.
func TestReportOptions(t *testing.T) {
	f := happyWorld()
	h := happySLO()
	h.Happiness = h.Happiness[:1]
	r := New(f).Report(context.Background(), []*slo.SLO{h}, uNow, ReportOptions{HappinessSpan: 6 * time.Hour, Interval: 30 * time.Minute, MaxLag: 1, HistoryPeriods: 1})
	rh := r.SLOs[0]
	require.NoError(t, rh.Err)
	require.Len(t, rh.History.Periods, 1)
	require.Len(t, rh.Happiness[0].Times, 12)
	require.Equal(t, 30*time.Minute, rh.Happiness[0].Interval)
	require.Equal(t, 1, rh.Happiness[0].MaxLag)
}

// A source that fails: each query fails with an error that names the SLO and the cause,
// and a failed growth probe is tried again on the next query.
func TestSourceErrors(t *testing.T) {
	boom := errors.New("503 service unavailable")
	cases := []struct {
		name   string
		ranges RangeSemantics
		s      *slo.SLO
		failOn string // method
		match  string // part of the query, "" for any
	}{
		{"growth probe", RangesAuto, ratioSLO("a", "a", 99, rolling(uDay)), "ProbeGrowth", ""},
		{"grouped increase", RangesLookbehind, ratioSLO("a", "a", 99, rolling(uDay)), "RangeGroups", "increase"},
		{"last values", RangesLastSample, ratioSLO("a", "a", 99, rolling(uDay)), "RangeGroups", "last_over_time"},
		{"samples per bucket", RangesLastSample, ratioSLO("a", "a", 99, rolling(uDay)), "Range", "count_over_time"},
		{"coarse body", RangesLastSample, ratioSLO("a", "a", 99, rolling(7*uDay)), "RangeGroups", "last_over_time"},
		{"pair of expressions", RangesAnchored, &slo.SLO{Name: "a", Objective: 99, Window: rolling(uDay),
			Indicator: slo.Indicator{Kind: slo.Ratio, Good: `sum(req_total{svc="a",code="200"})`, Total: `sum(req_total{svc="a"})`}}, "Range", "anchored"},
		{"peak after a restart", RangesLastSample, &slo.SLO{Name: "web", Objective: 99, Window: rolling(time.Hour),
			Indicator: scrapeSLO.Indicator}, "Instant", "max_over_time"},
		{"threshold", RangesAuto, &slo.SLO{Name: "shop-up", Objective: 95, Window: rolling(time.Hour),
			Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success`, Op: ">=", Value: 1}}, "Range", "sum_over_time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := webWorld(uNow, 8)
			if c.s.Name == "web" {
				f = scrapeWorld(mins(24 * 60))
			}
			f.fail = func(method, q string) error {
				if method == c.failOn && strings.Contains(q, c.match) {
					return boom
				}
				return nil
			}
			e := New(f)
			e.Ranges = c.ranges
			at := uNow
			if c.s.Name == "web" {
				at = mins(180)
			}
			_, err := e.Status(context.Background(), c.s, at)
			require.ErrorIs(t, err, boom)
			require.ErrorContains(t, err, "SLO "+c.s.Name+": ")
		})
	}
	t.Run("probe retried after a failure", func(t *testing.T) {
		f := webWorld(uNow, 2)
		f.probeErr = boom
		e := New(f)
		s := ratioSLO("a", "a", 99, rolling(time.Hour))
		_, err := e.Status(context.Background(), s, uNow)
		require.ErrorIs(t, err, boom)
		require.Equal(t, 1, f.total(), "nothing but the probe was sent")
		f.probeErr = nil
		st, err := e.Status(context.Background(), s, uNow)
		require.NoError(t, err)
		near(t, 0.99, st.SLI, "SLI once the source answers")
		require.Equal(t, 2, f.count("ProbeGrowth"))
	})
	t.Run("raw samples unavailable", func(t *testing.T) {
		// Without the raw samples the edges are not estimated; on the grid they are not needed.
		f := webWorld(uNow, 2)
		f.fail = func(method, _ string) error {
			if method == "SampleTimes" {
				return boom
			}
			return nil
		}
		st, err := New(f).Status(context.Background(), ratioSLO("a", "a", 99, rolling(time.Hour)), uNow)
		require.NoError(t, err)
		near(t, 0.99, st.SLI, "SLI")
	})
}

// Requests the engine refuses before asking anything.
func TestRefusedRequests(t *testing.T) {
	f := webWorld(uNow, 1)
	e := New(f)
	a := ratioSLO("a", "a", 99, rolling(time.Hour))
	_, err := e.Buckets(context.Background(), a, uNow, uNow.Add(30*time.Second), time.Minute)
	require.ErrorContains(t, err, "SLO a: empty time range")
	raw := &slo.SLO{Name: "raw", Objective: 99, Window: rolling(time.Hour), Indicator: slo.Indicator{Kind: slo.Raw, ErrorRatio: `x`}}
	_, err = e.Buckets(context.Background(), raw, uNow.Add(-time.Hour), uNow, time.Minute)
	require.ErrorContains(t, err, "SLO raw: raw indicators are not supported yet")
	ts := &slo.SLO{Name: "ts", Objective: 99, Window: rolling(time.Hour), Indicator: a.Indicator,
		Budgeting: slo.Budgeting{Method: slo.Timeslices, SliceLength: 90 * time.Second, SliceThreshold: 0.9}}
	_, err = e.Counts(context.Background(), ts, uNow.Add(-time.Hour), uNow, 3*time.Minute)
	require.ErrorContains(t, err, "SLO ts: slice length 1m30s must be a whole number of minutes")
	ts.Budgeting.SliceLength = 2 * time.Minute
	_, err = e.Counts(context.Background(), ts, uNow.Add(-time.Hour), uNow, 5*time.Minute)
	require.ErrorContains(t, err, "SLO ts: bucket 5m0s is not a multiple of the slice length 2m")
	th := &slo.SLO{Name: "th", Objective: 99, Window: rolling(time.Hour), Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `g`, Op: ">=", Value: 1}}
	_, err = e.Counts(context.Background(), th, uNow.Add(-time.Hour), uNow, 90*time.Second)
	require.ErrorContains(t, err, "SLO th: bucket 1m30s is not a multiple of 1m0s")
	_, err = e.Counts(context.Background(), th, uNow, uNow, time.Minute)
	require.ErrorContains(t, err, "SLO th: empty time range")
	th.Indicator.Op = "=~"
	_, err = e.Counts(context.Background(), th, uNow.Add(-time.Hour), uNow, time.Minute)
	require.ErrorContains(t, err, `SLO th: build queries: SLO th: unknown threshold op "=~"`)
	cal := ratioSLO("cal", "a", 99, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: "Nowhere/Else"})
	_, err = e.Status(context.Background(), cal, uNow)
	require.ErrorContains(t, err, `SLO cal: unknown time zone "Nowhere/Else"`)
	_, err = e.CalendarCounts(context.Background(), cal, uNow.Add(-uDay), uNow, time.Hour)
	require.ErrorContains(t, err, `SLO cal: unknown time zone "Nowhere/Else"`)
	require.Zero(t, f.count("Range")+f.count("RangeGroups")+f.count("Instant"), "nothing was asked of the source")
}
