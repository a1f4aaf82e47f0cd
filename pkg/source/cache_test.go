package source

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testChunk builds a chunk result as fetch does, from decoded series: one series per
// service, points at every step but the missing ones.
func testChunk(t testing.TB, points int, services []string, missing map[int]bool) chunkResult {
	t.Helper()
	r := chunkResult{from: 0, to: int64(points-1) * 60_000}
	for _, s := range services {
		ss := &apiSeries{Metric: map[string]string{"service": s, "code": "500"}}
		for i := range points {
			if !missing[i] {
				ss.Values = append(ss.Values, point{t: int64(i) * 60_000, v: float64(i)})
			}
		}
		sr, err := compactSeries("test", ss, r.from, r.to, 60_000, points)
		require.NoError(t, err)
		r.series = append(r.series, sr)
	}
	r.series = slices.Clip(r.series) // as the cache stores it
	return r
}

// labelBytes sums the bytes of the distinct label sets of rs.
func labelBytes(rs ...chunkResult) int64 {
	seen := map[string]bool{}
	var n int64
	for _, r := range rs {
		for _, sr := range r.series {
			if !seen[sr.labels.key] {
				seen[sr.labels.key] = true
				n += sr.labels.bytes()
			}
		}
	}
	return n
}

func TestCacheEvictsByBytes(t *testing.T) {
	a := testChunk(t, 1000, []string{"a"}, nil)
	b := testChunk(t, 1000, []string{"b"}, nil)
	c := testChunk(t, 1000, []string{"c"}, nil)
	one := entryBytes(testKey("k1"), a) + labelBytes(a)
	require.Greater(t, one, int64(8000), "1000 values take 8000 bytes at least")
	require.Less(t, one, int64(9000), "and little more")

	l := newCache(2*one+one/2, nil) // room for two entries, not three
	l.put(testKey("k1"), a)
	l.put(testKey("k2"), b)
	assert.Equal(t, 2*one, l.size())
	_, ok := l.get(testKey("k1")) // k1 is now the most recent
	require.True(t, ok)
	l.put(testKey("k3"), c)
	_, ok = l.get(testKey("k2"))
	assert.False(t, ok, "k2 was least recently used")
	_, ok = l.get(testKey("k1"))
	assert.True(t, ok)
	assert.Equal(t, 2, l.len())
	assert.Equal(t, 2*one, l.size(), "the evicted entry's bytes and labels are released")

	big := testChunk(t, 2000, []string{"d"}, nil)
	l.put(testKey("k4"), big) // twice as large: evicts both others
	assert.Equal(t, 1, l.len())
	assert.Equal(t, entryBytes(testKey("k4"), big)+labelBytes(big), l.size())
}

func TestCacheAccounting(t *testing.T) {
	// Two chunks of the same series share their label sets, counted once.
	services := []string{"checkout", "cart", "search"}
	first := testChunk(t, 500, services, nil)
	second := testChunk(t, 500, services, map[int]bool{3: true, 400: true})
	l := newCache(1<<30, nil)
	l.put(testKey("first"), first)
	l.put(testKey("second"), second)
	want := entryBytes(testKey("first"), first) + entryBytes(testKey("second"), second) + labelBytes(first)
	assert.Equal(t, want, l.size())
	assert.Equal(t, 3, len(l.labels), "one shared label set per service")

	// A chunk with every point keeps no presence bits; a chunk with gaps keeps one bit a point.
	assert.Nil(t, first.series[0].present)
	assert.Len(t, second.series[0].present, (500+63)/64)
	assert.Equal(t, entryBytes(testKey("first"), first)+int64(3*len(second.series[0].present)*8)+int64(len("second")-len("first")), entryBytes(testKey("second"), second))

	// Capacity counts, not length.
	wide := chunkResult{series: []seriesResult{{labels: first.series[0].labels, values: make([]float64, 10, 1000)}}}
	narrow := chunkResult{series: []seriesResult{{labels: first.series[0].labels, values: make([]float64, 10)}}}
	assert.Equal(t, int64(990*8), entryBytes(testKey("x"), wide)-entryBytes(testKey("x"), narrow))

	// Replacing an entry counts the new one only; removing all releases everything.
	l.put(testKey("first"), second)
	assert.Equal(t, entryBytes(testKey("first"), second)+entryBytes(testKey("second"), second)+labelBytes(first), l.size())
	l.clear()
	assert.Zero(t, l.size())
	assert.Empty(t, l.labels)
}

