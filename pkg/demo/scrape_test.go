package demo

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shortHistory covers the 2026-01-27 14:00 outage.
func shortHistory() *History {
	return Generate(Config{Start: time.Date(2026, 1, 26, 0, 0, 0, 0, time.UTC), Days: 3, Seed: DefaultSeed})
}

// realHistory is the 40-day history of the real-scrape tests in pkg/engine.
func realHistory() *History {
	return Generate(Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 40, Seed: DefaultSeed})
}

func TestEventsBetweenSteps(t *testing.T) {
	h := shortHistory()
	for _, tc := range []struct {
		metric  string
		labels  map[string]string
		integer bool
	}{
		{"http_requests_total", map[string]string{"job": "checkout", "code": "500"}, true},
		{"http_requests_total", map[string]string{"job": "checkout", "code": "200"}, true},
		{"search_errors_total", map[string]string{"job": "search"}, true},
		{"http_request_duration_seconds_sum", map[string]string{"job": "checkout"}, false},
	} {
		t.Run(tc.metric+labelString(tc.labels), func(t *testing.T) {
			s := h.Find(tc.metric, tc.labels)
			require.NotNil(t, s)
			c := h.newCursor(s, 1)
			stepMs := h.Step.Milliseconds()
			var sum, prev float64
			for i := 0; i < h.Len; i++ {
				sum += s.Events[i]
				at := h.Time(i).UnixMilli()
				if i > 0 {
					// Inside the step: between the step's ends, never going down.
					for _, off := range []int64{1, 13_337, 30_000, 59_999} {
						v := c.at(at - stepMs + off)
						require.GreaterOrEqual(t, v, prev, "step %d", i)
						require.LessOrEqual(t, v, sum, "step %d", i)
						if tc.integer {
							// The step's events sit at (j+u)/n of it, u from the hash.
							n, u := s.Events[i], unit(mix(1, identity(s), uint64(i)))
							k := 0.0
							for j := 0.0; j < n; j++ {
								if (j+u)/n <= float64(off)/float64(stepMs) {
									k++
								}
							}
							require.Equal(t, sum-n+k, v, "step %d at %d ms", i, off)
						}
						prev = v
					}
				}
				require.Equal(t, sum, c.at(at), "exact at the end of step %d", i)
				prev = sum
			}
			require.Equal(t, sum, c.at(h.End().Add(time.Hour).UnixMilli()), "flat after the end")
			// The same value in any order of evaluation.
			for _, ms := range []int64{h.End().UnixMilli() - 1234, h.Start.UnixMilli() + 61_001, h.Time(1000).UnixMilli() + 17_300} {
				fresh := h.cumulative(s, 1, ms)
				c := h.newCursor(s, 1)
				c.at(ms - 90_000)
				require.Equal(t, fresh, c.at(ms))
			}
			// True over minute-aligned windows is the growth of E.
			from, to := time.Date(2026, 1, 27, 14, 0, 0, 0, time.UTC), time.Date(2026, 1, 27, 14, 30, 0, 0, time.UTC)
			assert.InDelta(t, h.True(tc.metric, tc.labels, from, to),
				h.cumulative(s, 1, to.UnixMilli())-h.cumulative(s, 1, from.UnixMilli()), 1e-6)
		})
	}
}

// tinyHistory has four one-minute steps: a counter with 3 events in step 1 and 2 in
// step 3, and a gauge without a value in step 1.
func tinyHistory() *History {
	return &History{Start: time.UnixMilli(1_700_000_040_000).UTC(), Step: time.Minute, Len: 4, Series: []*Series{
		{Metric: "x_total", Labels: map[string]string{"job": "a"}, Kind: Counter, Values: []float64{0, 3, 3, 5}, Events: []float64{0, 3, 0, 2}},
		{Metric: "up", Labels: map[string]string{"job": "a"}, Kind: Gauge, Values: []float64{1, math.NaN(), 0, 1}},
	}}
}

