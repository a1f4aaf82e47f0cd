// Package engine turns SLO definitions into bucketed counts and figures: it asks the
// metrics source once per counter for per-bucket increases and leaves the windows to Go.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// MinStep is the smallest bucket Nines asks for; the source must be scraped at least this often.
const MinStep = time.Minute

// niceSteps are the bucket sizes Nines picks from, smallest first.
var niceSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// RangeSemantics is how Nines asks the source for per-bucket counter growth.
type RangeSemantics string

// The ways to ask: probe the source (auto), Nines' own construction from the counter's
// last samples (works everywhere), Prometheus 3's anchored increase, or an increase that
// reaches back to the sample before the range (VictoriaMetrics). "closed" and "leftOpen",
// the values of earlier versions, mean lastSample.
const (
	RangesAuto       RangeSemantics = "auto"
	RangesLastSample RangeSemantics = "lastSample"
	RangesAnchored   RangeSemantics = "anchored"
	RangesLookbehind RangeSemantics = "lookbehind"
	RangesClosed     RangeSemantics = "closed"
	RangesLeftOpen   RangeSemantics = "leftOpen"
)

// Source is what the engine needs of a metrics source; *source.Client is the real one.
type Source interface {
	// Range runs a range query whose answer is one series (or none).
	Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (source.Series, source.Stats, error)
	// RangeGroups runs a range query whose answer may hold many series.
	RangeGroups(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error)
	// Instant runs an instant query whose answer is one number (ok false when empty).
	Instant(ctx context.Context, query string, t time.Time) (float64, bool, error)
	// SampleTimes returns the raw sample times, per series, of a range-vector selector at t.
	SampleTimes(ctx context.Context, query string, t time.Time) ([][]int64, error)
	// LabelValues lists the values of label on series matching match between start and end.
	LabelValues(ctx context.Context, label, match string, start, end time.Time) ([]string, error)
	// ProbeGrowth tells how the source's increase() reads counter growth.
	ProbeGrowth(ctx context.Context) (string, error)
	// Version is the source's version string.
	Version(ctx context.Context) (string, error)
	// Now is the source's clock.
	Now() time.Time
}

// Engine fetches bucketed counts of SLOs from a metrics source.
type Engine struct {
	Source Source
	// Ranges is how per-bucket growth is asked for; empty means RangesAuto.
	Ranges RangeSemantics
	// Gap is the longest monitoring gap whose counter growth is still counted; 0 means
	// promql.DefaultGap.
	Gap time.Duration
	// ScrapeInterval is the source's scrape interval when known (Grafana's timeInterval
	// setting); 0 when unknown.
	ScrapeInterval time.Duration
	// Concurrency bounds the SLOs checked at once by Health; 0 means a small default.
	Concurrency int

	mu     sync.Mutex
	les    map[string]string     // histogram selector + threshold → le label value found on the server
	probes map[string][][]int64  // raw-sample probe answers about the past
	peaks  map[string]peakAnswer // counter-reset peak answers about the past

	probeMu sync.Mutex
	form    promql.Form // found by the probe; empty until it succeeds
}

// Tiling returns how to ask for the growth of counters over buckets of step, and a
// context carrying the query options that form needs (the lookback for anchored ranges).
// It fails when the source cannot be probed: the query would fail on it too, and
// should not wait for it a second time.
func (e *Engine) Tiling(ctx context.Context, step time.Duration) (promql.Tiling, context.Context, error) {
	form, err := e.Form(ctx)
	if err != nil {
		return promql.Tiling{}, ctx, err
	}
	t := promql.Tiling{Form: form, Step: step, Gap: e.gap()}
	if t.Form == promql.FormAnchored {
		// The anchor of a bucket is the last sample within the lookback delta before it.
		ctx = source.WithLookbackDelta(ctx, t.Gap)
	}
	return t, ctx, nil
}

// gap returns the gap bound.
func (e *Engine) gap() time.Duration {
	if e.Gap <= 0 {
		return promql.DefaultGap
	}
	return e.Gap
}

