package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
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
	// Unchecked counts the SLOs whose data was not checked: beyond MaxHealthChecks, or
	// in a batch the source did not answer.
	Unchecked int
}

// Health check bounds: SLOs are checked for data in batches of HealthBatch, one request
// each, and at most MaxHealthChecks of them, so that "Save & test" answers within the
// timeout whatever the number of SLOs.
const (
	HealthBatch     = 50
	MaxHealthChecks = 200
)

// healthLabel is the label that tells the SLOs of a batched data check apart.
const healthLabel = "nines_slo"

// Health asks the source for its version, then checks the data of the SLOs in the hour
// before now (in batches, one request per HealthBatch SLOs) and latency thresholds
// against the histograms' bounds (one request per histogram). It fails only when the
// source does not answer.
func (e *Engine) Health(ctx context.Context, slos []*slo.SLO, now time.Time) (*Health, error) {
	version, err := e.Source.Version(ctx)
	if err != nil {
		return nil, err
	}
	h := &Health{Version: version}
	checked := slos
	if len(checked) > MaxHealthChecks {
		checked, h.Unchecked = slos[:MaxHealthChecks], len(slos)-MaxHealthChecks
	}
	var mu sync.Mutex
	var batches [][]*slo.SLO
	for i := 0; i < len(checked); i += HealthBatch {
		batches = append(batches, checked[i:min(i+HealthBatch, len(checked))])
	}
	e.each(ctx, len(batches), func(ctx context.Context, i int) {
		empty, err := e.noData(ctx, batches[i], now)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			h.Unchecked += len(batches[i])
			return
		}
		h.NoData = append(h.NoData, empty...)
	})
	latency := latencySLOs(checked)
	e.each(ctx, len(latency), func(ctx context.Context, i int) {
		s := latency[i]
		if err := e.CheckLatency(ctx, s, now.Add(-s.Window.Duration-time.Hour), now); err != nil {
			mu.Lock()
			h.Errors = append(h.Errors, fmt.Sprintf("%s: %s", s.Source, err))
			mu.Unlock()
		}
	})
	sort.Strings(h.Errors)
	sort.Strings(h.NoData)
	return h, nil
}

// latencySLOs are the latency SLOs of slos, one per histogram and threshold.
func latencySLOs(slos []*slo.SLO) []*slo.SLO {
	var out []*slo.SLO
	seen := map[string]bool{}
	for _, s := range slos {
		key := fmt.Sprintf("%s|%g", s.Indicator.Histogram, s.Indicator.Le)
		if s.Indicator.Kind == slo.Latency && !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out
}

// healthTotal is the query of an SLO's total events over the hour before the instant
// (threshold SLOs: the minutes with a sample of the gauge), "" when it cannot be built.
func healthTotal(s *slo.SLO) string {
	if s.Indicator.Kind == slo.Threshold {
		if q, err := promql.ForThreshold(s, time.Hour, time.Minute); err == nil {
			return q.Total
		}
		return ""
	}
	if q, err := promql.ForSLO(s, promql.Tiling{Form: promql.FormIncrease, Step: time.Hour}, fmt.Sprintf("%g", s.Indicator.Le)); err == nil {
		return q.Total
	}
	return ""
}

// noData returns the SLOs of a batch whose total events over the hour before now are
// zero or absent, from one query: each SLO's total, tagged with its name.
func (e *Engine) noData(ctx context.Context, batch []*slo.SLO, now time.Time) ([]string, error) {
	var parts, names []string
	for _, s := range batch {
		if total := healthTotal(s); total != "" {
			// SLO names match slo.NamePattern: safe inside a string literal.
			parts = append(parts, fmt.Sprintf(`label_replace(%s, %q, %q, "", "")`, total, healthLabel, s.Name))
			names = append(names, s.Name)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	at := now.Truncate(time.Minute)
	groups, _, err := e.Source.RangeGroups(ctx, strings.Join(parts, " or "), at, at, time.Minute)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, g := range groups {
		for i, v := range g.Values {
			if g.Present[i] && v > 0 {
				has[g.Labels[healthLabel]] = true
			}
		}
	}
	var out []string
	for _, n := range names {
		if !has[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// each runs fn(i) for i in [0, n), at most Concurrency at once, and returns when all are
// done; once ctx ends, no further call is started. A panic in fn is not recovered.
func (e *Engine) each(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	limit := e.Concurrency
	if limit <= 0 {
		limit = healthConcurrency
	}
	var g errgroup.Group
	g.SetLimit(limit)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			fn(ctx, i)
			return nil
		})
	}
	_ = g.Wait() // fn returns no errors
}

// healthConcurrency bounds the requests of a health check when Engine.Concurrency is unset.
const healthConcurrency = 4
