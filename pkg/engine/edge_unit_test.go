package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// The catalog shows exactly the queries the engine runs: the form the probe finds,
// and the le the server spells.
func TestGeneratedIsWhatRuns(t *testing.T) {
	ctx := context.Background()
	plain := ratioSLO("a", "a", 99.9, rolling(7*uDay))
	expr := &slo.SLO{Name: "x", Objective: 99, Window: rolling(uDay), Indicator: slo.Indicator{Kind: slo.Ratio,
		Good: `sum(req_total{svc="a",code="200"}) * 1`, Total: `sum(req_total{svc="a"})`}}
	for _, c := range []struct {
		name       string
		probe      string
		s          *slo.SLO
		goodOrBad  string // substring
		total      string // substring
		sameInBoth bool
	}{
		{"last samples for plain selectors", source.GrowthExtrapolated, plain, "last_over_time(", "last_over_time(", false},
		{"one grouped query where a label tells good from bad", source.GrowthLookbehind, plain, "sum by (code)", "sum by (code)", true},
		{"anchored increase", source.GrowthAnchored, plain, "sum by (code)", "anchored", true},
		{"expressions in PromQL on the last-sample form", source.GrowthExtrapolated, expr, "offset 5m", "offset 5m", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := webWorld(uNow, 1)
			f.growth = c.probe
			e := New(f)
			g := e.Generated(ctx, c.s, uNow)
			require.Empty(t, g.Error)
			require.Contains(t, g.GoodOrBad, c.goodOrBad)
			require.Contains(t, g.Total, c.total)
			require.Equal(t, c.sameInBoth, g.GoodOrBad == g.Total)
			require.Contains(t, g.HandWritten, "increase(")
		})
	}

	t.Run("le as the server spells it", func(t *testing.T) {
		e := New(latencyWorld())
		g := e.Generated(ctx, latencySLO(1), uNow)
		require.Empty(t, g.Error)
		require.Contains(t, g.HandWritten, `le="1.0"`)
		require.Contains(t, g.GoodOrBad, `le="1.0"`)
	})
	t.Run("no source: the form that works everywhere, le as written", func(t *testing.T) {
		g := New(nil).Generated(ctx, latencySLO(1), uNow)
		require.Empty(t, g.Error)
		require.Contains(t, g.GoodOrBad, `last_over_time(rpc_seconds_bucket{job="api",le="1"}[5m])`, "the first lookup of last values covers the short lookback")
	})
	t.Run("threshold SLOs: good and present minutes", func(t *testing.T) {
		s := &slo.SLO{Name: "temp", Objective: 99, Window: rolling(uDay), Budgeting: slo.Budgeting{Method: slo.Timeslices, SliceLength: time.Minute, SliceThreshold: 1},
			Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `temp{room="a"}`, Op: "<", Value: 30}}
		g := New(nil).Generated(ctx, s, uNow)
		require.Empty(t, g.Error)
		require.Equal(t, g.Good, g.GoodOrBad)
		require.NotEmpty(t, g.Total)
	})
	t.Run("a query that cannot be built says why", func(t *testing.T) {
		bad := &slo.SLO{Name: "bad", Objective: 99, Window: rolling(uDay), Indicator: slo.Indicator{Kind: slo.Ratio, Good: "(", Total: "x"}}
		require.NotEmpty(t, New(nil).Generated(ctx, bad, uNow).Error)
	})
}

