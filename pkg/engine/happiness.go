package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// Happiness defaults: hourly intervals, lags up to ±6 intervals.
const (
	DefaultHappinessInterval = time.Hour
	DefaultMaxLag            = 6
	// MaxHappinessLag bounds maxLag, to keep a typo from costing a long loop.
	MaxHappinessLag = 1000
)

// Happiness is the happiness test of one SLO against one signal: the SLI and the signal
// per interval, aligned, and their correlation.
type Happiness struct {
	SLO      *slo.SLO
	Signal   slo.Signal
	Interval time.Duration
	MaxLag   int
	// Times are the interval ends; interval i covers (Times[i]-Interval, Times[i]].
	Times []time.Time
	// SLI is the SLI per interval, NaN where the interval had no events.
	SLI []float64
	// Value is the signal per interval, NaN where it had no value.
	Value []float64
	// NoTraffic counts the intervals without events (left out); NoSignal those without a
	// signal value (left out); Used those that went into the correlation.
	NoTraffic, NoSignal, Used int
	// Pearson and Spearman are the correlations at lag 0.
	Pearson, Spearman     float64
	PearsonOK, SpearmanOK bool
	// Lag is the best lag in intervals (positive: the signal follows the SLI), LagR the
	// Pearson correlation there.
	Lag     int
	LagR    float64
	LagOK   bool
	Verdict budget.Judgement
	Queries []string
	// Warnings come from the metrics source.
	Warnings []string
}

// LagDuration returns the best lag as a duration.
func (h *Happiness) LagDuration() time.Duration { return time.Duration(h.Lag) * h.Interval }

// FormatLag renders a lag in intervals as a duration ("1h", "-30m", "0").
func FormatLag(lag int, interval time.Duration) string {
	if lag == 0 {
		return "0"
	}
	d := time.Duration(lag) * interval
	if d < 0 {
		return "-" + slo.FormatDuration(-d)
	}
	return slo.FormatDuration(d)
}

// ResolveSignal picks the signals a happiness query asks for: all of the SLO's signals when
// name is empty, the one named name, or else name read as a PromQL expression (a counter
// when every metric it selects ends in _total, _count, _sum or _bucket, otherwise a gauge).
func ResolveSignal(s *slo.SLO, name string) ([]slo.Signal, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		if len(s.Happiness) == 0 {
			return nil, fmt.Errorf("SLO %s has no happiness signals; add a happiness list to its definition or give a signal query", s.Name)
		}
		return s.Happiness, nil
	}
	for _, sig := range s.Happiness {
		if sig.Name == name {
			return []slo.Signal{sig}, nil
		}
	}
	e, err := parser.NewParser(parser.Options{}).ParseExpr(name)
	if err != nil {
		names := make([]string, len(s.Happiness))
		for i, sig := range s.Happiness {
			names[i] = fmt.Sprintf("%q", sig.Name)
		}
		has := "it has none"
		if len(names) > 0 {
			has = "it has " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("SLO %s has no happiness signal %q (%s), and %q is not a PromQL expression either: %w", s.Name, name, has, name, err)
	}
	kind := slo.Counter
	selectors := 0
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if v, ok := n.(*parser.VectorSelector); ok {
			selectors++
			if !isCounterName(v.Name) {
				kind = slo.Gauge
			}
		}
		return nil
	})
	if selectors == 0 {
		kind = slo.Gauge
	}
	sig := slo.Signal{Name: name, Query: name, Kind: kind}
	if kind == slo.Counter {
		if err := slo.CheckCounterQuery(name); err != nil {
			return nil, fmt.Errorf("signal %q: %w", name, err)
		}
	}
	return []slo.Signal{sig}, nil
}

