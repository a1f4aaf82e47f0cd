// Package models holds the query models of the Grafana data source: one options type
// per query type, each checking itself, and the selection of SLOs every type shares.
package models

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// Query types.
const (
	TypeStatus    = "status"
	TypeSLI       = "sli"
	TypeBudget    = "budget"
	TypeBurnRate  = "burnRate"
	TypeHistory   = "history"
	TypeHappiness = "happiness"
	TypeCatalog   = "catalog"
	TypeAlerts    = "alerts"
)

// Selection picks the SLOs of a query; every query type has it.
type Selection struct {
	// SLO is a name, an anchored regular expression, or empty for all SLOs.
	SLO string `json:"slo"`
	// Service keeps only SLOs of this service (a name or an anchored regex).
	Service string `json:"service"`
	// Labels keeps only SLOs having all these labels.
	Labels map[string]string `json:"labels"`
}

// Validate checks the selection's patterns: each is a name or a valid regular expression.
func (s Selection) Validate() error {
	if _, err := NewPattern("slo", s.SLO); err != nil {
		return err
	}
	_, err := NewPattern("service", s.Service)
	return err
}

// Pattern matches a name exactly or as an anchored regular expression; nil matches all.
type Pattern struct {
	raw string
	re  *regexp.Regexp
}

// NewPattern reads the pattern of a query field; empty, "*", ".*" and "$__all" give nil.
func NewPattern(field, s string) (*Pattern, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" || s == ".*" || s == "$__all" {
		return nil, nil
	}
	m := &Pattern{raw: s}
	if !slo.NamePattern.MatchString(s) {
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return nil, fmt.Errorf("query field %s: %q is neither a name nor a valid regular expression: %w", field, s, err)
		}
		m.re = re
	}
	return m, nil
}

// Match reports whether s matches.
func (m *Pattern) Match(s string) bool {
	if m == nil {
		return true
	}
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return m.raw == s
}

// Name returns the one name the pattern names literally, ok false for a regex or nil.
func (m *Pattern) Name() (string, bool) {
	if m == nil || m.re != nil {
		return "", false
	}
	return m.raw, true
}

// NoOptions is the options of a query type that has none besides the selection.
type NoOptions struct{}

// Validate accepts anything: there is nothing to check.
func (NoOptions) Validate() error { return nil }

// WindowOptions are the options of sli, budget and burnRate queries.
type WindowOptions struct {
	// Window overrides the SLO window (sli, budget) or picks one burn-rate window.
	Window string `json:"window"`
}

// Duration is the window, zero when unset.
func (o WindowOptions) Duration() (time.Duration, error) {
	return optionalDuration("window", o.Window)
}

// Validate checks the window.
func (o WindowOptions) Validate() error {
	_, err := o.Duration()
	return err
}

// HistoryOptions are the options of history queries.
type HistoryOptions struct {
	// Period is week, month, quarter or rolling; empty means the SLO's own.
	Period string `json:"period"`
	// Periods is how many past periods to show.
	Periods *int `json:"periods"`
	// Share is the share of periods an achievable objective must have met, in (0, 1].
	Share *float64 `json:"share"`
	// Objectives are what-if objectives as comma-separated percents.
	Objectives string `json:"objectives"`
	// TimeZone is the IANA zone of calendar periods; empty means the SLO's own.
	TimeZone string `json:"timeZone"`
	// CompleteOnly leaves partial periods out of the summary.
	CompleteOnly bool `json:"completeOnly"`
	// Window is the length of each rolling window; empty means the SLO's window.
	Window string `json:"window"`
}

// HistoryPeriods are the values of HistoryOptions.Period.
var HistoryPeriods = []string{string(series.Week), string(series.Month), string(series.Quarter), string(engine.RollingPeriod)}

// Request checks the options and turns them into the engine's history request.
func (o HistoryOptions) Request() (engine.HistoryRequest, error) {
	var r engine.HistoryRequest
	if o.Periods != nil {
		if *o.Periods < 1 || *o.Periods > engine.MaxHistoryPeriods {
			return r, fmt.Errorf("query field periods: %d must be between 1 and %d", *o.Periods, engine.MaxHistoryPeriods)
		}
		r.Periods = *o.Periods
	}
	if o.Share != nil {
		if !(*o.Share > 0 && *o.Share <= 1) {
			return r, fmt.Errorf("query field share: %v must be in (0, 1] (e.g. 0.9 for 90 %% of the periods)", *o.Share)
		}
		r.Share = *o.Share
	}
	per := strings.ToLower(strings.TrimSpace(o.Period))
	if per != "" && !slices.Contains(HistoryPeriods, per) {
		return r, fmt.Errorf("query field period: %q must be week, month, quarter or rolling", o.Period)
	}
	r.Period = series.Unit(per)
	r.CompleteOnly = o.CompleteOnly
	if tz := strings.TrimSpace(o.TimeZone); tz != "" {
		loc, err := series.Location(tz)
		if err != nil {
			return r, fmt.Errorf("query field timeZone: %w", err)
		}
		r.Location = loc
	}
	w, err := optionalDuration("window", o.Window)
	if err != nil {
		return r, err
	}
	r.Window = w
	r.Objectives, err = ParseObjectives(o.Objectives)
	return r, err
}

// Validate checks the history options.
func (o HistoryOptions) Validate() error {
	_, err := o.Request()
	return err
}

// ParseObjectives reads a comma-separated list of percents, e.g. "99, 99.5, 99.9", as
// sorted ratios without repeats; nil when s is empty.
func ParseObjectives(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	seen := map[float64]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "%"))
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || !(f > 0 && f < 100) {
			return nil, fmt.Errorf("query field objectives: %q is not a percent strictly between 0 and 100 (write e.g. \"99, 99.5, 99.9\")", part)
		}
		r := math.Round(f*1e10) / 1e12
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("query field objectives: %q holds no objective", s)
	}
	sort.Float64s(out)
	return out, nil
}

// HappinessOptions are the options of happiness queries.
type HappinessOptions struct {
	// Signal names one of the SLO's signals, or is empty for all of them.
	Signal string `json:"signal"`
	// Interval is the resolution of the correlation.
	Interval string `json:"interval"`
	// MaxLag is the most intervals the signal may lag the SLI.
	MaxLag *int `json:"maxLag"`
}

// Resolved returns the interval and the largest lag, with their defaults.
func (o HappinessOptions) Resolved() (time.Duration, int, error) {
	iv, err := optionalDuration("interval", o.Interval)
	if err != nil {
		return 0, 0, err
	}
	if iv == 0 {
		iv = engine.DefaultHappinessInterval
	}
	lag := engine.DefaultMaxLag
	if o.MaxLag != nil {
		lag = *o.MaxLag
	}
	if lag < 0 || lag > engine.MaxHappinessLag {
		return 0, 0, fmt.Errorf("query field maxLag: %d must be between 0 and %d intervals", lag, engine.MaxHappinessLag)
	}
	return iv, lag, nil
}

// Validate checks the happiness options.
func (o HappinessOptions) Validate() error {
	_, _, err := o.Resolved()
	return err
}

// Validator is a query type's options.
type Validator interface{ Validate() error }

// Decode reads the options of type T from a query's JSON and checks them.
func Decode[T Validator](raw json.RawMessage) (T, error) {
	var o T
	if len(raw) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, fmt.Errorf("bad query JSON: %w", err)
	}
	return o, o.Validate()
}

// optionalDuration parses a duration option, zero when empty.
func optionalDuration(field, v string) (time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	d, err := slo.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("query field %s: %w", field, err)
	}
	return d, nil
}
