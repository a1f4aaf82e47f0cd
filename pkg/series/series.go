// Package series holds bucketed good/total event counts on a regular time grid
// and the window, rolling and calendar sums computed from them.
//
// Windows are tiled by whole buckets: a window of length w ending at t is the
// sum of exactly w/Step buckets, the last one ending at t (never w/Step+1, the
// mistake a PromQL subquery makes). Ratios are always formed from summed
// counts, never by averaging per-bucket ratios.
package series

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Counts is a number of good and total events.
type Counts struct{ Good, Total float64 }

// Bad returns the number of bad events, Total-Good, never below zero.
func (c Counts) Bad() float64 {
	if b := c.Total - c.Good; b > 0 {
		return b
	}
	return 0
}

// Add returns the sum of two counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{Good: c.Good + o.Good, Total: c.Total + o.Total}
}

// Buckets holds per-bucket counts; bucket i covers (Start+i*Step, Start+(i+1)*Step].
//
// Good and Total must have the same length. A NaN or infinite value (a bucket
// without samples) counts as zero events. The sums are served from prefix sums
// built on the first call to Window, Rolling or Between: after that call the
// values in Good and Total must not be changed in place (replacing a slice with
// one of another length or backing array is detected and rebuilds the sums).
// The methods are safe for concurrent use; a Buckets must not be copied after
// first use.
//
// Precision: the prefix sums are kept in double-double arithmetic, for Total and
// for Bad = Total-Good per bucket (not for Good), so a window's bad count is
// exact to about 1e-16 of the window's own bad count, however large the rest
// of the history. Counts carries Good and Total only, so Bad() = Total-Good
// then costs about 1e-16 of Total: the bad fraction keeps a relative error of
// about 1e-16/badFraction (1e-10 at six nines).
type Buckets struct {
	Start time.Time
	Step  time.Duration
	Good  []float64
	Total []float64
	// Edges, when it holds Len()+1 values, estimates at each bucket boundary i
	// (Start+i*Step) the events between the last sample at or before the boundary and
	// the boundary itself. A sum from boundary i to boundary j then adds
	// Edges[j]-Edges[i]: its ends are estimated between the samples that straddle them
	// instead of cut at the last sample, while inner boundaries still cancel. Set it
	// before the first sum; nil means no estimate.
	Edges []Counts

	mu  sync.Mutex
	pre *prefix
}

// New returns n zeroed buckets starting at start.
func New(start time.Time, step time.Duration, n int) *Buckets {
	if n < 0 {
		n = 0
	}
	return &Buckets{Start: start, Step: step, Good: make([]float64, n), Total: make([]float64, n)}
}

// Len returns the number of buckets.
func (b *Buckets) Len() int {
	return min(len(b.Good), len(b.Total))
}

// End returns the end of the last bucket.
func (b *Buckets) End() time.Time {
	return b.Start.Add(time.Duration(b.Len()) * b.Step)
}

// BucketEnd returns the end of bucket i.
func (b *Buckets) BucketEnd(i int) time.Time {
	return b.Start.Add(time.Duration(i+1) * b.Step)
}

// Align returns t floored to a multiple of step since the Unix epoch.
// A non-positive step returns t unchanged.
func Align(t time.Time, step time.Duration) time.Time {
	if step <= 0 {
		return t
	}
	if step%time.Second == 0 {
		s := int64(step / time.Second)
		sec := t.Unix()
		return time.Unix(sec-floorMod(sec, s), 0).In(t.Location())
	}
	// Sub-second steps: nanosecond arithmetic (valid for years 1678..2262).
	ns := t.UnixNano()
	return time.Unix(0, ns-floorMod(ns, int64(step))).In(t.Location())
}

func floorMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// Grid returns the step-aligned times from..to, both inclusive.
//
// The first time is the first multiple of step at or after from, the last the
// last one at or before to. It returns nil when step <= 0 or no aligned time
// lies in [from, to].
func Grid(from, to time.Time, step time.Duration) []time.Time {
	if step <= 0 || to.Before(from) {
		return nil
	}
	first := Align(from, step)
	if first.Before(from) {
		first = first.Add(step)
	}
	last := Align(to, step)
	if last.Before(first) {
		return nil
	}
	n := int(last.Sub(first)/step) + 1
	out := make([]time.Time, n)
	for i := range out {
		out[i] = first.Add(time.Duration(i) * step)
	}
	return out
}

// ErrStep is returned when the buckets have a non-positive step.
var ErrStep = errors.New("series: bucket step must be positive")

// gridIndex returns the number of bucket ends in (Start, t], which may be
// negative or exceed Len; it fails when t is not on the grid.
func (b *Buckets) gridIndex(t time.Time) (int, error) {
	if b.Step <= 0 {
		return 0, ErrStep
	}
	d := t.Sub(b.Start)
	if d%b.Step != 0 {
		return 0, fmt.Errorf("series: time %s is not on the bucket grid (start %s, step %s)",
			t.UTC().Format(time.RFC3339Nano), b.Start.UTC().Format(time.RFC3339Nano), b.Step)
	}
	return int(d / b.Step), nil
}

// windowLen validates w and returns it in buckets.
func (b *Buckets) windowLen(w time.Duration) (int, error) {
	if b.Step <= 0 {
		return 0, ErrStep
	}
	if w <= 0 || w%b.Step != 0 {
		return 0, fmt.Errorf("series: window %s is not a positive multiple of the bucket step %s", w, b.Step)
	}
	return int(w / b.Step), nil
}

