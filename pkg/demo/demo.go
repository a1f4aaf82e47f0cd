package demo

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Kind is the Prometheus type of a series: "counter" or "gauge".
type Kind string

// Series kinds.
const (
	Counter Kind = "counter"
	Gauge   Kind = "gauge"
)

// Series is one time series: exposed sample values and the true events per step.
type Series struct {
	Metric string
	Labels map[string]string
	Kind   Kind
	// Values is the sample at Start+i*Step; NaN means no sample (gap).
	Values []float64
	// Events are, for counters, the true events in (t_{i-1}, t_i]; nil for gauges.
	Events []float64
}

// History is a generated set of series on a common time grid.
type History struct {
	Start  time.Time
	Step   time.Duration
	Len    int
	Series []*Series
}

// Config selects the history span and the random seed.
type Config struct {
	Start time.Time
	Days  int
	Seed  uint64
}

// DefaultSeed is the seed of Default.
const DefaultSeed = 20260316

// Default returns the standard demo history: 75 days ending 2026-03-16T00:00:00Z.
func Default() Config {
	return Config{Start: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), Days: 75, Seed: DefaultSeed}
}

// Step is the sampling interval of every generated series.
const Step = time.Minute

// incident is a period (Start, Start+Dur] with an error ratio; latency is slow during it.
type incident struct {
	Start time.Time
	Dur   time.Duration
	Ratio float64
}

// covers reports whether t lies in (Start, Start+Dur].
func (in incident) covers(t time.Time) bool {
	return t.After(in.Start) && !t.After(in.Start.Add(in.Dur))
}

// at parses an RFC 3339 time of the scenario.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Fixed dates of the scenario; they apply to any Config whose span covers them.
var (
	checkoutIncidents = []incident{
		{at("2026-01-14T09:00:00Z"), 2 * time.Hour, 0.20},
		{at("2026-01-27T14:00:00Z"), 30 * time.Minute, 1.00},
		{at("2026-02-05T06:00:00Z"), 6 * time.Hour, 0.12},
		{at("2026-02-12T13:00:00Z"), 4 * time.Hour, 0.20},
		{at("2026-02-19T00:00:00Z"), 8 * time.Hour, 0.08},
		{at("2026-02-24T10:00:00Z"), 6 * time.Hour, 0.12},
	}
	searchIncidents = []incident{
		{at("2026-01-08T02:00:00Z"), 3 * time.Hour, 0.05},
		{at("2026-02-20T16:00:00Z"), 1 * time.Hour, 0.50},
		{at("2026-03-10T09:00:00Z"), 4 * time.Hour, 0.03},
	}
)

// Scenario times, exported so tests can aim at them.
var (
	// Outage is the start of the 30-minute 100 % checkout outage.
	Outage = at("2026-01-27T14:00:00Z")
	// Reset is the first sample after the checkout process restart: the restart happens
	// just after the 03:29 sample, and every checkout counter restarts from zero, so the
	// sample at Reset holds only the events of (Reset-1m, Reset].
	Reset = at("2026-02-10T03:30:00Z")
	// GapStart and GapEnd bound the checkout scrape gap: no checkout or probe samples
	// strictly between them, no checkout traffic in (GapStart, GapEnd]; samples exist
	// at both ends and the counters hold the same value at both.
	GapStart = at("2026-03-03T06:00:00Z")
	GapEnd   = at("2026-03-03T12:00:00Z")
)

const (
	checkoutBaseErr = 0.0005
	searchBaseErr   = 0.001
)

// Latency bucket bounds of http_request_duration_seconds and the duration (ms)
// counted in _sum for a request in each band (the last band is above 1 s).
var (
	bucketBounds = []string{"0.1", "0.25", "0.5", "1", "+Inf"}
	bandMillis   = []int64{50, 175, 375, 750, 2000}
	fastBands    = []float64{0.70, 0.20, 0.07, 0.02, 0.01}
	slowBands    = []float64{0.30, 0.25, 0.20, 0.15, 0.10}
)

// rng is a deterministic random source with its own normal and Poisson samplers
// (built on PCG's Uint64 only, so the sequence never depends on library algorithms).
type rng struct{ p *rand.PCG }

// newRNG returns the random stream of seed and stream.
func newRNG(seed, stream uint64) *rng { return &rng{rand.NewPCG(seed, stream)} }

// float returns a uniform number in [0, 1).
func (r *rng) float() float64 { return float64(r.p.Uint64()>>11) / (1 << 53) }

// norm returns a standard normal number (Box–Muller).
func (r *rng) norm() float64 {
	u1 := 1 - r.float() // (0, 1]
	u2 := r.float()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// poisson approximates Poisson(lambda): exactly below 30, by a rounded normal above.
func (r *rng) poisson(lambda float64) float64 {
	if lambda <= 0 {
		return 0
	}
	if lambda < 30 {
		l := math.Exp(-lambda)
		k, p := 0.0, 1.0
		for {
			p *= r.float()
			if p <= l {
				return k
			}
			k++
		}
	}
	return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*r.norm()))
}