func isCounterName(n string) bool {
	for _, suf := range []string{"_total", "_count", "_sum", "_bucket"} {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return false
}

// Happiness fetches the SLI of s and the signal per interval over (from, to] (aligned down
// to the interval grid) and correlates them. Intervals with no events are left out and
// counted; so are intervals where the signal has no value.
func (e *Engine) Happiness(ctx context.Context, s *slo.SLO, sig slo.Signal, from, to time.Time, interval time.Duration, maxLag int) (*Happiness, error) {
	if interval <= 0 {
		interval = DefaultHappinessInterval
	}
	if interval < MinStep || interval%MinStep != 0 {
		return nil, fmt.Errorf("SLO %s: happiness interval %v must be a whole number of minutes, at least 1m", s.Name, interval)
	}
	if maxLag < 0 || maxLag > MaxHappinessLag {
		return nil, fmt.Errorf("SLO %s: maxLag %d must be between 0 and %d intervals", s.Name, maxLag, MaxHappinessLag)
	}
	tl, sctx := promql.Tiling{Form: promql.FormIncrease, Step: interval}, ctx
	if sig.Kind == slo.Counter {
		var err error
		if tl, sctx, err = e.Tiling(ctx, interval); err != nil { // as for the SLO's own counters
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
	}
	q, err := promql.Signal(sig, tl)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: happiness signal %q: %w", s.Name, sig.Name, err)
	}
	from, to = series.Align(from, interval), series.Align(to, interval)
	if !to.After(from) {
		return nil, fmt.Errorf("SLO %s: the time range is shorter than one happiness interval (%s)", s.Name, slo.FormatDuration(interval))
	}
	type sigResult struct {
		ser   source.Series
		stats source.Stats
		err   error
	}
	done := make(chan sigResult, 1)
	go func() {
		var r sigResult
		r.ser, r.stats, r.err = e.Source.Range(sctx, q, from.Add(interval), to, interval)
		done <- r
	}()
	f, err := e.Buckets(ctx, s, from, to, interval)
	sr := <-done
	if err != nil {
		return nil, err
	}
	if sr.err != nil {
		if many := (*source.ManySeriesError)(nil); errors.As(sr.err, &many) {
			return nil, fmt.Errorf("SLO %s: happiness signal %q: %s returned %d series: %w; aggregate them in the signal's query (e.g. sum(...)) or set combine: sum|avg|max|min on the signal",
				s.Name, sig.Name, q, many.N, source.ErrManySeries)
		}
		return nil, fmt.Errorf("SLO %s: happiness signal %q: %w", s.Name, sig.Name, sr.err)
	}
	b := f.Buckets
	n := b.Len()
	h := &Happiness{SLO: s, Signal: sig, Interval: interval, MaxLag: maxLag,
		Times: make([]time.Time, n), SLI: make([]float64, n), Value: make([]float64, n),
		Queries:  append(append([]string(nil), f.Queries...), q),
		Warnings: append(append([]string(nil), f.Warnings...), sr.stats.Warnings...)}
	for i := 0; i < n; i++ {
		h.Times[i] = b.BucketEnd(i)
		sli, ok := budget.SLI(series.Counts{Good: b.Good[i], Total: b.Total[i]})
		if !ok {
			h.SLI[i] = math.NaN()
			h.NoTraffic++
		} else {
			h.SLI[i] = sli
		}
		if i < len(sr.ser.Present) && sr.ser.Present[i] && !math.IsNaN(sr.ser.Values[i]) {
			h.Value[i] = sr.ser.Values[i]
		} else {
			h.Value[i] = math.NaN()
			if ok {
				h.NoSignal++
			}
		}
	}
	Correlate(h)
	return h, nil
}

// Correlate fills in the correlations and the verdict of h from its aligned SLI and values.
func Correlate(h *Happiness) {
	h.Pearson, h.Used, h.PearsonOK = budget.Pearson(h.SLI, h.Value)
	h.Spearman, _, h.SpearmanOK = budget.Spearman(h.SLI, h.Value)
	h.Lag, h.LagR, h.LagOK = budget.BestLag(h.SLI, h.Value, h.MaxLag)
	r, ok := h.LagR, h.LagOK
	if !ok {
		r, ok = h.Pearson, h.PearsonOK
	}
	h.Verdict = budget.Judge(sliName(h.SLO), h.Signal.Name, r, ok, h.Used, FormatLag(h.Lag, h.Interval))
}

// sliName names the SLI in verdicts: the display name in lower case ("checkout availability").
func sliName(s *slo.SLO) string {
	t := s.Title()
	if t == s.Name {
		return t
	}
	return strings.ToLower(t[:1]) + t[1:]
}
