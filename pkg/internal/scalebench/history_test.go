package scalebench

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/require"
)

// TestBlocksHoldTheScrapes writes a small history into blocks and reads it back: every
// series is there with one sample per scrape, off the minute grid, counters that only
// grow except at a restart, and a rerun finds the cached blocks.
func TestBlocksHoldTheScrapes(t *testing.T) {
	h := History{Services: 4, Days: 2, End: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), Seed: 1}
	cache := t.TempDir()
	dir, generated, err := h.Blocks(cache, 2)
	require.NoError(t, err)
	require.True(t, generated)

	want := map[string]int{}
	for i := 0; i < h.Services; i++ {
		n := 0
		require.NoError(t, h.scrapes(i, func(int64, float64, float64) error { n++; return nil }))
		want[Service(i)] = n
		require.Less(t, n, h.Days*1440, "some scrapes are missed")
		require.Greater(t, n, h.Days*1440*97/100)
	}

	metas, err := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	require.NoError(t, err)
	require.Len(t, metas, 1, "one block")
	b, err := tsdb.OpenBlock(slog.New(slog.DiscardHandler), filepath.Dir(metas[0]), nil, nil)
	require.NoError(t, err)
	defer b.Close()
	q, err := tsdb.NewBlockQuerier(b, math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	defer q.Close()
	set := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "http_requests_total"))
	series, onGrid, decreases := 0, 0, 0
	for set.Next() {
		s := set.At()
		series++
		it := s.Iterator(nil)
		n, prev := 0, -1.0
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			if ts%60000 == 0 {
				onGrid++
			}
			if v < prev {
				decreases++
			}
			prev = v
			n++
		}
		require.Equal(t, want[s.Labels().Get("service")], n, s.Labels().String())
	}
	require.NoError(t, set.Err())
	require.Equal(t, 2*h.Services, series)
	require.Less(t, onGrid, 10, "samples sit off the minute grid")
	require.Equal(t, 2, decreases, "svc-0003 restarts once: both its counters reset")

	again, generated, err := h.Blocks(cache, 2)
	require.NoError(t, err)
	require.False(t, generated, "a rerun uses the cached blocks")
	require.Equal(t, dir, again)
}

// TestProfilesVary checks the traffic the benchmark relies on: rates spread over two
// orders of magnitude, a few services burning their budget, and a few restarts.
func TestProfilesVary(t *testing.T) {
	h := History{Services: 1000, Days: 35, End: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), Seed: 1}
	lo, hi, burning, restarts := math.Inf(1), 0.0, 0, 0
	for i := 0; i < h.Services; i++ {
		p := h.profileOf(i, newRand(h.Seed, i))
		lo, hi = math.Min(lo, p.perMinute), math.Max(hi, p.perMinute)
		if p.incRatio > 0.001 {
			burning++
		}
		if !p.restart.IsZero() {
			restarts++
			require.True(t, p.restart.After(h.Start()) && p.restart.Before(h.End))
		}
		require.Less(t, p.errRatio, 0.001)
	}
	require.Greater(t, hi/lo, 50.0)
	require.InDelta(t, 20, burning, 6)
	require.InDelta(t, 7, restarts, 2)
}
