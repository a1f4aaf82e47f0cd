package source

import (
	"context"
	"fmt"
	"time"
)

// rangeProbe counts the points of a 1m subquery at a 30s step: 3 where range selectors
// include their left end (Prometheus 2.x), 2 where they are left-open (Prometheus 3.x).
const rangeProbe = `count_over_time(vector(1)[1m:30s])`

// LeftOpenRanges reports whether the source's range selectors exclude their left end, as
// Prometheus 3 does: then increase(x[r]) misses the boundary sample of each bucket.
func (c *Client) LeftOpenRanges(ctx context.Context) (bool, error) {
	at := c.now().Truncate(time.Minute).Add(-time.Minute)
	v, ok, err := c.Instant(ctx, rangeProbe, at)
	if err != nil {
		return false, fmt.Errorf("probe range semantics: %w", err)
	}
	if !ok {
		return false, fmt.Errorf("probe range semantics: %s returned nothing", rangeProbe)
	}
	switch v {
	case 2:
		return true, nil
	case 3:
		return false, nil
	}
	return false, fmt.Errorf("probe range semantics: %s returned %v, want 2 or 3", rangeProbe, v)
}
