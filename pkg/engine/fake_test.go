package engine

// A fake metrics source for engine unit tests: no Prometheus, no HTTP. Its answers come
// from a small synthetic traffic model (per-series sample lists) evaluated by a small
// PromQL evaluator that knows just the shapes the engine sends (see pkg/promql):
//
//   - vector selectors (with offset) and the instant lookback (5m, or the lookback delta
//     the engine puts on the context for anchored ranges);
//   - increase(x[r]) as a lookbehind source computes it (VictoriaMetrics: from the last
//     sample at or before the range's start, no extrapolation), increase(x[r] anchored)
//     as Prometheus 3's extended range selectors do (the same, the start sample looked up
//     within the lookback delta); both count a counter reset as growth from zero;
//   - last_over_time, max_over_time, min_over_time, count_over_time, sum_over_time and
//     avg_over_time over range selectors (left-open ranges, as Prometheus 3) or
//     subqueries (points at multiples of the step in (t-range, t]);
//   - sum, max, min, avg, count (with by/without), clamp_min, vector(), time(), the
//     arithmetic and comparison operators (with bool) and and/or/unless, matching on all
//     labels but the metric name.
//
// Anything else is an error naming the node, so a test fails loudly when the engine
// starts sending a shape the fake does not know.
//
// Use:
//
//	f := newFake(now)                                  // growth probe answers "lookbehind"
//	f.counter(`req_total{code="500"}`, from, to, time.Minute, perMin(1))
//	f.counter(`req_total{code="200"}`, from, to, time.Minute, perMin(99))
//	e := New(f)
//
// f.fail injects errors per method and query; f.count(method) and f.sent() tell what the
// engine asked.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/source"
)

// fakeSeries is one synthetic series: its labels (with __name__) and its samples, times
// in Unix ms, increasing.
type fakeSeries struct {
	ls labels.Labels
	t  []int64
	v  []float64
}

// fakeSource implements Source over synthetic series.
type fakeSource struct {
	mu     sync.Mutex
	series []*fakeSeries

	// clock is what Now returns.
	clock time.Time
	// growth is ProbeGrowth's answer (source.Growth*); probeErr, when set, its error.
	growth   string
	probeErr error
	// version is Version's answer.
	version string
	// lookback is the instant-vector lookback when the context sets none (5m).
	lookback time.Duration
	// fail, when set, is asked before every call; a non-nil error is returned as the
	// call's error. method is "Range", "RangeGroups", "Instant", "SampleTimes",
	// "LabelValues", "ProbeGrowth" or "Version"; query is the query or match.
	fail func(method, query string) error

	calls   map[string]int
	queries []string
}

// newFake returns an empty fake source whose clock reads now and whose increase()
// looks behind (so the engine uses plain increase unless its Ranges say otherwise).
func newFake(now time.Time) *fakeSource {
	return &fakeSource{clock: now, growth: source.GrowthLookbehind, version: "fake-1.0", lookback: 5 * time.Minute, calls: map[string]int{}}
}

