package promql

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Batchable is a query that can be asked for many label values at once: every series
// selector in it has an equality matcher, with the same value, on each of Labels (one SLO
// per service, per endpoint, per customer). Queries with the same Key differ only in those
// values, and one query with regular-expression matchers over all their values answers
// them all, split by the labels of its series.
type Batchable struct {
	// Labels are the labels the query selects by equality, sorted.
	Labels []string
	// Values are the query's values of Labels, in the same order.
	Values []string
	// Key is the query with those values left out: queries with equal keys batch together.
	Key string
	// Widened is true when the batched query keeps Labels that the query aggregates away
	// (its aggregations and vector matchings were widened by them): drop them from the
	// series of the answer to get the query's own.
	Widened bool

	query string
}

// notBatchable lists the functions whose answers do not keep a selector's labels, or
// whose answer for many values is not the union of the answers for each.
var notBatchable = map[string]bool{
	"label_replace": true, "label_join": true, "absent": true, "absent_over_time": true,
	"vector": true, "scalar": true, "info": true,
}

// Batch tells whether query can be batched, and how; ok is false when it cannot.
func Batch(query string) (b Batchable, ok bool) {
	e, err := parse(query)
	if err != nil {
		return Batchable{}, false
	}
	common, ok := commonEquality(e)
	if !ok || len(common) == 0 {
		return Batchable{}, false
	}
	b.Labels = make([]string, 0, len(common))
	for l := range common {
		b.Labels = append(b.Labels, l)
	}
	sort.Strings(b.Labels)
	if !widenable(e, b.Labels) {
		return Batchable{}, false
	}
	for _, l := range b.Labels {
		b.Values = append(b.Values, common[l])
	}
	b.query = query
	// The key: the query with every value of Labels blanked by a regex of nothing.
	b.Key, b.Widened = render(e, b.Labels, nil)
	return b, true
}

// commonEquality returns the labels that every series selector of e matches by equality
// with one value, the same in all selectors, with those values; ok is false when e has
// no selector or a construct that does not keep labels.
func commonEquality(e parser.Expr) (map[string]string, bool) {
	var common map[string]string
	ok := true
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.Call:
			if notBatchable[n.Func.Name] {
				ok = false
			}
		case *parser.AggregateExpr:
			if n.Op == parser.COUNT_VALUES {
				ok = false
			}
		case *parser.VectorSelector:
			eq := map[string]string{}
			for _, m := range n.LabelMatchers {
				if m.Type == labels.MatchEqual && m.Name != labels.MetricName && m.Value != "" {
					if _, dup := eq[m.Name]; dup {
						eq[m.Name] = "\x00" // two equality matchers on one label: leave it alone
						continue
					}
					eq[m.Name] = m.Value
				}
			}
			if common == nil {
				common = eq
				break
			}
			for l, v := range common {
				if eq[l] != v {
					delete(common, l)
				}
			}
		}
		return nil
	})
	for l, v := range common {
		if v == "\x00" {
			delete(common, l)
		}
	}
	return common, ok && common != nil
}

// widenable tells whether every aggregation and vector matching of e can keep ls: an
// aggregation `without` one of them, or a matching `ignoring` one, would merge the
// series of different values.
func widenable(e parser.Expr, ls []string) bool {
	ok := true
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			if n.Without && hasAny(n.Grouping, ls) {
				ok = false
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil && !vm.On && hasAny(vm.MatchingLabels, ls) {
				ok = false
			}
		}
		return nil
	})
	return ok
}

// hasAny tells whether list holds any of ls.
func hasAny(list, ls []string) bool {
	for _, l := range ls {
		if slices.Contains(list, l) {
			return true
		}
	}
	return false
}

// Query returns the one query that answers the batchable queries with the given values
// (one tuple per query, in the order of Labels). When they all have b's own values it is
// b's query itself, and asIs is true: its whole answer is every caller's.
func (b Batchable) Query(tuples [][]string) (q string, asIs bool, err error) {
	distinct := map[string]bool{}
	for _, t := range tuples {
		if len(t) != len(b.Labels) {
			return "", false, fmt.Errorf("batch of %q: %d values for %d labels", b.query, len(t), len(b.Labels))
		}
		distinct[strings.Join(t, "\x00")] = true
	}
	if len(distinct) == 1 && slices.Equal(tuples[0], b.Values) {
		return b.query, true, nil
	}
	e, err := parse(b.query)
	if err != nil {
		return "", false, err
	}
	per := make(map[string][]string, len(b.Labels))
	for i, l := range b.Labels {
		for _, t := range tuples {
			if !slices.Contains(per[l], t[i]) {
				per[l] = append(per[l], t[i])
			}
		}
		sort.Strings(per[l])
	}
	q, _ = render(e, b.Labels, per)
	return q, false, nil
}

// render rewrites e in place for a batch and prints it: the equality matchers on ls become
// regular-expression matchers over values (over nothing when values is nil, for a key),
// and aggregations and `on` matchings keep ls. It reports whether any was widened.
func render(e parser.Expr, ls []string, values map[string][]string) (string, bool) {
	widened := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for i, m := range n.LabelMatchers {
				if m.Type != labels.MatchEqual || !slices.Contains(ls, m.Name) {
					continue
				}
				alts := make([]string, len(values[m.Name]))
				for j, v := range values[m.Name] {
					alts[j] = regexp.QuoteMeta(v)
				}
				nm, err := labels.NewMatcher(labels.MatchRegexp, m.Name, strings.Join(alts, "|"))
				if err == nil {
					n.LabelMatchers[i] = nm
				}
			}
		case *parser.AggregateExpr:
			if !n.Without {
				for _, l := range ls {
					if !slices.Contains(n.Grouping, l) {
						n.Grouping = append(n.Grouping, l)
						widened = true
					}
				}
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil && vm.On {
				for _, l := range ls {
					if !slices.Contains(vm.MatchingLabels, l) {
						vm.MatchingLabels = append(vm.MatchingLabels, l)
						widened = true
					}
				}
			}
		}
		return nil
	})
	return e.String(), widened
}

// Tuple returns the values of ls in a series' labels, ok false when one is missing.
func Tuple(ls []string, series map[string]string) ([]string, bool) {
	t := make([]string, len(ls))
	for i, l := range ls {
		v, ok := series[l]
		if !ok {
			return nil, false
		}
		t[i] = v
	}
	return t, true
}
