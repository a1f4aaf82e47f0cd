package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// maxPeakQueries bounds the follow-up queries for counter resets in one fetch; beyond
// it a reset counts the value since the restart only.
const maxPeakQueries = 32

// lastGrowth is the growth per bucket of one series, from its last values at the
// bucket boundaries.
type lastGrowth struct {
	// Growth[i] is the growth in bucket i, from boundary i to boundary i+1.
	Growth []float64
	// Resets are the buckets where the counter went down (a restart).
	Resets []int
	// Gaps are the buckets where the series has a value again after having none at the
	// bucket's start, having had one before: a gap longer than the lookup bound.
	Gaps []int
}

// growthFromLast turns the last value at or before each of n+1 boundaries into the
// growth of the n buckets between them: the difference where the counter did not go
// down; after a reset, the value since the restart (the caller adds the growth before
// it); nothing where the series has no value at the bucket's start (it is new, or
// comes back after a longer gap: Prometheus too counts a series from its first sample).
func growthFromLast(values []float64, present []bool) lastGrowth {
	n := len(values) - 1
	if n < 1 {
		return lastGrowth{}
	}
	g := lastGrowth{Growth: make([]float64, n)}
	seen := false
	for i := 0; i < n; i++ {
		seen = seen || present[i]
		if !present[i+1] {
			continue
		}
		if !present[i] {
			if seen {
				g.Gaps = append(g.Gaps, i)
			}
			continue
		}
		d := values[i+1] - values[i]
		if d >= 0 {
			g.Growth[i] = d
			continue
		}
		g.Growth[i] = values[i+1]
		g.Resets = append(g.Resets, i)
	}
	return g
}

// perSeries is the growth per bucket of every series a selector matches, with its labels.
type perSeries struct {
	Labels map[string]string
	Growth []float64
}

// ShortLookback is how far back Nines first looks for a counter's last sample at a
// bucket boundary: a source evaluates last_over_time over it at every step, and a short
// range is far cheaper than the gap bound. Boundaries it misses inside a series' life
// (scrapes missed for longer) are looked up again over the whole gap bound.
const ShortLookback = 5 * time.Minute

// maxHoleQueries bounds the follow-up lookups of missed boundaries in one fetch (one range
// query per run of consecutive boundaries, for every series); beyond it the whole fetch is
// asked again with the gap bound.
const maxHoleQueries = 8

// lookback is the range of the first last-value lookup: ShortLookback, or three scrape
// intervals when that is longer (a missed scrape is still found), at most the gap bound.
func (e *Engine) lookback() time.Duration {
	return min(max(ShortLookback, 3*e.ScrapeInterval), e.gap())
}

// lastValues reads the last value of every series of selector at each boundary of b,
// looked up at most the gap bound back: first over the short lookback, then again over
// the gap bound at the boundaries where a series had no sample in the lookback but has
// values after (and before, or it may have had one within the bound): one lookup per run
// of such boundaries, or the whole fetch again when there are many runs.
func (e *Engine) lastValues(ctx context.Context, selector string, b *series.Buckets) ([]source.Group, source.Stats, error) {
	gap, lb := e.gap(), e.lookback()
	q, err := promql.LastValues(selector, lb)
	if err != nil {
		return nil, source.Stats{}, err
	}
	groups, st, err := e.Source.RangeGroups(ctx, q, b.Start, b.End(), b.Step)
	if err != nil || lb >= gap {
		return groups, st, err
	}
	holes := missedBoundaries(groups)
	if len(holes) == 0 {
		return groups, st, nil
	}
	full, err := promql.LastValues(selector, gap)
	if err != nil {
		return nil, st, err
	}
	runs := runsOf(holes)
	if len(runs) > maxHoleQueries {
		again, ast, err := e.Source.RangeGroups(ctx, full, b.Start, b.End(), b.Step)
		st.Add(ast)
		return again, st, err
	}
	byKey := make(map[string]int, len(groups))
	for g, gr := range groups {
		byKey[labelsKey(gr.Labels)] = g
	}
	copied := map[int]bool{}
	for _, r := range runs {
		found, ast, err := e.Source.RangeGroups(ctx, full, b.Start.Add(time.Duration(r[0])*b.Step), b.Start.Add(time.Duration(r[1])*b.Step), b.Step)
		st.Add(ast)
		if err != nil {
			return nil, st, err
		}
		for _, f := range found {
			g, ok := byKey[labelsKey(f.Labels)]
			if !ok {
				continue
			}
			gr := &groups[g]
			for k := range f.Values {
				i := r[0] + k
				if i >= len(gr.Present) || gr.Present[i] || k >= len(f.Present) || !f.Present[k] {
					continue
				}
				if !copied[g] {
					// The answer may be shared (the cache, a batch): fill a copy.
					gr.Values, gr.Present = slices.Clone(gr.Values), slices.Clone(gr.Present)
					copied[g] = true
				}
				gr.Values[i], gr.Present[i] = f.Values[k], true
			}
		}
	}
	return groups, st, nil
}

