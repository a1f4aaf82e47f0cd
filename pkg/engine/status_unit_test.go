package engine

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// uNow is the fake's clock in the unit tests: a minute boundary.
var uNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const uDay = 24 * time.Hour

// webWorld is a small synthetic service landscape sampled every minute on the grid for
// `days` days up to now:
//
//   - svc a: 990 good and 10 bad requests a minute (1 % errors);
//   - svc b: 999 good and 1 bad a minute (0.1 % errors);
//   - svc c: 999 good and 1 bad a minute, but 500 good and 500 bad a minute in the last
//     30 minutes (an incident);
//   - svc idle: counters that exist but never grow (no traffic).
func webWorld(now time.Time, days int) *fakeSource {
	f := newFake(now)
	from := now.Add(-time.Duration(days) * uDay)
	incident := now.Add(-30 * time.Minute)
	f.counter(`req_total{svc="a",code="200"}`, from, now, time.Minute, traffic{inc: perMin(990)})
	f.counter(`req_total{svc="a",code="500"}`, from, now, time.Minute, traffic{inc: perMin(10)})
	f.counter(`req_total{svc="b",code="200"}`, from, now, time.Minute, traffic{inc: perMin(999)})
	f.counter(`req_total{svc="b",code="500"}`, from, now, time.Minute, traffic{inc: perMin(1)})
	f.counter(`req_total{svc="c",code="200"}`, from, now, time.Minute, traffic{inc: func(t time.Time) float64 {
		if t.After(incident) {
			return 500
		}
		return 999
	}})
	f.counter(`req_total{svc="c",code="500"}`, from, now, time.Minute, traffic{inc: func(t time.Time) float64 {
		if t.After(incident) {
			return 500
		}
		return 1
	}})
	f.counter(`req_total{svc="idle",code="200"}`, from, now, time.Minute, traffic{inc: perMin(0)})
	return f
}

// ratioSLO is an SLO on svc's requests with good = code 200 (a grouped query).
func ratioSLO(name, svc string, objective float64, w slo.Window) *slo.SLO {
	return &slo.SLO{Name: name, Service: svc, Objective: objective, Window: w,
		Indicator: slo.Indicator{Kind: slo.Ratio, Good: `req_total{svc="` + svc + `",code="200"}`, Total: `req_total{svc="` + svc + `"}`}}
}

func rolling(d time.Duration) slo.Window { return slo.Window{Kind: slo.Rolling, Duration: d} }

// near asserts got is within a relative 1e-9 of want (absolute for want 0).
func near(t *testing.T, want, got float64, msg string, args ...any) {
	t.Helper()
	tol := 1e-9 * math.Max(1, math.Abs(want))
	require.InDelta(t, want, got, tol, append([]any{msg}, args...)...)
}

// growthForms are the ways of asking for per-bucket growth, each with what the fake's
// probe answers.
var growthForms = []struct {
	name   string
	ranges RangeSemantics
	probe  string
}{
	{"lookbehind", RangesLookbehind, source.GrowthLookbehind},
	{"anchored", RangesAnchored, source.GrowthLookbehind},
	{"lastSample", RangesLastSample, source.GrowthLookbehind},
	{"closed means lastSample", RangesClosed, source.GrowthLookbehind},
	{"auto, probe says lookbehind", RangesAuto, source.GrowthLookbehind},
	{"auto, probe says anchored", RangesAuto, source.GrowthAnchored},
	{"auto, probe says extrapolated", "", source.GrowthExtrapolated},
}

