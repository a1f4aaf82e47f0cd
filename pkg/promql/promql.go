// Package promql builds the PromQL that Nines sends, from the Prometheus parser's AST.
//
// Queries are never assembled by pasting strings: every input expression is parsed,
// rewritten as a syntax tree and printed back with the parser's printer, and label
// values only ever enter a query as label matchers. A value can therefore never change
// the shape of a query.
package promql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// Bucketed is the pair of per-bucket increase queries of an SLO's counters. Exactly one of Good and Bad is set.
type Bucketed struct{ Good, Bad, Total string }

// ErrNotBucketable is returned for indicator kinds whose events cannot be counted per bucket.
var ErrNotBucketable = errors.New("indicator cannot be bucketed")

// parse parses a PromQL expression with the default parser options.
func parse(expr string) (parser.Expr, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("empty expression")
	}
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	return e, nil
}

// checkDuration refuses durations Prometheus cannot express (non-positive or finer than 1ms).
func checkDuration(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v must be positive", what, d)
	}
	if d%time.Millisecond != 0 {
		return fmt.Errorf("%s %v must be a whole number of milliseconds", what, d)
	}
	return nil
}

// checkCounterExpr refuses what cannot be turned into per-bucket increases: range
// selectors, subqueries, @ and offset modifiers, non-vector results and expressions
// without any series selector.
func checkCounterExpr(src string, e parser.Expr) error {
	if t := e.Type(); t != parser.ValueTypeVector {
		return fmt.Errorf("%q: a counter expression must yield an instant vector, not a %s", src, t)
	}
	var problem error
	selectors := 0
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if problem != nil {
			return problem
		}
		switch n := n.(type) {
		case *parser.MatrixSelector:
			problem = fmt.Errorf("%q: range selector %s is not allowed; give the counter itself, Nines adds increase() over its own buckets", src, n)
		case *parser.SubqueryExpr:
			problem = fmt.Errorf("%q: subquery %s is not allowed; give the counter itself", src, n)
		case *parser.VectorSelector:
			selectors++
			if n.Timestamp != nil || n.StartOrEnd != 0 {
				problem = fmt.Errorf("%q: the @ modifier on %s is not allowed", src, n.Name)
			} else if n.OriginalOffset != 0 || n.OriginalOffsetExpr != nil {
				problem = fmt.Errorf("%q: the offset modifier on %s is not allowed", src, n.Name)
			}
		}
		return problem
	})
	if problem != nil {
		return problem
	}
	if selectors == 0 {
		return fmt.Errorf("%q: no series selector; a counter expression must select a counter", src)
	}
	return nil
}

// rewrite replaces, in place, every vector selector below n with f(selector).
func rewrite(n parser.Node, f func(*parser.VectorSelector) parser.Expr) parser.Expr {
	switch n := n.(type) {
	case *parser.VectorSelector:
		return f(n)
	case *parser.AggregateExpr:
		if n.Param != nil {
			n.Param = rewrite(n.Param, f)
		}
		n.Expr = rewrite(n.Expr, f)
		return n
	case *parser.BinaryExpr:
		n.LHS = rewrite(n.LHS, f)
		n.RHS = rewrite(n.RHS, f)
		return n
	case *parser.ParenExpr:
		n.Expr = rewrite(n.Expr, f)
		return n
	case *parser.UnaryExpr:
		n.Expr = rewrite(n.Expr, f)
		return n
	case *parser.Call:
		for i, a := range n.Args {
			n.Args[i] = rewrite(a, f)
		}
		return n
	case *parser.StepInvariantExpr:
		n.Expr = rewrite(n.Expr, f)
		return n
	case parser.Expr:
		return n
	}
	return nil
}

// increaseCall is increase(v[r]).
func increaseCall(v *parser.VectorSelector, r time.Duration) parser.Expr {
	return &parser.Call{
		Func: parser.Functions["increase"],
		Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: v, Range: r}},
	}
}

// unparen returns e without the parentheses around it.
func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// isPlainSum reports whether e is a sum(...) without by or without.
func isPlainSum(e parser.Expr) bool {
	a, ok := e.(*parser.AggregateExpr)
	return ok && a.Op == parser.SUM && !a.Without && len(a.Grouping) == 0
}

// sumOf wraps e in sum(...) unless it already is a plain sum.
func sumOf(e parser.Expr) parser.Expr {
	e = unparen(e)
	if isPlainSum(e) {
		return e
	}
	return &parser.AggregateExpr{Op: parser.SUM, Expr: e}
}

