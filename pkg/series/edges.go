package series

import (
	"math"
	"time"
)

// MaxEdgeStep is the largest bucket whose boundaries get edge estimates: the
// timestamps come from instant selectors, whose lookback is 5 minutes.
const MaxEdgeStep = 5 * time.Minute

// EdgesFrom estimates b.Edges from the time of the last sample at or before each bucket
// boundary: last[i] is that time in Unix milliseconds for boundary i (Start+i*Step),
// NaN when there is none within the 5-minute lookback; it must hold b.Len()+1 values
// and b.Step must be at most MaxEdgeStep.
//
// The events between the last sample τ at or before a boundary B and B itself are the
// growth from τ to the next sample after B, times (B-τ) / (that sample's time - τ): the
// counter is interpolated linearly between the two samples that straddle B. Where no
// later sample is known (the end of the data), the growth since the sample before τ is
// extrapolated instead. Spans longer than maxSpan (the gap bound) give no estimate;
// inside a bridged gap, an edge takes its share of the growth across the gap.
func EdgesFrom(b *Buckets, last []float64, maxSpan time.Duration) []Counts {
	n := b.Len()
	if len(last) != n+1 || b.Step <= 0 {
		return nil
	}
	step := float64(b.Step / time.Millisecond)
	span := float64(maxSpan / time.Millisecond)
	start := float64(b.Start.UnixMilli())
	grow := func(i, j int) Counts { // growth of buckets [i, j)
		var c Counts
		for k := i; k < j; k++ {
			c.Good += finite(b.Good[k])
			c.Total += finite(b.Total[k])
		}
		return c
	}
	// A boundary without a sample in the lookback before it (NaN) has no sample since
	// the previous boundary either when Step is at most the lookback: it shares the
	// previous boundary's last sample.
	last = append([]float64(nil), last...)
	for i := 1; i <= n; i++ {
		if math.IsNaN(last[i]) && !math.IsNaN(last[i-1]) && start+float64(i)*step-last[i-1] <= span {
			last[i] = last[i-1]
		}
	}
	edges := make([]Counts, n+1)
	for i := 0; i <= n; i++ {
		tau := last[i]
		boundary := start + float64(i)*step
		lag := boundary - tau
		if math.IsNaN(tau) || lag <= 0 || lag > span {
			continue
		}
		// The next sample: a gap longer than the span follows when it is too far.
		j := i + 1
		for ; j <= n && start+float64(j)*step-tau <= span+step; j++ {
			if !math.IsNaN(last[j]) && last[j] > tau {
				break
			}
		}
		next := j <= n && !math.IsNaN(last[j]) && last[j] > tau
		if next && last[j]-tau > span || !next && j <= n {
			continue
		}
		if next {
			g := grow(i, j)
			f := lag / (last[j] - tau)
			edges[i] = Counts{Good: g.Good * f, Total: g.Total * f}
			continue
		}
		// The end of the data: extrapolate the growth since the previous sample.
		p := i - 1
		for ; p >= 0 && tau-(start+float64(p)*step) <= span+step; p-- {
			if !math.IsNaN(last[p]) && last[p] < tau {
				break
			}
		}
		if p >= 0 && !math.IsNaN(last[p]) && last[p] < tau && tau-last[p] <= span {
			g := grow(p, i)
			f := lag / (tau - last[p])
			edges[i] = Counts{Good: g.Good * f, Total: g.Total * f}
		}
	}
	return edges
}