func TestScrapeTiny(t *testing.T) {
	h := tinyHistory()
	start := h.Start.UnixMilli()
	minute := int64(60_000)
	at := func(ms int64) time.Time { return time.UnixMilli(start + ms) }
	for _, tc := range []struct {
		name     string
		cfg      ScrapeConfig
		times    []int64 // since h.Start
		counter  []float64
		gaugeT   []int64
		gaugeV   []float64
		midsteps bool // counter values at the half minutes are checked against E only
	}{
		{
			name: "every minute on the grid", cfg: ScrapeConfig{Interval: time.Minute},
			times: []int64{minute, 2 * minute, 3 * minute}, counter: []float64{3, 3, 5},
			gaugeT: []int64{2 * minute, 3 * minute}, gaugeV: []float64{0, 1},
		},
		{
			name: "restart exactly at a scrape", cfg: ScrapeConfig{Interval: time.Minute, Restarts: []time.Time{at(minute)}},
			times: []int64{minute, 2 * minute, 3 * minute}, counter: []float64{0, 0, 2},
			gaugeT: []int64{2 * minute, 3 * minute}, gaugeV: []float64{0, 1},
		},
		{
			name:  "restarts out of order, before the start and between scrapes",
			cfg:   ScrapeConfig{Interval: time.Minute, Restarts: []time.Time{at(2*minute + 1), at(-5 * minute)}},
			times: []int64{minute, 2 * minute, 3 * minute}, counter: []float64{3, 3, 2},
			gaugeT: []int64{2 * minute, 3 * minute}, gaugeV: []float64{0, 1},
		},
		{
			name: "gap keeps its ends", cfg: ScrapeConfig{Interval: 30 * time.Second, Gaps: []Span{{at(minute), at(2 * minute)}}},
			times: []int64{minute / 2, minute, 2 * minute, 5 * minute / 2, 3 * minute}, counter: []float64{-1, 3, 3, -1, 5},
			gaugeT: []int64{2 * minute, 5 * minute / 2, 3 * minute}, gaugeV: []float64{0, 1, 1}, midsteps: true,
		},
		{
			name: "run of three from an instant between scrapes", cfg: ScrapeConfig{Interval: 30 * time.Second, MissRuns: []time.Time{at(1)}},
			times: []int64{2 * minute, 5 * minute / 2, 3 * minute}, counter: []float64{3, -1, 5},
			gaugeT: []int64{2 * minute, 5 * minute / 2, 3 * minute}, gaugeV: []float64{0, 1, 1}, midsteps: true,
		},
		{
			name: "offset, only scrapes inside the history", cfg: ScrapeConfig{Interval: time.Minute, Offset: 59_999 * time.Millisecond},
			times: []int64{minute - 1, 2*minute - 1, 3*minute - 1}, counter: []float64{-1, 3, -1},
			gaugeT: []int64{2*minute - 1, 3*minute - 1}, gaugeV: []float64{0, 1}, midsteps: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.Scrape(tc.cfg, nil, map[string]string{"interval": "x", "job": "b"})
			require.Len(t, got, 2)
			c, g := got[0], got[1]
			assert.Equal(t, map[string]string{"interval": "x", "job": "b"}, c.Labels, "extra labels win")
			assert.Equal(t, Counter, c.Kind)
			times := make([]int64, len(tc.times))
			for i, ms := range tc.times {
				times[i] = start + ms
			}
			require.Equal(t, times, c.T)
			for i, want := range tc.counter {
				if want < 0 { // inside a step: E, 3 or 5 events placed by the hash
					e := h.cumulative(h.Series[0], tc.cfg.Seed, c.T[i])
					require.True(t, tc.midsteps)
					require.Equal(t, e, c.V[i])
					continue
				}
				assert.Equal(t, want, c.V[i], "counter at %d", tc.times[i])
			}
			gt := make([]int64, len(tc.gaugeT))
			for i, ms := range tc.gaugeT {
				gt[i] = start + ms
			}
			assert.Equal(t, gt, g.T, "no gauge sample where its value is NaN")
			assert.Equal(t, tc.gaugeV, g.V)
		})
	}
	assert.Nil(t, h.Scrape(ScrapeConfig{}, nil, nil), "no interval, no scrapes")
	assert.Len(t, h.Scrape(ScrapeConfig{Interval: time.Minute}, func(s *Series) bool { return s.Kind == Gauge }, nil), 1)
}