// increaseExpr parses a counter selector or expression and returns its summed per-bucket growth.
func increaseExpr(expr string, t Tiling) (parser.Expr, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	e, err := parse(expr)
	if err != nil {
		return nil, err
	}
	if err := checkCounterExpr(expr, e); err != nil {
		return nil, err
	}
	e = rewrite(e, func(v *parser.VectorSelector) parser.Expr { return growthCall(v, t) })
	return sumOf(e), nil
}

// Increase turns a counter selector or a counter expression into its summed per-bucket growth.
func Increase(expr string, t Tiling) (string, error) {
	e, err := increaseExpr(expr, t)
	if err != nil {
		return "", err
	}
	return e.String(), nil
}

// histogramSelector parses the SLO's histogram base selector, strips a trailing _bucket
// and returns the metric's base name with the other matchers.
func histogramSelector(s *slo.SLO) (string, []*labels.Matcher, error) {
	if s == nil {
		return "", nil, errors.New("nil SLO")
	}
	if s.Indicator.Kind != slo.Latency {
		return "", nil, fmt.Errorf("SLO %s: indicator kind %q has no histogram", s.Name, s.Indicator.Kind)
	}
	e, err := parse(s.Indicator.Histogram)
	if err != nil {
		return "", nil, fmt.Errorf("SLO %s: histogram: %w", s.Name, err)
	}
	vs, ok := unparen(e).(*parser.VectorSelector)
	if !ok {
		return "", nil, fmt.Errorf("SLO %s: histogram %q must be a plain metric selector", s.Name, s.Indicator.Histogram)
	}
	if err := checkCounterExpr(s.Indicator.Histogram, vs); err != nil {
		return "", nil, fmt.Errorf("SLO %s: histogram: %w", s.Name, err)
	}
	name := ""
	var rest []*labels.Matcher
	for _, m := range vs.LabelMatchers {
		switch {
		case m.Name == labels.MetricName && m.Type == labels.MatchEqual && name == "":
			name = m.Value
		case m.Name == labels.MetricName:
			return "", nil, fmt.Errorf("SLO %s: histogram %q must name exactly one metric", s.Name, s.Indicator.Histogram)
		case m.Name == model.BucketLabel:
			return "", nil, fmt.Errorf("SLO %s: histogram %q must not match on %q; Nines picks the bucket from the threshold", s.Name, s.Indicator.Histogram, model.BucketLabel)
		default:
			rest = append(rest, m)
		}
	}
	if name == "" {
		return "", nil, fmt.Errorf("SLO %s: histogram %q must name a metric", s.Name, s.Indicator.Histogram)
	}
	name = strings.TrimSuffix(name, "_bucket")
	if name == "" {
		return "", nil, fmt.Errorf("SLO %s: histogram %q has an empty base name", s.Name, s.Indicator.Histogram)
	}
	return name, rest, nil
}

// selector builds the vector selector name{ms...}.
func selector(name string, ms ...*labels.Matcher) *parser.VectorSelector {
	all := make([]*labels.Matcher, 0, len(ms)+1)
	all = append(all, labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name))
	all = append(all, ms...)
	return &parser.VectorSelector{Name: name, LabelMatchers: all}
}

// latencySelectors returns the good (bucket at le) and total (count) selectors of a latency SLO.
func latencySelectors(s *slo.SLO, le string) (good, total *parser.VectorSelector, err error) {
	name, ms, err := histogramSelector(s)
	if err != nil {
		return nil, nil, err
	}
	if le == "" {
		return nil, nil, fmt.Errorf("SLO %s: no bucket bound given for threshold %v; resolve it with HistogramSeries and MatchLe", s.Name, s.Indicator.Le)
	}
	leM, err := labels.NewMatcher(labels.MatchEqual, model.BucketLabel, le)
	if err != nil {
		return nil, nil, fmt.Errorf("SLO %s: le matcher: %w", s.Name, err)
	}
	goodMs := append(append([]*labels.Matcher{}, ms...), leM)
	return selector(name+"_bucket", goodMs...), selector(name+"_count", ms...), nil
}