// binomial approximates Binomial(n, p) deterministically.
func (r *rng) binomial(n, p float64) float64 {
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	var k float64
	if n*p < 30 {
		k = r.poisson(n * p)
	} else {
		k = math.Round(n*p + math.Sqrt(n*p*(1-p))*r.norm())
	}
	return math.Min(n, math.Max(0, k))
}

// daily is a cycle between lo and hi per minute with its peak at peakHour UTC.
func daily(t time.Time, lo, hi, peakHour float64) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	return lo + (hi-lo)*(1+math.Cos(2*math.Pi*(h-peakHour)/24))/2
}

// ratioAt returns the error ratio at t: an incident's when one covers t (and true), else base.
func ratioAt(t time.Time, base float64, ins []incident) (float64, bool) {
	for _, in := range ins {
		if in.covers(t) {
			return in.Ratio, true
		}
	}
	return base, false
}

// Generate builds the history for cfg; the same cfg always yields the same history.
func Generate(cfg Config) *History {
	g := newGenerator(cfg)
	for i := 1; i < g.h.Len; i++ {
		t := g.h.Time(i)
		if !(t.After(GapStart) && !t.After(GapEnd)) {
			g.drawCheckout(i, t)
		}
		g.drawSearch(i, t)
		g.drawProbe(i, t)
	}
	g.probe.Values[0] = 1
	g.drawTickets()
	g.cumulate()
	sort.SliceStable(g.h.Series, func(a, b int) bool { return seriesKey(g.h.Series[a]) < seriesKey(g.h.Series[b]) })
	return g.h
}

// generator holds the series of a history being generated and the random streams that
// draw them (one stream a part, so that each part's draws never shift another's).
type generator struct {
	h *History

	ok, bad, count, sum *Series   // checkout requests and latency
	buckets             []*Series // checkout latency buckets, one per bucketBounds
	sreq, serr          *Series   // search
	ticketSeries        *Series   // support tickets
	probe               *Series   // blackbox probe

	// sumMillis is the checkout latency of each step in ms, summed exactly.
	sumMillis []int64

	rTraffic, rLat, rSearch, rProbe, rTickets *rng
}

// newGenerator makes the empty series of cfg's history, in the order they are listed
// before sorting, and seeds the random streams.
func newGenerator(cfg Config) *generator {
	n := cfg.Days*24*60 + 1
	g := &generator{h: &History{Start: cfg.Start.UTC(), Step: Step, Len: n}, sumMillis: make([]int64, n)}
	co := map[string]string{"job": "checkout"}
	g.ok = g.counter("http_requests_total", map[string]string{"job": "checkout", "code": "200"})
	g.bad = g.counter("http_requests_total", map[string]string{"job": "checkout", "code": "500"})
	g.buckets = make([]*Series, len(bucketBounds))
	for b, le := range bucketBounds {
		g.buckets[b] = g.counter("http_request_duration_seconds_bucket", map[string]string{"job": "checkout", "le": le})
	}
	g.count = g.counter("http_request_duration_seconds_count", co)
	g.sum = g.counter("http_request_duration_seconds_sum", co)
	g.sreq = g.counter("search_requests_total", map[string]string{"job": "search"})
	g.serr = g.counter("search_errors_total", map[string]string{"job": "search"})
	g.ticketSeries = g.counter("support_tickets_total", map[string]string{"product": "checkout"})
	g.probe = &Series{Metric: "probe_success", Labels: map[string]string{"job": "blackbox", "instance": "checkout"}, Kind: Gauge, Values: make([]float64, n)}
	g.h.Series = append(g.h.Series, g.probe)
	g.rTraffic, g.rLat, g.rSearch = newRNG(cfg.Seed, 1), newRNG(cfg.Seed, 2), newRNG(cfg.Seed, 3)
	g.rProbe, g.rTickets = newRNG(cfg.Seed, 4), newRNG(cfg.Seed, 5)
	return g
}

// counter adds an empty counter series to the history.
func (g *generator) counter(metric string, labels map[string]string) *Series {
	n := g.h.Len
	s := &Series{Metric: metric, Labels: labels, Kind: Counter, Values: make([]float64, n), Events: make([]float64, n)}
	g.h.Series = append(g.h.Series, s)
	return s
}

// drawCheckout draws the checkout requests, errors and latencies of step i at t.
func (g *generator) drawCheckout(i int, t time.Time) {
	total := g.rTraffic.poisson(daily(t, 1200, 4800, 15))
	ratio, inc := ratioAt(t, checkoutBaseErr, checkoutIncidents)
	errs := g.rTraffic.binomial(total, ratio)
	g.ok.Events[i], g.bad.Events[i] = total-errs, errs
	bands := fastBands
	if inc {
		bands = slowBands
	}
	ms := g.drawLatency(i, total, bands)
	g.count.Events[i] = total
	g.sumMillis[i] = ms
	g.sum.Events[i] = float64(ms) / 1000
}

// drawLatency spreads the total requests of step i over the latency bands with the shares
// bands, fills the cumulative buckets and returns the summed duration in ms.
func (g *generator) drawLatency(i int, total float64, bands []float64) int64 {
	left, rest, cum := total, 1.0, 0.0
	var ms int64
	for b := range bands {
		c := left
		if b < len(bands)-1 {
			c = g.rLat.binomial(left, bands[b]/rest)
		}
		left -= c
		rest -= bands[b]
		cum += c
		g.buckets[b].Events[i] = cum
		ms += int64(c) * bandMillis[b]
	}
	return ms
}

