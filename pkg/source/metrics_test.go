package source

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsCount(t *testing.T) {
	m := NewMetrics()
	f := newFake(t)
	f.series = 3
	f.delay = 200 * time.Millisecond
	now := epoch.Add(48 * time.Hour)
	c := setup(t, f, Config{MaxPoints: 100, CacheBytes: 1 << 20, Metrics: m, Now: func() time.Time { return now }})
	start, end := epoch.Add(100*time.Minute), epoch.Add(299*time.Minute) // two chunks of 100 points

	// Three viewers at once: one request per chunk, the others wait for it.
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.RangeGroups(context.Background(), "sum by (s) (x)", start, end, time.Minute)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	sent := len(f.requests())
	require.GreaterOrEqual(t, sent, 2)
	assert.Equal(t, float64(sent), testutil.ToFloat64(m.requests.WithLabelValues("success")))
	assert.Equal(t, uint64(sent), histogramCount(t, m.duration))
	assert.Equal(t, 6.0, testutil.ToFloat64(m.cacheMisses)+testutil.ToFloat64(m.cacheHits), "three callers, two chunks each")
	assert.Equal(t, float64(6-sent), testutil.ToFloat64(m.shared)+testutil.ToFloat64(m.cacheHits),
		"every chunk not sent was shared or found in the cache")

	// A refresh is served from the cache.
	hits := testutil.ToFloat64(m.cacheHits)
	_, st, err := c.RangeGroups(context.Background(), "sum by (s) (x)", start, end, time.Minute)
	require.NoError(t, err)
	assert.Zero(t, st.Requests)
	assert.Equal(t, hits+2, testutil.ToFloat64(m.cacheHits))
	assert.Equal(t, float64(c.cache.size()), testutil.ToFloat64(m.cacheBytes))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.cacheEntries))
	assert.Greater(t, c.cache.size(), int64(2*100*8*3), "two chunks of three series of 100 values")

	// Failures count by outcome.
	f.status, f.body, f.delay = http.StatusInternalServerError, `{"status":"error","errorType":"internal","error":"boom"}`, 0
	_, _, err = c.Range(context.Background(), "other", start, start, time.Minute)
	require.Error(t, err)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("http_5xx")))

	// Closing the client releases the cache and its figures.
	c.Close()
	assert.Zero(t, testutil.ToFloat64(m.cacheBytes))
	assert.Zero(t, testutil.ToFloat64(m.cacheEntries))
}

func TestMetricsRegister(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	for _, c := range NewMetrics().Collectors() {
		require.NoError(t, reg.Register(c))
	}
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	assert.Equal(t, len(outcomes)+7, n, "every outcome shows from the start")
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	return mfs[0].GetMetric()[0].GetHistogram().GetSampleCount()
}
