package promql

import (
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// combineOps maps a signal's combine setting to its aggregation operator.
var combineOps = map[slo.Combine]parser.ItemType{
	slo.CombineSum: parser.SUM,
	slo.CombineAvg: parser.AVG,
	slo.CombineMax: parser.MAX,
	slo.CombineMin: parser.MIN,
}

// Signal builds the per-interval query of a happiness signal: for a counter, the increase
// of every selector over r; for a gauge, the average of every selector over r
// (avg_over_time). The result is not summed: when the signal names a combine operator the
// whole expression is wrapped in it, otherwise it must yield one series by itself.
func Signal(sig slo.Signal, t Tiling) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	r := t.Step
	e, err := parse(sig.Query)
	if err != nil {
		return "", err
	}
	switch sig.Kind {
	case slo.Counter:
		if err := checkCounterExpr(sig.Query, e); err != nil {
			return "", err
		}
		e = rewrite(e, func(v *parser.VectorSelector) parser.Expr { return growthCall(v, t) })
	case slo.Gauge:
		if err := checkCounterExpr(sig.Query, e); err != nil {
			return "", fmt.Errorf("gauge %w", err)
		}
		e = rewrite(e, func(v *parser.VectorSelector) parser.Expr {
			return &parser.Call{
				Func: parser.Functions["avg_over_time"],
				Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: v, Range: r}},
			}
		})
	default:
		return "", fmt.Errorf("signal %q: kind %q must be counter or gauge", sig.Name, sig.Kind)
	}
	if sig.Combine != "" {
		op, ok := combineOps[sig.Combine]
		if !ok {
			return "", fmt.Errorf("signal %q: combine %q must be one of sum, avg, max, min", sig.Name, sig.Combine)
		}
		e = &parser.AggregateExpr{Op: op, Expr: e}
	}
	return e.String(), nil
}
