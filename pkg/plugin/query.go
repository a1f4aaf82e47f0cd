package plugin

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/slo"
)

// Query types.
const (
	QueryStatus    = "status"
	QuerySLI       = "sli"
	QueryBudget    = "budget"
	QueryBurnRate  = "burnRate"
	QueryHistory   = "history"
	QueryHappiness = "happiness"
	QueryCatalog   = "catalog"
)

// QueryTypes lists the query types the plugin answers.
var QueryTypes = []string{QueryStatus, QuerySLI, QueryBudget, QueryBurnRate, QueryHistory, QueryHappiness, QueryCatalog}

// Query is the panel's query model (the JSON of a query).
type Query struct {
	// SLO is a name, a regular expression (anchored) or empty for all SLOs.
	SLO string `json:"slo"`
	// Service keeps only SLOs of this service (a name or an anchored regex).
	Service string `json:"service"`
	// Labels keeps only SLOs having all these labels.
	Labels map[string]string `json:"labels"`
	// Window overrides the SLO window (sli) or picks one burn-rate window (burnRate).
	Window string `json:"window"`
	// Period, Periods, Share and Objectives configure history queries.
	Period     string   `json:"period"`
	Periods    int      `json:"periods"`
	Share      *float64 `json:"share"`
	Objectives string   `json:"objectives"`
	// Signal, Interval and MaxLag configure happiness queries.
	Signal   string `json:"signal"`
	Interval string `json:"interval"`
	MaxLag   *int   `json:"maxLag"`
}

// ParseQuery reads a query's JSON.
func ParseQuery(raw json.RawMessage) (Query, error) {
	var q Query
	if len(raw) == 0 {
		return q, nil
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		return q, fmt.Errorf("bad query JSON: %w", err)
	}
	return q, nil
}

// WindowDuration parses the query's window, zero when unset.
func (q Query) WindowDuration() (time.Duration, error) {
	if strings.TrimSpace(q.Window) == "" {
		return 0, nil
	}
	d, err := slo.ParseDuration(q.Window)
	if err != nil {
		return 0, fmt.Errorf("query field window: %w", err)
	}
	return d, nil
}

// matcher matches a name exactly or as an anchored regular expression.
type matcher struct {
	raw string
	re  *regexp.Regexp
}

func newMatcher(field, s string) (*matcher, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" || s == ".*" || s == "$__all" {
		return nil, nil
	}
	m := &matcher{raw: s}
	if !slo.NamePattern.MatchString(s) {
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return nil, fmt.Errorf("query field %s: %q is neither a name nor a valid regular expression: %w", field, s, err)
		}
		m.re = re
	}
	return m, nil
}

func (m *matcher) match(s string) bool {
	if m == nil {
		return true
	}
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return m.raw == s
}

// isName reports whether the matcher names one SLO literally.
func (m *matcher) isName() bool { return m != nil && m.re == nil }

// Select returns the loaded SLOs the query names, sorted by service and name. A literal
// name that does not exist, or that failed to load, is an error.
func Select(res definitions.Result, q Query) ([]*slo.SLO, error) {
	nameM, err := newMatcher("slo", q.SLO)
	if err != nil {
		return nil, err
	}
	svcM, err := newMatcher("service", q.Service)
	if err != nil {
		return nil, err
	}
	var out []*slo.SLO
	for _, s := range res.SLOs {
		if !nameM.match(s.Name) || !svcM.match(s.Service) {
			continue
		}
		ok := true
		for k, v := range q.Labels {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 && nameM.isName() {
		for _, e := range res.Errors {
			if e.SLO == nameM.raw {
				return nil, fmt.Errorf("SLO %q did not load: %s", nameM.raw, e.Error())
			}
		}
		return nil, fmt.Errorf("unknown SLO %q: no loaded definition has that name", nameM.raw)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
