package promql

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nines-slo/nines/pkg/slo"
)

// The queries of an SLO are the same on every refresh, and building them (parsing the
// definition's selectors, printing the new expression) costs more than reading their
// cached answers; so the builders below remember what they returned, by everything their
// answer depends on. Errors are not remembered: their text names the SLO.

// memoKey is everything a remembered builder's answer depends on.
type memoKey struct {
	fn      string
	in      slo.Indicator
	le      string
	q       string
	t       Tiling
	r, span time.Duration
}

// maxMemo bounds the remembered answers; past it they are all forgotten at once (the
// next refresh builds them again).
const maxMemo = 1 << 15

var (
	memo     sync.Map
	memoSize atomic.Int64
)

// remembered returns the answer kept for k, or builds, keeps and returns it.
func remembered[T any](k memoKey, build func() (T, bool)) (T, bool) {
	if v, ok := memo.Load(k); ok {
		return v.(T), true
	}
	v, ok := build()
	if !ok {
		return v, false
	}
	if memoSize.Add(1) > maxMemo {
		memo.Clear()
		memoSize.Store(1)
	}
	memo.Store(k, v)
	return v, true
}

// ForSLOGrouped returns the grouped query of a ratio SLO when its good (or bad) and total
// events are plain selectors of one counter and total's matchers are all among good's;
// ok is false otherwise (use ForSLO then).
func ForSLOGrouped(s *slo.SLO, r Tiling) (Grouped, bool) {
	g, ok := remembered(memoKey{fn: "grouped", in: s.Indicator, t: r}, func() (Grouped, bool) {
		return forSLOGrouped(s, r)
	})
	g.By = slices.Clone(g.By)
	g.Matchers = slices.Clone(g.Matchers)
	return g, ok
}

// PlainSelectors returns the SLO's counters as plain selectors (ratio with selector
// counters, or latency), ok=false when any of them is an expression.
func PlainSelectors(s *slo.SLO, le string) (Plain, bool) {
	return remembered(memoKey{fn: "plain", in: s.Indicator, le: le}, func() (Plain, bool) {
		return plainSelectors(s, le)
	})
}

// Sampled returns the queries that tell when the SLO's total counter (the first selector
// of its total) was sampled, for estimating window edges between samples: per bucket of
// r, the most samples any of its series has (max(count_over_time(sel[r]))), and its raw
// samples over the last span (sel[span], an instant query).
func Sampled(s *slo.SLO, le string, r, span time.Duration) (perBucket, raw string, err error) {
	var failed error
	q, _ := remembered(memoKey{fn: "sampled", in: s.Indicator, le: le, r: r, span: span}, func() ([2]string, bool) {
		c, raw, err := sampled(s, le, r, span)
		failed = err
		return [2]string{c, raw}, err == nil
	})
	if failed != nil {
		return "", "", failed
	}
	return q[0], q[1], nil
}

// LastValues is last_over_time(selector[gap]): per series, the last sample at or
// before each step, looked up at most gap back.
func LastValues(selector string, gap time.Duration) (string, error) {
	var failed error
	q, _ := remembered(memoKey{fn: "last", q: selector, r: gap}, func() (string, bool) {
		q, err := lastValues(selector, gap)
		failed = err
		return q, err == nil
	})
	return q, failed
}
