package budget

import (
	"math"
	"sort"
)

// pairs returns the aligned pairs of x and y where both values are finite.
// Slices of different lengths are paired up to the shorter one.
func pairs(x, y []float64) (xs, ys []float64) {
	n := min(len(x), len(y))
	xs, ys = make([]float64, 0, n), make([]float64, 0, n)
	for i := 0; i < n; i++ {
		if isFinite(x[i]) && isFinite(y[i]) {
			xs = append(xs, x[i])
			ys = append(ys, y[i])
		}
	}
	return xs, ys
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Pearson returns the linear correlation of two aligned series and the number of pairs used.
//
// Pairs where either value is NaN or infinite are left out; ok is false with
// fewer than 3 pairs or when either series is constant.
func Pearson(x, y []float64) (r float64, n int, ok bool) {
	xs, ys := pairs(x, y)
	r, ok = pearson(xs, ys)
	return r, len(xs), ok
}

func pearson(xs, ys []float64) (float64, bool) {
	n := len(xs)
	if n < 3 {
		return 0, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	r := sxy / math.Sqrt(sxx*syy)
	return math.Max(-1, math.Min(1, r)), true
}

// Spearman returns the rank correlation of two aligned series (ties get their average rank) and the number of pairs used.
//
// Pairs are chosen as for Pearson; ok is false with fewer than 3 pairs or when
// either series is constant.
func Spearman(x, y []float64) (r float64, n int, ok bool) {
	xs, ys := pairs(x, y)
	r, ok = pearson(ranks(xs), ranks(ys))
	return r, len(xs), ok
}

// ranks returns the 1-based ranks of v, ties sharing their average rank.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	out := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = avg
		}
		i = j + 1
	}
	return out
}

// BestLag returns the lag in -maxLag..maxLag with the largest |Pearson| between x and y shifted by it, and that correlation.
//
// At lag L, y[i+L] is paired with x[i]; a positive best lag means y follows x.
// Ties go to the lag nearest zero, then to the negative one. ok is false when
// no lag gives a correlation.
func BestLag(x, y []float64, maxLag int) (lag int, r float64, ok bool) {
	lags := []int{0}
	for a := 1; a <= maxLag; a++ {
		lags = append(lags, -a, a)
	}
	for _, l := range lags {
		lo, hi := max(0, -l), min(len(x), len(y)-l)
		if hi-lo < 3 {
			continue
		}
		c, _, cok := Pearson(x[lo:hi], y[lo+l:hi+l])
		if cok && (!ok || math.Abs(c) > math.Abs(r)+1e-12) {
			lag, r, ok = l, c, true
		}
	}
	return lag, r, ok
}
