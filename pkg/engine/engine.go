// Package engine turns SLO definitions into bucketed counts and figures: it asks the
// metrics source once per counter for per-bucket increases and leaves the windows to Go.
package engine

import (
	"context"
	"fmt"
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

// RangeSemantics says whether the source's range selectors include their left end.
type RangeSemantics string

// Range semantics: probe the source, closed at both ends (Prometheus 2.x, and
// VictoriaMetrics, whose increase reaches back to the sample before the range), or
// left-open (Prometheus 3.x and the engines built on it).
const (
	RangesAuto     RangeSemantics = "auto"
	RangesClosed   RangeSemantics = "closed"
	RangesLeftOpen RangeSemantics = "leftOpen"
)

// Engine fetches bucketed counts of SLOs from a metrics source.
type Engine struct {
	Source *source.Client
	// Ranges is how range selectors behave on the source; empty means RangesAuto.
	Ranges RangeSemantics

	mu  sync.Mutex
	les map[string]string // histogram selector + threshold → le label value found on the server

	probeMu  sync.Mutex
	probed   bool
	leftOpen bool
}

// IncreaseRange returns the range to write in increase(x[...]) for buckets of step, and
// the factor to scale its results by. Where ranges are closed (Prometheus 2.x) that is
// step itself: each bucket holds the samples at both of its ends, so buckets tile the
// counter exactly. Where ranges are left-open (Prometheus 3.x) a step-long range misses
// the sample at the bucket's start, so the range grows by 1ms to take it back in, and
// the 1ms that Prometheus extrapolates over is taken out again by the factor.
func (e *Engine) IncreaseRange(ctx context.Context, step time.Duration) (time.Duration, float64) {
	if !e.isLeftOpen(ctx) {
		return step, 1
	}
	r := step + time.Millisecond
	return r, float64(step) / float64(r)
}

func (e *Engine) isLeftOpen(ctx context.Context) bool {
	switch e.Ranges {
	case RangesClosed:
		return false
	case RangesLeftOpen:
		return true
	}
	e.probeMu.Lock()
	defer e.probeMu.Unlock()
	if !e.probed {
		open, err := e.Source.LeftOpenRanges(ctx)
		if err != nil {
			return false // the query that follows reports the source's problem; probe again next time
		}
		e.probed, e.leftOpen = true, open
	}
	return e.leftOpen
}

// New returns an engine over a metrics-source client.
func New(src *source.Client) *Engine {
	return &Engine{Source: src, les: map[string]string{}}
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
	n := int(to.Sub(from) / step)
	b := series.New(from, step, n)
	// Bucket i ends at from+(i+1)*step: the first point of the range query is from+step.
	start := from.Add(step)
	qr, scale := e.IncreaseRange(ctx, step)
	if g, ok := promql.ForSLOGrouped(s, qr); ok {
		return e.grouped(ctx, s, g, b, start, to, scale)
	}
	q, err := promql.ForSLO(s, qr, le)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: build queries: %w", s.Name, err)
	}

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
			v1 = part.Values[i] * scale
		}
		if i < len(total.Values) && total.Present[i] {
			tot = total.Values[i] * scale
		}
		b.Total[i] = tot
		if q.Good != "" {
			b.Good[i] = v1
		} else {
			b.Good[i] = tot - v1
		}
	}
	return newFetched(b, st), nil
}

// grouped fetches both counters with one grouped query and splits the groups in Go.
func (e *Engine) grouped(ctx context.Context, s *slo.SLO, g promql.Grouped, b *series.Buckets, start, to time.Time, scale float64) (*Fetched, error) {
	groups, st, err := e.Source.RangeGroups(ctx, g.Query, start, to, b.Step)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	part := make([]float64, b.Len())
	for _, gr := range groups {
		sel := g.Select(gr.Labels)
		for i := range b.Total {
			if i >= len(gr.Values) || !gr.Present[i] {
				continue
			}
			v := gr.Values[i] * scale
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
	le, ok = promql.MatchLe(vals, s.Indicator.Le)
	if !ok {
		if len(vals) == 0 {
			return "", fmt.Errorf("SLO %s: no histogram buckets found for %s", s.Name, sel)
		}
		return "", fmt.Errorf("SLO %s: latency threshold %gs is not a bucket bound of %s (bounds: %v)", s.Name, s.Indicator.Le, sel, vals)
	}
	e.mu.Lock()
	e.les[key] = le
	e.mu.Unlock()
	return le, nil
}
