package promql

import (
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// Form is the PromQL form that asks a source for a counter's growth over one bucket.
type Form string

// The forms Nines knows. Each one tiles: the growth of a bucket is the counter's growth
// from the last sample at or before the bucket's start to the last sample at or before
// its end, so the buckets of a window add up to the growth over the window.
const (
	// FormLastSample works on every Prometheus-compatible engine (Prometheus 2.x and 3.x
	// without extended range selectors): per series, the last sample at or before the
	// bucket's end minus the last sample at or before its start, both looked up at most
	// Gap back; after a counter reset, the value since the reset.
	FormLastSample Form = "lastSample"
	// FormAnchored is increase(x[r] anchored), Prometheus 3 with its extended range
	// selectors: the same growth, computed by the server (reads the samples once).
	FormAnchored Form = "anchored"
	// FormIncrease is plain increase(x[r]). On VictoriaMetrics it starts from the sample
	// before the range and does not extrapolate, so it tiles. On Prometheus it is the
	// hand-written form (extrapolated), used only for comparisons.
	FormIncrease Form = "increase"
)

// DefaultGap is how long a monitoring gap may last and still have the counter's growth
// across it counted (in the bucket where the gap ends).
const DefaultGap = time.Hour

// Tiling says how per-bucket growth is asked for: the form, the bucket and the gap bound.
type Tiling struct {
	Form Form
	Step time.Duration
	// Gap bounds how far back the value at a bucket's start may be looked up
	// (FormLastSample and FormAnchored); 0 means DefaultGap.
	Gap time.Duration
}

// gap returns the gap bound, DefaultGap when unset.
func (t Tiling) gap() time.Duration {
	if t.Gap <= 0 {
		return DefaultGap
	}
	return t.Gap
}

// check refuses a tiling whose step or gap Prometheus cannot express.
func (t Tiling) check() error {
	if err := checkDuration("bucket", t.Step); err != nil {
		return err
	}
	if err := checkDuration("gap bound", t.gap()); err != nil {
		return err
	}
	switch t.Form {
	case FormLastSample, FormAnchored, FormIncrease:
		return nil
	}
	return fmt.Errorf("unknown tiling form %q", t.Form)
}

// copySelector returns a deep copy of v, so that each use in a query is its own node.
func copySelector(v *parser.VectorSelector) *parser.VectorSelector {
	c := *v
	c.LabelMatchers = append(c.LabelMatchers[:0:0], v.LabelMatchers...)
	c.Series = nil
	return &c
}

// lastOverTime is last_over_time(v[r] offset off).
func lastOverTime(v *parser.VectorSelector, r, off time.Duration) parser.Expr {
	c := copySelector(v)
	c.OriginalOffset = off
	return &parser.Call{
		Func: parser.Functions["last_over_time"],
		Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: c, Range: r}},
	}
}

// growthCall is the per-series growth of counter v over a bucket in the tiling's form.
func growthCall(v *parser.VectorSelector, t Tiling) parser.Expr {
	switch t.Form {
	case FormAnchored:
		c := copySelector(v)
		c.Anchored = true
		return &parser.Call{
			Func: parser.Functions["increase"],
			Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: c, Range: t.Step}},
		}
	case FormLastSample:
		// (end - start >= 0) or (end + clamp_min(max_over_time(v[r]) - start, 0)):
		// the difference where the counter did not go down; after a reset, the value
		// since the reset plus the growth before it (the highest sample in the bucket,
		// the last one before the reset, minus the value at the start); nothing where the
		// series has no sample within the gap bound before the bucket's start.
		g := t.gap()
		end := func() parser.Expr { return lastOverTime(v, g, 0) }
		start := func() parser.Expr { return lastOverTime(v, g, t.Step) }
		one2one := func() *parser.VectorMatching { return &parser.VectorMatching{Card: parser.CardOneToOne} }
		diff := &parser.BinaryExpr{Op: parser.SUB, LHS: end(), RHS: start(), VectorMatching: one2one()}
		grew := &parser.BinaryExpr{Op: parser.GTE, LHS: diff, RHS: &parser.NumberLiteral{Val: 0}, VectorMatching: one2one()}
		peak := &parser.Call{
			Func: parser.Functions["max_over_time"],
			Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: copySelector(v), Range: t.Step}},
		}
		before := &parser.Call{
			Func: parser.Functions["clamp_min"],
			Args: parser.Expressions{
				&parser.BinaryExpr{Op: parser.SUB, LHS: peak, RHS: start(), VectorMatching: one2one()},
				&parser.NumberLiteral{Val: 0},
			},
		}
		reset := &parser.BinaryExpr{Op: parser.ADD, LHS: end(), RHS: before, VectorMatching: one2one()}
		return &parser.ParenExpr{Expr: &parser.BinaryExpr{Op: parser.LOR, LHS: grew, RHS: reset,
			VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany}}}
	default:
		return increaseCall(v, t.Step)
	}
}