// parseSeries parses `name{a="b"}` into labels; it panics on a bad string (a test bug).
func parseSeries(s string) labels.Labels {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(s)
	if err != nil {
		panic(fmt.Sprintf("fake: series %q: %v", s, err))
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok {
		panic(fmt.Sprintf("fake: series %q is not a selector", s))
	}
	b := labels.NewBuilder(labels.EmptyLabels())
	for _, m := range vs.LabelMatchers {
		if m.Type != labels.MatchEqual {
			panic(fmt.Sprintf("fake: series %q: only = matchers", s))
		}
		b.Set(m.Name, m.Value)
	}
	return b.Labels()
}

// add appends a series with explicit samples (times and values, same length).
func (f *fakeSource) add(series string, ts []time.Time, vs []float64) {
	if len(ts) != len(vs) {
		panic("fake: times and values differ in length")
	}
	s := &fakeSeries{ls: parseSeries(series)}
	for i, t := range ts {
		ms := t.UnixMilli()
		if n := len(s.t); n > 0 && ms <= s.t[n-1] {
			panic(fmt.Sprintf("fake: series %s: samples out of order at %s", series, t))
		}
		s.t = append(s.t, ms)
		s.v = append(s.v, vs[i])
	}
	f.mu.Lock()
	f.series = append(f.series, s)
	f.mu.Unlock()
}

// traffic describes a counter: a sample every `every` from `from` to `to` (inclusive,
// shifted by phase), inc(t) events in (previous sample, t], restarts and missed scrapes.
// The first sample reads 0, so the events in (from, x] are the sum of inc over the
// sample times in (from, x].
type traffic struct {
	inc func(t time.Time) float64
	// resets are restarts: the sample at or just after each time reads only the events
	// since the restart (those of that sample's interval).
	resets []time.Time
	// gaps are spans [a, b) whose samples are missing; traffic goes on, so the first
	// sample after a gap reads the events of the gap too.
	gaps [][2]time.Time
	// phase shifts every sample time (off the minute grid).
	phase time.Duration
}

// perMin is a constant number of events per minute of traffic.
func perMin(n float64) func(time.Time) float64 {
	return func(time.Time) float64 { return n }
}

// counter adds a counter series sampled every minute-ish; see traffic.
func (f *fakeSource) counter(series string, from, to time.Time, every time.Duration, tr traffic) {
	var ts []time.Time
	var vs []float64
	v := 0.0
	ri := 0
	resets := append([]time.Time(nil), tr.resets...)
	sort.Slice(resets, func(i, j int) bool { return resets[i].Before(resets[j]) })
	for t := from.Add(tr.phase); !t.After(to.Add(tr.phase)); t = t.Add(every) {
		restarted := false
		for ri < len(resets) && !resets[ri].After(t) {
			restarted = true
			ri++
		}
		if restarted {
			v = 0
		}
		if t.After(from.Add(tr.phase)) {
			v += tr.inc(t) // the first sample reads 0: the counter starts there
		}
		missing := false
		for _, g := range tr.gaps {
			if !t.Before(g[0]) && t.Before(g[1]) {
				missing = true
			}
		}
		if missing {
			continue
		}
		ts = append(ts, t)
		vs = append(vs, v)
	}
	f.add(series, ts, vs)
}

// gauge adds a gauge sampled every `every` from `from` to `to`, value(t) at t, with
// samples missing in the gaps [a, b).
func (f *fakeSource) gauge(series string, from, to time.Time, every time.Duration, value func(time.Time) float64, gaps ...[2]time.Time) {
	var ts []time.Time
	var vs []float64
	for t := from; !t.After(to); t = t.Add(every) {
		missing := false
		for _, g := range gaps {
			if !t.Before(g[0]) && t.Before(g[1]) {
				missing = true
			}
		}
		if !missing {
			ts = append(ts, t)
			vs = append(vs, value(t))
		}
	}
	f.add(series, ts, vs)
}

// record counts a call and returns the injected error, if any.
func (f *fakeSource) record(method, query string) error {
	f.mu.Lock()
	f.calls[method]++
	if query != "" {
		f.queries = append(f.queries, query)
	}
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return fail(method, query)
	}
	return nil
}

// count returns how many times method was called.
func (f *fakeSource) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// total returns the number of calls to every method that asks the source something.
func (f *fakeSource) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// sent returns every query (and label match) asked so far.
func (f *fakeSource) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

// reset forgets the calls made so far.
func (f *fakeSource) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[string]int{}
	f.queries = nil
}

// Now is the fake's clock.
func (f *fakeSource) Now() time.Time { return f.clock }

// Version returns the fake's version.
func (f *fakeSource) Version(context.Context) (string, error) {
	if err := f.record("Version", ""); err != nil {
		return "", err
	}
	return f.version, nil
}

// ProbeGrowth returns the configured growth kind.
func (f *fakeSource) ProbeGrowth(context.Context) (string, error) {
	if err := f.record("ProbeGrowth", ""); err != nil {
		return "", err
	}
	if f.probeErr != nil {
		return "", f.probeErr
	}
	return f.growth, nil
}

