package promql

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// thresholdOps maps a threshold indicator's comparison to the parser's operator.
var thresholdOps = map[string]parser.ItemType{
	"<": parser.LSS, "<=": parser.LTE, ">": parser.GTR, ">=": parser.GTE, "==": parser.EQLC, "!=": parser.NEQ,
}

// Threshold is the pair of per-bucket queries of a threshold (gauge) indicator: the
// number of good samples and the number of samples judged in each bucket.
type Threshold struct{ Good, Total string }

// ForThreshold returns the per-bucket queries of a threshold indicator for buckets of r,
// judging the gauge once per res (the scrape interval, 1m by default).
//
// The condition (gauge op bool value) is evaluated by a subquery at every multiple of
// res inside the bucket, (t-r, t]. When the gauge is a plain series selector, a point
// counts only where the series has a sample of its own in (τ-res, τ] (an "and" with
// count_over_time), so Prometheus's 5-minute lookback never invents samples in a scrape
// gap: with one sample per res, Good and Total are the exact numbers of good and
// present samples. A gauge written as an expression is judged with the lookback.
//
// Ranges are r-1ms and res-1ms so that Prometheus 2.x (ranges closed at both ends) and
// 3.x (left-open ranges) select the same samples for grid-aligned data.
func ForThreshold(s *slo.SLO, r, res time.Duration) (Threshold, error) {
	if s == nil {
		return Threshold{}, errors.New("nil SLO")
	}
	in := s.Indicator
	if in.Kind != slo.Threshold {
		return Threshold{}, fmt.Errorf("SLO %s: kind %q is not a threshold indicator", s.Name, in.Kind)
	}
	if err := checkDuration("bucket", r); err != nil {
		return Threshold{}, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	if err := checkDuration("resolution", res); err != nil {
		return Threshold{}, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	if r%res != 0 {
		return Threshold{}, fmt.Errorf("SLO %s: bucket %s is not a multiple of the resolution %s", s.Name, r, res)
	}
	op, ok := thresholdOps[in.Op]
	if !ok {
		return Threshold{}, fmt.Errorf("SLO %s: unknown threshold op %q", s.Name, in.Op)
	}
	build := func(fn string) (string, error) {
		g, err := parse(in.Gauge)
		if err != nil {
			return "", fmt.Errorf("SLO %s: gauge: %w", s.Name, err)
		}
		if g.Type() != parser.ValueTypeVector {
			return "", fmt.Errorf("SLO %s: gauge %q must yield an instant vector", s.Name, in.Gauge)
		}
		var cond parser.Expr = &parser.BinaryExpr{
			Op: op, LHS: paren(g), RHS: &parser.NumberLiteral{Val: in.Value}, ReturnBool: true,
			VectorMatching: &parser.VectorMatching{Card: parser.CardOneToOne},
		}
		if vs, ok := g.(*parser.VectorSelector); ok {
			c, _ := parse(vs.String()) // a fresh copy of the selector
			fresh := &parser.Call{
				Func: parser.Functions["count_over_time"],
				Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: c, Range: res - time.Millisecond}},
			}
			cond = &parser.BinaryExpr{Op: parser.LAND, LHS: cond, RHS: fresh,
				VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany}}
		}
		sub := &parser.SubqueryExpr{Expr: &parser.ParenExpr{Expr: cond}, Range: r - time.Millisecond, Step: res}
		return (&parser.AggregateExpr{Op: parser.SUM, Expr: &parser.Call{
			Func: parser.Functions[fn], Args: parser.Expressions{sub},
		}}).String(), nil
	}
	good, err := build("sum_over_time")
	if err != nil {
		return Threshold{}, err
	}
	total, err := build("count_over_time")
	if err != nil {
		return Threshold{}, err
	}
	return Threshold{Good: good, Total: total}, nil
}

// paren wraps binary expressions in parentheses so that they keep their precedence.
func paren(e parser.Expr) parser.Expr {
	if _, ok := e.(*parser.BinaryExpr); ok {
		return &parser.ParenExpr{Expr: e}
	}
	return e
}