// Form returns the growth form set by Ranges, or probes the source once for it; a
// failed probe is tried again on the next query.
func (e *Engine) Form(ctx context.Context) (promql.Form, error) {
	switch e.Ranges {
	case RangesLastSample, RangesClosed, RangesLeftOpen:
		return promql.FormLastSample, nil
	case RangesAnchored:
		return promql.FormAnchored, nil
	case RangesLookbehind:
		return promql.FormIncrease, nil
	}
	if e.Source == nil {
		return "", errNoSource
	}
	e.probeMu.Lock()
	defer e.probeMu.Unlock()
	if e.form == "" {
		g, err := e.Source.ProbeGrowth(ctx)
		if err != nil {
			return "", err
		}
		switch g {
		case source.GrowthLookbehind:
			e.form = promql.FormIncrease
		case source.GrowthAnchored:
			e.form = promql.FormAnchored
		default:
			e.form = promql.FormLastSample
		}
	}
	return e.form, nil
}

// errNoSource is the error of an engine without a metrics source.
var errNoSource = errors.New("no metrics source is configured")

// New returns an engine over a metrics source.
func New(src Source) *Engine {
	return &Engine{Source: src, les: map[string]string{}, probes: map[string][][]int64{}, peaks: map[string]peakAnswer{}}
}

// Fetched is the result of one bucketed fetch: the counts and the queries that ran.
type Fetched struct {
	Buckets  *series.Buckets
	Queries  []string
	Warnings []string
	Requests int
	Hits     int
	// Empty counts, per bucket, the time slices without data (timeslices budgeting only;
	// Total is the number of empty slices). Nil for occurrences.
	Empty *series.Buckets
}

// newFetched wraps buckets with the statistics of the requests that filled them.
func newFetched(b *series.Buckets, st source.Stats) *Fetched {
	return &Fetched{Buckets: b, Queries: st.Queries, Warnings: st.Warnings, Requests: st.Requests, Hits: st.CacheHits}
}

// merge adds the queries, warnings and request counts of g to f.
func (f *Fetched) merge(g *Fetched) {
	st := source.Stats{Queries: f.Queries, Warnings: f.Warnings, Requests: f.Requests, CacheHits: f.Hits}
	st.Add(source.Stats{Queries: g.Queries, Warnings: g.Warnings, Requests: g.Requests, CacheHits: g.Hits})
	f.Queries, f.Warnings, f.Requests, f.Hits = st.Queries, st.Warnings, st.Requests, st.CacheHits
}

// Step picks the bucket size: the largest nice step not above want that divides every
// given window (a window of zero is ignored).
func Step(want time.Duration, windows ...time.Duration) time.Duration {
	best := MinStep
	for _, s := range niceSteps {
		if s > want {
			break
		}
		ok := true
		for _, w := range windows {
			if w > 0 && w%s != 0 {
				ok = false
				break
			}
		}
		if ok {
			best = s
		}
	}
	return best
}

