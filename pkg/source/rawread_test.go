package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// pathCounter is a reverse proxy to a real server that counts the requests per path
// (remote reads sent again on a new connection apart, under "/api/v1/read#again").
type pathCounter struct {
	mu     sync.Mutex
	counts map[string]int
	srv    *httptest.Server
}

func newPathCounter(t *testing.T, upstream string) *pathCounter {
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	p := &pathCounter{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if r.Close {
			key += "#again" // a remote read sent again on a new connection
		}
		p.mu.Lock()
		p.counts[key]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pathCounter) reset() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	return c
}

// readFaults is a proxy to the real server at upstream whose remote reads go to read;
// read returns false to pass a read on to upstream.
func readFaults(t *testing.T, upstream string, read func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/read" && read(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// rawClient is a client with raw reads at url, probed as a Prometheus engine.
func rawClient(t *testing.T, url string) *Client {
	c, err := New(Config{URL: url, RawReads: true})
	require.NoError(t, err)
	_, err = c.ProbeGrowth(context.Background())
	require.NoError(t, err)
	return c
}

// TestRawReadsEqualRangeQueries checks, on real Prometheus servers, that the range
// queries answered from raw samples (remote read) equal the same queries evaluated by
// Prometheus, series for series and point for point: scrapes every 10 s to 2 min at odd
// offsets with jitter, misses, a restart and a monitoring gap, and a history on the
// minute grid (where samples sit exactly on a window's start).
func TestRawReadsEqualRangeQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 12, Seed: demo.DefaultSeed})
	sets := map[string]*demo.Samples{"real scrapes": demo.RealScrapes(h, demo.RealScrapeIntervals), "minute grid": h.Sampled()}
	end := h.End()
	_, gap, _ := demo.RealScrapeEvents(h)
	queries := []string{
		`last_over_time(http_requests_total{job="checkout"}[5m])`,
		`last_over_time(http_requests_total{job="checkout",code=~"5.."}[10m])`,
		`last_over_time(search_errors_total[1h])`,
		`last_over_time(search_requests_total[10m])`,
		`last_over_time(http_requests_total{job="no-such-job"}[5m])`,
		`max by (interval) (count_over_time(http_requests_total{job="checkout"}[1m]))`,
		`max by (code, nosuchlabel) (count_over_time(search_requests_total[10m]))`,
		`max(count_over_time(http_requests_total{job="checkout",code=~"5.."}[5m]))`,
	}
	ranges := []struct {
		start, end time.Time
		step       time.Duration
	}{
		{end.Add(-10 * 24 * time.Hour), end, time.Hour},
		{gap.Start.Add(-7*time.Hour - 13*time.Minute - 7*time.Second), gap.End.Add(5 * time.Hour), 10 * time.Minute},
		{end.Add(-11*24*time.Hour + 17*time.Minute), end.Add(-time.Hour), 24 * time.Hour},
		{end.Add(-3 * 24 * time.Hour).Add(5 * time.Minute), end, 30 * time.Minute},
		{gap.Start.Add(-47*time.Minute - 3*time.Second), gap.Start.Add(time.Hour), time.Minute},
		{gap.End.Add(-20 * time.Minute), gap.End.Add(40 * time.Minute), time.Minute},
	}
	ctx := context.Background()
	for name, samples := range sets {
		t.Run(name, func(t *testing.T) {
			prom := promtest.StartSamples(t, samples)
			// A step whose grid holds the last sample + 10m: the window of that point holds
			// only the last sample, at its very start (in for Prometheus 2, out for 3).
			_, last := samples.Span()
			lastT := time.UnixMilli(last).UTC()
			ranges := append(ranges, struct {
				start, end time.Time
				step       time.Duration
			}{lastT.Add(-3 * time.Hour), lastT.Add(time.Hour), 10 * time.Minute})
			proxy := newPathCounter(t, prom.URL)
			raw := rawClient(t, proxy.srv.URL)
			plain, err := New(Config{URL: prom.URL})
			require.NoError(t, err)
			for _, q := range queries {
				for _, r := range ranges {
					r.end = r.start.Add(r.end.Sub(r.start).Truncate(r.step)) // on the step grid of start
					what := fmt.Sprintf("%s from %s to %s step %v", q, r.start.Format(time.RFC3339), r.end.Format(time.RFC3339), r.step)
					want, _, err := plain.RangeGroups(ctx, q, r.start, r.end, r.step)
					require.NoError(t, err, what)
					proxy.reset()
					got, st, err := raw.RangeGroups(ctx, q, r.start, r.end, r.step)
					require.NoError(t, err, what)
					require.Equal(t, want, got, what)
					counts := proxy.reset()
					require.Zero(t, counts["/api/v1/query_range"], "%s: no range query", what)
					require.Equal(t, st.Requests, counts["/api/v1/read"]+counts["/api/v1/read#again"], "%s: every remote read sent is counted", what)
				}
			}
			// The raw-sample probes: instant range selectors, at and around the gap and on
			// and off the minute grid.
			restart, _, _ := demo.RealScrapeEvents(h)
			for _, sel := range []string{`http_requests_total{job="checkout"}[10m]`, `search_errors_total[1h]`, `http_requests_total{job="none"}[5m]`} {
				for _, at := range []time.Time{gap.Start.Add(2 * time.Minute), gap.End.Add(90 * time.Second), restart.Add(37 * time.Second), lastT, lastT.Add(10 * time.Minute), end.Add(-26*time.Hour - 13*time.Second)} {
					what := fmt.Sprintf("%s at %s", sel, at.Format(time.RFC3339))
					want, err := plain.SampleTimesGroups(ctx, sel, at)
					require.NoError(t, err, what)
					proxy.reset()
					got, err := raw.SampleTimesGroups(ctx, sel, at)
					require.NoError(t, err, what)
					if len(want) == 0 {
						require.Empty(t, got, what)
					} else {
						require.Equal(t, want, got, what)
					}
					counts := proxy.reset()
					require.LessOrEqual(t, counts["/api/v1/read"], 1, "%s: at most one remote read (none when a kept read holds it)", what)
					require.Zero(t, counts["/api/v1/query"], "%s: no query", what)
				}
			}
			require.False(t, raw.raw.off.Load(), "raw reads stayed on")
		})
	}
}

