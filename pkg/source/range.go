package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Series is one single-series result on a grid: Values[i] is the value at Start+i*Step;
// Present[i] is false where the server had no point (no samples means no events).
type Series struct {
	Start   time.Time
	Step    time.Duration
	Values  []float64
	Present []bool
}

// Len returns the number of grid points.
func (s Series) Len() int { return len(s.Values) }

// At returns the time of point i.
func (s Series) At(i int) time.Time { return s.Start.Add(time.Duration(i) * s.Step) }

// Stats say what a call did: requests sent (including failed ones), chunks served from the cache, the
// queries that ran, and the warnings and infos the server sent.
type Stats struct {
	Requests, CacheHits int
	Queries             []string
	Warnings            []string
	Infos               []string
}

// Add merges o into s, keeping each query, warning and info once.
func (s *Stats) Add(o Stats) {
	s.Requests += o.Requests
	s.CacheHits += o.CacheHits
	s.Queries = appendNew(s.Queries, o.Queries...)
	s.Warnings = appendNew(s.Warnings, o.Warnings...)
	s.Infos = appendNew(s.Infos, o.Infos...)
}

// appendNew appends the elements of add that dst lacks.
func appendNew(dst []string, add ...string) []string {
next:
	for _, a := range add {
		for _, d := range dst {
			if d == a {
				continue next
			}
		}
		dst = append(dst, a)
	}
	return dst
}

// chunk is one request's share of a range: grid points from..to (ms, inclusive), index
// n of the aligned chunk, and the offset of its first point in the result.
type chunk struct {
	n, from, to int64
	offset      int
}

// chunkResult is what one chunk yields: the values of each series it returned. A cached
// result may join the answers of several requests within one chunk: spans then lists
// the stretches of the grid they covered (inclusive, sorted, apart); nil means all of
// from..to.
type chunkResult struct {
	from, to int64
	series   []seriesResult
	spans    [][2]int64
}

// span returns the stretch of r's grid, fetched in one go, that holds t, ok false when
// none does.
func (r chunkResult) span(t int64) ([2]int64, bool) {
	if r.spans == nil {
		return [2]int64{r.from, r.to}, r.from <= t && t <= r.to
	}
	for _, sp := range r.spans {
		if sp[0] <= t && t <= sp[1] {
			return sp, true
		}
	}
	return [2]int64{}, false
}

// covers tells whether r holds every point from..to.
func (r chunkResult) covers(from, to int64) bool {
	sp, ok := r.span(from)
	return ok && sp[1] >= to
}

// joined returns the results a (cached) and b (just fetched) of one chunk as one: on the
// grid from the earlier start to the later end, with the stretches each covered; b's
// points win where they overlap.
func joined(a, b chunkResult, step int64) chunkResult {
	out := mergeParts(chunk{from: min(a.from, b.from), to: max(a.to, b.to)}, step, []chunkResult{a, b})
	spans := append(spansOf(a), spansOf(b)...)
	slices.SortFunc(spans, func(x, y [2]int64) int { return cmp.Compare(x[0], y[0]) })
	for _, sp := range spans {
		if n := len(out.spans); n > 0 && sp[0] <= out.spans[n-1][1]+step {
			out.spans[n-1][1] = max(out.spans[n-1][1], sp[1])
			continue
		}
		out.spans = append(out.spans, sp)
	}
	if len(out.spans) == 1 && out.spans[0] == [2]int64{out.from, out.to} {
		out.spans = nil
	}
	return out
}

// spansOf returns the stretches r covers.
func spansOf(r chunkResult) [][2]int64 {
	if r.spans == nil {
		return [][2]int64{{r.from, r.to}}
	}
	return slices.Clone(r.spans)
}

// seriesResult is one series of a chunk, on the chunk's grid, stored compactly: its
// values, and one presence bit per point (nil when every point is present).
type seriesResult struct {
	labels  *labelSet // shared and read-only
	values  []float64
	present bitset
}

// labelSet is the labels of a series and the key that identifies them.
type labelSet struct {
	key string // metricKey of m
	m   map[string]string
}