// Buckets fetches the SLO's good and total counts in buckets of step covering (from, to].
// from and to are aligned down to the step grid.
func (e *Engine) Buckets(ctx context.Context, s *slo.SLO, from, to time.Time, step time.Duration) (*Fetched, error) {
	if s.Indicator.Kind != slo.Ratio && s.Indicator.Kind != slo.Latency {
		return nil, fmt.Errorf("SLO %s: %s indicators are not supported yet", s.Name, s.Indicator.Kind)
	}
	from = series.Align(from, step)
	to = series.Align(to, step)
	if !to.After(from) {
		return nil, fmt.Errorf("SLO %s: empty time range %s..%s", s.Name, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	le := ""
	if s.Indicator.Kind == slo.Latency {
		var err error
		if le, err = e.resolveLe(ctx, s, from, to); err != nil {
			return nil, err
		}
	}
	// Learn the growth form first: on a source that does not answer, the probe is the
	// only request, and the query fails after one timeout, not two.
	if _, _, err := e.Tiling(ctx, step); err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	n := int(to.Sub(from) / step)
	occurrences := s.Budgeting.Method == "" || s.Budgeting.Method == slo.Occurrences
	if step > series.MaxEdgeStep || !occurrences {
		return e.growth(ctx, s, series.New(from, step, n), le)
	}
	// Fine buckets also learn when the total counter was sampled, to estimate window
	// edges between samples (series.EdgesFrom); they read a few buckets past to, so that
	// the edge at to is interpolated from the sample after it where there is one.
	cq, rq, err := promql.Sampled(s, le, step, edgeProbeSpan)
	if err != nil {
		return e.growth(ctx, s, series.New(from, step, n), le)
	}
	ext := int(edgeLookahead / step)
	bx := series.New(from, step, n+ext)
	var (
		wg         sync.WaitGroup
		counts     source.Series
		cst        source.Stats
		raw        [][]int64
		cerr, rerr error
	)
	wg.Add(2)
	go func() { defer wg.Done(); counts, cst, cerr = e.Source.Range(ctx, cq, from.Add(step), bx.End(), step) }()
	go func() { defer wg.Done(); raw, rerr = e.sampleTimesCached(ctx, rq, to) }()
	f, err := e.growth(ctx, s, bx, le)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, cerr)
	}
	cst.Requests++ // the raw-sample probe
	cst.Queries = append(cst.Queries, rq)
	f.merge(newFetched(nil, cst))
	b := &series.Buckets{Start: from, Step: step, Good: bx.Good[:n], Total: bx.Total[:n]}
	if rerr == nil {
		last := sampleTimes(bx, counts, raw)
		if last == nil {
			// No series sampled three times in the last minutes (a recent gap): look
			// back over the gap bound too.
			last = e.sampleTimesLonger(ctx, s, le, step, bx, counts, to, f)
		}
		if last != nil {
			b.Edges = series.EdgesFrom(bx, last, e.gap())[:n+1]
		}
	}
	f.Buckets = b
	return f, nil
}

// sampleTimesLonger runs the raw-sample probe over the gap bound and the probe span
// before at, and estimates the sample times from it (nil when it shows no interval
// either); the request is added to f.
func (e *Engine) sampleTimesLonger(ctx context.Context, s *slo.SLO, le string, step time.Duration, bx *series.Buckets, counts source.Series, at time.Time, f *Fetched) []float64 {
	_, rq, err := promql.Sampled(s, le, step, e.gap()+edgeProbeSpan)
	if err != nil {
		return nil
	}
	raw, err := e.sampleTimesCached(ctx, rq, at)
	f.merge(&Fetched{Queries: []string{rq}, Requests: 1})
	if err != nil {
		return nil
	}
	return sampleTimes(bx, counts, raw)
}

// sampleTimesCached runs the raw-sample probe, keeping the answers about the past (they
// never change) so that a dashboard refresh served from the chunk cache sends nothing.
func (e *Engine) sampleTimesCached(ctx context.Context, query string, at time.Time) ([][]int64, error) {
	key := query + "@" + at.UTC().Format(time.RFC3339Nano)
	e.mu.Lock()
	got, ok := e.probes[key]
	e.mu.Unlock()
	if ok {
		return got, nil
	}
	got, err := e.Source.SampleTimes(ctx, query, at)
	if err != nil {
		return nil, err
	}
	if at.Before(e.Source.Now().Add(-edgeProbeSpan)) {
		e.mu.Lock()
		if len(e.probes) >= maxProbes {
			clear(e.probes)
		}
		e.probes[key] = got
		e.mu.Unlock()
	}
	return got, nil
}

// maxProbes bounds the cached raw-sample probes and peaks: a few per SLO, for thousands of SLOs.
const maxProbes = 32768

// edgeLookahead is how far past the end of a fetch fine buckets are read, for the
// sample after the last edge.
const edgeLookahead = 5 * time.Minute

// edgeProbeSpan is how far back the raw samples are read to learn
// the scrape interval and phase.
const edgeProbeSpan = 10 * time.Minute