// missedBoundaries returns the boundaries, in order, where some series has no value but
// has one later: inside its life, or just before its first value.
func missedBoundaries(groups []source.Group) []int {
	seen := map[int]bool{}
	for _, gr := range groups {
		first, last := -1, -1
		for i, p := range gr.Present {
			if p {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first > 0 {
			seen[first-1] = true
		}
		for i := first + 1; first >= 0 && i < last; i++ {
			if !gr.Present[i] {
				seen[i] = true
			}
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// runsOf groups sorted boundary indexes into runs of consecutive ones, [first, last].
func runsOf(is []int) [][2]int {
	var runs [][2]int
	for _, i := range is {
		if n := len(runs); n > 0 && runs[n-1][1] == i-1 {
			runs[n-1][1] = i
			continue
		}
		runs = append(runs, [2]int{i, i})
	}
	return runs
}

// labelsKey identifies a series by its labels.
func labelsKey(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteByte(0)
		sb.WriteString(ls[k])
		sb.WriteByte(0)
	}
	return sb.String()
}

// lastSampleGrowth reads the last value of every series of selector at every boundary of
// b (lastValues) and returns each series' growth per bucket, with counter resets
// completed by the highest sample of the bucket and warnings for gaps longer than the bound.
func (e *Engine) lastSampleGrowth(ctx context.Context, s *slo.SLO, selector string, b *series.Buckets) ([]perSeries, source.Stats, error) {
	gap := e.gap()
	groups, st, err := e.lastValues(ctx, selector, b)
	if err != nil {
		return nil, st, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	out := make([]perSeries, 0, len(groups))
	peaks := 0
	gaps := map[int][]string{} // bucket → series that came back after a longer gap
	for _, gr := range groups {
		lg := growthFromLast(gr.Values, gr.Present)
		if lg.Growth == nil {
			continue
		}
		for _, i := range lg.Resets {
			if peaks >= maxPeakQueries {
				break
			}
			peaks++
			// The growth before the restart: the highest sample of the bucket (the
			// old process's last value) minus the value at the bucket's start.
			pq, err := promql.PeakOf(selector, gr.Labels, b.Step)
			if err != nil {
				return nil, st, fmt.Errorf("SLO %s: %w", s.Name, err)
			}
			peak, ok, sent, err := e.peakCached(ctx, pq, b.BucketEnd(i))
			if sent {
				st.Requests++
			}
			st.Queries = append(st.Queries, pq)
			if err != nil {
				return nil, st, fmt.Errorf("SLO %s: %w", s.Name, err)
			}
			if ok && peak > gr.Values[i] {
				lg.Growth[i] += peak - gr.Values[i]
			}
		}
		for _, i := range lg.Gaps {
			gaps[i] = append(gaps[i], describe(selector, gr.Labels))
		}
		out = append(out, perSeries{Labels: gr.Labels, Growth: lg.Growth})
	}
	at := make([]int, 0, len(gaps))
	for i := range gaps {
		at = append(at, i)
	}
	sort.Ints(at)
	for _, i := range at {
		who := gaps[i][0]
		if len(gaps[i]) > 1 {
			who = fmt.Sprintf("%s and %d more series", who, len(gaps[i])-1)
		}
		st.Warnings = append(st.Warnings, fmt.Sprintf("no samples of %s for more than %s before %s; any events in that gap are not counted (maxGap bridges gaps up to %s)",
			who, slo.FormatDuration(gap), b.BucketEnd(i).UTC().Format(time.RFC3339), slo.FormatDuration(gap)))
	}
	return out, st, nil
}

// peakCached runs a peak query, keeping the answers about the past (they never change);
// sent is false when the answer came from memory.
func (e *Engine) peakCached(ctx context.Context, query string, at time.Time) (v float64, ok, sent bool, err error) {
	key := query + "@" + at.UTC().Format(time.RFC3339Nano)
	e.mu.Lock()
	p, hit := e.peaks[key]
	e.mu.Unlock()
	if hit {
		return p.v, p.ok, false, nil
	}
	v, ok, err = e.Source.Instant(ctx, query, at)
	if err != nil {
		return 0, false, true, err
	}
	if at.Before(e.Source.Now().Add(-time.Minute)) {
		e.mu.Lock()
		if len(e.peaks) >= maxProbes {
			clear(e.peaks)
		}
		e.peaks[key] = peakAnswer{v, ok}
		e.mu.Unlock()
	}
	return v, ok, true, nil
}

// peakAnswer is a cached answer of a peak query.
type peakAnswer struct {
	v  float64
	ok bool
}

// describe names one series of a selector, e.g. http_requests_total{code="500"}.
func describe(selector string, ls map[string]string) string {
	name := selector
	if i := strings.IndexByte(name, '{'); i >= 0 {
		name = name[:i]
	}
	keys := make([]string, 0, len(ls))
	for k := range ls {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, ls[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// lastSampleBuckets fills b from the last values of the SLO's plain counter selectors,
// per series, computing the growth in Go: one selector evaluation per counter, as
// cheap for Prometheus as increase(). A grouped SLO reads its total selector only.
func (e *Engine) lastSampleBuckets(ctx context.Context, s *slo.SLO, p promql.Plain, b *series.Buckets) (*Fetched, error) {
	sum := func(ps []perSeries, keep func(map[string]string) bool, dst []float64) {
		for _, x := range ps {
			if keep != nil && !keep(x.Labels) {
				continue
			}
			g := x.Growth[:min(len(x.Growth), len(dst))]
			for i, v := range g {
				dst[i] += v
			}
		}
	}
	if g, ok := promql.ForSLOGrouped(s, promql.Tiling{Form: promql.FormLastSample, Step: b.Step}); ok {
		ps, st, err := e.lastSampleGrowth(ctx, s, p.Total, b)
		if err != nil {
			return nil, err
		}
		part := make([]float64, b.Len())
		sum(ps, nil, b.Total)
		sum(ps, g.Select, part)
		for i := range b.Total {
			if g.Bad {
				b.Good[i] = b.Total[i] - part[i]
			} else {
				b.Good[i] = part[i]
			}
		}
		return newFetched(b, st), nil
	}
	first := p.Good
	if first == "" {
		first = p.Bad
	}
	var (
		wg         sync.WaitGroup
		pp, tp     []perSeries
		pst, tst   source.Stats
		perr, terr error
	)
	wg.Add(2)
	go func() { defer wg.Done(); pp, pst, perr = e.lastSampleGrowth(ctx, s, first, b) }()
	go func() { defer wg.Done(); tp, tst, terr = e.lastSampleGrowth(ctx, s, p.Total, b) }()
	wg.Wait()
	if perr != nil {
		return nil, perr
	}
	if terr != nil {
		return nil, terr
	}
	part := make([]float64, b.Len())
	sum(pp, nil, part)
	sum(tp, nil, b.Total)
	for i := range b.Total {
		if p.Good != "" {
			b.Good[i] = part[i]
		} else {
			b.Good[i] = b.Total[i] - part[i]
		}
	}
	pst.Add(tst)
	return newFetched(b, pst), nil
}