// LabelValues lists the values of label among the series that match and have a sample
// in [start, end], sorted.
func (f *fakeSource) LabelValues(_ context.Context, label, match string, start, end time.Time) ([]string, error) {
	if err := f.record("LabelValues", match); err != nil {
		return nil, err
	}
	vs, err := parseSelector(match)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range f.matching(vs) {
		i := sort.Search(len(s.t), func(i int) bool { return s.t[i] >= start.UnixMilli() })
		if i < len(s.t) && s.t[i] <= end.UnixMilli() {
			if v := s.ls.Get(label); v != "" {
				seen[v] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil
}

// SampleTimes returns the raw sample times of a range selector sel[r] at t: the samples
// in (t-r, t] of each matching series.
func (f *fakeSource) SampleTimes(_ context.Context, query string, t time.Time) ([][]int64, error) {
	if err := f.record("SampleTimes", query); err != nil {
		return nil, err
	}
	e, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return nil, fmt.Errorf("fake: parse %q: %w", query, err)
	}
	ms, ok := e.(*parser.MatrixSelector)
	if !ok {
		return nil, fmt.Errorf("fake: SampleTimes of %q: want a range selector", query)
	}
	vs := ms.VectorSelector.(*parser.VectorSelector)
	var out [][]int64
	end := t.UnixMilli() - vs.OriginalOffset.Milliseconds()
	for _, s := range f.matching(vs) {
		lo, hi := s.window(end-ms.Range.Milliseconds(), end)
		if hi > lo {
			out = append(out, append([]int64(nil), s.t[lo:hi]...))
		}
	}
	return out, nil
}

// Instant evaluates query at t: one number, ok false when the answer is empty.
func (f *fakeSource) Instant(ctx context.Context, query string, t time.Time) (float64, bool, error) {
	if err := f.record("Instant", query); err != nil {
		return 0, false, err
	}
	ev, expr, err := f.evaluator(ctx, query)
	if err != nil {
		return 0, false, err
	}
	v, err := ev.eval(expr, t.UnixMilli())
	if err != nil {
		return 0, false, fmt.Errorf("instant query %q: %w", query, err)
	}
	if v.scalar {
		return v.s, true, nil
	}
	switch len(v.vec) {
	case 0:
		return 0, false, nil
	case 1:
		return v.vec[0].v, true, nil
	}
	return 0, false, fmt.Errorf("instant query %q: %w", query, &source.ManySeriesError{N: len(v.vec)})
}

// Range runs a range query that must yield at most one series.
func (f *fakeSource) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (source.Series, source.Stats, error) {
	if err := f.record("Range", query); err != nil {
		return source.Series{}, source.Stats{Requests: 1}, err
	}
	groups, st, err := f.rangeGroups(ctx, query, start, end, step)
	if err != nil {
		return source.Series{}, st, err
	}
	one, err := source.OneSeries(query, groups, start, end, step)
	return one, st, err
}

// RangeGroups runs a range query and returns every series it yields.
func (f *fakeSource) RangeGroups(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error) {
	if err := f.record("RangeGroups", query); err != nil {
		return nil, source.Stats{Requests: 1}, err
	}
	return f.rangeGroups(ctx, query, start, end, step)
}

func (f *fakeSource) rangeGroups(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error) {
	st := source.Stats{Requests: 1, Queries: []string{query}}
	if step <= 0 || end.Before(start) {
		return nil, st, fmt.Errorf("range query %q: bad range %s..%s step %s", query, start, end, step)
	}
	ev, expr, err := f.evaluator(ctx, query)
	if err != nil {
		return nil, st, err
	}
	n := int(end.Sub(start)/step) + 1
	var groups []source.Group
	index := map[string]int{}
	for i := 0; i < n; i++ {
		v, err := ev.eval(expr, start.Add(time.Duration(i)*step).UnixMilli())
		if err != nil {
			return nil, st, fmt.Errorf("range query %q: %w", query, err)
		}
		if v.scalar {
			v.vec = []elem{{ls: labels.EmptyLabels(), v: v.s}}
		}
		for _, el := range v.vec {
			k := el.ls.String()
			g, ok := index[k]
			if !ok {
				g = len(groups)
				index[k] = g
				groups = append(groups, source.Group{Labels: el.ls.Map(), Series: source.Series{Start: start, Step: step,
					Values: make([]float64, n), Present: make([]bool, n)}})
			}
			groups[g].Values[i] = el.v
			groups[g].Present[i] = true
		}
	}
	return groups, st, nil
}

// evaluator parses query and returns an evaluator for the context's lookback.
func (f *fakeSource) evaluator(ctx context.Context, query string) (*evaluator, parser.Expr, error) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: parse %q: %w", query, err)
	}
	ev := &evaluator{f: f, lookback: f.lookback}
	if d := source.LookbackDelta(ctx); d > 0 {
		ev.lookback = d
	}
	return ev, expr, nil
}