// sampleTimes estimates the time of the last sample at or before each boundary of b
// (Unix ms, NaN when unknown) from the samples per bucket (counts, on the grid of bucket
// ends) and the raw sample times of the latest span: the scrapes are taken to happen every
// interval at the phase seen there, the last one at or before a boundary whose bucket
// has samples; a boundary after a bucket without samples keeps the previous boundary's.
// It returns nil when the raw samples do not show an interval.
func sampleTimes(b *series.Buckets, counts source.Series, raw [][]int64) []float64 {
	var iv, phase int64
	for _, ts := range raw {
		if len(ts) < 3 {
			continue
		}
		diffs := make([]int64, len(ts)-1)
		for i := 1; i < len(ts); i++ {
			diffs[i-1] = ts[i] - ts[i-1]
		}
		sort.Slice(diffs, func(i, j int) bool { return diffs[i] < diffs[j] })
		iv = diffs[len(diffs)/2]
		if iv <= 0 {
			return nil
		}
		// Round the interval to whole seconds (scrape intervals are), the phase to ms.
		iv = max((iv+500)/1000*1000, 1000)
		phase = ((ts[len(ts)-1] % iv) + iv) % iv
		break
	}
	if iv == 0 {
		return nil
	}
	n := b.Len()
	step := b.Step.Milliseconds()
	start := b.Start.UnixMilli()
	last := make([]float64, n+1)
	for i := 0; i <= n; i++ {
		boundary := start + int64(i)*step
		modelled := boundary - (((boundary-phase)%iv)+iv)%iv
		if i == 0 {
			last[i] = float64(modelled)
			continue
		}
		k := i - 1 // the bucket ending at this boundary
		if k < len(counts.Values) && counts.Present[k] && counts.Values[k] > 0 {
			last[i] = float64(max(modelled, boundary-step+1))
			continue
		}
		last[i] = last[i-1]
	}
	return last
}

// growthPlan is how the growth of an SLO's counters is asked of the source: exactly one
// of its ways is set.
type growthPlan struct {
	// plain: the last values of plain selectors, subtracted in Go (last-sample form).
	plain *promql.Plain
	// grouped: one query grouped by the labels that tell good from bad.
	grouped *promql.Grouped
	// pair: a good (or bad) query and a total query.
	pair promql.Bucketed
}

// planGrowth decides how the SLO's growth per bucket is asked for in tiling tl.
func planGrowth(s *slo.SLO, tl promql.Tiling, le string) (growthPlan, error) {
	if tl.Form == promql.FormLastSample {
		// Plain selectors: read the last values per series and subtract in Go (one
		// selector evaluation); expressions get the whole construction in PromQL.
		if p, ok := promql.PlainSelectors(s, le); ok {
			return growthPlan{plain: &p}, nil
		}
	}
	if g, ok := promql.ForSLOGrouped(s, tl); ok {
		return growthPlan{grouped: &g}, nil
	}
	q, err := promql.ForSLO(s, tl, le)
	if err != nil {
		return growthPlan{}, fmt.Errorf("SLO %s: build queries: %w", s.Name, err)
	}
	return growthPlan{pair: q}, nil
}

// growth fills b with the per-bucket growth of the SLO's counters.
func (e *Engine) growth(ctx context.Context, s *slo.SLO, b *series.Buckets, le string) (*Fetched, error) {
	n, step := b.Len(), b.Step
	to := b.End()
	// Bucket i ends at from+(i+1)*step: the first point of the range query is from+step.
	start := b.Start.Add(step)
	tl, ctx, err := e.Tiling(ctx, step)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	plan, err := planGrowth(s, tl, le)
	if err != nil {
		return nil, err
	}
	switch {
	case plan.plain != nil:
		return e.lastSampleBuckets(ctx, s, *plan.plain, b)
	case plan.grouped != nil:
		return e.grouped(ctx, s, *plan.grouped, b, start, to)
	}
	q := plan.pair
	first := q.Good
	if first == "" {
		first = q.Bad
	}
	part, total, st, err := e.pair(ctx, s, first, q.Total, start, to, step)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		var v1, tot float64
		if i < len(part.Values) && part.Present[i] {
			v1 = part.Values[i]
		}
		if i < len(total.Values) && total.Present[i] {
			tot = total.Values[i]
		}
		b.Total[i] = tot
		if q.Good != "" {
			b.Good[i] = v1
		} else {
			b.Good[i] = tot - v1
		}
	}
	if w := holesWarning(q.Total, e.holes(step, total.Values, total.Present)); w != "" {
		st.Warnings = append(st.Warnings, w)
	}
	return newFetched(b, st), nil
}