// bitset is one bit per point; a nil bitset has every bit set.
type bitset []uint64

// newBitset returns a bitset of n bits, all clear.
func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// has tells whether bit i is set.
func (b bitset) has(i int) bool { return b == nil || b[i>>6]&(1<<(uint(i)&63)) != 0 }

// count returns the number of set bits of a non-nil bitset.
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// set sets bit i.
func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// Group is one series of a grouped range query: its labels and its values on the grid.
type Group struct {
	Labels map[string]string
	Series
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// chunks splits the grid start..end (ms) into requests of at most maxPoints points whose
// boundaries lie on multiples of maxPoints*step since the Unix epoch.
func chunks(start, end, step int64, maxPoints int) []chunk {
	size := int64(maxPoints) * step
	var out []chunk
	for t := start; t <= end; {
		n := floorDiv(t, size)
		last := t + ((n+1)*size-1-t)/step*step
		if last > end {
			last = end
		}
		out = append(out, chunk{n: n, from: t, to: last, offset: int((t - start) / step)})
		t = last + step
	}
	return out
}

// chunkPoints returns the points per chunk for a range of total points: MaxPoints, or
// with SplitPoints set, about total/MaxConcurrency rounded up to a power of two, at least
// SplitPoints and at most MaxPoints.
//
// A chunk spans at most the client's longest request span (MaxQueryLength, or a limit
// the source named), that is at most span/step+1 points.
func (c *Client) chunkPoints(total, step int64) int {
	p := c.maxPoints
	if c.split > 0 {
		want := (total + int64(cap(c.sem)) - 1) / int64(cap(c.sem))
		p = 1
		for int64(p) < want || p < c.split {
			p *= 2
		}
		p = min(p, c.maxPoints)
	}
	if span := c.maxSpan(); span > 0 {
		p = int(min(int64(p), span/step+1))
	}
	return p
}

// Range runs a range query from start to end (inclusive, on the step grid) that yields at
// most one series. Long spans are split into epoch-aligned chunks of at most MaxPoints
// points, run concurrently under the client's bound; chunks ending before Now()-step are cached.
func (c *Client) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (Series, Stats, error) {
	groups, stats, err := c.RangeGroups(ctx, query, start, end, step)
	if err != nil {
		return Series{}, stats, err
	}
	s, err := OneSeries(query, groups, start, end, step)
	return s, stats, err
}

// OneSeries returns the one series of a range query's answer: an empty one on the grid
// start..end when there is none, an error when there are more.
func OneSeries(query string, groups []Group, start, end time.Time, step time.Duration) (Series, error) {
	switch len(groups) {
	case 0:
		n := int(end.Sub(start)/step) + 1
		return Series{Start: start, Step: step, Values: make([]float64, n), Present: make([]bool, n)}, nil
	case 1:
		return groups[0].Series, nil
	}
	return Series{}, fmt.Errorf("range query %q: %w", query, tooMany(len(groups)))
}

// RangeGroups runs a range query like Range but returns every series it yields, each with
// its labels, in the order the series first appear.
func (c *Client) RangeGroups(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Group, Stats, error) {
	var stats Stats
	total, err := checkRange(query, start, end, step)
	if err != nil {
		return nil, stats, err
	}
	stats.Queries = []string{query}
	run := c.newRangeRun(ctx, query, start, end, step, total)
	todo := c.fromCache(run, &stats)
	if len(todo) > 0 {
		requests, err := c.fetchChunks(ctx, run, todo)
		stats.Requests = requests
		run.notes(&stats)
		if err != nil {
			return nil, stats, err
		}
	}
	groups := run.assemble()
	c.storeFetched(run)
	if w := nonFinite(query, groups); w != "" {
		stats.Warnings = appendNew(stats.Warnings, w)
	}
	return groups, stats, nil
}

// Covered tells whether the cache holds every point of the range query: a call for it
// would send nothing.
func (c *Client) Covered(ctx context.Context, query string, start, end time.Time, step time.Duration) bool {
	if c.cache == nil {
		return false
	}
	total, err := checkRange(query, start, end, step)
	if err != nil {
		return false
	}
	run := c.newRangeRun(ctx, query, start, end, step, total)
	for _, ch := range run.chunks {
		if _, ok := c.cached(run.key, run.st, run.phase, ch); !ok {
			return false
		}
	}
	return true
}

// nonFinite returns a warning naming the first NaN or infinite value of groups, or "" when
// there is none. Such values are returned as they came (a gauge's average over nothing is
// NaN), but counts can never be NaN or infinite, so the caller gets to see them.
func nonFinite(query string, groups []Group) string {
	var (
		n     int
		first float64
		at    time.Time
	)
	for _, g := range groups {
		for i, v := range g.Values {
			// NaN and ±Inf, and only they, have every exponent bit set.
			if math.Float64bits(v)&expBits == expBits && g.Present[i] {
				if n == 0 || g.At(i).Before(at) {
					first, at = v, g.At(i)
				}
				n++
			}
		}
	}
	if n == 0 {
		return ""
	}
	w := fmt.Sprintf("the metrics source answered %s at %s for query %q", strconv.FormatFloat(first, 'f', -1, 64), at.UTC().Format(time.RFC3339), query)
	switch n {
	case 1:
	case 2:
		w += " (and 1 more NaN or infinite value)"
	default:
		w += fmt.Sprintf(" (and %d more NaN or infinite values)", n-1)
	}
	return w
}

// expBits are the exponent bits of a float64.
const expBits = 0x7ff0000000000000

// checkRange validates the arguments of a range query and returns the number of grid points.
func checkRange(query string, start, end time.Time, step time.Duration) (int64, error) {
	if strings.TrimSpace(query) == "" {
		return 0, errors.New("range query: empty query")
	}
	if step <= 0 || step%time.Millisecond != 0 {
		return 0, fmt.Errorf("range query %q: step %v must be a positive whole number of milliseconds", query, step)
	}
	if !start.Equal(time.UnixMilli(start.UnixMilli())) || !end.Equal(time.UnixMilli(end.UnixMilli())) {
		return 0, fmt.Errorf("range query %q: start and end must be whole milliseconds", query)
	}
	s, e, st := start.UnixMilli(), end.UnixMilli(), step.Milliseconds()
	if e < s {
		return 0, fmt.Errorf("range query %q: end %s is before start %s", query, end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	if (e-s)%st != 0 {
		return 0, fmt.Errorf("range query %q: end is not on the step grid of start (step %v)", query, step)
	}
	total := (e-s)/st + 1
	if total > MaxRangePoints {
		return 0, fmt.Errorf("range query %q: %d points is more than %d; use a larger step", query, total, MaxRangePoints)
	}
	return total, nil
}

// rangeRun is one RangeGroups call: its grid, its chunks and what each chunk yielded.
type rangeRun struct {
	query string
	key   string // the query as cached: with the lookback delta when one is set
	start time.Time
	step  time.Duration
	st    int64 // step in ms
	phase int64 // start's offset from the step grid since the Unix epoch, ms
	total int64 // grid points
	// cutoff is Now()-step when the call began (ms); only chunks ending before it are cached.
	cutoff int64

	chunks   []chunk
	results  []chunkResult
	warnings [][]string
	infos    [][]string
	fetched  []bool
	restOf   []int // for a chunk fetched after a cached prefix, the prefix's index; else -1
}

// newRangeRun splits a validated range into chunks and makes room for their results.
func (c *Client) newRangeRun(ctx context.Context, query string, start, end time.Time, step time.Duration, total int64) *rangeRun {
	s, e, st := start.UnixMilli(), end.UnixMilli(), step.Milliseconds()
	key := query
	if lookback := LookbackDelta(ctx); lookback > 0 {
		key = fmt.Sprintf("lookback=%v/%s", lookback, query)
	}
	cs := chunks(s, e, st, c.chunkPoints(total, st))
	return &rangeRun{
		query:    query,
		key:      key,
		start:    start,
		step:     step,
		st:       st,
		phase:    s - floorDiv(s, st)*st,
		total:    total,
		cutoff:   c.now().Add(-step).UnixMilli(),
		chunks:   cs,
		results:  make([]chunkResult, len(cs)),
		warnings: make([][]string, len(cs)),
		infos:    make([][]string, len(cs)),
		fetched:  make([]bool, len(cs)),
		restOf:   slices.Repeat([]int{-1}, len(cs)),
	}
}

// fromCache fills the chunks the cache covers, counting them in stats, and returns the
// indexes of the chunks left to fetch. A chunk whose start the cache holds up to some
// point (the stable prefix of a chunk that reached the present when it was fetched) is
// served up to there, and only its rest is fetched: a refresh asks for the newest points.
func (c *Client) fromCache(run *rangeRun, stats *Stats) []int {
	var todo []int
	for i, ch := range run.chunks {
		r, ok := c.cached(run.key, run.st, run.phase, ch)
		if c.cache != nil && ch.to < run.cutoff { // only past chunks are ever cached
			c.metrics.cacheLookup(ok)
		}
		if ok {
			run.results[i] = r
			stats.CacheHits++
			continue
		}
		if r, ok := c.prefix(run, ch); ok {
			run.results[i] = r
			run.chunks[i].to = r.to
			stats.CacheHits++
			rest := chunk{n: ch.n, from: r.to + run.st, to: ch.to, offset: ch.offset + int((r.to+run.st-ch.from)/run.st)}
			todo = append(todo, run.add(rest, i))
			continue
		}
		todo = append(todo, i)
	}
	return todo
}

// add appends a chunk to the run, the rest of chunk `of` when of >= 0, and returns its index.
func (run *rangeRun) add(ch chunk, of int) int {
	run.chunks = append(run.chunks, ch)
	run.results = append(run.results, chunkResult{})
	run.warnings = append(run.warnings, nil)
	run.infos = append(run.infos, nil)
	run.fetched = append(run.fetched, false)
	run.restOf = append(run.restOf, of)
	return len(run.chunks) - 1
}

// prefix returns the cached start of a chunk when the cache holds one that begins at or
// before the chunk and ends inside it.
func (c *Client) prefix(run *rangeRun, ch chunk) (chunkResult, bool) {
	if c.cache == nil || !c.pointwise.Load() {
		return chunkResult{}, false
	}
	r, ok := c.cache.get(cacheKey(run.key, run.st, run.phase, ch.n))
	if !ok {
		return chunkResult{}, false
	}
	sp, ok := r.span(ch.from)
	if !ok || sp[1] >= ch.to {
		return chunkResult{}, false
	}
	return mergeParts(chunk{from: ch.from, to: sp[1]}, run.st, []chunkResult{shift(r, ch.from, run.st)}), true
}

// shift returns r without its points before from.
func shift(r chunkResult, from, step int64) chunkResult {
	skip := int((from - r.from) / step)
	out := chunkResult{from: from, to: r.to}
	for _, sr := range r.series {
		n := len(sr.values) - skip
		ns := seriesResult{labels: sr.labels, values: sr.values[skip:]}
		if sr.present != nil {
			ns.present = newBitset(n)
			for i := 0; i < n; i++ {
				if sr.present.has(skip + i) {
					ns.present.set(i)
				}
			}
		}
		out.series = append(out.series, ns)
	}
	return out
}

// fetchChunks fetches the chunks todo, at most the client's concurrency at once; the first
// error cancels the rest. It returns the number of requests sent, including failed ones.
func (c *Client) fetchChunks(ctx context.Context, run *rangeRun, todo []int) (int, error) {
	var requests atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cap(c.sem))
	for _, i := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil
			}
			r, w, inf, sent, err := c.fetchShared(gctx, run, i)
			requests.Add(int64(sent))
			if err != nil {
				return err
			}
			run.results[i], run.warnings[i], run.infos[i], run.fetched[i] = r, w, inf, true
			return nil
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = c.wrap(ctx, fmt.Sprintf("range query %q", run.query), ctx.Err())
	}
	return int(requests.Load()), err
}

