package source

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// tooLongRE matches the refusal of Mimir, Cortex, Thanos and Loki of a query longer than
// their query length limit, e.g. "the query time range exceeds the limit (query length:
// 745h0m0s, limit: 720h0m0s)"; Mimir's query-frontend says "the total query time range".
var tooLongRE = regexp.MustCompile(`(?i)query time range exceeds the limit(?: \(query length: ([^,()]+), limit: ([^,()]+)\))?`)

// tooLong is a refusal of a query as longer than the source's limit: the length the
// source counted and its limit, both 0 when the answer did not name them.
type tooLong struct {
	length, limit time.Duration
}

// asTooLong tells whether err is the source's refusal of a query as too long.
func asTooLong(err error) (tooLong, bool) {
	var se *sourceError
	if err == nil || !errors.As(err, &se) || !se.downstream {
		return tooLong{}, false
	}
	m := tooLongRE.FindStringSubmatch(se.msg)
	if m == nil {
		return tooLong{}, false
	}
	length, lerr := parseLimitDuration(m[1])
	limit, merr := parseLimitDuration(m[2])
	if lerr != nil || merr != nil || limit <= 0 {
		return tooLong{}, true
	}
	return tooLong{length: length, limit: limit}, true
}

// parseLimitDuration reads a duration as a source writes it: Go's "720h0m0s" or
// Prometheus's "30d1h".
func parseLimitDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	d, err := model.ParseDuration(s)
	return time.Duration(d), err
}

// pieces splits the grid from..to (ms) into consecutive ranges the source accepts: each
// spans at most the limit, less what the source counts beyond the span (a range
// selector's reach); halves when the refusal named no limit.
func (t tooLong) pieces(from, to, step int64) ([][2]int64, error) {
	n := (to-from)/step + 1
	if n < 2 {
		return nil, errors.New("a single point cannot be split")
	}
	per := (n + 1) / 2
	if t.limit > 0 {
		extra := max(t.length.Milliseconds()-(to-from), 0)
		span := t.limit.Milliseconds() - extra
		if span < 0 {
			return nil, fmt.Errorf("the query reaches %v beyond its range, more than the limit itself", time.Duration(extra)*time.Millisecond)
		}
		per = min(span/step+1, n)
		if per >= n {
			per = (n + 1) / 2 // the source counted differently: halves still help
		}
	}
	var out [][2]int64
	for s := from; s <= to; s += per * step {
		out = append(out, [2]int64{s, min(s+(per-1)*step, to)})
	}
	return out, nil
}

// tooLongError words a query the source refused as too long even after the split.
func (c *Client) tooLongError(err error, t tooLong, why error) error {
	limit := "its limit"
	if t.limit > 0 {
		limit = "its limit of " + model.Duration(t.limit).String()
	}
	msg := fmt.Sprintf("the metrics source at %s refuses queries longer than %s (max_query_length)", c.host, limit)
	if why != nil {
		msg += "; the query could not be split: " + why.Error()
	} else {
		msg += "; the range was split and tried once more, and refused again"
	}
	msg += ": set maxQueryLength in the data source settings to the source's limit, or shorten the SLO window; " + err.Error()
	var se *sourceError
	status := 0
	if errors.As(err, &se) {
		status = se.status
	}
	return &sourceError{msg: redact(msg), cause: err, downstream: true, status: status}
}

// learnLimit remembers a limit the source named, so that later ranges are split to it.
func (c *Client) learnLimit(limit time.Duration) {
	ms := limit.Milliseconds()
	if ms <= 0 {
		return
	}
	for {
		old := c.learned.Load()
		if (old != 0 && old <= ms) || c.learned.CompareAndSwap(old, ms) {
			return
		}
	}
}

// maxSpan returns the longest span of one range request, in ms: the smaller of
// MaxQueryLength and a limit the source named; 0 when there is none.
func (c *Client) maxSpan() int64 {
	span := c.maxLength.Milliseconds()
	if l := c.learned.Load(); l > 0 && (span == 0 || l < span) {
		span = l
	}
	return span
}

// checkSelectors refuses an instant query with a range selector or subquery longer than
// MaxQueryLength, which the source would refuse; the engine asks for shorter ranges.
func (c *Client) checkSelectors(query string) error {
	if c.maxLength <= 0 {
		return nil
	}
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return nil // the source says what is wrong with it
	}
	var longest time.Duration
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			longest = max(longest, n.Range)
		case *parser.SubqueryExpr:
			longest = max(longest, n.Range)
		}
		return nil
	})
	if longest > c.maxLength {
		return fmt.Errorf("query %q reads %s at once, more than the data source's maxQueryLength of %s: the metrics source would refuse it; shorten the SLO window or raise maxQueryLength if the source allows",
			query, model.Duration(longest), model.Duration(c.maxLength))
	}
	return nil
}
