package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// StatusBurnWindows are the burn-rate windows the status table shows.
var StatusBurnWindows = []time.Duration{time.Hour, 6 * time.Hour}

// Burn is the burn rate over one window; OK is false when the window had no events.
type Burn struct {
	Window time.Duration
	Rate   float64
	OK     bool
}

// Status holds the current figures of one SLO.
type Status struct {
	SLO        *slo.SLO
	At         time.Time // end of the window (aligned to the bucket grid)
	Counts     series.Counts
	SLI        float64
	HasData    bool
	Remaining  float64
	Burns      []Burn // StatusBurnWindows, in order
	Exhaustion time.Duration
	Exhausts   bool // false when the budget is not being spent
	State      budget.State
	Fetched    *Fetched
	// Calendar windows: the current period [PeriodStart, PeriodEnd) and the share of it
	// elapsed at At. The figures are period to date.
	PeriodStart, PeriodEnd time.Time
	Elapsed                float64
	// EmptySlices is the number of time slices without data in the window (timeslices).
	EmptySlices float64

	long map[time.Duration]series.Counts // burn windows longer than the minute buckets
}

// Status computes the SLI, budget, burn rates and state of s at the instant at.
func (e *Engine) Status(ctx context.Context, s *slo.SLO, at time.Time) (*Status, error) {
	var longest time.Duration
	for _, bw := range s.Alerting() {
		longest = max(longest, bw.Long, bw.Short)
	}
	step := SliceStep(s, MinStep)
	st := &Status{SLO: s, At: series.Align(at, step)}
	end := st.At
	// The window (from, end], w long (for a calendar window, the whole period's length:
	// its budget, for the time to exhaustion).
	w, from, err := st.window(step)
	if err != nil {
		return nil, err
	}
	span := max(end.Sub(from), longest)
	// Minute buckets serve the short burn windows; the body of a long window (the SLO's,
	// a 1d or 3d burn window) is read in hourly buckets, its partial hours by the minute.
	occurrences := s.Budgeting.Method == "" || s.Budgeting.Method == slo.Occurrences
	fine := fineSpan(s)
	coarse := occurrences && step == MinStep && span > fine+2*StatusCoarseStep
	if coarse {
		span = fine
	}
	f, err := e.Counts(ctx, s, end.Add(-span), end, step)
	if err != nil {
		return nil, err
	}
	st.Fetched = f
	var c series.Counts
	if coarse {
		c, err = e.longWindows(ctx, s, from, st)
	} else {
		c, err = st.fineWindow(from)
	}
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	st.Counts = c
	st.SLI, st.HasData = budget.SLI(c)
	if st.HasData {
		st.Remaining = budget.Remaining(st.SLI, s.Target())
	}
	st.judge(w)
	return st, nil
}

// MaxFineBurnWindow is the longest burn window status reads from minute buckets alone;
// longer ones (6h, the ticket alerts' 1d and 3d) are read like the SLO window: hourly
// buckets for the body, minute buckets for the ends.
const MaxFineBurnWindow = time.Hour

// fineSpan is how far back status reads minute buckets: the burn windows up to
// MaxFineBurnWindow (the status table's and the SLO's alert windows).
func fineSpan(s *slo.SLO) time.Duration {
	var span time.Duration
	for _, w := range burnWindows(s) {
		if w <= MaxFineBurnWindow {
			span = max(span, w)
		}
	}
	return max(span, MaxFineBurnWindow)
}

// burnWindows are the windows status computes burn rates over: the status table's and
// those of the SLO's alerts.
func burnWindows(s *slo.SLO) []time.Duration {
	ws := slices.Clone(StatusBurnWindows)
	for _, bw := range s.Alerting() {
		ws = append(ws, bw.Long, bw.Short)
	}
	return ws
}

// longWindows sums, from hourly buckets and the minute buckets of their partial hours,
// the SLO window (from, st.At] and every burn window longer than the minute buckets
// reach; it returns the SLO window's counts and keeps the burn windows' in st.long.
func (e *Engine) longWindows(ctx context.Context, s *slo.SLO, from time.Time, st *Status) (series.Counts, error) {
	fine := st.Fetched.Buckets
	froms := []time.Time{from}
	for _, w := range burnWindows(s) {
		if t := st.At.Add(-w); t.Before(fine.Start) && !slices.Contains(froms, t) {
			froms = append(froms, t)
		}
	}
	counts, err := e.coarseWindows(ctx, s, fine, froms, st.At, st)
	if err != nil {
		return series.Counts{}, err
	}
	st.long = map[time.Duration]series.Counts{}
	for i, t := range froms[1:] {
		st.long[st.At.Sub(t)] = counts[i+1]
	}
	if !from.Before(fine.Start) {
		return st.fineWindow(from)
	}
	return counts[0], nil
}

