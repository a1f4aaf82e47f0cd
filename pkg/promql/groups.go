package promql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// TotalSelectors returns the vector selectors whose series make up the SLO's events: the
// total of a ratio, the histogram's _count of a latency SLO, the gauge of a threshold
// and the selectors of a raw error ratio. The groups of a grouped SLO are found among them.
func TotalSelectors(s *slo.SLO) ([]string, error) {
	var expr string
	switch s.Indicator.Kind {
	case slo.Ratio:
		expr = s.Indicator.Total
	case slo.Latency:
		name, ms, err := histogramSelector(s)
		if err != nil {
			return nil, err
		}
		return []string{selector(name+"_count", ms...).String()}, nil
	case slo.Threshold:
		expr = s.Indicator.Gauge
	case slo.Raw:
		expr = s.Indicator.ErrorRatio
	default:
		return nil, fmt.Errorf("SLO %s: indicator kind %q has no series to group", s.Name, s.Indicator.Kind)
	}
	e, err := parse(expr)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			c := *vs
			c.OriginalOffset, c.Offset, c.Timestamp, c.StartOrEnd = 0, 0, nil, 0
			if q := c.String(); !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
		return nil
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("SLO %s: %q selects no series to group", s.Name, expr)
	}
	return out, nil
}

// GroupsQuery returns the instant query that lists the groups of a grouped SLO: one
// series per distinct combination of the grouping labels among the series of
// TotalSelectors that have a sample in the rng before the evaluation time,
// count by (labels) (last_over_time(sel[rng])), joined with "or" for several selectors.
func GroupsQuery(s *slo.SLO, rng time.Duration) (string, error) {
	if len(s.Grouping) == 0 {
		return "", fmt.Errorf("SLO %s has no grouping", s.Name)
	}
	if err := checkDuration("group range", rng); err != nil {
		return "", err
	}
	sels, err := TotalSelectors(s)
	if err != nil {
		return "", err
	}
	var out parser.Expr
	for _, q := range sels {
		e, err := parse(q)
		if err != nil {
			return "", err
		}
		count := &parser.AggregateExpr{
			Op:       parser.COUNT,
			Grouping: slices.Clone(s.Grouping),
			Expr: &parser.Call{
				Func: parser.Functions["last_over_time"],
				Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: e, Range: rng}},
			},
		}
		if out == nil {
			out = count
			continue
		}
		out = &parser.BinaryExpr{Op: parser.LOR, LHS: out, RHS: count, VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany}}
	}
	return out.String(), nil
}

// ForGroup returns the SLO of one group of a grouped SLO: a copy whose every indicator
// selector also matches each grouping label with equality to the group's value (a
// missing label matches series without it). Happiness signals are business signals of
// the whole SLO and stay as they are.
func ForGroup(s *slo.SLO, group map[string]string) (*slo.SLO, error) {
	if len(group) == 0 {
		return nil, errors.New("empty group")
	}
	var ms []*labels.Matcher
	for _, k := range slices.Sorted(maps.Keys(group)) {
		m, err := labels.NewMatcher(labels.MatchEqual, k, group[k])
		if err != nil {
			return nil, fmt.Errorf("SLO %s: group label %s: %w", s.Name, k, err)
		}
		ms = append(ms, m)
	}
	c := *s
	c.Group = maps.Clone(group)
	in := &c.Indicator
	for _, q := range []*string{&in.Good, &in.Bad, &in.Total, &in.Histogram, &in.Gauge, &in.ErrorRatio} {
		if *q == "" {
			continue
		}
		out, err := WithMatchers(*q, ms...)
		if err != nil {
			return nil, fmt.Errorf("SLO %s: group %v: %w", s.Name, group, err)
		}
		*q = out
	}
	return &c, nil
}