// TestRawReadFaultsFallBack checks that when remote reads fail, each chunk is fetched by
// range query instead, with the same answer, and that raw reads stop at once when the
// source cannot do them and after a few failures otherwise.
func TestRawReadFaultsFallBack(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 5, Seed: demo.DefaultSeed})
	prom := promtest.StartSamples(t, demo.RealScrapes(h, demo.RealScrapeIntervals))
	faults := []struct {
		name     string
		read     http.HandlerFunc
		offAfter int // remote reads sent before raw reads stop (a failed read is tried twice)
	}{
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 1},
		{"JSON instead of chunks", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success"}`))
		}, 1},
		{"unavailable", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, 2 * maxRawFailures},
		{"broken off", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse")
			_, _ = w.Write([]byte{0x80, 0x80, 0x04, 1, 2, 3, 4, 5}) // a 64 KiB frame that ends after 1 byte
		}, 2 * maxRawFailures},
		{"bad checksum", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse")
			_, _ = w.Write([]byte{2, 0, 0, 0, 0, 8, 1})
		}, 2 * maxRawFailures},
	}
	ctx := context.Background()
	plain, err := New(Config{URL: prom.URL})
	require.NoError(t, err)
	q := `last_over_time(http_requests_total{job="checkout"}[5m])`
	start, step := h.End().Add(-4*24*time.Hour), time.Hour
	want, _, err := plain.RangeGroups(ctx, q, start, h.End(), step)
	require.NoError(t, err)
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			var reads atomic.Int64
			srv := readFaults(t, prom.URL, func(w http.ResponseWriter, r *http.Request) bool {
				reads.Add(1)
				f.read(w, r)
				return true
			})
			c := rawClient(t, srv.URL)
			for i := 0; i < maxRawFailures+1; i++ {
				// A new start each time: nothing comes from the cache.
				s := start.Add(time.Duration(i) * step)
				got, _, err := c.RangeGroups(ctx, q, s, h.End(), step)
				require.NoError(t, err, "call %d", i)
				require.Equal(t, len(want), len(got), "call %d", i)
				for j := range want {
					require.Equal(t, want[j].Labels, got[j].Labels)
					require.Equal(t, want[j].Values[i:], got[j].Values, "call %d: %v", i, got[j].Labels)
				}
			}
			require.EqualValues(t, f.offAfter, reads.Load(), "raw reads tried")
			require.True(t, c.raw.off.Load(), "raw reads stopped")
		})
	}
}