func TestMissRuns(t *testing.T) {
	h := shortHistory()
	keep := func(s *Series) bool { return s.Kind == Gauge }
	for _, tc := range []struct {
		name string
		at   time.Time
	}{
		// On a nominal scrape time: the jitter decides whether that scrape is at or after it.
		{"on a nominal time", time.Date(2026, 1, 27, 14, 0, 0, 0, time.UTC)},
		{"on another nominal time", time.Date(2026, 1, 27, 14, 0, 30, 0, time.UTC)},
		{"1 ms before a nominal time", time.Date(2026, 1, 27, 14, 0, 59, 999e6, time.UTC)},
		{"1 ms after a nominal time", time.Date(2026, 1, 27, 14, 1, 0, 1e6, time.UTC)},
		{"between scrapes", time.Date(2026, 1, 27, 14, 0, 17, 0, time.UTC)},
		// The run's scrapes happen before the history: none of its samples is missed.
		{"before the history", h.Start.Add(-time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(0); seed < 20; seed++ {
				cfg := ScrapeConfig{Interval: 30 * time.Second, Jitter: 50 * time.Millisecond, Seed: seed}
				all := h.Scrape(cfg, keep, nil)[0].T
				cfg.MissRuns = []time.Time{tc.at}
				got := h.Scrape(cfg, keep, nil)[0].T
				want := all
				if tc.at.After(h.Start) {
					i := 0
					for i < len(all) && all[i] < tc.at.UnixMilli() {
						i++
					}
					want = append(append([]int64(nil), all[:i]...), all[i+3:]...)
				}
				if !slices.Equal(want, got) {
					t.Fatalf("seed %d: %d scrapes, want %d: the first scrape at or after the instant and the next two are missed", seed, len(got), len(want))
				}
			}
		})
	}
}

