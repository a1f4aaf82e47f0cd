package source

import (
	"container/list"
	"slices"
	"sync"
	"unsafe"
)

// DefaultCacheBytes is the cache size used when a config asks for a cache without a size: 128 MiB.
const DefaultCacheBytes = 128 << 20

// Estimated sizes of the bookkeeping around cached data, in bytes: a cache entry with its
// list element and map slot, and a label map with its header and one slot per label.
const (
	entryOverhead    = int64(unsafe.Sizeof(list.Element{})+unsafe.Sizeof(cacheEntry{})) + 48
	seriesSize       = int64(unsafe.Sizeof(seriesResult{}))
	labelSetOverhead = int64(unsafe.Sizeof(labelSet{})+unsafe.Sizeof(internedLabels{})) + 48 + 48
	labelSlot        = 2*int64(unsafe.Sizeof("")) + 8
)

// cache is a least-recently-used cache of chunk results bounded by the bytes they hold,
// safe for concurrent use. Label sets are shared by all entries that hold them and
// counted once.
type cache struct {
	mu     sync.Mutex
	max    int64      // bytes
	bytes  int64      // held now: entries and interned label sets
	order  *list.List // front is most recent; values are *cacheEntry
	items  map[chunkKey]*list.Element
	labels map[string]*internedLabels // by metric key
	m      *Metrics                   // nil-safe
}

// cacheEntry is one cached chunk and the bytes it holds, its label sets aside.
type cacheEntry struct {
	key   chunkKey
	val   chunkResult
	bytes int64
}

// internedLabels is a label set shared by cached series, with its reference count.
type internedLabels struct {
	set   *labelSet
	refs  int
	bytes int64
}

// newCache returns a cache holding at most maxBytes bytes.
func newCache(maxBytes int64, m *Metrics) *cache {
	return &cache{max: maxBytes, order: list.New(), items: make(map[chunkKey]*list.Element),
		labels: make(map[string]*internedLabels), m: m}
}

// get returns the entry under key and marks it recently used.
func (c *cache) get(key chunkKey) (chunkResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return chunkResult{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).val, true
}

// put stores val under key, then evicts least recently used entries until the cache
// holds at most its size. An entry larger than the whole cache is not kept. val is not
// changed (it may be shared); the cache keeps its own list of series with shared labels.
func (c *cache) put(key chunkKey, val chunkResult) {
	stored := chunkResult{from: val.from, to: val.to, series: slices.Clone(val.series), spans: slices.Clone(val.spans)}
	size := entryBytes(key, stored)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.items[key]; ok {
		c.remove(old)
	}
	if size+c.newLabelBytes(val) > c.max {
		return
	}
	for i := range stored.series {
		stored.series[i].labels = c.intern(stored.series[i].labels)
	}
	e := c.order.PushFront(&cacheEntry{key: key, val: stored, bytes: size})
	c.items[key] = e
	c.bytes += size
	c.m.cacheChanged(size, 1)
	for c.bytes > c.max && c.order.Back() != e {
		c.remove(c.order.Back())
	}
}

// remove drops an entry and the label sets only it held.
func (c *cache) remove(e *list.Element) {
	ce := e.Value.(*cacheEntry)
	c.order.Remove(e)
	delete(c.items, ce.key)
	c.bytes -= ce.bytes
	c.m.cacheChanged(-ce.bytes, -1)
	for _, sr := range ce.val.series {
		il := c.labels[sr.labels.key]
		if il == nil {
			continue
		}
		if il.refs--; il.refs == 0 {
			delete(c.labels, sr.labels.key)
			c.bytes -= il.bytes
			c.m.cacheChanged(-il.bytes, 0)
		}
	}
}

// intern returns the shared copy of a label set, adding it when it is new.
func (c *cache) intern(ls *labelSet) *labelSet {
	if il, ok := c.labels[ls.key]; ok {
		il.refs++
		return il.set
	}
	b := ls.bytes()
	c.labels[ls.key] = &internedLabels{set: ls, refs: 1, bytes: b}
	c.bytes += b
	c.m.cacheChanged(b, 0)
	return ls
}

// newLabelBytes returns the bytes of the label sets of val that the cache does not hold yet.
func (c *cache) newLabelBytes(val chunkResult) int64 {
	var n int64
	for _, sr := range val.series {
		if _, ok := c.labels[sr.labels.key]; !ok {
			n += sr.labels.bytes()
		}
	}
	return n
}

// clear drops every entry.
func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.order.Len() > 0 {
		c.remove(c.order.Back())
	}
}

// len returns the number of entries.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// size returns the bytes held: entries and label sets.
func (c *cache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// entryBytes estimates the bytes a cached chunk holds apart from its label sets: its key,
// the bookkeeping, and each series' values and presence bits by their capacity.
func entryBytes(key chunkKey, val chunkResult) int64 {
	n := entryOverhead + int64(len(key.query)) + int64(cap(val.series))*seriesSize + int64(cap(val.spans))*16
	for _, sr := range val.series {
		n += int64(cap(sr.values))*8 + int64(cap(sr.present))*8
	}
	return n
}

// bytes estimates the bytes of a label set: its key, its strings and its map.
func (ls *labelSet) bytes() int64 {
	n := labelSetOverhead + int64(len(ls.key))
	for k, v := range ls.m {
		n += labelSlot + int64(len(k)+len(v))
	}
	return n
}
