package source

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kinds of counter growth a source offers, as found by ProbeGrowth.
const (
	// GrowthLookbehind: increase(x[r]) starts from the last sample before the range and
	// does not extrapolate (VictoriaMetrics).
	GrowthLookbehind = "lookbehind"
	// GrowthAnchored: the source accepts increase(x[r] anchored) (Prometheus 3 with the
	// extended range selectors).
	GrowthAnchored = "anchored"
	// GrowthExtrapolated: increase(x[r]) extrapolates to the range's ends (Prometheus 2.x
	// and 3.x); only the counter's last samples tile.
	GrowthExtrapolated = "extrapolated"
)

// lookbehindProbe is the increase of the time over 90s, sampled every minute: Prometheus
// sees two samples a minute apart and extrapolates the 60 to 90; an engine whose increase
// reaches back to the sample before the range sees 120.
const lookbehindProbe = `increase(vector(time())[90s:1m])`

// anchoredProbe parses only where the anchored range modifier exists.
const anchoredProbe = `increase(nines_anchored_probe_total[1m] anchored)`

// ProbeGrowth finds out how the source computes increase(): one of GrowthLookbehind,
// GrowthAnchored or GrowthExtrapolated. It costs one or two instant queries.
func (c *Client) ProbeGrowth(ctx context.Context) (string, error) {
	at := c.now().Truncate(time.Minute).Add(-time.Minute)
	v, ok, err := c.Instant(ctx, lookbehindProbe, at)
	if err != nil {
		return "", fmt.Errorf("probe how the source computes increase: %w", err)
	}
	if ok && v == 120 {
		return GrowthLookbehind, nil
	}
	// Prometheus evaluates every point of a range query on its own: a range may be
	// fetched in pieces that start anywhere. (VictoriaMetrics' first points depend on
	// where the range starts, so it never gets here.)
	c.pointwise.Store(true)
	if _, _, err := c.Instant(ctx, anchoredProbe, at); err != nil {
		var se *sourceError
		if errors.As(err, &se) && se.status >= 400 && se.status < 500 {
			return GrowthExtrapolated, nil // the source does not know the anchored modifier
		}
		return "", fmt.Errorf("probe for the anchored modifier: %w", err)
	}
	return GrowthAnchored, nil
}

// lookbackKey is the context key of a per-query lookback delta.
type lookbackKey struct{}

// WithLookbackDelta returns a context whose range queries ask the source for this
// lookback delta (the Prometheus API's lookback_delta parameter); 0 leaves the source's own.
func WithLookbackDelta(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, lookbackKey{}, d)
}

// LookbackDelta returns the lookback delta set on ctx, 0 when none.
func LookbackDelta(ctx context.Context) time.Duration {
	d, _ := ctx.Value(lookbackKey{}).(time.Duration)
	return d
}