func TestScrapeCounters(t *testing.T) {
	h := shortHistory()
	restart := time.Date(2026, 1, 27, 3, 17, 41, 500e6, time.UTC)
	// The gap covers most of the outage: a 100 % error ratio while Prometheus is down.
	gap := Span{Start: time.Date(2026, 1, 27, 14, 3, 0, 0, time.UTC), End: time.Date(2026, 1, 27, 14, 28, 0, 0, time.UTC)}
	missRun := time.Date(2026, 1, 27, 9, 0, 0, 0, time.UTC)
	keep := func(s *Series) bool { return s.Metric == "http_requests_total" }
	for _, tc := range []struct {
		interval time.Duration
		offset   time.Duration
	}{
		{10 * time.Second, 7*time.Second + 345*time.Millisecond},
		{15 * time.Second, 4*time.Second + 808*time.Millisecond},
		{30 * time.Second, 21*time.Second + 123*time.Millisecond},
		{time.Minute, 33*time.Second + 541*time.Millisecond},
		{2 * time.Minute, 65*time.Second + 849*time.Millisecond},
	} {
		iv := tc.interval
		t.Run(IntervalLabel(iv), func(t *testing.T) {
			cfg := ScrapeConfig{Interval: iv, Offset: tc.offset, Jitter: 50 * time.Millisecond,
				MissRate: 0.01, MissRuns: []time.Time{missRun}, Restarts: []time.Time{restart}, Gaps: []Span{gap}, Seed: 3}
			got := h.Scrape(cfg, keep, map[string]string{"interval": IntervalLabel(iv)})
			require.Len(t, got, 2)
			assert.Equal(t, got, h.Scrape(cfg, keep, map[string]string{"interval": IntervalLabel(iv)}), "deterministic")

			ivMs, offMs, jitMs := iv.Milliseconds(), cfg.Offset.Milliseconds(), cfg.Jitter.Milliseconds()
			slot := func(ms int64) int64 { return floorDiv(ms-offMs+ivMs/2, ivMs) }
			slots := map[int64]bool{}
			for i, ts := range got[0].T {
				k := slot(ts)
				switch {
				case ts <= h.Start.UnixMilli() || ts > h.End().UnixMilli():
					t.Fatalf("scrape at %d outside the history", ts)
				case i > 0 && ts <= got[0].T[i-1]:
					t.Fatalf("timestamps must increase: %d after %d", ts, got[0].T[i-1])
				case abs(ts-(k*ivMs+offMs)) > jitMs:
					t.Fatalf("scrape at %d beyond the jitter of k*interval+offset", ts)
				case ts%1000 == 0:
					t.Fatalf("scrape at %d on the second", ts)
				case ts > gap.Start.UnixMilli() && ts < gap.End.UnixMilli():
					t.Fatalf("scrape at %d inside the gap", ts)
				}
				slots[k] = true
			}
			// Missed: 1 % at random, the run of three and the gap's scrapes.
			all := slot(h.End().UnixMilli()) - slot(h.Start.UnixMilli())
			inGap := int64(gap.End.Sub(gap.Start) / iv)
			missed := all - int64(len(got[0].T)) - inGap - 3
			assert.InDelta(t, 0.01*float64(all), float64(missed), 3*math.Sqrt(0.01*float64(all))+2, "random misses")
			k0 := slot(missRun.UnixMilli() + ivMs/2 - 1) // the first slot at or after missRun (no slot is within the jitter of it)
			for k := k0; k < k0+3; k++ {
				assert.False(t, slots[k], "slot %d of the run is missed", k-k0)
			}
			assert.True(t, slots[k0-1] || slots[k0+3], "the run is three scrapes, not more (unless a random miss borders it)")

			for _, s := range got {
				require.Equal(t, got[0].T, s.T, "one target: the same scrape times for all its series")
				require.Equal(t, IntervalLabel(iv), s.Labels["interval"])
				truth := h.Find(s.Metric, map[string]string{"job": "checkout", "code": s.Labels["code"]})
				require.NotNil(t, truth)
				E := h.newCursor(truth, cfg.Seed) // E(τ) at increasing τ
				atRestart := h.cumulative(truth, cfg.Seed, restart.UnixMilli())
				after, prevE := -1, 0.0
				for i, ts := range s.T {
					e := E.at(ts)
					want := e
					if ts >= restart.UnixMilli() {
						want -= atRestart
					}
					if s.V[i] != want || s.V[i] != math.Trunc(s.V[i]) {
						t.Fatalf("%s at %d: %v, want the integer events since the start or the restart, %v", labelString(s.Labels), ts, s.V[i], want)
					}
					if i > 0 && s.T[i-1] < restart.UnixMilli() && ts >= restart.UnixMilli() {
						after = i
					} else if i > 0 && s.V[i] < s.V[i-1] {
						t.Fatalf("%s at %d: goes down between restarts", labelString(s.Labels), ts)
					}
					if i > 0 && s.T[i-1] <= gap.Start.UnixMilli() && ts >= gap.End.UnixMilli() {
						require.Equal(t, e-prevE, s.V[i]-s.V[i-1], "growth across the gap: traffic goes on")
						if s.Labels["code"] == "500" {
							require.Greater(t, s.V[i]-s.V[i-1], 50_000.0, "the outage goes on during the gap")
						}
					}
					prevE = e
				}
				require.Positive(t, after, "a sample after the restart")
				if s.Labels["code"] == "200" {
					assert.Less(t, s.V[after], s.V[after-1], "the counter drops at the restart")
					assert.Less(t, s.V[after], float64(ivMs)/1000*100, "and holds only the events since the restart")
				}
			}
		})
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestIntervalLabel(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "10s", 15 * time.Second: "15s", 30 * time.Second: "30s", time.Minute: "1m",
		2 * time.Minute: "2m", 90 * time.Second: "1m30s", time.Hour: "1h", 1500 * time.Millisecond: "1.5s",
	} {
		assert.Equal(t, want, IntervalLabel(d), "%v", d)
	}
}

func TestSamplesWriters(t *testing.T) {
	s := &Samples{Series: []*Sampled{
		{Metric: "x_total", Labels: map[string]string{"a": "b", "interval": "15s"}, Kind: Counter,
			T: []int64{1700000000050, 1700000015000, 1700000030001, 1700000045120}, V: []float64{1, 2.5, 3, 1e6}},
		{Metric: "up", Labels: map[string]string{"job": "a"}, Kind: Gauge, T: []int64{1700000000999}, V: []float64{0}},
	}}
	var om, txt strings.Builder
	require.NoError(t, s.WriteOpenMetrics(&om))
	require.NoError(t, s.WritePrometheusText(&txt))
	assert.Equal(t, `# TYPE up gauge
up{job="a"} 0 1700000000.999
# TYPE x counter
x_total{a="b",interval="15s"} 1 1700000000.05
x_total{a="b",interval="15s"} 2.5 1700000015
x_total{a="b",interval="15s"} 3 1700000030.001
x_total{a="b",interval="15s"} 1000000 1700000045.12
# EOF
`, om.String())
	assert.Equal(t, `up{job="a"} 0 1700000000999
x_total{a="b",interval="15s"} 1 1700000000050
x_total{a="b",interval="15s"} 2.5 1700000015000
x_total{a="b",interval="15s"} 3 1700000030001
x_total{a="b",interval="15s"} 1000000 1700000045120
`, txt.String())
}

func TestRealScrapes(t *testing.T) {
	long := realHistory()
	for _, tc := range []struct {
		name                   string
		h                      *History
		restart, gap, missRun  string
		incidentGap, incidents bool
	}{
		// The 30-minute outage is too short for the gap: it goes into the first half.
		{"3 days", shortHistory(), "2026-01-27T12:00:17.3Z", "2026-01-26T19:07:13Z", "2026-01-26T18:30:00Z", false, false},
		// The first incident long enough is 2026-02-05 06:00-12:00 (12 %).
		{"40 days", long, "2026-02-09T00:00:17.3Z", "2026-02-05T07:07:13Z", "2026-02-05T06:30:00Z", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			restart, gap, missRun := RealScrapeEvents(h)
			assert.Equal(t, tc.restart, restart.Format(time.RFC3339Nano))
			assert.Equal(t, tc.gap, gap.Start.Format(time.RFC3339Nano))
			assert.Equal(t, 25*time.Minute, gap.End.Sub(gap.Start))
			assert.Equal(t, tc.missRun, missRun.Format(time.RFC3339Nano))
			for _, x := range []time.Time{restart, gap.Start, gap.End, missRun} {
				assert.True(t, x.After(h.Start) && x.Before(h.End()), "inside the history")
			}
			if tc.incidentGap {
				_, inc := ratioAt(gap.Start.Add(time.Second), 0, checkoutIncidents)
				_, inc2 := ratioAt(gap.End, 0, checkoutIncidents)
				_, inc3 := ratioAt(missRun.Add(time.Second), 0, checkoutIncidents)
				assert.True(t, inc && inc2 && inc3, "the gap and the missed run lie in an incident")
			}

			s := RealScrapes(h, RealScrapeIntervals)
			require.Len(t, s.Series, 4*len(RealScrapeIntervals))
			require.Same(t, h, s.Truth)
			for n, iv := range RealScrapeIntervals {
				label := IntervalLabel(iv)
				one := RealScrapes(h, []time.Duration{iv})
				require.Equal(t, s.Series[4*n:4*n+4], one.Series, "an interval does not depend on the others")
				var checkoutT, searchT []int64
				for _, ss := range s.Series[4*n : 4*n+4] {
					require.Equal(t, label, ss.Labels["interval"])
					truth := h.Find(ss.Metric, map[string]string{"job": ss.Labels["job"], "code": ss.Labels["code"]})
					if ss.Labels["code"] == "" {
						truth = h.Find(ss.Metric, map[string]string{"job": ss.Labels["job"]})
					}
					require.NotNil(t, truth, "%s%s", ss.Metric, labelString(ss.Labels))
					if ss.Labels["job"] == "checkout" {
						checkoutT = ss.T
					} else {
						searchT = ss.T
					}
					drops, onSecond := 0, 0
					for i, ts := range ss.T {
						if ts%1000 == 0 {
							onSecond++
						}
						if ts > gap.Start.UnixMilli() && ts < gap.End.UnixMilli() {
							t.Fatalf("%s%s: sample at %d inside the gap", ss.Metric, labelString(ss.Labels), ts)
						}
						if i == 0 {
							continue
						}
						if ss.V[i] < ss.V[i-1] {
							drops++
							if ss.T[i-1] >= restart.UnixMilli() || ts < restart.UnixMilli() {
								t.Fatalf("%s%s: drops at %d, not at the restart", ss.Metric, labelString(ss.Labels), ts)
							}
						}
						if tc.incidents && ss.Labels["code"] == "500" && ss.T[i-1] <= gap.Start.UnixMilli() && ts >= gap.End.UnixMilli() {
							require.Greater(t, ss.V[i]-ss.V[i-1], 1000.0, "errors go on during the gap")
						}
					}
					assert.Zero(t, onSecond, "scrapes are not on the second: %v", ss.Labels)
					if ss.Labels["job"] == "checkout" && ss.Labels["code"] == "200" {
						assert.Equal(t, 1, drops, "the checkout target restarts")
					}
					if ss.Labels["job"] == "search" {
						assert.Zero(t, drops, "the search target does not restart")
						// Without a restart the last sample is E at its time.
						last := len(ss.T) - 1
						assert.Equal(t, h.cumulative(truth, realScrapeSeed(iv)+100, ss.T[last]), ss.V[last])
					}
				}
				assert.NotEqual(t, checkoutT[0]%iv.Milliseconds(), searchT[0]%iv.Milliseconds(), "each target has its own offset")
			}
		})
	}
}

func BenchmarkRealScrapes(b *testing.B) {
	h := realHistory()
	b.ReportAllocs()
	for b.Loop() {
		RealScrapes(h, RealScrapeIntervals)
	}
}
