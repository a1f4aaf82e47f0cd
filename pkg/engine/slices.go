package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// sliceTolerance is the relative slack when judging a slice's ratio against its
// threshold, so that e.g. 95 good of 100 meets 0.95 despite binary rounding.
const sliceTolerance = 1e-9

// Counts fetches the SLO's counts in the units its budgeting counts, in buckets of step
// covering (from, to]:
//
//   - occurrences: good and total events (ratio, latency), or good and judged samples
//     of a threshold indicator (one judgement per minute, see promql.ForThreshold);
//   - timeslices: good slices and slices with data. Each slice is judged on its own
//     counts (good/total ≥ sliceThreshold);
//   - ratioTimeslices: the sum of the slices' ratios and the number of slices with
//     data, so that the SLI is the mean slice ratio (OpenSLO's definition).
//
// Slices are aligned to multiples of the slice length since the Unix epoch, and step
// must be a multiple of the slice length. Slices without data follow the budgeting's
// EmptySlices setting (left out by default) and are counted in Fetched.Empty; slices
// before the first slice with data in (from, to] are not counted at all.
func (e *Engine) Counts(ctx context.Context, s *slo.SLO, from, to time.Time, step time.Duration) (*Fetched, error) {
	var f *Fetched
	var err error
	switch s.Budgeting.Method {
	case slo.Timeslices, slo.RatioTimeslices:
		f, err = e.slices(ctx, s, from, to, step)
	default:
		f, err = e.events(ctx, s, from, to, step)
	}
	if err != nil {
		return nil, err
	}
	if err := badCounts(f.Buckets); err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	return f, nil
}

// badCounts names counts no counter can give: NaN or infinite counts, or fewer than
// zero events in a bucket. They come from a source that answered wrong numbers, and
// must not become figures.
func badCounts(b *series.Buckets) error {
	for i := range b.Total {
		for _, c := range []struct {
			what string
			v    float64
		}{{"total", b.Total[i]}, {"good", b.Good[i]}} {
			if math.IsNaN(c.v) || math.IsInf(c.v, 0) || (c.what == "total" && c.v < 0) {
				return fmt.Errorf("%w: the metrics source's answer gives %v %s events in the bucket ending at %s: counters cannot give that",
					source.ErrDownstream, c.v, c.what, b.BucketEnd(i).UTC().Format(time.RFC3339))
			}
		}
	}
	return nil
}

// events fetches occurrences: event counts, or judged samples of a threshold indicator.
func (e *Engine) events(ctx context.Context, s *slo.SLO, from, to time.Time, step time.Duration) (*Fetched, error) {
	if s.Indicator.Kind == slo.Threshold {
		return e.threshold(ctx, s, from, to, step)
	}
	return e.Buckets(ctx, s, from, to, step)
}

