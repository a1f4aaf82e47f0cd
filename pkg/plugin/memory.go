package plugin

import (
	"os"
	"runtime/debug"
	"sync"
)

// MemoryHeadroom is the memory the plugin allows itself beside the caches of its data
// sources: enough to answer a 1,000-SLO dashboard (answers are decoded series by series).
const MemoryHeadroom = 88 << 20

// memory tracks the caches of the live instances, whose sum plus MemoryHeadroom is the Go
// runtime's soft memory limit: the garbage collector works harder near it instead of
// letting the heap double, so the plugin's memory follows its settings.
var memory struct {
	sync.Mutex
	caches int64
}

// reserveMemory adds an instance's cache to the limit and returns how to take it back.
// It does nothing when the operator set GOMEMLIMIT.
func reserveMemory(cache int64) (release func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	memory.Lock()
	memory.caches += cache
	debug.SetMemoryLimit(memory.caches + MemoryHeadroom)
	memory.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			memory.Lock()
			memory.caches -= cache
			debug.SetMemoryLimit(memory.caches + MemoryHeadroom)
			memory.Unlock()
		})
	}
}
