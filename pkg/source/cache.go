package source

import (
	"container/list"
	"sync"
)

// lru is a least-recently-used cache of chunk results, safe for concurrent use.
type lru struct {
	mu    sync.Mutex
	size  int
	order *list.List // front is most recent; values are *lruEntry
	items map[string]*list.Element
}

// lruEntry is one cached chunk.
type lruEntry struct {
	key string
	val chunkResult
}

// newLRU returns a cache holding at most size entries.
func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the entry under key and marks it recently used.
func (l *lru) get(key string) (chunkResult, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.items[key]
	if !ok {
		return chunkResult{}, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry).val, true
}

// put stores val under key, evicting the least recently used entry when full.
func (l *lru) put(key string, val chunkResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.items[key]; ok {
		e.Value.(*lruEntry).val = val
		l.order.MoveToFront(e)
		return
	}
	l.items[key] = l.order.PushFront(&lruEntry{key: key, val: val})
	for l.order.Len() > l.size {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.items, last.Value.(*lruEntry).key)
	}
}

// len returns the number of entries.
func (l *lru) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