// Health: the version, SLOs without events in the last hour, latency thresholds that
// are not bucket bounds, and a clear failure when the source does not answer.
func TestHealth(t *testing.T) {
	ctx := context.Background()
	f := webWorld(uNow, 1)
	f.series = append(f.series, latencyWorld().series...)
	e := New(f)
	slos := []*slo.SLO{
		ratioSLO("a", "a", 99.9, rolling(uDay)),
		ratioSLO("idle", "idle", 99, rolling(uDay)),
		ratioSLO("gone", "gone", 99, rolling(uDay)),
		latencySLO(0.5),
	}
	slos[3].Source = slo.Location{File: "slos.yaml", Line: 7}
	h, err := e.Health(ctx, slos, uNow)
	require.NoError(t, err)
	require.NotEmpty(t, h.Version)
	require.Equal(t, []string{"gone", "idle"}, h.NoData)
	require.Len(t, h.Errors, 1)
	require.True(t, strings.HasPrefix(h.Errors[0], "slos.yaml:7: "), h.Errors[0])
	require.Contains(t, h.Errors[0], "latency threshold 0.5s is not a bucket bound")

	// Data is checked in batches, one request each, and latency per histogram: no
	// request per SLO, and a bound on how many are checked.
	f.reset()
	many := make([]*slo.SLO, MaxHealthChecks+50)
	for i := range many {
		many[i] = ratioSLO(fmt.Sprintf("a-%03d", i), "a", 99, rolling(uDay))
	}
	many[7] = ratioSLO("idle-7", "idle", 99, rolling(uDay))
	many = append(many, slos[3])
	h, err = e.Health(ctx, many, uNow)
	require.NoError(t, err)
	require.Equal(t, []string{"idle-7"}, h.NoData)
	require.Equal(t, 51, h.Unchecked, "beyond the bound (the latency SLO is the 251st)")
	require.Equal(t, 1+MaxHealthChecks/HealthBatch, f.total(), "version and one request per batch: %v", f.sent())

	f.fail = func(method, _ string) error {
		if method == "Version" {
			return errors.New("connection refused")
		}
		return nil
	}
	_, err = e.Health(ctx, slos, uNow)
	require.ErrorContains(t, err, "connection refused")
}

// A history request takes the SLO's own period, window and objective ladder where it
// gives none.
func TestHistoryRequestDefaults(t *testing.T) {
	cal := &slo.SLO{Name: "cal", Objective: 99.95, Window: slo.Window{Kind: slo.Calendar, Unit: series.Quarter}}
	roll := ratioSLO("r", "a", 99.9, rolling(28*uDay))
	o, err := HistoryRequest{End: uNow}.HistoryOptions(cal)
	require.NoError(t, err)
	require.Equal(t, series.Quarter, o.Period)
	require.Equal(t, DefaultHistoryPeriods, o.Periods)
	require.Equal(t, DefaultHistoryShare, o.Share)
	require.Equal(t, []float64{0.99, 0.995, 0.999, 0.9995}, o.Objectives, "99.95 is on the ladder")

	o, err = HistoryRequest{End: uNow, Periods: 3, Share: 0.5, Objectives: []float64{0.9}}.HistoryOptions(roll)
	require.NoError(t, err)
	require.Equal(t, RollingPeriod, o.Period)
	require.Equal(t, 28*uDay, o.Window)
	require.Equal(t, 3, o.Periods)
	require.Equal(t, []float64{0.9}, o.Objectives)
	require.Equal(t, []float64{0.99, 0.995, 0.999, 0.9995, 0.9997}, DefaultObjectives(0.9997))

	_, err = HistoryRequest{Period: RollingPeriod}.HistoryOptions(cal)
	require.ErrorContains(t, err, `a rolling history of a calendar SLO needs a window`)
}

