package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/slo"
)

// Health is what a health check finds on the metrics source for a set of SLOs.
type Health struct {
	// Version is the source's version.
	Version string
	// Errors are latency SLOs whose threshold is not a bucket bound on the server,
	// "file:line: message", sorted.
	Errors []string
	// NoData are the SLOs without events in the last hour (threshold SLOs: without a
	// minute with a sample of the gauge), sorted.
	NoData []string
}

// healthConcurrency bounds the SLOs checked at once when Engine.Concurrency is unset.
const healthConcurrency = 4

// Health asks the source for its version, then checks every SLO's data in the hour
// before now and latency thresholds against the histograms' bounds. It fails only when
// the source does not answer.
func (e *Engine) Health(ctx context.Context, slos []*slo.SLO, now time.Time) (*Health, error) {
	version, err := e.Source.Version(ctx)
	if err != nil {
		return nil, err
	}
	h := &Health{Version: version}
	var mu sync.Mutex
	e.each(ctx, slos, func(ctx context.Context, s *slo.SLO) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				h.Errors = append(h.Errors, fmt.Sprintf("%s: internal error while checking SLO %s (a bug in Nines): %v", s.Source, s.Name, p))
				mu.Unlock()
			}
		}()
		latency := e.CheckLatency(ctx, s, now.Add(-s.Window.Duration-time.Hour), now)
		empty := e.noData(ctx, s, now)
		mu.Lock()
		defer mu.Unlock()
		if latency != nil {
			h.Errors = append(h.Errors, fmt.Sprintf("%s: %s", s.Source, latency))
		}
		if empty {
			h.NoData = append(h.NoData, s.Name)
		}
	})
	sort.Strings(h.Errors)
	sort.Strings(h.NoData)
	return h, nil
}

// noData reports whether the SLO's total events over the hour before now are zero or
// absent; a query that fails says nothing.
func (e *Engine) noData(ctx context.Context, s *slo.SLO, now time.Time) bool {
	total := ""
	if s.Indicator.Kind == slo.Threshold {
		// Minutes with a sample of the gauge in the last hour.
		if q, err := promql.ForThreshold(s, time.Hour, time.Minute); err == nil {
			total = q.Total
		}
	} else if q, err := promql.ForSLO(s, promql.Tiling{Form: promql.FormIncrease, Step: time.Hour}, fmt.Sprintf("%g", s.Indicator.Le)); err == nil {
		total = q.Total
	}
	if total == "" {
		return false
	}
	v, ok, err := e.Source.Instant(ctx, total, now)
	return err == nil && (!ok || v == 0)
}

// each runs fn for every SLO, at most Concurrency at once, and returns when all are done;
// once ctx ends, no further SLO is started.
func (e *Engine) each(ctx context.Context, slos []*slo.SLO, fn func(ctx context.Context, s *slo.SLO)) {
	limit := e.Concurrency
	if limit <= 0 {
		limit = healthConcurrency
	}
	var g errgroup.Group
	g.SetLimit(limit)
	for _, s := range slos {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			fn(ctx, s)
			return nil
		})
	}
	_ = g.Wait() // fn returns no errors
}