// sampled is Sampled, built anew.
func sampled(s *slo.SLO, le string, r, span time.Duration) (perBucket, raw string, err error) {
	if err := checkDuration("bucket", r); err != nil {
		return "", "", err
	}
	_, _, total, err := forSLO(s, Tiling{Form: FormIncrease, Step: time.Minute}, le)
	if err != nil {
		return "", "", err
	}
	var first *parser.VectorSelector
	parser.Inspect(total, func(n parser.Node, _ []parser.Node) error {
		if v, ok := n.(*parser.VectorSelector); ok && first == nil {
			first = copySelector(v)
		}
		return nil
	})
	if first == nil {
		return "", "", fmt.Errorf("SLO %s: total has no series selector", s.Name)
	}
	count := &parser.AggregateExpr{Op: parser.MAX, Expr: &parser.Call{
		Func: parser.Functions["count_over_time"],
		Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: copySelector(first), Range: r}},
	}}
	rawSel := &parser.MatrixSelector{VectorSelector: copySelector(first), Range: span}
	return count.String(), rawSel.String(), nil
}

// Plain holds the counters of an SLO when each is a plain series selector: then Nines
// can read their last values per series and compute the growth itself. Exactly one of
// Good and Bad is set.
type Plain struct{ Good, Bad, Total string }

// plainSelectors is PlainSelectors, built anew.
func plainSelectors(s *slo.SLO, le string) (Plain, bool) {
	switch s.Indicator.Kind {
	case slo.Ratio:
		var p Plain
		for _, c := range []struct {
			expr string
			dst  *string
		}{{s.Indicator.Good, &p.Good}, {s.Indicator.Bad, &p.Bad}, {s.Indicator.Total, &p.Total}} {
			if c.expr == "" {
				continue
			}
			v, ok := plainSelector(c.expr)
			if !ok {
				return Plain{}, false
			}
			*c.dst = v.String()
		}
		return p, p.Total != "" && (p.Good == "") != (p.Bad == "")
	case slo.Latency:
		g, t, err := latencySelectors(s, le)
		if err != nil {
			return Plain{}, false
		}
		return Plain{Good: g.String(), Total: t.String()}, true
	}
	return Plain{}, false
}

// lastValues is LastValues, built anew.
func lastValues(selector string, gap time.Duration) (string, error) {
	if err := checkDuration("gap bound", gap); err != nil {
		return "", err
	}
	v, ok := plainSelector(selector)
	if !ok {
		return "", fmt.Errorf("%q is not a plain series selector", selector)
	}
	return lastOverTime(v, gap, 0).String(), nil
}

// PeakOf is max_over_time(selector[r]) for the one series of selector whose other
// labels equal ls (the metric name aside): the highest sample of a bucket, which
// before a counter reset is the last value the old process reported.
func PeakOf(selector string, ls map[string]string, r time.Duration) (string, error) {
	return oneSeries("max_over_time", selector, ls, r)
}

// oneSeries is fn(selector[r]) narrowed by equality matchers to the series with labels ls.
func oneSeries(fn, selector string, ls map[string]string, r time.Duration) (string, error) {
	if err := checkDuration("range", r); err != nil {
		return "", err
	}
	v, ok := plainSelector(selector)
	if !ok {
		return "", fmt.Errorf("%q is not a plain series selector", selector)
	}
	c := copySelector(v)
	names := make([]string, 0, len(ls))
	for k := range ls {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		m, err := labels.NewMatcher(labels.MatchEqual, k, ls[k])
		if err != nil {
			return "", err
		}
		c.LabelMatchers = append(c.LabelMatchers, m)
	}
	return (&parser.Call{Func: parser.Functions[fn],
		Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: c, Range: r}}}).String(), nil
}