// The words a history is shown with: period names, labels, the basis and the verdict.
func TestHistoryWords(t *testing.T) {
	f := monthsWorld()
	e := New(f)
	s := &slo.SLO{Name: "m", Objective: 99.5, Window: slo.Window{Kind: slo.Calendar, Unit: series.Month},
		Indicator: slo.Indicator{Kind: slo.Ratio, Good: `req_total{svc="m",code="200"}`, Total: `req_total{svc="m"}`}}
	o, err := HistoryRequest{End: uNow, Periods: 3}.HistoryOptions(s)
	require.NoError(t, err)
	h, err := e.History(context.Background(), s, o)
	require.NoError(t, err)
	require.Equal(t, "month", h.PeriodNoun(1))
	require.Equal(t, "months", h.PeriodNoun(3))
	require.Equal(t, "2026-01", h.PeriodLabel(h.Periods[0]))
	require.Equal(t, "3 months with data, 1 partial", h.Basis())
	text, missed := h.Verdict()
	require.True(t, missed)
	require.Equal(t, "m: 99.5 % was met in 1 of the last 3 months (1 partial); 99 % would have been met in all 3", text)
	require.Zero(t, h.EmptySlices())

	w := &History{Options: HistoryOptions{Period: RollingPeriod, Window: 30 * uDay}}
	require.Equal(t, "30-day windows", w.PeriodNoun(2))
	w.Options.Window = 36 * time.Hour
	require.Equal(t, "1d12h window", w.PeriodNoun(1))
	p := HistoryPeriod{PeriodResult: budget.PeriodResult{Start: uNow.Add(-36 * time.Hour), End: uNow}}
	require.Equal(t, "2026-03-09 00:00 – 2026-03-10 12:00", w.PeriodLabel(p))
	for _, c := range []struct {
		unit series.Unit
		want string
	}{{series.Week, "2026-W11"}, {series.Quarter, "2026-Q1"}} {
		w.Options.Period = c.unit
		require.Equal(t, c.want, w.PeriodLabel(HistoryPeriod{PeriodResult: budget.PeriodResult{Start: uNow}}))
	}
	none := &History{SLO: s, Options: HistoryOptions{Period: series.Month}, Periods: make([]HistoryPeriod, 2)}
	text, missed = none.Verdict()
	require.False(t, missed)
	require.Equal(t, "m: no data in the last 2 months", text)
	require.Equal(t, string(budget.StateNoData), none.Basis())
	require.Equal(t, "the only one", countWord(1, 1))
	require.Equal(t, "both", countWord(2, 2))
}

// The words a status row is shown with.
func TestStatusWords(t *testing.T) {
	ctx := context.Background()
	e := New(webWorld(uNow, 8))
	st, err := e.Status(ctx, ratioSLO("a", "a", 99.9, rolling(7*uDay)), uNow)
	require.NoError(t, err)
	require.Empty(t, st.NoData())
	require.Equal(t, "a: objective 99.9 % not met over the last 7d (SLI 99 %)", st.Breach())
	r, ok := st.BurnRate(0)
	require.True(t, ok)
	near(t, 10, r, "1h burn rate")
	_, ok = st.BurnRate(9)
	require.False(t, ok)

	idle, err := e.Status(ctx, ratioSLO("idle", "idle", 99, rolling(uDay)), uNow)
	require.NoError(t, err)
	require.Equal(t, "no events in the last 1d", idle.NoData())
	require.Empty(t, idle.Breach())
	month := ratioSLO("idle-m", "idle", 99, slo.Window{Kind: slo.Calendar, Unit: series.Month})
	idle, err = e.Status(ctx, month, uNow)
	require.NoError(t, err)
	require.Equal(t, "no events so far this month", idle.NoData())

	cal := ratioSLO("a-m", "a", 99.9, slo.Window{Kind: slo.Calendar, Unit: series.Month})
	st, err = e.Status(ctx, cal, uNow)
	require.NoError(t, err)
	require.Contains(t, st.Breach(), "a-m: objective 99.9 % already missed this month (SLI 99 % so far,")
}

// dropPoints is a source that drops every seventh point of range answers, as a faulty
// proxy or a partial store might.
type dropPoints struct{ Source }

func (d dropPoints) RangeGroups(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error) {
	gs, st, err := d.Source.RangeGroups(ctx, q, start, end, step)
	for _, g := range gs {
		for i := 3; i < len(g.Present); i += 7 {
			g.Present[i] = false
		}
	}
	return gs, st, err
}