// parseSelector parses a plain series selector.
func parseSelector(s string) (*parser.VectorSelector, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("fake: parse %q: %w", s, err)
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok {
		return nil, fmt.Errorf("fake: %q is not a series selector", s)
	}
	return vs, nil
}

// matching returns the series the selector's matchers select.
func (f *fakeSource) matching(vs *parser.VectorSelector) []*fakeSeries {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeSeries
	for _, s := range f.series {
		ok := true
		for _, m := range vs.LabelMatchers {
			if !m.Matches(s.ls.Get(m.Name)) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// window returns the index range [lo, hi) of the samples in (from, to] (ms).
func (s *fakeSeries) window(from, to int64) (int, int) {
	lo := sort.Search(len(s.t), func(i int) bool { return s.t[i] > from })
	hi := sort.Search(len(s.t), func(i int) bool { return s.t[i] > to })
	return lo, hi
}

// elem is one element of an instant vector.
type elem struct {
	ls labels.Labels
	v  float64
}

// value is a scalar or an instant vector.
type value struct {
	scalar bool
	s      float64
	vec    []elem
}

// evaluator evaluates the shapes the engine sends.
type evaluator struct {
	f        *fakeSource
	lookback time.Duration
}

// points is one series' samples in a range (times in ms).
type points struct {
	ls labels.Labels
	t  []int64
	v  []float64
	// anchor is the sample at or before the range's start (increase only), if any.
	hasAnchor bool
	anchor    float64
}

func dropName(ls labels.Labels) labels.Labels {
	return labels.NewBuilder(ls).Del(labels.MetricName).Labels()
}

// rangeOf returns the samples of a range selector or subquery at t.
func (ev *evaluator) rangeOf(n parser.Expr, t int64, anchor time.Duration) ([]points, error) {
	switch n := n.(type) {
	case *parser.MatrixSelector:
		vs, ok := n.VectorSelector.(*parser.VectorSelector)
		if !ok {
			return nil, fmt.Errorf("fake: range of %s", n)
		}
		if vs.Timestamp != nil || vs.StartOrEnd != 0 || vs.Smoothed {
			return nil, fmt.Errorf("fake: modifier not modelled in %s", n)
		}
		end := t - vs.OriginalOffset.Milliseconds()
		from := end - n.Range.Milliseconds()
		var out []points
		for _, s := range ev.f.matching(vs) {
			lo, hi := s.window(from, end)
			p := points{ls: s.ls, t: s.t[lo:hi], v: s.v[lo:hi]}
			if anchor > 0 && lo > 0 && s.t[lo-1] > from-anchor.Milliseconds() {
				p.hasAnchor, p.anchor = true, s.v[lo-1]
			}
			if len(p.t) > 0 || p.hasAnchor {
				out = append(out, p)
			}
		}
		return out, nil
	case *parser.SubqueryExpr:
		if n.Timestamp != nil || n.StartOrEnd != 0 || n.OriginalOffset != 0 {
			return nil, fmt.Errorf("fake: subquery modifier not modelled in %s", n)
		}
		step := n.Step.Milliseconds()
		if step <= 0 {
			return nil, fmt.Errorf("fake: subquery without step in %s", n)
		}
		from := t - n.Range.Milliseconds()
		first := (from/step + 1) * step
		if from < 0 {
			return nil, fmt.Errorf("fake: negative time")
		}
		byKey := map[string]*points{}
		var keys []string
		for tau := first; tau <= t; tau += step {
			v, err := ev.eval(n.Expr, tau)
			if err != nil {
				return nil, err
			}
			if v.scalar {
				v.vec = []elem{{ls: labels.EmptyLabels(), v: v.s}}
			}
			for _, el := range v.vec {
				k := el.ls.String()
				p, ok := byKey[k]
				if !ok {
					p = &points{ls: el.ls}
					byKey[k] = p
					keys = append(keys, k)
				}
				p.t = append(p.t, tau)
				p.v = append(p.v, el.v)
			}
		}
		out := make([]points, 0, len(keys))
		for _, k := range keys {
			out = append(out, *byKey[k])
		}
		return out, nil
	}
	return nil, fmt.Errorf("fake: %T is not a range", n)
}

// growth is a counter's growth over its samples, a drop counting as a restart from zero.
func growth(first float64, vs []float64) float64 {
	g, prev := 0.0, first
	for _, v := range vs {
		if v >= prev {
			g += v - prev
		} else {
			g += v
		}
		prev = v
	}
	return g
}

func (ev *evaluator) eval(n parser.Expr, t int64) (value, error) {
	switch n := n.(type) {
	case *parser.NumberLiteral:
		return value{scalar: true, s: n.Val}, nil
	case *parser.ParenExpr:
		return ev.eval(n.Expr, t)
	case *parser.StepInvariantExpr:
		return ev.eval(n.Expr, t)
	case *parser.UnaryExpr:
		v, err := ev.eval(n.Expr, t)
		if err != nil || n.Op != parser.SUB {
			return v, err
		}
		if v.scalar {
			v.s = -v.s
		}
		for i := range v.vec {
			v.vec[i].v = -v.vec[i].v
			v.vec[i].ls = dropName(v.vec[i].ls)
		}
		return v, nil
	case *parser.VectorSelector:
		if n.Timestamp != nil || n.StartOrEnd != 0 || n.Anchored || n.Smoothed {
			return value{}, fmt.Errorf("fake: modifier not modelled in %s", n)
		}
		end := t - n.OriginalOffset.Milliseconds()
		var out value
		for _, s := range ev.f.matching(n) {
			lo, hi := s.window(end-ev.lookback.Milliseconds(), end)
			if hi > lo {
				out.vec = append(out.vec, elem{ls: s.ls, v: s.v[hi-1]})
			}
		}
		return out, nil
	case *parser.Call:
		return ev.call(n, t)
	case *parser.AggregateExpr:
		return ev.aggregate(n, t)
	case *parser.BinaryExpr:
		return ev.binary(n, t)
	}
	return value{}, fmt.Errorf("fake: %T (%s) is not modelled", n, n)
}

func (ev *evaluator) call(n *parser.Call, t int64) (value, error) {
	name := n.Func.Name
	switch name {
	case "time":
		return value{scalar: true, s: float64(t) / 1000}, nil
	case "vector":
		v, err := ev.eval(n.Args[0], t)
		if err != nil {
			return v, err
		}
		return value{vec: []elem{{ls: labels.EmptyLabels(), v: v.s}}}, nil
	case "label_replace":
		// Only the constant form: label_replace(v, dst, replacement, "", "").
		v, err := ev.eval(n.Args[0], t)
		if err != nil {
			return v, err
		}
		dst := n.Args[1].(*parser.StringLiteral).Val
		repl := n.Args[2].(*parser.StringLiteral).Val
		if src := n.Args[3].(*parser.StringLiteral).Val; src != "" {
			return value{}, fmt.Errorf("fake: label_replace from label %q is not modelled", src)
		}
		out := value{}
		for _, el := range v.vec {
			b := labels.NewBuilder(el.ls)
			b.Set(dst, repl)
			out.vec = append(out.vec, elem{ls: b.Labels(), v: el.v})
		}
		return out, nil
	case "clamp_min":
		v, err := ev.eval(n.Args[0], t)
		if err != nil {
			return v, err
		}
		lo, err := ev.eval(n.Args[1], t)
		if err != nil {
			return v, err
		}
		out := value{}
		for _, el := range v.vec {
			out.vec = append(out.vec, elem{ls: dropName(el.ls), v: math.Max(el.v, lo.s)})
		}
		return out, nil
	case "increase":
		ms, ok := n.Args[0].(*parser.MatrixSelector)
		if !ok {
			return value{}, fmt.Errorf("fake: increase of %s is not modelled", n.Args[0])
		}
		vs := ms.VectorSelector.(*parser.VectorSelector)
		// Lookbehind: from the last sample at or before the start, as VictoriaMetrics
		// (within the gap bound); anchored: the same within the lookback delta.
		reach := time.Duration(0)
		switch {
		case vs.Anchored:
			reach = ev.lookback
		case ev.f.growth == source.GrowthLookbehind:
			reach = time.Hour
		default:
			return value{}, fmt.Errorf("fake: extrapolated increase (%s) is not modelled", n)
		}
		c := *vs
		c.Anchored = false
		m := *ms
		m.VectorSelector = &c
		ps, err := ev.rangeOf(&m, t, reach)
		if err != nil {
			return value{}, err
		}
		var out value
		for _, p := range ps {
			first, rest := p.anchor, p.v
			if !p.hasAnchor {
				if len(p.v) < 2 {
					continue
				}
				first, rest = p.v[0], p.v[1:]
			}
			out.vec = append(out.vec, elem{ls: dropName(p.ls), v: growth(first, rest)})
		}
		return out, nil
	case "last_over_time", "max_over_time", "min_over_time", "count_over_time", "sum_over_time", "avg_over_time":
		ps, err := ev.rangeOf(n.Args[0], t, 0)
		if err != nil {
			return value{}, err
		}
		var out value
		for _, p := range ps {
			if len(p.v) == 0 {
				continue
			}
			var r float64
			switch name {
			case "last_over_time":
				r = p.v[len(p.v)-1]
			case "max_over_time":
				r = math.Inf(-1)
				for _, v := range p.v {
					r = math.Max(r, v)
				}
			case "min_over_time":
				r = math.Inf(1)
				for _, v := range p.v {
					r = math.Min(r, v)
				}
			case "count_over_time":
				r = float64(len(p.v))
			case "sum_over_time", "avg_over_time":
				for _, v := range p.v {
					r += v
				}
				if name == "avg_over_time" {
					r /= float64(len(p.v))
				}
			}
			out.vec = append(out.vec, elem{ls: dropName(p.ls), v: r})
		}
		return out, nil
	}
	return value{}, fmt.Errorf("fake: function %s is not modelled", name)
}

func (ev *evaluator) aggregate(n *parser.AggregateExpr, t int64) (value, error) {
	v, err := ev.eval(n.Expr, t)
	if err != nil {
		return v, err
	}
	if n.Param != nil {
		return value{}, fmt.Errorf("fake: aggregation parameter in %s is not modelled", n)
	}
	type acc struct {
		ls       labels.Labels
		sum, n   float64
		max, min float64
	}
	groups := map[string]*acc{}
	var keys []string
	for _, el := range v.vec {
		b := labels.NewBuilder(el.ls)
		if n.Without {
			b.Del(append([]string{labels.MetricName}, n.Grouping...)...)
		} else {
			b.Keep(n.Grouping...)
		}
		ls := b.Labels()
		k := ls.String()
		a, ok := groups[k]
		if !ok {
			a = &acc{ls: ls, max: math.Inf(-1), min: math.Inf(1)}
			groups[k] = a
			keys = append(keys, k)
		}
		a.sum += el.v
		a.n++
		a.max = math.Max(a.max, el.v)
		a.min = math.Min(a.min, el.v)
	}
	sort.Strings(keys)
	var out value
	for _, k := range keys {
		a := groups[k]
		var r float64
		switch n.Op {
		case parser.SUM:
			r = a.sum
		case parser.AVG:
			r = a.sum / a.n
		case parser.MAX:
			r = a.max
		case parser.MIN:
			r = a.min
		case parser.COUNT:
			r = a.n
		default:
			return value{}, fmt.Errorf("fake: aggregation %s is not modelled", n.Op)
		}
		out.vec = append(out.vec, elem{ls: a.ls, v: r})
	}
	return out, nil
}

// arith applies an arithmetic or comparison operator; keep is false where a comparison
// without bool filters the element out.
func arith(op parser.ItemType, b bool, x, y float64) (float64, bool, error) {
	cmp := func(ok bool) (float64, bool, error) {
		if b {
			if ok {
				return 1, true, nil
			}
			return 0, true, nil
		}
		return x, ok, nil
	}
	switch op {
	case parser.ADD:
		return x + y, true, nil
	case parser.SUB:
		return x - y, true, nil
	case parser.MUL:
		return x * y, true, nil
	case parser.DIV:
		return x / y, true, nil
	case parser.GTE:
		return cmp(x >= y)
	case parser.GTR:
		return cmp(x > y)
	case parser.LTE:
		return cmp(x <= y)
	case parser.LSS:
		return cmp(x < y)
	case parser.EQLC:
		return cmp(x == y)
	case parser.NEQ:
		return cmp(x != y)
	}
	return 0, false, fmt.Errorf("fake: operator %s is not modelled", op)
}

func (ev *evaluator) binary(n *parser.BinaryExpr, t int64) (value, error) {
	if vm := n.VectorMatching; vm != nil && (len(vm.MatchingLabels) > 0 || len(vm.Include) > 0) {
		return value{}, fmt.Errorf("fake: vector matching in %s is not modelled", n)
	}
	l, err := ev.eval(n.LHS, t)
	if err != nil {
		return l, err
	}
	r, err := ev.eval(n.RHS, t)
	if err != nil {
		return r, err
	}
	key := func(ls labels.Labels) string { return dropName(ls).String() }
	switch n.Op {
	case parser.LAND, parser.LOR, parser.LUNLESS:
		in := map[string]bool{}
		for _, el := range r.vec {
			in[key(el.ls)] = true
		}
		var out value
		for _, el := range l.vec {
			if in[key(el.ls)] == (n.Op == parser.LAND) || (n.Op == parser.LOR) {
				out.vec = append(out.vec, el)
			}
		}
		if n.Op == parser.LOR {
			have := map[string]bool{}
			for _, el := range l.vec {
				have[key(el.ls)] = true
			}
			for _, el := range r.vec {
				if !have[key(el.ls)] {
					out.vec = append(out.vec, el)
				}
			}
		}
		return out, nil
	}
	switch {
	case l.scalar && r.scalar:
		v, _, err := arith(n.Op, true, l.s, r.s)
		return value{scalar: true, s: v}, err
	case r.scalar:
		var out value
		for _, el := range l.vec {
			v, keep, err := arith(n.Op, n.ReturnBool, el.v, r.s)
			if err != nil {
				return out, err
			}
			if keep {
				out.vec = append(out.vec, elem{ls: dropName(el.ls), v: v})
			}
		}
		return out, nil
	case l.scalar:
		var out value
		for _, el := range r.vec {
			v, keep, err := arith(n.Op, n.ReturnBool, l.s, el.v)
			if err != nil {
				return out, err
			}
			if keep {
				if !n.ReturnBool && n.Op.IsComparisonOperator() {
					v = el.v
				}
				out.vec = append(out.vec, elem{ls: dropName(el.ls), v: v})
			}
		}
		return out, nil
	}
	rs := map[string]float64{}
	for _, el := range r.vec {
		k := key(el.ls)
		if _, dup := rs[k]; dup {
			return value{}, errors.New("fake: many-to-many matching on the right-hand side of " + n.String())
		}
		rs[k] = el.v
	}
	var out value
	for _, el := range l.vec {
		y, ok := rs[key(el.ls)]
		if !ok {
			continue
		}
		v, keep, err := arith(n.Op, n.ReturnBool, el.v, y)
		if err != nil {
			return out, err
		}
		if keep {
			out.vec = append(out.vec, elem{ls: dropName(el.ls), v: v})
		}
	}
	return out, nil
}

// Compile-time check that the fake is a Source.
var _ Source = (*fakeSource)(nil)

// Self-tests of the fake, so that the engine tests can trust it.
func TestFakeEvaluatesTheEngineShapes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := newFake(t0.Add(time.Hour))
	// 10 events a minute, a restart at 00:30 (the 00:30 sample reads 10), a gap
	// [00:40, 00:45) whose traffic shows up at 00:45.
	f.counter(`c_total{k="a"}`, t0, t0.Add(time.Hour), time.Minute, traffic{inc: perMin(10),
		resets: []time.Time{t0.Add(30 * time.Minute)}, gaps: [][2]time.Time{{t0.Add(40 * time.Minute), t0.Add(45 * time.Minute)}}})
	f.gauge(`g{k="a"}`, t0, t0.Add(time.Hour), time.Minute, func(t time.Time) float64 { return float64(t.Minute() % 2) })
	ctx := context.Background()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		q    string
		at   time.Time
		want float64
		ok   bool
	}{
		{`c_total`, at(10), 100, true},
		{`c_total`, at(30), 10, true},
		{`c_total offset 5m`, at(35), 10, true},
		{`sum(increase(c_total[10m]))`, at(20), 100, true},
		{`sum(increase(c_total[10m]))`, at(35), 100, true},   // across the restart: 50 before, 50 after (30: reads 10)
		{`sum(increase(c_total[10m]))`, at(50), 110, true},   // from the 00:39 sample, across the gap
		{`increase(c_total[5m] anchored)`, at(45), 60, true}, // from 00:39, within the 5m lookback
		{`last_over_time(c_total[1h])`, at(42), 100, true},
		{`max_over_time(c_total[10m])`, at(35), 290, true},
		{`count_over_time(c_total[10m])`, at(50), 6, true},
		{`max(count_over_time(c_total[1m]))`, at(50), 1, true},
		{`clamp_min(max_over_time(c_total[5m]) - 400, 0)`, at(20), 0, true},
		{`sum(sum_over_time(((g >= bool 1) and count_over_time(g[59s999ms]))[9m59s999ms:1m]))`, at(10), 5, true},
		{`sum(count_over_time(((g >= bool 1) and count_over_time(g[59s999ms]))[9m59s999ms:1m]))`, at(10), 10, true},
		{`avg_over_time(g[10m])`, at(10), 0.5, true},
		{`nothing_total`, at(10), 0, false},
	}
	for _, c := range cases {
		v, ok, err := f.Instant(ctx, c.q, c.at)
		require.NoError(t, err, c.q)
		require.Equal(t, c.ok, ok, c.q)
		require.InDelta(t, c.want, v, 1e-9, c.q)
	}
	// Anchored ranges look back as far as the lookback delta the engine sets.
	_, ok, err := f.Instant(ctx, `increase(c_total[1m] anchored)`, at(45))
	require.NoError(t, err)
	require.False(t, ok, "00:39 lies outside the default 5m lookback (left-open)")
	v, ok, err := f.Instant(source.WithLookbackDelta(ctx, time.Hour), `increase(c_total[1m] anchored)`, at(45))
	require.NoError(t, err)
	require.True(t, ok)
	require.InDelta(t, 60, v, 1e-9)
	// The lastSample form of pkg/promql: 10 a minute, also across the restart.
	q, err := promql.Increase(`c_total`, promql.Tiling{Form: promql.FormLastSample, Step: 5 * time.Minute})
	require.NoError(t, err)
	for _, m := range []int{10, 30, 35} {
		v, ok, err := f.Instant(ctx, q, at(m))
		require.NoError(t, err)
		require.True(t, ok)
		require.InDelta(t, 50, v, 1e-9, "%s at %d", q, m)
	}
	// More than one series where one is expected.
	f.counter(`c_total{k="b"}`, t0, t0.Add(time.Hour), time.Minute, traffic{inc: perMin(1)})
	_, _, err = f.Instant(ctx, `c_total`, at(10))
	require.ErrorIs(t, err, source.ErrManySeries)
	_, _, err = f.Range(ctx, `c_total`, at(1), at(10), time.Minute)
	require.ErrorIs(t, err, source.ErrManySeries)
	ts, err := f.SampleTimes(ctx, `c_total{k="a"}[5m]`, at(10))
	require.NoError(t, err)
	require.Equal(t, [][]int64{{at(6).UnixMilli(), at(7).UnixMilli(), at(8).UnixMilli(), at(9).UnixMilli(), at(10).UnixMilli()}}, ts)
	les, err := f.LabelValues(ctx, "k", `c_total`, t0, at(10))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, les)
	_, _, err = f.Instant(ctx, `rate(c_total[5m])`, at(10))
	require.ErrorContains(t, err, "rate is not modelled")
}