// The status of SLOs with known error rates, through every growth form: the figures
// follow from the traffic model by hand.
func TestStatusFromTrafficModel(t *testing.T) {
	week := 7 * uDay
	weekMin := float64(week / time.Minute) // 10080 minutes
	// svc c: 1 bad a minute, 500 a minute in the last 30 minutes, 1000 requests a minute.
	cBad := func(minutes float64) float64 { return (minutes-30)*1 + 30*500 }
	cases := []struct {
		name      string
		s         *slo.SLO
		sli       float64
		burn1h    float64
		burn6h    float64
		state     budget.State
		exhausts  bool
		exhaustIn time.Duration
	}{
		{"1 % errors against 99.9", ratioSLO("a", "a", 99.9, rolling(week)), 0.99, 10, 10, budget.StateBreached, true, 0},
		{"0.1 % errors against 99", ratioSLO("b", "b", 99, rolling(week)), 0.999, 0.1, 0.1, budget.StateOK, true,
			// 90 % of a week's budget left, spent at a tenth of the sustainable rate.
			time.Duration(0.9 / 0.1 * float64(week))},
		{"incident against 99", ratioSLO("c", "c", 99, rolling(week)), 1 - cBad(weekMin)/(weekMin*1000),
			cBad(60) / 60000 / 0.01, cBad(360) / 360000 / 0.01, budget.StateAtRisk, true,
			time.Duration((1 - cBad(weekMin)/(weekMin*1000)/0.01) / (cBad(60) / 60000 / 0.01) * float64(week))},
		{"short window read in minute buckets", ratioSLO("a2", "a", 99.5, rolling(2*time.Hour)), 0.99, 2, 2, budget.StateBreached, true, 0},
	}
	for _, form := range growthForms {
		for _, c := range cases {
			t.Run(form.name+"/"+c.name, func(t *testing.T) {
				f := webWorld(uNow, 8)
				f.growth = form.probe
				e := New(f)
				e.Ranges = form.ranges
				st, err := e.Status(context.Background(), c.s, uNow)
				require.NoError(t, err)
				require.True(t, st.HasData)
				require.Equal(t, uNow, st.At)
				near(t, c.sli, st.SLI, "SLI")
				near(t, budget.Remaining(c.sli, c.s.Target()), st.Remaining, "budget remaining")
				near(t, 1-(1-c.sli)/(1-c.s.Target()), st.Remaining, "budget remaining by the definition")
				require.Len(t, st.Burns, 2)
				require.True(t, st.Burns[0].OK && st.Burns[1].OK)
				require.Equal(t, time.Hour, st.Burns[0].Window)
				near(t, c.burn1h, st.Burns[0].Rate, "1h burn rate")
				near(t, c.burn6h, st.Burns[1].Rate, "6h burn rate")
				require.Equal(t, c.state, st.State)
				require.Equal(t, c.exhausts, st.Exhausts)
				require.InDelta(t, float64(c.exhaustIn), float64(st.Exhaustion), float64(time.Second), "time to exhaustion")
				require.NotEmpty(t, st.Fetched.Queries)
			})
		}
	}
}

// The growth probe runs once per engine; a fixed Ranges never probes.
func TestStatusProbesGrowthOnce(t *testing.T) {
	f := webWorld(uNow, 8)
	e := New(f)
	s := ratioSLO("a", "a", 99.9, rolling(uDay))
	for i := 0; i < 3; i++ {
		_, err := e.Status(context.Background(), s, uNow)
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.count("ProbeGrowth"))

	f2 := webWorld(uNow, 8)
	e2 := New(f2)
	e2.Ranges = RangesLastSample
	_, err := e2.Status(context.Background(), s, uNow)
	require.NoError(t, err)
	require.Zero(t, f2.count("ProbeGrowth"))
}

// No traffic is "no data", never 100 % or 0 %.
func TestStatusNoData(t *testing.T) {
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			f := webWorld(uNow, 8)
			f.growth = form.probe
			e := New(f)
			e.Ranges = form.ranges
			for _, s := range []*slo.SLO{
				ratioSLO("idle", "idle", 99.9, rolling(7*uDay)),   // series without growth
				ratioSLO("ghost", "ghost", 99.9, rolling(7*uDay)), // no series at all
			} {
				st, err := e.Status(context.Background(), s, uNow)
				require.NoError(t, err, s.Name)
				require.False(t, st.HasData, s.Name)
				require.Equal(t, budget.StateNoData, st.State, s.Name)
				require.False(t, st.Burns[0].OK, s.Name)
				require.False(t, st.Exhausts, s.Name)
				require.Zero(t, st.Counts.Total, s.Name)
			}
		})
	}
}