// threshold fetches the good and judged samples of a threshold indicator per bucket.
func (e *Engine) threshold(ctx context.Context, s *slo.SLO, from, to time.Time, step time.Duration) (*Fetched, error) {
	if step%MinStep != 0 {
		return nil, fmt.Errorf("SLO %s: bucket %s is not a multiple of %s", s.Name, step, MinStep)
	}
	from = series.Align(from, step)
	to = series.Align(to, step)
	if !to.After(from) {
		return nil, fmt.Errorf("SLO %s: empty time range %s..%s", s.Name, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	q, err := promql.ForThreshold(s, step, MinStep)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: build queries: %w", s.Name, err)
	}
	good, total, st, err := e.pair(ctx, s, q.Good, q.Total, from.Add(step), to, step)
	if err != nil {
		return nil, err
	}
	n := int(to.Sub(from) / step)
	b := series.New(from, step, n)
	for i := 0; i < n; i++ {
		if i < len(total.Values) && total.Present[i] {
			b.Total[i] = total.Values[i]
		}
		if i < len(good.Values) && good.Present[i] {
			b.Good[i] = good.Values[i]
		}
	}
	return newFetched(b, st), nil
}

// pair runs two range queries concurrently.
func (e *Engine) pair(ctx context.Context, s *slo.SLO, q1, q2 string, start, end time.Time, step time.Duration) (source.Series, source.Series, source.Stats, error) {
	var wg sync.WaitGroup
	var s1, s2 source.Series
	var st1, st2 source.Stats
	var err1, err2 error
	wg.Add(2)
	go func() { defer wg.Done(); s1, st1, err1 = e.Source.Range(ctx, q1, start, end, step) }()
	go func() { defer wg.Done(); s2, st2, err2 = e.Source.Range(ctx, q2, start, end, step) }()
	wg.Wait()
	if err1 != nil {
		return s1, s2, st1, fmt.Errorf("SLO %s: %w", s.Name, err1)
	}
	if err2 != nil {
		return s1, s2, st1, fmt.Errorf("SLO %s: %w", s.Name, err2)
	}
	st1.Add(st2)
	return s1, s2, st1, nil
}

// SliceStep returns the bucket size to use for s: Step(want, windows...) for
// occurrences; for timeslices the largest nice step up to max(want, slice length) that
// is a multiple of the slice length and divides every window, else the slice length.
func SliceStep(s *slo.SLO, want time.Duration, windows ...time.Duration) time.Duration {
	step := Step(want, windows...)
	sl := s.Budgeting.SliceLength
	if (s.Budgeting.Method != slo.Timeslices && s.Budgeting.Method != slo.RatioTimeslices) || sl <= 0 {
		return step
	}
	if step%sl == 0 {
		return step
	}
	step = sl
	for _, c := range niceSteps {
		if c < sl || c%sl != 0 || c > max(want, sl) {
			continue
		}
		ok := true
		for _, w := range windows {
			if w > 0 && w%c != 0 {
				ok = false
			}
		}
		if ok {
			step = c
		}
	}
	return step
}

// slices fetches per-slice counts and turns them into slice counts summed per bucket.
func (e *Engine) slices(ctx context.Context, s *slo.SLO, from, to time.Time, step time.Duration) (*Fetched, error) {
	b := s.Budgeting
	sl := b.SliceLength
	if sl < MinStep || sl%MinStep != 0 {
		return nil, fmt.Errorf("SLO %s: slice length %s must be a whole number of minutes", s.Name, slo.FormatDuration(sl))
	}
	if step%sl != 0 {
		return nil, fmt.Errorf("SLO %s: bucket %s is not a multiple of the slice length %s", s.Name, step, slo.FormatDuration(sl))
	}
	from = series.Align(from, step)
	to = series.Align(to, step)
	f, err := e.events(ctx, s, from, to, sl)
	if err != nil {
		return nil, err
	}
	base := f.Buckets
	k := int(step / sl)
	n := base.Len() / k
	out := series.New(from, step, n)
	empty := series.New(from, step, n)
	// Slices before the first slice with data are before the history starts (or before
	// the SLO was measured): they are not counted at all, not even as empty.
	firstData := n * k
	for j := 0; j < n*k; j++ {
		if finite(base.Total[j]) > 0 {
			firstData = j
			break
		}
	}
	for i := 0; i < n; i++ {
		for j := max(i*k, firstData); j < (i+1)*k; j++ {
			g, t := finite(base.Good[j]), finite(base.Total[j])
			if !(t > 0) {
				empty.Total[i]++
				switch b.EmptySlices {
				case slo.EmptyGood:
					out.Good[i]++
					out.Total[i]++
				case slo.EmptyBad:
					out.Total[i]++
				}
				continue
			}
			ratio := min(max(g/t, 0), 1)
			out.Total[i]++
			if b.Method == slo.RatioTimeslices {
				out.Good[i] += ratio
			} else if ratio >= b.SliceThreshold*(1-sliceTolerance) {
				out.Good[i]++
			}
		}
	}
	f.Buckets, f.Empty = out, empty
	return f, nil
}

func finite(x float64) float64 {
	if x != x || x > 1e308 || x < -1e308 {
		return 0
	}
	return x
}