// prefix holds double-double prefix sums of Total and of Bad (Total-Good per
// bucket, not clamped), so a window sum is accurate relative to the window's
// own size instead of to the whole history's.
type prefix struct {
	good0, total0 *float64 // identity of the slices the sums were built from
	n             int
	totHi, totLo  []float64
	badHi, badLo  []float64
	edges         []Counts // Buckets.Edges when it has n+1 values
}

func (b *Buckets) prefix() *prefix {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.Len()
	var g0, t0 *float64
	if n > 0 {
		g0, t0 = &b.Good[0], &b.Total[0]
	}
	var edges []Counts
	if len(b.Edges) == n+1 {
		edges = b.Edges
	}
	if p := b.pre; p != nil && p.n == n && p.good0 == g0 && p.total0 == t0 && len(p.edges) == len(edges) {
		return p
	}
	p := &prefix{good0: g0, total0: t0, n: n, edges: edges,
		totHi: make([]float64, n+1), totLo: make([]float64, n+1),
		badHi: make([]float64, n+1), badLo: make([]float64, n+1)}
	var th, tl, bh, bl float64
	for i := 0; i < n; i++ {
		g, t := finite(b.Good[i]), finite(b.Total[i])
		th, tl = ddAdd(th, tl, t)
		bh, bl = ddAdd(bh, bl, t-g)
		p.totHi[i+1], p.totLo[i+1] = th, tl
		p.badHi[i+1], p.badLo[i+1] = bh, bl
	}
	b.pre = p
	return p
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// ddAdd adds x to the double-double (hi, lo) and renormalises (Knuth's TwoSum).
func ddAdd(hi, lo, x float64) (float64, float64) {
	s := hi + x
	bv := s - hi
	e := (hi - (s - bv)) + (x - bv)
	lo += e
	h := s + lo
	return h, lo - (h - s)
}

// sum returns the counts of buckets [i, j) (already clipped to [0, n]).
//
// Bad is clamped at zero for the window as a whole (a bucket where Good
// slightly exceeds Total, from scrape jitter, offsets its neighbours rather
// than being dropped), and Good is reported as Total-Bad, so Good <= Total.
func (p *prefix) sum(i, j int) Counts {
	if j <= i {
		return Counts{}
	}
	tot := (p.totHi[j] - p.totHi[i]) + (p.totLo[j] - p.totLo[i])
	bad := (p.badHi[j] - p.badHi[i]) + (p.badLo[j] - p.badLo[i])
	if p.edges != nil {
		ej, ei := p.edges[j], p.edges[i]
		tot += finite(ej.Total) - finite(ei.Total)
		bad += (finite(ej.Total) - finite(ej.Good)) - (finite(ei.Total) - finite(ei.Good))
		tot = max(tot, 0)
		bad = min(bad, tot)
	}
	if bad < 0 {
		bad = 0
	}
	return Counts{Good: tot - bad, Total: tot}
}

// clip returns the bucket range [i, j) of a window of k buckets ending at
// grid index e, clipped to the data.
func (b *Buckets) clip(e, k int) (int, int) {
	i, j := e-k, e
	n := b.Len()
	i = max(i, 0)
	j = min(j, n)
	if j < i {
		j = i
	}
	return i, j
}

// EdgeAt returns the edge estimate at boundary t (see Edges); zero when there is none.
func (b *Buckets) EdgeAt(t time.Time) Counts {
	i, err := b.gridIndex(t)
	if err != nil || len(b.Edges) != b.Len()+1 || i < 0 || i >= len(b.Edges) {
		return Counts{}
	}
	return b.Edges[i]
}

// Window returns the counts of the w/Step buckets tiling (end-w, end].
//
// end must lie on the grid and w be a positive multiple of Step. The part of
// the window outside the buckets is clipped; covered is the length of the
// window that the buckets cover (less than w when clipped).
func (b *Buckets) Window(end time.Time, w time.Duration) (c Counts, covered time.Duration, err error) {
	k, err := b.windowLen(w)
	if err != nil {
		return Counts{}, 0, err
	}
	e, err := b.gridIndex(end)
	if err != nil {
		return Counts{}, 0, err
	}
	i, j := b.clip(e, k)
	return b.prefix().sum(i, j), time.Duration(j-i) * b.Step, nil
}

// Rolling returns Window(end, w) for each of ends, in O(Len+len(ends)).
//
// The prefix sums are built once, on the first call of any sum method; Good
// and Total must not be changed in place after that (see Buckets).
func (b *Buckets) Rolling(ends []time.Time, w time.Duration) ([]Counts, []time.Duration, error) {
	k, err := b.windowLen(w)
	if err != nil {
		return nil, nil, err
	}
	p := b.prefix()
	cs := make([]Counts, len(ends))
	cov := make([]time.Duration, len(ends))
	for n, end := range ends {
		e, err := b.gridIndex(end)
		if err != nil {
			return nil, nil, err
		}
		i, j := b.clip(e, k)
		cs[n] = p.sum(i, j)
		cov[n] = time.Duration(j-i) * b.Step
	}
	return cs, cov, nil
}

// Between returns the counts of the buckets whose end lies in (from, to].
//
// from and to must lie on the grid, from not after to; buckets outside the
// data simply contribute nothing.
func (b *Buckets) Between(from, to time.Time) (Counts, error) {
	i, err := b.gridIndex(from)
	if err != nil {
		return Counts{}, err
	}
	j, err := b.gridIndex(to)
	if err != nil {
		return Counts{}, err
	}
	if j < i {
		return Counts{}, fmt.Errorf("series: range end %s is before its start %s",
			to.UTC().Format(time.RFC3339Nano), from.UTC().Format(time.RFC3339Nano))
	}
	i, j = b.clip(j, j-i)
	return b.prefix().sum(i, j), nil
}
