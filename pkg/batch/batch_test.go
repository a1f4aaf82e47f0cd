package batch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/batch"
	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/internal/promtest"
	"github.com/nines-slo/nines/pkg/internal/scalebench"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

func TestMain(m *testing.M) { promtest.Main(m) }

// scraped is 12 days of demo traffic scraped as Prometheus does: every 10 s to 2 min at
// odd offsets with jitter, missed scrapes, a restart and a monitoring gap; each scrape
// interval's series carry interval="…", so one SLO per interval is one SLO per label value.
func scraped() *demo.Samples {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 12, Seed: demo.DefaultSeed})
	return demo.RealScrapes(h, demo.RealScrapeIntervals)
}

// perInterval is one SLO per scrape interval and kind: a checkout ratio (good by a
// negative matcher) with a 28-day window, and a search ratio of two counters (bad and
// total) with a 7-day window.
func perInterval() []*slo.SLO {
	var out []*slo.SLO
	for _, iv := range demo.RealScrapeIntervals {
		l := demo.IntervalLabel(iv)
		out = append(out,
			&slo.SLO{Name: "checkout-" + l, Service: "checkout", Objective: 99.9,
				Window: slo.Window{Kind: slo.Rolling, Duration: 28 * 24 * time.Hour},
				Indicator: slo.Indicator{Kind: slo.Ratio,
					Good:  fmt.Sprintf(`http_requests_total{job="checkout",interval=%q,code!~"5.."}`, l),
					Total: fmt.Sprintf(`http_requests_total{job="checkout",interval=%q}`, l)}},
			&slo.SLO{Name: "search-" + l, Service: "search", Objective: 99.5,
				Window: slo.Window{Kind: slo.Rolling, Duration: 7 * 24 * time.Hour},
				Indicator: slo.Indicator{Kind: slo.Ratio,
					Bad:   fmt.Sprintf(`search_errors_total{job="search",interval=%q}`, l),
					Total: fmt.Sprintf(`search_requests_total{job="search",interval=%q}`, l)}},
		)
	}
	return out
}

// newEngine is an engine over a fresh client of url, batching or not.
func newEngine(t *testing.T, url string, batched bool) (*engine.Engine, *batch.Source) {
	src, err := source.New(source.Config{URL: url, Timeout: time.Minute, CacheEntries: 1000, SplitPoints: source.SplitForParallel})
	require.NoError(t, err)
	if !batched {
		return engine.New(src), nil
	}
	b := batch.New(src)
	// Under the race detector on a busy machine, peers may be slow to join: wait for them
	// longer than by default, so that the request counts below do not depend on the load.
	b.Linger, b.MaxWait = 100*time.Millisecond, time.Second
	return engine.New(b), b
}

// statuses computes every SLO's status at once, as the plugin does for a status panel.
func statuses(e *engine.Engine, slos []*slo.SLO, at time.Time) ([]*engine.Status, error) {
	ctx := batch.WithPeers(context.Background(), len(slos))
	out := make([]*engine.Status, len(slos))
	errs := make([]error, len(slos))
	var wg sync.WaitGroup
	for i, s := range slos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = e.Status(ctx, s, at)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", slos[i].Name, err)
		}
	}
	return out, nil
}