// fetched is one chunk's answer, as fetchShared hands it to every caller waiting for it.
type fetched struct {
	r      chunkResult
	w, inf []string
	sent   int
}

// fetchShared fetches a chunk once for all concurrent callers asking for the same
// query, lookback, chunk and step: the others wait for that request instead of sending
// their own (two panels or viewers of one dashboard). Each caller stops waiting at its
// own deadline; the request itself is bounded by the client's timeout. A caller that
// shared the request counts none as sent. The shared result is read-only.
//
// A whole past chunk is cached before the request is done with, so that a caller coming
// just after it finds the chunk instead of asking again (the next viewer of a dashboard).
func (c *Client) fetchShared(ctx context.Context, run *rangeRun, i int) (chunkResult, []string, []string, int, error) {
	query, ch, step := run.query, run.chunks[i], run.st
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%d", query, LookbackDelta(ctx), ch.from, ch.to, step)
	leader := false // set by the one caller whose function runs; read after its answer
	wait := c.flight.DoChan(key, func() (any, error) {
		leader = true
		// The first caller's cancellation must not fail the others: keep its values
		// (the lookback), drop its deadline; the request has the client's timeout.
		if r, ok := c.cached(run.key, run.st, run.phase, ch); ok && run.restOf[i] < 0 {
			return fetched{r: r}, nil // cached by a request that ended after this caller looked
		}
		r, w, inf, sent, err := c.fetch(context.WithoutCancel(ctx), query, ch, step)
		if err == nil && len(w) == 0 && c.cache != nil && ch.to < run.cutoff && run.restOf[i] < 0 {
			c.store(run, ch.n, r)
		}
		return fetched{r, w, inf, sent}, err
	})
	select {
	case <-ctx.Done():
		return chunkResult{}, nil, nil, 0, c.wrap(ctx, fmt.Sprintf("range query %q", query), ctx.Err())
	case res := <-wait:
		f, _ := res.Val.(fetched)
		if !leader {
			f.sent = 0
			c.metrics.sharedRequest()
		}
		return f.r, f.w, f.inf, f.sent, res.Err
	}
}

