package demo

import (
	"math"
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

func TestScrapeCounters(t *testing.T) {
	h := shortHistory()
	restart := time.Date(2026, 1, 27, 3, 17, 41, 500e6, time.UTC)
	gap := Span{Start: time.Date(2026, 1, 27, 14, 10, 0, 0, time.UTC), End: time.Date(2026, 1, 27, 14, 35, 0, 0, time.UTC)}
	missRun := time.Date(2026, 1, 27, 9, 0, 0, 0, time.UTC)
	for _, iv := range RealScrapeIntervals {
		t.Run(IntervalLabel(iv), func(t *testing.T) {
			cfg := ScrapeConfig{Interval: iv, Offset: 7*time.Second + 345*time.Millisecond, Jitter: 50 * time.Millisecond,
				MissRate: 0.01, MissRuns: []time.Time{missRun}, Restarts: []time.Time{restart}, Gaps: []Span{gap}, Seed: 3}
			got := h.Scrape(cfg, func(s *Series) bool { return s.Metric == "http_requests_total" }, map[string]string{"interval": IntervalLabel(iv)})
			require.Len(t, got, 2)
			again := h.Scrape(cfg, func(s *Series) bool { return s.Metric == "http_requests_total" }, map[string]string{"interval": IntervalLabel(iv)})
			assert.Equal(t, got, again, "deterministic")
			truth := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "500"})
			require.NotNil(t, truth)
			for _, s := range got {
				require.Equal(t, IntervalLabel(iv), s.Labels["interval"])
				require.Equal(t, s.T, got[0].T, "one target: the same scrape times for all its series")
				expected := float64(h.End().Sub(h.Start) / iv)
				missed := 0
				for i, ts := range s.T {
					if i > 0 {
						require.Greater(t, ts, s.T[i-1], "timestamps increase")
					}
					// Within the jitter of k*interval+offset.
					phase := (ts - cfg.Offset.Milliseconds()) % iv.Milliseconds()
					phase = min(phase, iv.Milliseconds()-phase)
					require.LessOrEqual(t, phase, cfg.Jitter.Milliseconds())
					require.False(t, ts > gap.Start.UnixMilli() && ts < gap.End.UnixMilli(), "no sample inside the gap")
					require.Equal(t, math.Trunc(s.V[i]), s.V[i], "request counters hold integers")
					if i > 0 && !(ts > restart.UnixMilli() && s.T[i-1] < restart.UnixMilli()) {
						require.GreaterOrEqual(t, s.V[i], s.V[i-1], "non-decreasing between restarts")
					}
				}
				missed = int(expected) - len(s.T)
				gapScrapes := int(gap.End.Sub(gap.Start) / iv)
				// 1 % at random, three in the run, the gap's scrapes.
				assert.InDelta(t, 0.01*expected+3+float64(gapScrapes), float64(missed), 0.004*expected+5)
				for _, ts := range s.T {
					if ts >= missRun.UnixMilli() && ts < missRun.Add(3*iv).UnixMilli()-cfg.Jitter.Milliseconds() {
						t.Fatalf("scrape at %d lies in the run of missed scrapes", ts)
					}
				}
			}
			// After the restart the counter holds only the events since the restart; the
			// growth across the gap is the true events in between (traffic goes on).
			bad := got[1]
			if bad.Labels["code"] != "500" {
				bad = got[0]
			}
			cum := make([]float64, h.Len)
			var c float64
			for i, e := range truth.Events {
				c += e
				cum[i] = c
			}
			id := identity(truth)
			E := func(ms int64) float64 { return h.cumulative(truth, cum, id, cfg.Seed, ms) }
			for i, ts := range bad.T {
				if ts > restart.UnixMilli() {
					require.Equal(t, E(ts)-E(restart.UnixMilli()), bad.V[i], "first sample after the restart")
					break
				}
			}
			for i := 1; i < len(bad.T); i++ {
				if bad.T[i-1] < gap.Start.UnixMilli()+1 && bad.T[i] > gap.End.UnixMilli()-1 {
					require.Equal(t, E(bad.T[i])-E(bad.T[i-1]), bad.V[i]-bad.V[i-1], "growth across the gap")
					require.Greater(t, bad.V[i]-bad.V[i-1], 100.0, "an outage goes on during the gap")
				}
			}
		})
	}
}

func TestCumulativeIsExactOnTheGrid(t *testing.T) {
	h := shortHistory()
	s := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "500"})
	cum := make([]float64, h.Len)
	var c float64
	for i, e := range s.Events {
		c += e
		cum[i] = c
	}
	id := identity(s)
	prev := 0.0
	for i := 0; i < h.Len; i += 7 {
		at := h.Time(i).UnixMilli()
		require.Equal(t, cum[i], h.cumulative(s, cum, id, 1, at), "step end %d", i)
		// In between, E is an integer step function that never goes down.
		mid := h.cumulative(s, cum, id, 1, at+29_999)
		require.Equal(t, math.Trunc(mid), mid)
		require.GreaterOrEqual(t, mid, prev)
		prev = cum[i]
	}
	// True over minute-aligned windows is the sum of the scraped growth's truth.
	from, to := time.Date(2026, 1, 27, 14, 0, 0, 0, time.UTC), time.Date(2026, 1, 27, 14, 30, 0, 0, time.UTC)
	assert.Equal(t, h.cumulative(s, cum, id, 1, to.UnixMilli())-h.cumulative(s, cum, id, 1, from.UnixMilli()),
		h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, from, to))
}

func TestSamplesWriters(t *testing.T) {
	s := &Samples{Series: []*Sampled{{Metric: "x_total", Labels: map[string]string{"a": "b"}, Kind: Counter,
		T: []int64{1700000000050, 1700000015000}, V: []float64{1, 2.5}}}}
	var om, txt strings.Builder
	require.NoError(t, s.WriteOpenMetrics(&om))
	require.NoError(t, s.WritePrometheusText(&txt))
	assert.Equal(t, "# TYPE x counter\nx_total{a=\"b\"} 1 1700000000.05\nx_total{a=\"b\"} 2.5 1700000015\n# EOF\n", om.String())
	assert.Equal(t, "x_total{a=\"b\"} 1 1700000000050\nx_total{a=\"b\"} 2.5 1700000015000\n", txt.String())
}

func TestRealScrapes(t *testing.T) {
	h := Generate(Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 40, Seed: DefaultSeed})
	s := RealScrapes(h, RealScrapeIntervals)
	require.Len(t, s.Series, 4*len(RealScrapeIntervals))
	restart, gap, missRun := RealScrapeEvents(h)
	assert.True(t, restart.After(h.Start) && restart.Before(h.End()))
	assert.NotZero(t, restart.UnixMilli()%1000, "the restart is off the second grid")
	assert.Equal(t, 25*time.Minute, gap.End.Sub(gap.Start))
	assert.True(t, missRun.Before(gap.Start))
	for _, ss := range s.Series {
		assert.NotZero(t, ss.T[0]%1000, "scrapes are not on the second: %v", ss.Labels)
	}
}