// TestBatchedFiguresEqual checks, on a real Prometheus, that the SLOs batched into grouped
// queries get the same figures as when each asks alone, with far fewer requests.
func TestBatchedFiguresEqual(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	samples := scraped()
	prom := promtest.StartSamples(t, samples)
	slos := perInterval()
	end := samples.Truth.End()
	// Off the minute and hour grids, and at the edge of the monitoring gap.
	_, gap, _ := demo.RealScrapeEvents(samples.Truth)
	for _, at := range []time.Time{end.Add(-3*time.Hour - 17*time.Minute), gap.End.Add(3 * time.Minute), end.Add(-24 * time.Hour)} {
		t.Run(at.Format(time.RFC3339), func(t *testing.T) {
			alone, _ := newEngine(t, prom.URL, false)
			batched, bs := newEngine(t, prom.URL, true)
			want, err := statuses(alone, slos, at)
			require.NoError(t, err)
			got, err := statuses(batched, slos, at)
			require.NoError(t, err)
			var reqAlone, reqBatched int
			for i, s := range slos {
				w, g := want[i], got[i]
				reqAlone += w.Fetched.Requests
				reqBatched += g.Fetched.Requests
				require.True(t, w.HasData, "%s has data", s.Name)
				require.Equal(t, w.Counts, g.Counts, "%s: window counts", s.Name)
				require.Equal(t, w.SLI, g.SLI, "%s: SLI", s.Name)
				require.Equal(t, w.Burns, g.Burns, "%s: burn rates", s.Name)
				require.Equal(t, w.State, g.State, "%s: state", s.Name)
				require.Equal(t, w.Fetched.Warnings, g.Fetched.Warnings, "%s: warnings", s.Name)
			}
			batches, joined := bs.Counts()
			t.Logf("%d SLOs: %d requests alone, %d batched (%d batched queries for %d calls)", len(slos), reqAlone, reqBatched, batches, joined)
			require.Greater(t, joined, batches, "calls share batched queries")
			require.Less(t, reqBatched*2, reqAlone, "batching at least halves the requests")

			// Three viewers refresh at once: they ask for the same batches as the first
			// query (so their chunks come from the cache or from requests in flight),
			// with the same figures.
			var wg sync.WaitGroup
			agains := make([][]*engine.Status, 3)
			errs := make([]error, 3)
			for v := range agains {
				wg.Add(1)
				go func() {
					defer wg.Done()
					agains[v], errs[v] = statuses(batched, slos, at)
				}()
			}
			wg.Wait()
			for v, again := range agains {
				require.NoError(t, errs[v])
				for i, s := range slos {
					require.Equal(t, got[i].Counts, again[i].Counts, "%s: refreshed counts", s.Name)
					require.ElementsMatch(t, got[i].Fetched.Queries, again[i].Fetched.Queries, "%s: refreshed queries", s.Name)
				}
			}
		})
	}
}

// TestAloneIsUnbatched checks that a caller without peers sends its own query unchanged.
func TestAloneIsUnbatched(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	samples := scraped()
	prom := promtest.StartSamples(t, samples)
	e, bs := newEngine(t, prom.URL, true)
	s := perInterval()[0]
	st, err := e.Status(context.Background(), s, samples.Truth.End().Add(-time.Hour))
	require.NoError(t, err)
	require.True(t, st.HasData)
	batches, _ := bs.Counts()
	require.Zero(t, batches)
	for _, q := range st.Fetched.Queries {
		require.NotContains(t, q, "=~", "a lone SLO's queries keep their equality matchers")
	}
}

// TestFirstWaveAsksEachQueryOnce checks, on a real Prometheus behind a counting proxy,
// that viewers opening one dashboard at about the same time, cold, never send the same
// request twice: a batch that comes after another's request has ended finds its chunks
// and raw-sample probes instead of asking again. They all see the same figures.
func TestFirstWaveAsksEachQueryOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	samples := scraped()
	prom := promtest.StartSamples(t, samples)
	proxy, err := scalebench.StartProxy(prom.URL)
	require.NoError(t, err)
	t.Cleanup(proxy.Stop)
	slos := perInterval()
	at := samples.Truth.End().Add(-5*time.Hour - 13*time.Minute)
	for round := 0; round < 3; round++ {
		batched, bs := newEngine(t, proxy.URL, true)
		bs.Linger, bs.MaxWait = 0, 0 // the plugin's: a late viewer's batch is a batch of its own
		proxy.Reset()
		const viewers = 6
		got := make([][]*engine.Status, viewers)
		errs := make([]error, viewers)
		var wg sync.WaitGroup
		for v := range viewers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(v*(round+1)) * 15 * time.Millisecond) // one after another, overlapping
				got[v], errs[v] = statuses(batched, slos, at)
			}()
		}
		wg.Wait()
		counts := proxy.Reset()
		for v := range viewers {
			require.NoError(t, errs[v])
			for i, s := range slos {
				require.Equal(t, got[0][i].Counts, got[v][i].Counts, "%s: viewer %d's counts", s.Name, v)
			}
		}
		t.Logf("round %d: %d requests, %d distinct", round, counts.Requests, counts.Distinct)
		require.Equal(t, counts.Distinct, counts.Requests, "round %d: no request is sent twice", round)
	}
}
