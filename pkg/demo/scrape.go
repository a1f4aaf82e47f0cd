package demo

import (
	"math"
	"strconv"
	"time"
)

// Span is the time interval (Start, End).
type Span struct{ Start, End time.Time }

// ScrapeConfig describes how Prometheus scrapes one target.
type ScrapeConfig struct {
	// Interval is the scrape interval, 10 s to 2 min in practice.
	Interval time.Duration
	// Offset places the scrapes at k*Interval + Offset since the Unix epoch.
	Offset time.Duration
	// Jitter moves each scrape by a uniform amount in [-Jitter, +Jitter], in whole milliseconds.
	Jitter time.Duration
	// MissRate is the share of scrapes missed at random.
	MissRate float64
	// MissRuns start runs of three missed scrapes: the first scrape at or after each
	// instant and the next two.
	MissRuns []time.Time
	// Restarts are instants at which the target process restarts: its counters start
	// again from zero.
	Restarts []time.Time
	// Gaps are spans in which Prometheus is down: no samples strictly inside; traffic goes on.
	Gaps []Span
	// Seed makes jitter, misses and event placement deterministic.
	Seed uint64
}

// mix is a 64-bit hash (SplitMix64's finaliser) of a few words.
func mix(words ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, w := range words {
		h ^= w + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// identity hashes a series' name and labels.
func identity(s *Series) uint64 {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(s.Metric + labelString(s.Labels)) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// cumulative returns E(τ), the number of events of counter s in (h.Start, τ]: whole
// steps from the prefix sums, plus the events of the step holding τ that happened at
// or before τ. The Events[i] events of step i sit at (j+u)/Events[i] of the step
// (j = 0 … Events[i]-1), u a hash of the series and the step, so E is a non-decreasing
// step function with integer values for integer counts, and exact at the step ends.
func (h *History) cumulative(s *Series, cum []float64, id, seed uint64, tauMs int64) float64 {
	startMs, stepMs := h.Start.UnixMilli(), h.Step.Milliseconds()
	if tauMs <= startMs {
		return 0
	}
	d := tauMs - startMs
	i := int((d + stepMs - 1) / stepMs) // t_{i-1} < τ ≤ t_i
	if i >= h.Len {
		return cum[h.Len-1]
	}
	base := cum[i-1]
	ev := s.Events[i]
	frac := float64(d-int64(i-1)*stepMs) / float64(stepMs)
	if frac >= 1 || ev <= 0 {
		if frac >= 1 {
			return cum[i]
		}
		return base
	}
	if ev != math.Trunc(ev) {
		return base + ev*frac
	}
	u := unit(mix(seed, id, uint64(i)))
	k := math.Floor(frac*ev - u + 1) // #{j : (j+u)/ev ≤ frac}
	return base + min(max(k, 0), ev)
}

// Scrape samples the series of h for which keep returns true (nil: all) as Prometheus
// scraping them with cfg would store them, adding the labels in extra to every series.
func (h *History) Scrape(cfg ScrapeConfig, keep func(*Series) bool, extra map[string]string) []*Sampled {
	if cfg.Interval <= 0 {
		return nil
	}
	times := h.scrapeTimes(cfg)
	var out []*Sampled
	for _, s := range h.Series {
		if keep != nil && !keep(s) {
			continue
		}
		labels := map[string]string{}
		for k, v := range s.Labels {
			labels[k] = v
		}
		for k, v := range extra {
			labels[k] = v
		}
		ss := &Sampled{Metric: s.Metric, Labels: labels, Kind: s.Kind, T: make([]int64, 0, len(times)), V: make([]float64, 0, len(times))}
		if s.Kind == Counter {
			cum := make([]float64, h.Len)
			var c float64
			for i := 0; i < h.Len; i++ {
				c += s.Events[i]
				cum[i] = c
			}
			id := identity(s)
			restart := 0 // index of the next restart in cfg.Restarts
			var since float64
			for _, tau := range times {
				for restart < len(cfg.Restarts) && cfg.Restarts[restart].UnixMilli() < tau {
					since = h.cumulative(s, cum, id, cfg.Seed, cfg.Restarts[restart].UnixMilli())
					restart++
				}
				ss.T = append(ss.T, tau)
				ss.V = append(ss.V, h.cumulative(s, cum, id, cfg.Seed, tau)-since)
			}
		} else {
			for _, tau := range times {
				i := h.stepOf(tau)
				if i < 0 || math.IsNaN(s.Values[i]) {
					continue
				}
				ss.T = append(ss.T, tau)
				ss.V = append(ss.V, s.Values[i])
			}
		}
		out = append(out, ss)
	}
	return out
}

// stepOf returns the index i of the step (t_{i-1}, t_i] holding τ (ms), or -1.
func (h *History) stepOf(tauMs int64) int {
	startMs, stepMs := h.Start.UnixMilli(), h.Step.Milliseconds()
	d := tauMs - startMs
	if d < 0 {
		return -1
	}
	i := int((d + stepMs - 1) / stepMs)
	if i >= h.Len {
		return -1
	}
	return i
}

// scrapeTimes returns the times (ms) of the scrapes that happened and were stored.
func (h *History) scrapeTimes(cfg ScrapeConfig) []int64 {
	iv, off := cfg.Interval.Milliseconds(), cfg.Offset.Milliseconds()
	jit := cfg.Jitter.Milliseconds()
	first, last := h.Start.UnixMilli(), h.End().UnixMilli()
	k := floorDiv(first-off, iv)
	// The run of three missed scrapes after each MissRuns instant.
	missed := map[int64]bool{}
	for _, r := range cfg.MissRuns {
		k0 := floorDiv(r.UnixMilli()-off+iv-1, iv)
		for n := int64(0); n < 3; n++ {
			missed[k0+n] = true
		}
	}
	var out []int64
	prev := int64(math.MinInt64)
	for ; ; k++ {
		nominal := k*iv + off
		if nominal-jit > last {
			break
		}
		tau := nominal
		if jit > 0 {
			tau += int64(mix(cfg.Seed, 7, uint64(k))%uint64(2*jit+1)) - jit
		}
		if tau <= first || tau > last || tau <= prev {
			continue
		}
		if missed[k] || (cfg.MissRate > 0 && unit(mix(cfg.Seed, 11, uint64(k))) < cfg.MissRate) {
			continue
		}
		inGap := false
		for _, g := range cfg.Gaps {
			if tau > g.Start.UnixMilli() && tau < g.End.UnixMilli() {
				inGap = true
				break
			}
		}
		if inGap {
			continue
		}
		out = append(out, tau)
		prev = tau
	}
	return out
}

// RealScrapeIntervals are the scrape intervals the real-scrape tests use.
var RealScrapeIntervals = []time.Duration{10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}

// IntervalLabel renders a scrape interval as a label value: "10s", "1m", "2m".
func IntervalLabel(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// RealScrapeEvents returns the instants the real-scrape scenario aims at in h: the
// checkout process restart, the monitoring gap and the start of the run of three missed
// scrapes (inside the first checkout incident in h, or mid-history without one).
func RealScrapeEvents(h *History) (restart time.Time, gap Span, missRun time.Time) {
	mid := h.Start.Add(h.End().Sub(h.Start) / 2).Truncate(time.Minute)
	restart = mid.Add(17300 * time.Millisecond)
	incident := time.Time{}
	for _, in := range checkoutIncidents {
		if in.Start.After(h.Start) && in.Start.Add(in.Dur).Before(h.End()) && in.Dur >= 2*time.Hour {
			incident = in.Start
			break
		}
	}
	if incident.IsZero() {
		incident = mid.Add(-24 * time.Hour)
	}
	missRun = incident.Add(30 * time.Minute)
	gapStart := incident.Add(time.Hour + 7*time.Minute + 13*time.Second)
	gap = Span{Start: gapStart, End: gapStart.Add(25 * time.Minute)}
	return restart, gap, missRun
}

// RealScrapes returns the standard real-scrape scenario for h: for each interval, the
// checkout request counters (http_requests_total, both codes) and the search counters,
// scraped at an offset that is not on the second, with ±50 ms jitter and 1 % missed
// scrapes, with a run of three missed scrapes inside a checkout incident, a checkout
// process restart off the grid, and a 25-minute monitoring gap while traffic goes on.
// Every series carries the label interval="<IntervalLabel>".
func RealScrapes(h *History, intervals []time.Duration) *Samples {
	restart, gap, missRun := RealScrapeEvents(h)
	out := &Samples{Truth: h}
	for n, iv := range intervals {
		label := map[string]string{"interval": IntervalLabel(iv)}
		offset := func(salt int64) time.Duration {
			ms := (iv.Milliseconds()*7/13 + 1234 + salt*3331) % iv.Milliseconds()
			if ms%1000 == 0 {
				ms += 137
			}
			return time.Duration(ms) * time.Millisecond
		}
		checkout := ScrapeConfig{
			Interval: iv, Offset: offset(0), Jitter: 50 * time.Millisecond, MissRate: 0.01,
			MissRuns: []time.Time{missRun}, Restarts: []time.Time{restart}, Gaps: []Span{gap},
			Seed: DefaultSeed + uint64(n),
		}
		out.Series = append(out.Series, h.Scrape(checkout, func(s *Series) bool {
			return s.Metric == "http_requests_total" && s.Labels["job"] == "checkout"
		}, label)...)
		search := ScrapeConfig{
			Interval: iv, Offset: offset(1), Jitter: 50 * time.Millisecond, MissRate: 0.01,
			Gaps: []Span{gap}, Seed: DefaultSeed + 100 + uint64(n),
		}
		out.Series = append(out.Series, h.Scrape(search, func(s *Series) bool {
			return s.Labels["job"] == "search"
		}, label)...)
	}
	return out
}