func TestCacheKeepsNoEntryLargerThanItself(t *testing.T) {
	small := testChunk(t, 100, []string{"a"}, nil)
	huge := testChunk(t, 10_000, []string{"b"}, nil)
	l := newCache(entryBytes(testKey("huge"), huge)+labelBytes(huge)-1, nil)
	l.put(testKey("small"), small)
	l.put(testKey("huge"), huge)
	_, ok := l.get(testKey("huge"))
	assert.False(t, ok, "an entry larger than the cache is not kept")
	_, ok = l.get(testKey("small"))
	assert.True(t, ok, "and evicts nothing")
	l.put(testKey("small"), huge)
	_, ok = l.get(testKey("small"))
	assert.False(t, ok, "a too large replacement drops the old entry too")
	assert.Zero(t, l.size())
}

// The cache's count of its bytes matches the heap it keeps alive.
func TestCacheBytesMatchTheHeap(t *testing.T) {
	services := make([]string, 20)
	for i := range services {
		services[i] = fmt.Sprintf("svc-%04d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := newCache(1<<30, nil)
	for i := range 50 {
		l.put(testKey("chunk"+strconv.Itoa(i)), testChunk(t, 1024, services, map[int]bool{i: true}))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	counted := l.size()
	t.Logf("counted %d bytes, heap grew by %d", counted, held)
	assert.InDelta(t, 1, float64(counted)/float64(held), 0.15, "counted %d bytes, heap grew by %d", counted, held)
	runtime.KeepAlive(l)
}

func TestCacheConcurrent(t *testing.T) {
	chunks := make([]chunkResult, 8)
	for i := range chunks {
		chunks[i] = testChunk(t, 200*(i+1), []string{"a", "b", strconv.Itoa(i)}, nil)
	}
	l := newCache(entryBytes(testKey("key-0"), chunks[7])*3, NewMetrics())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range 2000 {
				k := rng.IntN(len(chunks))
				key := testKey("key-" + strconv.Itoa(k))
				if rng.IntN(2) == 0 {
					l.put(key, chunks[k])
					continue
				}
				if r, ok := l.get(key); ok {
					assert.Equal(t, chunks[k].to, r.to)
					assert.Equal(t, chunks[k].series[2].values, r.series[2].values)
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, l.size(), l.max)
	// The running count equals a count from scratch.
	var entries []chunkResult
	var want int64
	for e := l.order.Front(); e != nil; e = e.Next() {
		ce := e.Value.(*cacheEntry)
		want += entryBytes(ce.key, ce.val)
		entries = append(entries, ce.val)
	}
	assert.Equal(t, want+labelBytes(entries...), l.size())
}

func BenchmarkCache(b *testing.B) {
	services := make([]string, 10)
	for i := range services {
		services[i] = fmt.Sprintf("svc-%04d", i)
	}
	chunks := make([]chunkResult, 64)
	for i := range chunks {
		chunks[i] = testChunk(b, 512, services, nil)
	}
	one := entryBytes(testKey("chunk-00"), chunks[0]) + labelBytes(chunks[0])
	b.Run("put", func(b *testing.B) {
		l := newCache(one*32, nil) // half the chunks fit: puts evict
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l.put(testKey("chunk-"+strconv.Itoa(i%len(chunks))), chunks[i%len(chunks)])
		}
	})
	b.Run("get", func(b *testing.B) {
		l := newCache(one*128, nil)
		for i, c := range chunks {
			l.put(testKey("chunk-"+strconv.Itoa(i)), c)
		}
		keys := make([]chunkKey, len(chunks))
		for i := range keys {
			keys[i] = testKey("chunk-" + strconv.Itoa(i))
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := l.get(keys[i%len(keys)]); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// testKey is a cache key named name.
func testKey(name string) chunkKey { return chunkKey{query: name} }