// notes adds the warnings and infos of the fetched chunks to stats, in chunk order.
func (run *rangeRun) notes(stats *Stats) {
	for i := range run.chunks {
		if run.fetched[i] {
			stats.Warnings = appendNew(stats.Warnings, run.warnings[i]...)
			stats.Infos = appendNew(stats.Infos, run.infos[i]...)
		}
	}
}

// assemble puts the series of every chunk on the whole grid, in the order the series first appear.
func (run *rangeRun) assemble() []Group {
	var groups []Group
	index := map[string]int{}
	for i, ch := range run.chunks {
		r := run.results[i]
		lo := int((ch.from - r.from) / run.st)
		n := int((ch.to-ch.from)/run.st) + 1
		for _, sr := range r.series {
			g, ok := index[sr.labels.key]
			if !ok {
				g = len(groups)
				index[sr.labels.key] = g
				groups = append(groups, Group{Labels: sr.labels.m, Series: Series{Start: run.start, Step: run.step,
					Values: make([]float64, run.total), Present: make([]bool, run.total)}})
			}
			copy(groups[g].Values[ch.offset:ch.offset+n], sr.values[lo:lo+n])
			present := groups[g].Present[ch.offset : ch.offset+n]
			for j := range present {
				present[j] = sr.present.has(lo + j)
			}
		}
	}
	return groups
}

