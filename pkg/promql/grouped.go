package promql

import (
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// Grouped is one query for both counters of a ratio SLO whose good (or bad) selector
// narrows its total selector: the total's increase grouped by the labels that tell the
// two apart. Nines then sums the groups that Matchers select into good (or bad) events,
// so Prometheus reads each series once instead of twice.
type Grouped struct {
	// Query is sum by (By) (increase(total[r])).
	Query string
	// By are the labels the query groups by.
	By []string
	// Matchers select the groups holding good (or, when Bad is set, bad) events.
	Matchers []*labels.Matcher
	// Bad is true when Matchers select bad events.
	Bad bool
}

// Select reports whether a group with these labels holds good (or bad) events.
func (g Grouped) Select(ls map[string]string) bool {
	for _, m := range g.Matchers {
		if !m.Matches(ls[m.Name]) {
			return false
		}
	}
	return true
}

// forSLOGrouped is ForSLOGrouped, built anew.
func forSLOGrouped(s *slo.SLO, r Tiling) (g Grouped, ok bool) {
	in := s.Indicator
	if in.Kind != slo.Ratio || in.Total == "" || r.check() != nil {
		return Grouped{}, false
	}
	part := in.Good
	if part == "" {
		part, g.Bad = in.Bad, true
	}
	sub, ok1 := plainSelector(part)
	tot, ok2 := plainSelector(in.Total)
	if !ok1 || !ok2 {
		return Grouped{}, false
	}
	have := map[string]bool{}
	for _, m := range sub.LabelMatchers {
		have[m.String()] = true
	}
	inTotal := map[string]bool{}
	for _, m := range tot.LabelMatchers {
		if !have[m.String()] {
			return Grouped{}, false
		}
		inTotal[m.String()] = true
	}
	by := map[string]bool{}
	for _, m := range sub.LabelMatchers {
		if inTotal[m.String()] {
			continue
		}
		if m.Name == labels.MetricName {
			return Grouped{}, false
		}
		g.Matchers = append(g.Matchers, m)
		by[m.Name] = true
	}
	if len(g.Matchers) == 0 {
		return Grouped{}, false
	}
	for name := range by {
		g.By = append(g.By, name)
	}
	sort.Strings(g.By)
	g.Query = (&parser.AggregateExpr{Op: parser.SUM, Grouping: g.By, Expr: growthCall(tot, r)}).String()
	return g, true
}

// plainSelector parses expr and returns it when it is a vector selector without modifiers.
func plainSelector(expr string) (*parser.VectorSelector, bool) {
	e, err := parse(expr)
	if err != nil {
		return nil, false
	}
	v, ok := unparen(e).(*parser.VectorSelector)
	if !ok || v.OriginalOffset != 0 || v.Timestamp != nil || v.StartOrEnd != 0 {
		return nil, false
	}
	return v, true
}