// ForSLO returns the bucketed queries of a ratio or latency SLO; le is the exact bucket label value on the server (latency only).
func ForSLO(s *slo.SLO, t Tiling, le string) (Bucketed, error) {
	good, bad, total, err := forSLO(s, t, le)
	if err != nil {
		return Bucketed{}, err
	}
	var b Bucketed
	if good != nil {
		b.Good = good.String()
	}
	if bad != nil {
		b.Bad = bad.String()
	}
	b.Total = total.String()
	return b, nil
}

// forSLO returns the bucketed increase expressions of a ratio or latency SLO.
func forSLO(s *slo.SLO, r Tiling, le string) (good, bad, total parser.Expr, err error) {
	if s == nil {
		return nil, nil, nil, errors.New("nil SLO")
	}
	if err := r.check(); err != nil {
		return nil, nil, nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	in := s.Indicator
	switch in.Kind {
	case slo.Ratio:
		if (in.Good == "") == (in.Bad == "") {
			return nil, nil, nil, fmt.Errorf("SLO %s: exactly one of good and bad must be set", s.Name)
		}
		if in.Total == "" {
			return nil, nil, nil, fmt.Errorf("SLO %s: total is not set", s.Name)
		}
		if in.Good != "" {
			if good, err = increaseExpr(in.Good, r); err != nil {
				return nil, nil, nil, fmt.Errorf("SLO %s: good: %w", s.Name, err)
			}
		} else {
			if bad, err = increaseExpr(in.Bad, r); err != nil {
				return nil, nil, nil, fmt.Errorf("SLO %s: bad: %w", s.Name, err)
			}
		}
		if total, err = increaseExpr(in.Total, r); err != nil {
			return nil, nil, nil, fmt.Errorf("SLO %s: total: %w", s.Name, err)
		}
		return good, bad, total, nil
	case slo.Latency:
		g, t, err := latencySelectors(s, le)
		if err != nil {
			return nil, nil, nil, err
		}
		return sumOf(growthCall(g, r)), nil, sumOf(growthCall(t, r)), nil
	default:
		return nil, nil, nil, fmt.Errorf("SLO %s: kind %q: %w; it is evaluated with range queries", s.Name, in.Kind, ErrNotBucketable)
	}
}

// HandWritten is the SLI over a window w as a user would write it by hand (used by the benchmark).
func HandWritten(s *slo.SLO, w time.Duration, le string) (string, error) {
	good, bad, total, err := forSLO(s, Tiling{Form: FormIncrease, Step: w}, le)
	if err != nil {
		return "", err
	}
	num := good
	if num == nil {
		num = bad
	}
	ratio := parser.Expr(&parser.BinaryExpr{
		Op:             parser.DIV,
		LHS:            num,
		RHS:            total,
		VectorMatching: &parser.VectorMatching{Card: parser.CardOneToOne},
	})
	if bad != nil {
		ratio = &parser.BinaryExpr{
			Op:  parser.SUB,
			LHS: &parser.NumberLiteral{Val: 1},
			RHS: &parser.ParenExpr{Expr: ratio},
		}
	}
	return ratio.String(), nil
}

// WithMatchers adds label matchers to every vector selector of expr (template filters); values are escaped by the AST.
func WithMatchers(expr string, ms ...*labels.Matcher) (string, error) {
	e, err := parse(expr)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m == nil {
			return "", errors.New("nil label matcher")
		}
		if m.Name == "" {
			return "", errors.New("label matcher with an empty label name")
		}
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			for _, m := range ms {
				// Copy the matcher so that selectors never share (and mutate) one.
				c, err := labels.NewMatcher(m.Type, m.Name, m.Value)
				if err != nil {
					c = m
				}
				vs.LabelMatchers = append(vs.LabelMatchers, c)
			}
		}
		return nil
	})
	return e.String(), nil
}

// HistogramSeries returns the selector listing the histogram's bucket series (to resolve le): <hist>_bucket{<matchers>}.
func HistogramSeries(s *slo.SLO) (string, error) {
	name, ms, err := histogramSelector(s)
	if err != nil {
		return "", err
	}
	return selector(name+"_bucket", ms...).String(), nil
}

// MatchLe returns the first label value among les that equals threshold numerically, ok=false when none.
func MatchLe(les []string, threshold float64) (string, bool) {
	for _, le := range les {
		v, err := strconv.ParseFloat(strings.TrimSpace(le), 64)
		if err != nil {
			continue
		}
		if v == threshold {
			return le, true
		}
	}
	return "", false
}