// storeFetched caches the fetched chunks that ended before the cutoff and came without
// warnings; of a chunk that reaches the present, it caches the points before the cutoff
// (with the cached start it was the rest of), for the next refresh to start from.
func (c *Client) storeFetched(run *rangeRun) {
	if c.cache == nil {
		return
	}
	for i, ch := range run.chunks {
		if !run.fetched[i] || len(run.warnings[i]) > 0 {
			continue
		}
		if ch.to < run.cutoff {
			if run.restOf[i] < 0 {
				c.store(run, ch.n, run.results[i])
				continue
			}
		}
		parts := []chunkResult{run.results[i]}
		from := ch.from
		if of := run.restOf[i]; of >= 0 {
			parts = append([]chunkResult{run.results[of]}, parts...)
			from = run.chunks[of].from
		}
		// The last grid point before the cutoff.
		last := min(ch.to, from+floorDiv(run.cutoff-1-from, run.st)*run.st)
		if last < from {
			continue
		}
		c.store(run, ch.n, mergeParts(chunk{from: from, to: last}, run.st, parts))
	}
}

// store caches r as chunk n of the run's query, joined with what the cache holds of that
// chunk: requests for different stretches of one chunk (a window's start and its end)
// keep each other's points.
func (c *Client) store(run *rangeRun, n int64, r chunkResult) {
	key := cacheKey(run.key, run.st, run.phase, n)
	if old, ok := c.cache.get(key); ok {
		if old.covers(r.from, r.to) {
			return // nothing new
		}
		r = joined(old, r, run.st)
	}
	c.cache.put(key, r)
}

