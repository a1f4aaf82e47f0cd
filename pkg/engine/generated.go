package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/slo"
)

// GeneratedPromQL is the PromQL the engine runs for an SLO, for documentation.
type GeneratedPromQL struct {
	// HandWritten is the SLI over the SLO window as one expression.
	HandWritten string `json:"handWritten,omitempty"`
	// GoodOrBad and Total are the per-bucket growth queries the engine runs (5m buckets
	// shown); one grouped query stands in both when it tells good from bad by a label.
	GoodOrBad string `json:"goodOrBad,omitempty"`
	Good      string `json:"good,omitempty"`
	Bad       string `json:"bad,omitempty"`
	Total     string `json:"total,omitempty"`
	Error     string `json:"error,omitempty"`
}

// catalogStep is the bucket step of the queries the catalog shows.
const catalogStep = 5 * time.Minute

// catalogWindow is the window of the hand-written SLI of an SLO without a rolling window.
const catalogWindow = 30 * 24 * time.Hour

// Generated returns the PromQL the engine runs for s at time at: the growth form found
// on the source, and a latency threshold's le as the server spells it. Where the source
// does not answer, it shows the form that works everywhere and the threshold as written.
func (e *Engine) Generated(ctx context.Context, s *slo.SLO, at time.Time) GeneratedPromQL {
	var g GeneratedPromQL
	if s.Indicator.Kind == slo.Threshold {
		// Judged once a minute; per-bucket counts of good and present minutes.
		t, err := promql.ForThreshold(s, catalogStep, time.Minute)
		if err != nil {
			g.Error = err.Error()
			return g
		}
		g.Good, g.Total, g.GoodOrBad = t.Good, t.Total, t.Good
		return g
	}
	w := s.Window.Duration
	if w == 0 {
		w = catalogWindow
	}
	le := fmt.Sprintf("%g", s.Indicator.Le)
	if s.Indicator.Kind == slo.Latency {
		if found, err := e.resolveLe(ctx, s, at.Add(-w), at); err == nil {
			le = found
		}
	}
	hw, err := promql.HandWritten(s, w, le)
	if err != nil {
		g.Error = err.Error()
		return g
	}
	g.HandWritten = hw
	form, err := e.Form(ctx)
	if err != nil {
		form = promql.FormLastSample
	}
	plan, err := planGrowth(s, promql.Tiling{Form: form, Step: catalogStep, Gap: e.gap()}, le)
	if err != nil {
		g.Error = err.Error()
		return g
	}
	switch {
	case plan.plain != nil:
		// Nines reads the last values per series and subtracts in Go.
		p := *plan.plain
		for _, c := range []struct {
			sel string
			dst *string
		}{{p.Good, &g.Good}, {p.Bad, &g.Bad}, {p.Total, &g.Total}} {
			if c.sel == "" {
				continue
			}
			if q, err := promql.LastValues(c.sel, e.lookback()); err == nil {
				*c.dst = q
			}
		}
	case plan.grouped != nil:
		g.Total = plan.grouped.Query
		g.GoodOrBad = plan.grouped.Query
		return g
	default:
		g.Good, g.Bad, g.Total = plan.pair.Good, plan.pair.Bad, plan.pair.Total
	}
	g.GoodOrBad = g.Good
	if g.GoodOrBad == "" {
		g.GoodOrBad = g.Bad
	}
	return g
}