// window returns the SLO window's length and start at st.At; for a calendar window it
// also sets the current period and the share of it elapsed.
func (st *Status) window(step time.Duration) (time.Duration, time.Time, error) {
	s, end := st.SLO, st.At
	if s.Window.Kind != slo.Calendar {
		return s.Window.Duration, end.Add(-s.Window.Duration), nil
	}
	loc, err := SLOLocation(s)
	if err != nil {
		return 0, time.Time{}, err
	}
	ps, err := series.PeriodStart(end, s.Window.Unit, loc)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	pe, err := series.PeriodEnd(ps, s.Window.Unit, loc)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	if ps.Sub(series.Align(ps, step)) != 0 {
		return 0, time.Time{}, fmt.Errorf("SLO %s: period start %s is not on the %s slice grid", s.Name, ps.Format(time.RFC3339), step)
	}
	st.PeriodStart, st.PeriodEnd = ps, pe
	st.Elapsed = float64(end.Sub(ps)) / float64(pe.Sub(ps))
	return pe.Sub(ps), ps, nil
}

// fineWindow sums the fetched buckets over the window (from, st.At], and the empty time
// slices: the period to date, or the rolling window.
func (st *Status) fineWindow(from time.Time) (series.Counts, error) {
	f := st.Fetched
	sum := func(b *series.Buckets) (series.Counts, error) {
		if st.SLO.Window.Kind == slo.Calendar {
			return b.Between(from, st.At)
		}
		c, _, err := b.Window(st.At, st.At.Sub(from))
		return c, err
	}
	c, err := sum(f.Buckets)
	if f.Empty != nil && err == nil {
		ec, _ := sum(f.Empty)
		st.EmptySlices = ec.Total
	}
	return c, err
}

// burn is the burn rate over the window win ending at st.At.
func (st *Status) burn(win time.Duration) Burn {
	cw, ok := st.long[win]
	if !ok {
		var err error
		if cw, _, err = st.Fetched.Buckets.Window(st.At, win); err != nil {
			return Burn{Window: win}
		}
	}
	sli, ok := budget.SLI(cw)
	if !ok {
		return Burn{Window: win}
	}
	return Burn{Window: win, Rate: budget.BurnRate(sli, st.SLO.Target()), OK: true}
}

// judge sets the status burn rates, the time to exhaustion of a budget for a window w
// long, and the state from the budget left and the SLO's burn-rate alerts.
func (st *Status) judge(w time.Duration) {
	for _, win := range StatusBurnWindows {
		st.Burns = append(st.Burns, st.burn(win))
	}
	var alerts []budget.Alert
	for _, bw := range st.SLO.Alerting() {
		l, sh := st.burn(bw.Long), st.burn(bw.Short)
		alerts = append(alerts, budget.Alert{LongBurn: l.Rate, ShortBurn: sh.Rate, Factor: bw.Factor, LongOK: l.OK, ShortOK: sh.OK})
	}
	if st.HasData && len(st.Burns) > 0 && st.Burns[0].OK {
		st.Exhaustion, st.Exhausts = budget.TimeToExhaustion(st.Remaining, st.Burns[0].Rate, w)
	}
	st.State = budget.Status(st.Remaining, st.HasData, alerts)
}

// StatusCoarseStep is the bucket size status reads the body of a long rolling window with.
const StatusCoarseStep = time.Hour