// chunkKey identifies an aligned chunk of a query on a grid (step and phase).
type chunkKey struct {
	query          string
	step, phase, n int64
}

// cacheKey is the key of chunk n of query on the grid of step and phase.
func cacheKey(query string, step, phase, n int64) chunkKey {
	return chunkKey{query: query, step: step, phase: phase, n: n}
}

// cached returns the chunk from the cache when a cached result covers it.
func (c *Client) cached(query string, step, phase int64, ch chunk) (chunkResult, bool) {
	if c.cache == nil {
		return chunkResult{}, false
	}
	r, ok := c.cache.get(cacheKey(query, step, phase, ch.n))
	if !ok || !r.covers(ch.from, ch.to) {
		return chunkResult{}, false
	}
	return r, true
}

// partialWarning is the warning of an answer that VictoriaMetrics marks isPartial.
const partialWarning = "the metrics source answered a partial response (isPartial): some of its data may be missing"

// fetch runs the range query of one chunk and puts its series on the chunk's grid. When
// the source refuses the chunk as longer than its query length limit, fetch splits it
// into pieces within that limit (halves when the answer names none) and tries those
// once. It returns the number of requests sent.
func (c *Client) fetch(ctx context.Context, query string, ch chunk, step int64) (chunkResult, []string, []string, int, error) {
	rawSent := 0
	if plan, ok := c.rawPlan(ctx, query, false); ok {
		r, sent, err := c.fetchRaw(ctx, plan, ch.from, ch.to, step)
		if err == nil {
			return r, nil, nil, sent, nil
		}
		if ctx.Err() != nil {
			return chunkResult{}, nil, nil, sent, c.wrap(ctx, fmt.Sprintf("range query %q", query), ctx.Err())
		}
		c.rawFailed(err) // this chunk, and maybe all from now on, by range query
		rawSent = sent
	}
	r, w, inf, sent, err := c.fetchRange(ctx, query, ch.from, ch.to, step)
	sent += rawSent
	tl, ok := asTooLong(err)
	if !ok {
		return r, w, inf, sent, err
	}
	pieces, perr := tl.pieces(ch.from, ch.to, step)
	if perr != nil {
		return chunkResult{}, nil, nil, sent, c.tooLongError(err, tl, perr)
	}
	c.learnLimit(tl.limit)
	c.metrics.splitRetry()
	parts := make([]chunkResult, len(pieces))
	for i, p := range pieces {
		pr, pw, pinf, psent, err := c.fetchRange(ctx, query, p[0], p[1], step)
		sent += psent
		if err != nil {
			if ptl, again := asTooLong(err); again {
				return chunkResult{}, nil, nil, sent, c.tooLongError(err, ptl, nil)
			}
			return chunkResult{}, nil, nil, sent, err
		}
		parts[i] = pr
		w, inf = appendNew(w, pw...), appendNew(inf, pinf...)
	}
	return mergeParts(ch, step, parts), w, inf, sent, nil
}