// holes counts the points missing inside an answer where both neighbours have events:
// in buckets of step, at least 5 minutes and twice the scrape interval (every bucket
// then holds samples of a scraped counter), the answer is incomplete (a source that
// dropped points). Finer buckets may miss samples legitimately; nothing is counted.
func (e *Engine) holes(step time.Duration, values []float64, present []bool) int {
	if step < series.MaxEdgeStep || step < 2*e.ScrapeInterval {
		return 0
	}
	n := 0
	for i := 1; i+1 < len(values) && i+1 < len(present); i++ {
		if !present[i] && present[i-1] && present[i+1] && values[i-1] > 0 && values[i+1] > 0 {
			n++
		}
	}
	return n
}

// holesWarning says that the answer to query lacks n points, "" when n is 0.
func holesWarning(query string, n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("the metrics source's answer to %q lacks %d point(s) inside the range where the neighbouring points have events: the figures may miss events there", query, n)
}

// grouped fetches both counters with one grouped query and splits the groups in Go.
func (e *Engine) grouped(ctx context.Context, s *slo.SLO, g promql.Grouped, b *series.Buckets, start, to time.Time) (*Fetched, error) {
	groups, st, err := e.Source.RangeGroups(ctx, g.Query, start, to, b.Step)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	part := make([]float64, b.Len())
	missing := 0
	for _, gr := range groups {
		missing += e.holes(b.Step, gr.Values, gr.Present)
		sel := g.Select(gr.Labels)
		for i := range b.Total {
			if i >= len(gr.Values) || !gr.Present[i] {
				continue
			}
			v := gr.Values[i]
			b.Total[i] += v
			if sel {
				part[i] += v
			}
		}
	}
	for i := range b.Total {
		if g.Bad {
			b.Good[i] = b.Total[i] - part[i]
		} else {
			b.Good[i] = part[i]
		}
	}
	if w := holesWarning(g.Query, missing); w != "" {
		st.Warnings = append(st.Warnings, w)
	}
	return newFetched(b, st), nil
}

// CheckLatency checks that a latency SLO's threshold is a bucket bound of its histogram
// on the server between from and to. Other SLOs pass, and so does a histogram without
// any series in that time (that is "no data", not a definition error).
func (e *Engine) CheckLatency(ctx context.Context, s *slo.SLO, from, to time.Time) error {
	if s.Indicator.Kind != slo.Latency {
		return nil
	}
	sel, err := promql.HistogramSeries(s)
	if err != nil {
		return err
	}
	vals, err := e.Source.LabelValues(ctx, "le", sel, from, to)
	if err != nil || len(vals) == 0 {
		return nil // an unreachable source or no data is reported elsewhere
	}
	if _, ok := promql.MatchLe(vals, s.Indicator.Le); !ok {
		return fmt.Errorf("%s: latency threshold %gs is not a bucket bound of %s (bounds: %s)", s.Name, s.Indicator.Le, sel, strings.Join(vals, ", "))
	}
	return nil
}

// resolveLe finds the le label value of the latency SLO's threshold on the server.
func (e *Engine) resolveLe(ctx context.Context, s *slo.SLO, from, to time.Time) (string, error) {
	sel, err := promql.HistogramSeries(s)
	if err != nil {
		return "", fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	key := fmt.Sprintf("%s|%g", sel, s.Indicator.Le)
	if e.Source == nil {
		return "", errNoSource
	}
	e.mu.Lock()
	le, ok := e.les[key]
	e.mu.Unlock()
	if ok {
		return le, nil
	}
	vals, err := e.Source.LabelValues(ctx, "le", sel, from, to)
	if err != nil {
		return "", fmt.Errorf("SLO %s: bucket bounds of %s: %w", s.Name, sel, err)
	}
	if len(vals) == 0 {
		// No series in the window: the queries find nothing either, which is no data.
		return fmt.Sprintf("%g", s.Indicator.Le), nil
	}
	le, ok = promql.MatchLe(vals, s.Indicator.Le)
	if !ok {
		return "", fmt.Errorf("SLO %s: latency threshold %gs is not a bucket bound of %s (bounds: %v)", s.Name, s.Indicator.Le, sel, vals)
	}
	e.mu.Lock()
	e.les[key] = le
	e.mu.Unlock()
	return le, nil
}