// coarseWindows sums each window (from, end] from hourly buckets for its body and minute
// buckets for its ends: (from, H], H being the first hour boundary after from, and
// (A, end], A being end rounded down to the hour. fine holds the minute buckets
// of the last hours up to end; one hourly fetch serves every window. The queries they
// run are added to st.Fetched. A 28-day window costs 672 + 60 points this way instead of
// 40,320. A window that starts inside fine gets zero counts: the caller sums it from fine.
func (e *Engine) coarseWindows(ctx context.Context, s *slo.SLO, fine *series.Buckets, froms []time.Time, end time.Time, st *Status) ([]series.Counts, error) {
	a := series.Align(end, StatusCoarseStep)
	start := a
	for _, from := range froms {
		if from.Before(fine.Start) {
			start = minTime(start, series.Align(from, StatusCoarseStep))
		}
	}
	out := make([]series.Counts, len(froms))
	if !start.Before(a) {
		return out, nil
	}
	body, err := e.Counts(ctx, s, start, a, StatusCoarseStep)
	if err != nil {
		return nil, err
	}
	st.Fetched.merge(body)
	last, err := fine.Between(a, end)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	// Only the windows' own ends are estimated between samples: take out the estimates
	// the minute fetches made at the inner boundaries head and a, where the hourly body
	// (cut at the last sample) joins them.
	last = last.Add(fine.EdgeAt(a))
	for i, from := range froms {
		if !from.Before(fine.Start) {
			continue
		}
		first, head, err := e.headHour(ctx, s, from, st)
		if err != nil {
			return nil, err
		}
		mid, err := body.Buckets.Between(head, a)
		if err != nil {
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		out[i] = first.Add(mid).Add(last)
	}
	return out, nil
}

// headHour reads the hour a window starting at from begins with, by the minute, so that
// the window's start is estimated between samples as in minute buckets: its counts
// (from, head] less the edge estimate at head, and head, the first hour boundary after
// from.
func (e *Engine) headHour(ctx context.Context, s *slo.SLO, from time.Time, st *Status) (series.Counts, time.Time, error) {
	head := series.Align(from, StatusCoarseStep)
	edge, err := e.Counts(ctx, s, head, head.Add(StatusCoarseStep), MinStep)
	if err != nil {
		return series.Counts{}, head, err
	}
	st.Fetched.merge(edge)
	head = head.Add(StatusCoarseStep)
	first, err := edge.Buckets.Between(from, head)
	if err != nil {
		return series.Counts{}, head, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	headEdge := edge.Buckets.EdgeAt(head)
	first.Good -= headEdge.Good
	first.Total -= headEdge.Total
	return first, head, nil
}

// minTime returns the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// outputTimes returns the points of a time series from from to to: the multiples of the
// output step (interval rounded up to a multiple of step), then the last complete bucket
// before to, the freshest point. It never returns an empty list.
func outputTimes(from, to time.Time, interval, step time.Duration) []time.Time {
	outStep := ((interval + step - 1) / step) * step
	end := series.Align(to, step)
	first := series.Align(from, outStep)
	if first.Before(from) {
		first = first.Add(outStep)
	}
	if first.After(end) {
		first = end
	}
	var times []time.Time
	for t := first; !t.After(end); t = t.Add(outStep) {
		times = append(times, t)
	}
	if len(times) == 0 || times[len(times)-1].Before(end) {
		times = append(times, end)
	}
	return times
}

// Point is one figure at one time; OK is false where the window had no events.
type Point struct {
	Time  time.Time
	Value float64
	OK    bool
}

// Rolling holds the counts of several rolling windows at every output time.
type Rolling struct {
	Times   []time.Time
	Windows []time.Duration
	Counts  [][]series.Counts // [window][time]
	Step    time.Duration     // bucket size used
	Fetched *Fetched
}

// RollingCounts fetches once and sums each window ending at every output time between
// from and to, spaced by about interval (rounded to the bucket grid).
func (e *Engine) RollingCounts(ctx context.Context, s *slo.SLO, from, to time.Time, interval time.Duration, windows []time.Duration) (*Rolling, error) {
	if len(windows) == 0 {
		return nil, fmt.Errorf("SLO %s: no windows", s.Name)
	}
	// Points are never finer than the scrape interval (Grafana's timeInterval setting).
	interval = max(interval, MinStep, e.ScrapeInterval)
	step := SliceStep(s, interval, windows...)
	times := outputTimes(from, to, interval, step)
	var maxW time.Duration
	for _, w := range windows {
		maxW = max(maxW, w)
	}
	f, err := e.Counts(ctx, s, times[0].Add(-maxW), times[len(times)-1], step)
	if err != nil {
		return nil, err
	}
	r := &Rolling{Times: times, Windows: windows, Step: step, Fetched: f}
	for _, w := range windows {
		cs, _, err := f.Buckets.Rolling(times, w)
		if err != nil {
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		r.Counts = append(r.Counts, cs)
	}
	return r, nil
}

// SLIPoints maps counts to SLI points.
func SLIPoints(times []time.Time, cs []series.Counts) []Point {
	out := make([]Point, len(times))
	for i, t := range times {
		v, ok := budget.SLI(cs[i])
		out[i] = Point{Time: t, Value: v, OK: ok}
	}
	return out
}

// BudgetPoints maps counts to error budget remaining.
func BudgetPoints(times []time.Time, cs []series.Counts, target float64) []Point {
	return sliPointsThen(times, cs, func(sli float64) float64 { return budget.Remaining(sli, target) })
}

// BurnPoints maps counts to burn rates.
func BurnPoints(times []time.Time, cs []series.Counts, target float64) []Point {
	return sliPointsThen(times, cs, func(sli float64) float64 { return budget.BurnRate(sli, target) })
}

// sliPointsThen maps counts to SLI points, then each SLI with data through f.
func sliPointsThen(times []time.Time, cs []series.Counts, f func(sli float64) float64) []Point {
	out := SLIPoints(times, cs)
	for i := range out {
		if out[i].OK {
			out[i].Value = f(out[i].Value)
		}
	}
	return out
}