// fetchRange runs one range query from..to (ms, on the step grid) and puts each series it
// returns on that grid, one series at a time as the answer is decoded.
func (c *Client) fetchRange(ctx context.Context, query string, fromMS, toMS, step int64) (chunkResult, []string, []string, int, error) {
	from, to := time.UnixMilli(fromMS).UTC(), time.UnixMilli(toMS).UTC()
	op := fmt.Sprintf("range query %q from %s to %s step %v", query, from.Format(time.RFC3339), to.Format(time.RFC3339), time.Duration(step)*time.Millisecond)
	args := url.Values{"query": {query}, "start": {formatTime(from)}, "end": {formatTime(to)},
		"step": {strconv.FormatFloat((time.Duration(step) * time.Millisecond).Seconds(), 'f', -1, 64)}}
	if d := LookbackDelta(ctx); d > 0 {
		args.Set("lookback_delta", d.String())
	}
	n := int((toMS-fromMS)/step) + 1
	r := chunkResult{from: fromMS, to: toMS}
	var bad error // the first problem with a series; the rest of the answer is still read
	res := apiResult{each: func(ss *apiSeries) {
		if bad == nil {
			var sr seriesResult
			if sr, bad = compactSeries(op, ss, fromMS, toMS, step, n); bad == nil {
				r.series = append(r.series, sr)
			}
		}
	}}
	env, _, sent, err := c.do(ctx, op, apiRequest{path: "api/v1/query_range", args: args, post: true}, decodeResult(&res))
	if err != nil {
		return chunkResult{}, nil, nil, sent, err
	}
	if res.resultType != "matrix" {
		return chunkResult{}, nil, nil, sent, downstream("%s: unexpected result type %s, want matrix", op, res.typeName())
	}
	if bad != nil {
		return chunkResult{}, nil, nil, sent, bad
	}
	warnings := env.warnings
	if env.partial {
		warnings = append(warnings, partialWarning)
	}
	return r, warnings, env.infos, sent, nil
}

// compactSeries puts one decoded series on the grid from..to of n points.
func compactSeries(op string, ss *apiSeries, from, to, step int64, n int) (seriesResult, error) {
	if ss.histogram() {
		return seriesResult{}, fmt.Errorf("%s: native histogram results are not supported; query a float series", op)
	}
	labels := ss.Metric
	if labels == nil {
		labels = map[string]string{}
	}
	sr := seriesResult{labels: &labelSet{key: metricKey(labels), m: labels}, values: make([]float64, n), present: newBitset(n)}
	for _, p := range ss.Values {
		if p.t < from || p.t > to || (p.t-from)%step != 0 {
			return seriesResult{}, downstream("%s: point at %d ms is off the requested grid", op, p.t)
		}
		i := int((p.t - from) / step)
		sr.values[i] = p.v
		sr.present.set(i)
	}
	if sr.present.count() == n {
		sr.present = nil
	}
	return sr, nil
}

// mergeParts puts the results of the pieces of a chunk on the chunk's grid.
func mergeParts(ch chunk, step int64, parts []chunkResult) chunkResult {
	n := int((ch.to-ch.from)/step) + 1
	out := chunkResult{from: ch.from, to: ch.to}
	index := map[string]int{}
	for _, p := range parts {
		off := int((p.from - ch.from) / step)
		if off >= n {
			continue // the part lies beyond the chunk's end
		}
		for _, sr := range p.series {
			k, ok := index[sr.labels.key]
			if !ok {
				k = len(out.series)
				index[sr.labels.key] = k
				out.series = append(out.series, seriesResult{labels: sr.labels, values: make([]float64, n), present: newBitset(n)})
			}
			m := out.series[k]
			copy(m.values[off:], sr.values)
			for i := range sr.values {
				if off+i < n && sr.present.has(i) {
					m.present.set(off + i)
				}
			}
		}
	}
	kept := out.series[:0]
	for _, sr := range out.series {
		switch sr.present.count() {
		case 0: // all its points lie beyond the chunk's end
			continue
		case n:
			sr.present = nil
		}
		kept = append(kept, sr)
	}
	out.series = kept
	return out
}

// metricKey identifies a series by its labels.
func metricKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(m[k]))
		b.WriteByte(',')
	}
	return b.String()
}
