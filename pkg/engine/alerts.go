package engine

import (
	"context"
	"time"

	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// AlertPair is one multiwindow burn-rate alert of an SLO at an instant: its windows,
// factor and severity, and the burn rates over its long and short windows.
type AlertPair struct {
	slo.BurnWindow
	LongBurn, ShortBurn Burn
}

// Ratio is the smaller of the two burn rates divided by the factor: above 1 exactly
// when both windows burn faster than the factor. ok is false when either window had no
// events (no traffic cannot burn the budget, and cannot fire).
func (p AlertPair) Ratio() (v float64, ok bool) {
	if !p.LongBurn.OK || !p.ShortBurn.OK || !(p.Factor > 0) {
		return 0, false
	}
	return min(p.LongBurn.Rate, p.ShortBurn.Rate) / p.Factor, true
}

// Firing reports whether the alert fires: both burn rates above the factor, as the
// Prometheus rules of pkg/rules compare (strictly greater).
func (p AlertPair) Firing() bool {
	v, ok := p.Ratio()
	return ok && v > 1
}

// Alerts holds the burn-rate alerts of one SLO at an instant.
type Alerts struct {
	SLO *slo.SLO
	// At is the end of every window (the instant asked for, aligned to the bucket grid).
	At time.Time
	// Pairs are the SLO's alerting windows (slo.SLO.Alerting), in order.
	Pairs   []AlertPair
	Fetched *Fetched
}

// Alerts computes the burn rates of every alert window pair of s ending at at, from one
// fetch of the fine buckets that status reads its burn rates from, over the longest
// alert window only.
func (e *Engine) Alerts(ctx context.Context, s *slo.SLO, at time.Time) (*Alerts, error) {
	windows := s.Alerting()
	var longest time.Duration
	for _, bw := range windows {
		longest = max(longest, bw.Long, bw.Short)
	}
	step := SliceStep(s, MinStep)
	st := &Status{SLO: s, At: series.Align(at, step)}
	f, err := e.Counts(ctx, s, st.At.Add(-longest), st.At, step)
	if err != nil {
		return nil, err
	}
	st.Fetched = f
	a := &Alerts{SLO: s, At: st.At, Fetched: f}
	for _, bw := range windows {
		a.Pairs = append(a.Pairs, AlertPair{BurnWindow: bw, LongBurn: st.burn(bw.Long), ShortBurn: st.burn(bw.Short)})
	}
	return a, nil
}