func (d dropPoints) Range(ctx context.Context, q string, start, end time.Time, step time.Duration) (source.Series, source.Stats, error) {
	s, st, err := d.Source.Range(ctx, q, start, end, step)
	for i := 3; i < len(s.Present); i += 7 {
		s.Present[i] = false
	}
	return s, st, err
}

// offGridWorld is svc a scraped the way Prometheus does: every 30 s at 13 s past the
// grid, 1 % errors, with a missed scrape two hours back.
func offGridWorld(now time.Time) *fakeSource {
	f := newFake(now)
	from := now.Add(-2 * uDay)
	missed := [2]time.Time{now.Add(-2 * time.Hour), now.Add(-2*time.Hour + 30*time.Second)}
	for code, n := range map[string]float64{"200": 495, "500": 5} {
		f.counter(`req_total{svc="a",code="`+code+`"}`, from, now, 30*time.Second,
			traffic{inc: perMin(n), phase: 13 * time.Second, gaps: [][2]time.Time{missed}})
	}
	return f
}

// worlds are the traffic models the edge tests run on: on the minute grid, and off it.
var worlds = []struct {
	name string
	make func(now time.Time) *fakeSource
}{
	{"minute grid", func(now time.Time) *fakeSource { return webWorld(now, 2) }},
	{"every 30s, off the grid, a missed scrape", offGridWorld},
}

// Points missing inside an answer while their neighbours have events are said, never
// shown as complete figures.
func TestMissingPointsAreSaid(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *slo.SLO
	}{
		{"grouped", ratioSLO("a", "a", 99.9, rolling(uDay))},
		{"pair", &slo.SLO{Name: "x", Objective: 99, Window: rolling(uDay), Indicator: slo.Indicator{Kind: slo.Ratio,
			Good: `sum(req_total{svc="a",code="200"})`, Total: `sum(req_total{svc="a"})`}}},
	} {
		for _, w := range worlds {
			t.Run(c.name+"/"+w.name, func(t *testing.T) {
				e := New(dropPoints{w.make(uNow)})
				e.Ranges = RangesLookbehind
				f, err := e.Buckets(context.Background(), c.s, uNow.Add(-6*time.Hour), uNow, time.Hour)
				require.NoError(t, err)
				require.NotEmpty(t, f.Warnings)
				require.Regexp(t, `lacks [12] point\(s\) inside the range`, strings.Join(f.Warnings, "\n"))

				whole, err := New(w.make(uNow)).Buckets(context.Background(), c.s, uNow.Add(-6*time.Hour), uNow, time.Hour)
				require.NoError(t, err)
				require.Empty(t, whole.Warnings, "a whole answer has no such warning")
			})
		}
	}
}

// negate is a source that answers the negated or NaN values of range queries.
type negate struct {
	Source
	nan bool
}

func (d negate) RangeGroups(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error) {
	gs, st, err := d.Source.RangeGroups(ctx, q, start, end, step)
	for _, g := range gs {
		for i := range g.Values {
			if d.nan {
				g.Values[i] = math.NaN()
			} else {
				g.Values[i] = -g.Values[i]
			}
		}
	}
	return gs, st, err
}

// Counts no counter can give are an error on that SLO, naming the bad value, never a
// figure (a negated answer once showed "Events −36,804,652").
func TestBadNumbersAreErrors(t *testing.T) {
	for _, nan := range []bool{false, true} {
		e := New(negate{offGridWorld(uNow), nan})
		e.Ranges = RangesLookbehind
		_, err := e.Status(context.Background(), ratioSLO("a", "a", 99.9, rolling(uDay)), uNow)
		require.ErrorIs(t, err, source.ErrDownstream)
		require.ErrorContains(t, err, "SLO a: metrics source error: the metrics source's answer gives")
		require.ErrorContains(t, err, "events in the bucket ending at")
	}
}