// TestShortRawReadsShared checks that the short reads near one edge of a window share
// one remote read, with the answers Prometheus gives, and that reads of the last minutes
// (samples may still arrive) are never served from a kept read.
func TestShortRawReadsShared(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 3, Seed: demo.DefaultSeed})
	samples := demo.RealScrapes(h, demo.RealScrapeIntervals)
	prom := promtest.StartSamples(t, samples)
	_, last := samples.Span()
	end := time.UnixMilli(last).UTC().Truncate(time.Minute)
	ctx := context.Background()
	plain, err := New(Config{URL: prom.URL})
	require.NoError(t, err)
	sel := `http_requests_total{job="checkout"}`
	edge := end.Add(-26*time.Hour - 17*time.Minute)
	for _, tc := range []struct {
		name  string
		now   time.Time
		reads int
	}{
		{"past", end.Add(48 * time.Hour), 1},
		{"still arriving", edge.Add(2 * time.Minute), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := newPathCounter(t, prom.URL)
			raw, err := New(Config{URL: proxy.srv.URL, RawReads: true, Now: func() time.Time { return tc.now }})
			require.NoError(t, err)
			_, err = raw.ProbeGrowth(ctx)
			require.NoError(t, err)
			proxy.reset()
			for _, q := range []string{"last_over_time(" + sel + "[5m])", "max by (interval) (count_over_time(" + sel + "[1m]))"} {
				want, _, err := plain.RangeGroups(ctx, q, edge.Add(-time.Hour), edge, time.Minute)
				require.NoError(t, err)
				got, _, err := raw.RangeGroups(ctx, q, edge.Add(-time.Hour), edge, time.Minute)
				require.NoError(t, err)
				require.Equal(t, want, got, q)
			}
			want, err := plain.SampleTimesGroups(ctx, sel+"[10m]", edge)
			require.NoError(t, err)
			got, err := raw.SampleTimesGroups(ctx, sel+"[10m]", edge)
			require.NoError(t, err)
			require.Equal(t, want, got)
			counts := proxy.reset()
			// Reads sent again after breaking off in the proxy are not new questions.
			require.Equal(t, tc.reads, counts["/api/v1/read"], "remote reads")
			require.Zero(t, counts["/api/v1/query_range"], "range queries")
			require.LessOrEqual(t, counts["/api/v1/query"], 1, "queries: only the probe of range selectors' start")
		})
	}
}

// TestRawPlanWaitsForTheProbe checks that no caller gets a raw plan before the probe of
// range selectors' start has answered: a second caller, finding the plan remembered,
// still waits for it (under -race, reading the answer early is a data race too).
func TestRawPlanWaitsForTheProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]}]}}`))
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, RawReads: true})
	require.NoError(t, err)
	c.pointwise.Store(true) // as the growth probe sets it on a Prometheus
	q := `last_over_time(x{job="a"}[5m])`
	_, ok := c.planOf(q) // remembered before anyone probes
	require.True(t, ok)
	var wg sync.WaitGroup
	open := make([]bool, 8)
	for i := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok := c.rawPlan(context.Background(), q, false)
			open[i] = ok && c.raw.leftOpen
		}()
	}
	wg.Wait()
	for i, o := range open {
		require.True(t, o, "caller %d saw the plan before the probe said the start is left out", i)
	}
}

// TestRawReadBrokenOffIsReadAgain checks that a remote read broken off once is sent
// again, on a new connection, and answers as Prometheus does, raw reads staying on.
func TestRawReadBrokenOffIsReadAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 3, Seed: demo.DefaultSeed})
	prom := promtest.StartSamples(t, demo.RealScrapes(h, demo.RealScrapeIntervals))
	var reads atomic.Int64
	var closes []bool
	var mu sync.Mutex
	srv := readFaults(t, prom.URL, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		closes = append(closes, r.Close)
		mu.Unlock()
		if reads.Add(1)%2 == 0 {
			return false // passed on
		}
		// Every other read breaks off after its first bytes.
		w.Header().Set("Content-Type", "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse")
		_, _ = w.Write([]byte{0x80, 0x80, 0x04})
		return true
	})
	ctx := context.Background()
	plain, err := New(Config{URL: prom.URL})
	require.NoError(t, err)
	raw := rawClient(t, srv.URL)
	q := `last_over_time(http_requests_total{job="checkout"}[5m])`
	end := h.End()
	for i := range 4 {
		start := end.Add(-48*time.Hour + time.Duration(i)*time.Hour)
		want, _, err := plain.RangeGroups(ctx, q, start, end, time.Hour)
		require.NoError(t, err)
		got, st, err := raw.RangeGroups(ctx, q, start, end, time.Hour)
		require.NoError(t, err)
		require.Equal(t, want, got, "call %d", i)
		require.Equal(t, 2, st.Requests, "call %d: the broken read and the one again", i)
	}
	require.False(t, raw.raw.off.Load(), "raw reads stay on")
	require.EqualValues(t, 8, reads.Load())
	for i, c := range closes {
		require.Equal(t, i%2 == 1, c, "read %d: only a read sent again asks for a new connection", i)
	}
}
