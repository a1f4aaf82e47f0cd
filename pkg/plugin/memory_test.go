package plugin

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each instance's cache raises the runtime's soft memory limit by its size, and its
// Dispose gives it back, twice or not; an operator's GOMEMLIMIT is left alone.
func TestMemoryLimitFollowsTheCaches(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	limit := func() int64 { return debug.SetMemoryLimit(-1) }
	before := limit()
	a := reserveMemory(64 << 20)
	require.Equal(t, memory.caches+MemoryHeadroom, limit())
	b := reserveMemory(32 << 20)
	withBoth := limit()
	a()
	a()
	require.Equal(t, withBoth-(64<<20), limit(), "released once")
	b()
	if before != int64(^uint64(0)>>1) { // no limit was set before this test
		require.Equal(t, before, limit())
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	now := limit()
	reserveMemory(1 << 30)()
	require.Equal(t, now, limit(), "GOMEMLIMIT set by the operator wins")
}