// drawSearch draws the search requests and errors of step i at t.
func (g *generator) drawSearch(i int, t time.Time) {
	stotal := g.rSearch.poisson(daily(t, 300, 1200, 13))
	sratio, _ := ratioAt(t, searchBaseErr, searchIncidents)
	g.sreq.Events[i] = stotal
	g.serr.Events[i] = g.rSearch.binomial(stotal, sratio)
}

// drawProbe sets the probe sample of step i at t: none in the scrape gap, failing during the
// outage, else failing at random, more often during the larger checkout incidents.
func (g *generator) drawProbe(i int, t time.Time) {
	switch {
	case t.After(GapStart) && t.Before(GapEnd):
		g.probe.Values[i] = math.NaN()
	case t.After(Outage) && !t.After(Outage.Add(30*time.Minute)):
		g.probe.Values[i] = 0
	default:
		fail := 0.001
		if r, inc := ratioAt(t, 0, checkoutIncidents); inc && r >= 0.2 {
			fail = r
		}
		g.probe.Values[i] = 1
		if g.rProbe.float() < fail {
			g.probe.Values[i] = 0
		}
	}
}

// drawTickets draws the support tickets: per hour (H, H+1h], 2 + 0.02 × checkout errors of the
// previous hour, with noise, at random steps of the hour.
func (g *generator) drawTickets() {
	h, n := g.h, g.h.Len
	prevErrs, curErrs := 0.0, 0.0
	for first := 1; first < n; {
		hour := h.Time(first).Add(-time.Nanosecond).Truncate(time.Hour)
		last := first
		for last+1 < n && h.Time(last+1).Add(-time.Nanosecond).Truncate(time.Hour).Equal(hour) {
			last++
		}
		curErrs = 0
		for i := first; i <= last; i++ {
			curErrs += g.bad.Events[i]
		}
		k := g.rTickets.poisson(2) + math.Max(0, math.Round(0.02*prevErrs*(1+0.1*g.rTickets.norm())))
		for ; k > 0; k-- {
			g.ticketSeries.Events[first+int(g.rTickets.float()*float64(last-first+1))]++
		}
		prevErrs = curErrs
		first = last + 1
	}
}

// cumulate turns the events of every counter into its samples; checkout counters restart
// at Reset and have no samples strictly inside the scrape gap.
func (g *generator) cumulate() {
	h := g.h
	reset := h.index(Reset)
	for _, s := range h.Series {
		if s.Kind != Counter {
			continue
		}
		checkout := s.Labels["job"] == "checkout"
		var v float64
		var ms int64
		for i := 0; i < h.Len; i++ {
			if checkout && i == reset {
				v, ms = 0, 0
			}
			v += s.Events[i]
			s.Values[i] = v
			if s == g.sum {
				ms += g.sumMillis[i]
				s.Values[i] = float64(ms) / 1000
			}
			if checkout {
				if t := h.Time(i); t.After(GapStart) && t.Before(GapEnd) {
					s.Values[i] = math.NaN()
				}
			}
		}
	}
}

// index returns the grid index of t, or -1 when t is not a sample time of h.
func (h *History) index(t time.Time) int {
	d := t.Sub(h.Start)
	if d < 0 || d%h.Step != 0 || int(d/h.Step) >= h.Len {
		return -1
	}
	return int(d / h.Step)
}

// Time returns the time of sample i.
func (h *History) Time(i int) time.Time { return h.Start.Add(time.Duration(i) * h.Step) }

// End returns the time of the last sample.
func (h *History) End() time.Time { return h.Time(h.Len - 1) }

// Find returns the series with exactly this metric name and label set, or nil.
func (h *History) Find(metric string, labels map[string]string) *Series {
	for _, s := range h.Series {
		if s.Metric == metric && len(s.Labels) == len(labels) && matches(s.Labels, labels) {
			return s
		}
	}
	return nil
}

// matches reports whether labels hold every label of match.
func matches(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// True returns the true number of events of the counters matching metric and the label subset in (from, to].
func (h *History) True(metric string, match map[string]string, from, to time.Time) float64 {
	lo, hi := h.span(from, to)
	var total float64
	for _, s := range h.Series {
		if s.Kind != Counter || s.Metric != metric || !matches(s.Labels, match) {
			continue
		}
		for i := lo; i <= hi; i++ {
			total += s.Events[i]
		}
	}
	return total
}

// span returns the index range [lo, hi] of samples with times in (from, to]; lo > hi when empty.
func (h *History) span(from, to time.Time) (int, int) {
	floorIdx := func(t time.Time) int {
		d := t.Sub(h.Start)
		i := int(d / h.Step)
		if d < 0 && d%h.Step != 0 {
			i--
		}
		return i
	}
	lo := max(floorIdx(from)+1, 0)
	hi := min(floorIdx(to), h.Len-1)
	return lo, hi
}
