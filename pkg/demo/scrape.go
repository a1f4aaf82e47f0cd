package demo

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Span is the time interval (Start, End).
type Span struct{ Start, End time.Time }

// ScrapeConfig describes how Prometheus scrapes one target.
type ScrapeConfig struct {
	// Interval is the scrape interval, 10 s to 2 min in practice.
	Interval time.Duration
	// Offset places the scrapes at k*Interval + Offset since the Unix epoch (k an integer).
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
	// Seed makes jitter, misses and the placement of events inside a step deterministic.
	Seed uint64
}

// Hash streams, so that jitter and random misses of one scrape are independent.
const (
	streamJitter = 7
	streamMiss   = 11
)

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

// identity hashes a series' name and labels (FNV-1a).
func identity(s *Series) uint64 {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(s.Metric + labelString(s.Labels)) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// eventCursor evaluates E(τ), the number of events of a counter in (h.Start, τ], at
// non-decreasing instants τ in O(1) amortised time per call.
//
// The Events[i] events of step i = (t_{i-1}, t_i] sit at the fractions (j+u)/Events[i]
// of the step (j = 0 … Events[i]-1), u in [0, 1) a hash of the seed, the series and i
// (not a sequential random source, so E never depends on the order of evaluation).
// E is therefore a non-decreasing step function, integer-valued for integer counts and
// equal to the cumulative sum of Events at every step end t_i. A non-integer count
// (a _sum series) grows linearly inside its step instead.
type eventCursor struct {
	s               *Series
	id, seed        uint64
	startMs, stepMs int64
	i               int     // steps before i are summed in base
	base            float64 // Σ Events[m] for m < i
}

func (h *History) newCursor(s *Series, seed uint64) *eventCursor {
	return &eventCursor{s: s, id: identity(s), seed: seed, startMs: h.Start.UnixMilli(), stepMs: h.Step.Milliseconds()}
}

// at returns E(τ) for τ in milliseconds; τ must not be smaller than at the previous call.
func (c *eventCursor) at(tauMs int64) float64 {
	if tauMs <= c.startMs {
		return 0
	}
	n := len(c.s.Events)
	d := tauMs - c.startMs
	i := int((d + c.stepMs - 1) / c.stepMs) // t_{i-1} < τ ≤ t_i
	for c.i < min(i, n) {
		c.base += c.s.Events[c.i]
		c.i++
	}
	if i >= n { // after the last step
		return c.base
	}
	ev := c.s.Events[i]
	frac := float64(d-int64(i-1)*c.stepMs) / float64(c.stepMs)
	switch {
	case frac >= 1:
		return c.base + ev
	case ev <= 0:
		return c.base
	case ev != math.Trunc(ev):
		return c.base + ev*frac
	}
	u := unit(mix(c.seed, c.id, uint64(i)))
	k := math.Floor(frac*ev - u + 1) // #{j : (j+u)/ev ≤ frac}
	return c.base + min(max(k, 0), ev)
}

// cumulative returns E(τ) of counter s (see eventCursor) for τ in milliseconds.
func (h *History) cumulative(s *Series, seed uint64, tauMs int64) float64 {
	return h.newCursor(s, seed).at(tauMs)
}

// Scrape samples the series of h for which keep returns true (nil: all) as Prometheus
// scraping them with cfg would store them, adding the labels in extra to every series.
//
// All series share the scrape times, as the series of one target do. A counter holds the
// events since the last restart at or before the scrape (since h.Start without one), with
// events spread over each step, so it is exact at every step end; h's own counter values
// (and their reset and gap) are not used. A gauge holds the value of the step containing
// the scrape, and has no sample where that value is NaN. The result is in h's order; it
// is nil when cfg.Interval is shorter than a millisecond.
func (h *History) Scrape(cfg ScrapeConfig, keep func(*Series) bool, extra map[string]string) []*Sampled {
	if cfg.Interval.Milliseconds() <= 0 {
		return nil
	}
	times := h.scrapeTimes(cfg)
	restarts := make([]int64, len(cfg.Restarts))
	for i, r := range cfg.Restarts {
		restarts[i] = r.UnixMilli()
	}
	slices.Sort(restarts)
	var out []*Sampled
	for _, s := range h.Series {
		if keep != nil && !keep(s) {
			continue
		}
		labels := make(map[string]string, len(s.Labels)+len(extra))
		for k, v := range s.Labels {
			labels[k] = v
		}
		for k, v := range extra {
			labels[k] = v
		}
		ss := &Sampled{Metric: s.Metric, Labels: labels, Kind: s.Kind}
		if s.Kind == Counter {
			ss.T = slices.Clone(times)
			ss.V = make([]float64, len(times))
			c := h.newCursor(s, cfg.Seed)
			next := 0 // the next restart in restarts
			var since float64
			for n, tau := range times {
				for next < len(restarts) && restarts[next] <= tau {
					since = c.at(restarts[next])
					next++
				}
				ss.V[n] = c.at(tau) - since
			}
		} else {
			ss.T = make([]int64, 0, len(times))
			ss.V = make([]float64, 0, len(times))
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

// scrapeTime returns the time (ms) of scrape k of cfg: k*Interval + Offset, jittered.
func scrapeTime(cfg ScrapeConfig, k int64) int64 {
	tau := k*cfg.Interval.Milliseconds() + cfg.Offset.Milliseconds()
	if jit := cfg.Jitter.Milliseconds(); jit > 0 {
		tau += int64(mix(cfg.Seed, streamJitter, uint64(k))%uint64(2*jit+1)) - jit
	}
	return tau
}

// scrapeTimes returns the times (ms) of the scrapes of cfg in (h.Start, h.End()] that
// happened and were stored, strictly increasing.
func (h *History) scrapeTimes(cfg ScrapeConfig) []int64 {
	iv, off := cfg.Interval.Milliseconds(), cfg.Offset.Milliseconds()
	jit := cfg.Jitter.Milliseconds()
	first, last := h.Start.UnixMilli(), h.End().UnixMilli()
	// The runs of three missed scrapes: the first scrape at or after each instant.
	var runs []int64
	for _, r := range cfg.MissRuns {
		ms := r.UnixMilli()
		k := floorDiv(ms-off+iv-1, iv) // the first nominal time at or after r
		for scrapeTime(cfg, k-1) >= ms {
			k--
		}
		for scrapeTime(cfg, k) < ms {
			k++
		}
		runs = append(runs, k)
	}
	gaps := make([][2]int64, len(cfg.Gaps))
	for i, g := range cfg.Gaps {
		gaps[i] = [2]int64{g.Start.UnixMilli(), g.End.UnixMilli()}
	}
	out := make([]int64, 0, (last-first)/iv+1)
	prev := int64(math.MinInt64)
scrapes:
	for k := floorDiv(first-off, iv); k*iv+off-jit <= last; k++ {
		tau := scrapeTime(cfg, k)
		if tau <= first || tau > last || tau <= prev {
			continue
		}
		for _, k0 := range runs {
			if k >= k0 && k < k0+3 {
				continue scrapes
			}
		}
		if cfg.MissRate > 0 && unit(mix(cfg.Seed, streamMiss, uint64(k))) < cfg.MissRate {
			continue
		}
		for _, g := range gaps {
			if tau > g[0] && tau < g[1] {
				continue scrapes
			}
		}
		out = append(out, tau)
		prev = tau
	}
	return out
}

// RealScrapeIntervals are the scrape intervals the real-scrape tests use.
var RealScrapeIntervals = []time.Duration{10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}

// IntervalLabel renders a scrape interval as a label value: "10s", "1m", "2m", "1m30s".
func IntervalLabel(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Placement of the real-scrape scenario's run of missed scrapes and monitoring gap
// after the start of the incident they aim at.
const (
	missRunAfter = 30 * time.Minute
	gapAfter     = time.Hour + 7*time.Minute + 13*time.Second
	gapLength    = 25 * time.Minute
)

// RealScrapeEvents returns the instants the real-scrape scenario of h aims at: the
// checkout process restart (mid-history, off the second), the 25-minute monitoring gap
// and the start of the run of three missed scrapes. The gap and the run lie inside the
// first checkout incident in h long enough to hold them, or, without one, in the first
// half of h.
func RealScrapeEvents(h *History) (restart time.Time, gap Span, missRun time.Time) {
	mid := h.Start.Add(h.End().Sub(h.Start) / 2).Truncate(time.Minute)
	restart = mid.Add(17300 * time.Millisecond)
	var anchor time.Time
	for _, in := range checkoutIncidents {
		end := in.Start.Add(in.Dur)
		if in.Start.After(h.Start) && end.Before(h.End()) && in.Dur >= gapAfter+gapLength {
			anchor = in.Start
			break
		}
	}
	if anchor.IsZero() {
		anchor = h.Start.Add(h.End().Sub(h.Start) / 4).Truncate(time.Minute)
	}
	missRun = anchor.Add(missRunAfter)
	gap = Span{Start: anchor.Add(gapAfter), End: anchor.Add(gapAfter + gapLength)}
	return restart, gap, missRun
}

// realScrapeSeed is the seed of the checkout target's scrapes at interval iv; the
// search target's is 100 more.
func realScrapeSeed(iv time.Duration) uint64 {
	// The standard intervals keep the seeds they have always had.
	if n := slices.Index([]time.Duration{10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}, iv); n >= 0 {
		return DefaultSeed + uint64(n)
	}
	return mix(DefaultSeed, uint64(iv))
}

// realScrapeOffset is an offset of the scrapes at interval iv that is neither on the
// minute nor on the second; salt tells the targets apart.
func realScrapeOffset(iv time.Duration, salt int64) time.Duration {
	ms := (iv.Milliseconds()*7/13 + 1234 + salt*3331) % iv.Milliseconds()
	if ms%1000 == 0 {
		ms += 137
	}
	return time.Duration(ms) * time.Millisecond
}

// RealScrapes returns the standard real-scrape scenario for h: for each interval, the
// checkout request counters (http_requests_total, both codes) and the search counters
// (search_requests_total, search_errors_total), each target scraped at its own offset
// that is not on the second, with ±50 ms jitter and 1 % of scrapes missed at random; for
// checkout, a run of three missed scrapes inside an incident and a process restart off
// the grid; for both, a 25-minute monitoring gap while traffic goes on (see
// RealScrapeEvents). Every series carries the label interval="<IntervalLabel>". The
// series of one interval do not depend on the other intervals asked for.
func RealScrapes(h *History, intervals []time.Duration) *Samples {
	restart, gap, missRun := RealScrapeEvents(h)
	out := &Samples{Truth: h}
	for _, iv := range intervals {
		if iv.Milliseconds() <= 0 {
			continue
		}
		label := map[string]string{"interval": IntervalLabel(iv)}
		seed := realScrapeSeed(iv)
		checkout := ScrapeConfig{
			Interval: iv, Offset: realScrapeOffset(iv, 0), Jitter: 50 * time.Millisecond, MissRate: 0.01,
			MissRuns: []time.Time{missRun}, Restarts: []time.Time{restart}, Gaps: []Span{gap}, Seed: seed,
		}
		out.Series = append(out.Series, h.Scrape(checkout, func(s *Series) bool {
			return s.Metric == "http_requests_total" && s.Labels["job"] == "checkout"
		}, label)...)
		search := ScrapeConfig{
			Interval: iv, Offset: realScrapeOffset(iv, 1), Jitter: 50 * time.Millisecond, MissRate: 0.01,
			Gaps: []Span{gap}, Seed: seed + 100,
		}
		out.Series = append(out.Series, h.Scrape(search, func(s *Series) bool {
			return s.Labels["job"] == "search"
		}, label)...)
	}
	return out
}