// The shapes of counters: good or bad, plain selectors of one metric (a grouped query),
// of two metrics, or expressions; each gives the same SLI.
func TestStatusIndicatorShapes(t *testing.T) {
	f0 := func() *fakeSource {
		f := webWorld(uNow, 3)
		from := uNow.Add(-3 * uDay)
		f.counter(`ok_total{svc="d"}`, from, uNow, time.Minute, traffic{inc: perMin(95)})
		f.counter(`all_total{svc="d"}`, from, uNow, time.Minute, traffic{inc: perMin(100)})
		return f
	}
	cases := []struct {
		name   string
		in     slo.Indicator
		sli    float64
		perMin float64 // total events a minute
	}{
		{"bad selector, grouped", slo.Indicator{Kind: slo.Ratio, Bad: `req_total{svc="a",code="500"}`, Total: `req_total{svc="a"}`}, 0.99, 1000},
		{"good regex selector, grouped", slo.Indicator{Kind: slo.Ratio, Good: `req_total{svc="b",code=~"2.."}`, Total: `req_total{svc="b"}`}, 0.999, 1000},
		{"two metrics", slo.Indicator{Kind: slo.Ratio, Good: `ok_total{svc="d"}`, Total: `all_total{svc="d"}`}, 0.95, 100},
		{"bad of two metrics", slo.Indicator{Kind: slo.Ratio, Bad: `req_total{svc="a",code="500"}`, Total: `all_total{svc="d"}`}, 0.9, 100},
		{"expressions", slo.Indicator{Kind: slo.Ratio, Good: `sum(req_total{svc="a",code="200"}) + sum(req_total{svc="b",code="200"})`,
			Total: `sum by (svc) (req_total{svc=~"a|b"})`}, (990.0 + 999) / 2000, 2000},
	}
	for _, form := range growthForms {
		for _, c := range cases {
			t.Run(form.name+"/"+c.name, func(t *testing.T) {
				f := f0()
				f.growth = form.probe
				e := New(f)
				e.Ranges = form.ranges
				s := &slo.SLO{Name: "x", Objective: 99, Window: rolling(uDay), Indicator: c.in}
				st, err := e.Status(context.Background(), s, uNow)
				require.NoError(t, err)
				require.True(t, st.HasData)
				near(t, c.sli, st.SLI, "SLI")
				near(t, 1440*c.perMin, st.Counts.Total, "total events in a day")
			})
		}
	}
}

// TestLongBurnWindowsReadCoarsely checks that status reads the burn windows longer than
// an hour (6h, the ticket alerts' 2h, 1d and 3d) from hourly buckets plus the minute
// buckets of their partial hours, with
// the same counts as minute buckets over the whole window, on traffic scraped every 30 s
// off the minute grid, with a process restart, a missed scrape and an error rate that
// changes by the day; and that it asks for far fewer points.
func TestLongBurnWindowsReadCoarsely(t *testing.T) {
	now := uNow
	f := newFake(now)
	from := now.Add(-6 * uDay)
	reset := now.Add(-50*time.Hour - 17*time.Minute)
	missed := [2]time.Time{now.Add(-30 * time.Hour), now.Add(-30*time.Hour + 30*time.Second)}
	day := func(t time.Time) float64 { return float64(int(now.Sub(t)/uDay) % 3) }
	f.counter(`req_total{svc="a",code="200"}`, from, now, 30*time.Second,
		traffic{inc: perMin(990), phase: 13 * time.Second, resets: []time.Time{reset}, gaps: [][2]time.Time{missed}})
	f.counter(`req_total{svc="a",code="500"}`, from, now, 30*time.Second,
		traffic{inc: func(t time.Time) float64 { return 1 + 4*day(t) }, phase: 13 * time.Second, gaps: [][2]time.Time{missed}})
	s := ratioSLO("a", "a", 99.9, rolling(4*uDay))
	e := New(f)
	e.Ranges = RangesLastSample
	ctx := context.Background()
	for _, at := range []time.Time{now.Add(-37 * time.Minute), now.Add(-2 * time.Hour)} {
		st, err := e.Status(ctx, s, at)
		require.NoError(t, err)
		require.Len(t, st.long, 4, "the 2h, 6h, 1d and 3d windows are read coarsely")
		r, err := e.RollingCounts(ctx, s, at, at, time.Minute, []time.Duration{2 * time.Hour, 6 * time.Hour, uDay, 3 * uDay})
		require.NoError(t, err)
		for i, w := range r.Windows {
			fine := r.Counts[i][len(r.Times)-1]
			got := st.long[w]
			near(t, fine.Total, got.Total, "%s total over %s", at, w)
			near(t, fine.Good, got.Good, "%s good over %s", at, w)
			sli, _ := budget.SLI(fine)
			near(t, budget.BurnRate(sli, s.Target()), st.burn(w).Rate, "burn rate over %s", w)
		}
		require.Less(t, st.Fetched.Buckets.Len(), 2*60, "minute buckets cover the windows up to an hour only")
		for _, b := range st.Burns {
			if b.Window == time.Hour {
				continue // read from minute buckets
			}
			cw := r.Counts[slices.Index(r.Windows, b.Window)]
			sli, _ := budget.SLI(cw[len(r.Times)-1])
			near(t, budget.BurnRate(sli, s.Target()), b.Rate, "status burn rate over %s", b.Window)
		}
	}
}
