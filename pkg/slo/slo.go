// Package slo holds the SLO model: objectives, windows, budgeting and indicators.
package slo

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/nines-slo/nines/pkg/series"
)

// NamePattern is the pattern every SLO name must match; names are RFC 1123 labels,
// as OpenSLO's metadata.name, so they are also at most MaxNameLength long.
var NamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// MaxNameLength is the longest SLO name (an RFC 1123 label).
const MaxNameLength = 63

// CheckName returns why name is not an RFC 1123 label (at most 63 lowercase letters,
// digits and inner dashes), or nil.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("name is required")
	case len(name) > MaxNameLength:
		return fmt.Errorf("name %q is %d characters long: names are RFC 1123 labels of at most %d characters", name[:MaxNameLength]+"…", len(name), MaxNameLength)
	case !NamePattern.MatchString(name):
		return fmt.Errorf("name %q must consist of lowercase letters, digits and inner dashes ([a-z0-9-]+)", name)
	}
	return nil
}

// Location is where a definition came from: a file (or "inline") and a 1-based line.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Reported marks, in Fields, a field whose error was already reported (for
	// instance a bad duration): validation stays silent on it.
	Reported bool `json:"-"`
}

// String renders the location as file:line.
func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// WindowKind tells rolling windows from calendar windows.
type WindowKind string

// Window kinds.
const (
	Rolling  WindowKind = "rolling"
	Calendar WindowKind = "calendar"
)

// CalendarUnit is the period of a calendar window: series' one calendar unit type.
type CalendarUnit = series.Unit

// Calendar units of windows.
const (
	Week    = series.Week
	Month   = series.Month
	Quarter = series.Quarter
)

// Window is the compliance window of an SLO.
type Window struct {
	Kind WindowKind `json:"kind"`
	// Duration is the length of a rolling window.
	Duration time.Duration `json:"duration,omitempty"`
	// Unit is the period of a calendar window.
	Unit CalendarUnit `json:"unit,omitempty"`
	// TimeZone is the IANA zone of a calendar window; empty means UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// Start is the optional anchor of a calendar window (OpenSLO startTime).
	Start time.Time `json:"start,omitempty"`
}

// String renders the window as written in definitions ("28d", "month").
func (w Window) String() string {
	if w.Kind == Calendar {
		return string(w.Unit)
	}
	return FormatDuration(w.Duration)
}

// BudgetingMethod is how the error budget is counted.
type BudgetingMethod string

// Budgeting methods.
const (
	Occurrences     BudgetingMethod = "occurrences"
	Timeslices      BudgetingMethod = "timeslices"
	RatioTimeslices BudgetingMethod = "ratioTimeslices"
)

// Budgeting says how events count against the budget.
type Budgeting struct {
	Method BudgetingMethod `json:"method"`
	// SliceLength is the length of one time slice (timeslices only).
	SliceLength time.Duration `json:"sliceLength,omitempty"`
	// SliceThreshold is the share (0..1] of good a slice needs to count as good.
	SliceThreshold float64 `json:"sliceThreshold,omitempty"`
	// EmptySlices says how slices without data count: left out (EmptySkip, the
	// default), as good or as bad slices. They are always counted in the output.
	EmptySlices EmptySlices `json:"emptySlices,omitempty"`
}

// EmptySlices is how time slices without data count.
type EmptySlices string

// Ways to count slices without data.
const (
	EmptySkip EmptySlices = ""
	EmptyGood EmptySlices = "good"
	EmptyBad  EmptySlices = "bad"
)

// IndicatorKind is the kind of SLI.
type IndicatorKind string

// Indicator kinds.
const (
	Ratio     IndicatorKind = "ratio"
	Latency   IndicatorKind = "latency"
	Threshold IndicatorKind = "threshold"
	Raw       IndicatorKind = "raw"
)

// Indicator is how the SLI is measured. Queries are PromQL strings, parsed at load time.
type Indicator struct {
	Kind IndicatorKind `json:"kind"`
	// Good, Bad and Total are counter selectors or counter expressions (ratio).
	// Exactly one of Good and Bad is set.
	Good  string `json:"good,omitempty"`
	Bad   string `json:"bad,omitempty"`
	Total string `json:"total,omitempty"`
	// Histogram is the histogram's base metric selector, e.g.
	// http_request_duration_seconds{job="api"} (latency). Nines adds _bucket / _count.
	Histogram string `json:"histogram,omitempty"`
	// Le is the latency threshold in seconds; it must equal a bucket bound.
	Le float64 `json:"le,omitempty"`
	// Gauge, Op and Value form the per-slice condition (threshold), e.g. probe_success >= 1.
	Gauge string  `json:"gauge,omitempty"`
	Op    string  `json:"op,omitempty"`
	Value float64 `json:"value,omitempty"`
	// ErrorRatio is an expression that already yields an error ratio (raw).
	ErrorRatio string `json:"errorRatio,omitempty"`
}

// SignalKind tells counters from gauges among happiness signals.
type SignalKind string

// Signal kinds.
const (
	Counter SignalKind = "counter"
	Gauge   SignalKind = "gauge"
)

// Combine is how the series of a happiness signal's query are combined into one.
type Combine string

// Ways to combine several series of a signal; empty means the query must yield one series.
const (
	CombineSum Combine = "sum"
	CombineAvg Combine = "avg"
	CombineMax Combine = "max"
	CombineMin Combine = "min"
)

// Combines lists the accepted values of Signal.Combine.
var Combines = []Combine{CombineSum, CombineAvg, CombineMax, CombineMin}

// Signal is a business "happiness" signal the SLI should move with.
type Signal struct {
	Name  string     `json:"name"`
	Query string     `json:"query"`
	Kind  SignalKind `json:"kind"`
	// Combine aggregates a query that yields several series; empty means it must yield one.
	Combine Combine `json:"combine,omitempty"`
}

// BurnWindow is one multiwindow burn-rate alert: long and short windows and a factor.
type BurnWindow struct {
	Long     time.Duration `json:"long"`
	Short    time.Duration `json:"short"`
	Factor   float64       `json:"factor"`
	Severity string        `json:"severity"`
}

// DefaultBurnWindows is the SRE workbook's multiwindow, multi-burn-rate set.
var DefaultBurnWindows = []BurnWindow{
	{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4, Severity: "page"},
	{Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6, Severity: "page"},
	{Long: 24 * time.Hour, Short: 2 * time.Hour, Factor: 3, Severity: "ticket"},
	{Long: 72 * time.Hour, Short: 6 * time.Hour, Factor: 1, Severity: "ticket"},
}

// SLO is one service level objective.
type SLO struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Description string            `json:"description,omitempty"`
	UserStory   string            `json:"userStory,omitempty"`
	Service     string            `json:"service"`
	Owner       string            `json:"owner,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Objective is the target in percent, strictly between 0 and 100 (e.g. 99.9).
	Objective  float64      `json:"objective"`
	Window     Window       `json:"window"`
	Budgeting  Budgeting    `json:"budgeting"`
	Indicator  Indicator    `json:"indicator"`
	Happiness  []Signal     `json:"happiness,omitempty"`
	BurnWindow []BurnWindow `json:"alerting,omitempty"`
	// Grouping lists the labels whose values fan the SLO out into one SLO per group
	// (Pyrra's grouping): each group is the SLO with equality matchers on these labels.
	Grouping []string `json:"grouping,omitempty"`
	// Group holds the grouping labels' values of one group (set by the engine's
	// expansion of a grouped SLO, nil otherwise); Name stays the grouped SLO's.
	Group map[string]string `json:"group,omitempty"`
	// Source is where the SLO was defined.
	Source Location `json:"source"`
	// Format is the definition format it was read from ("native", "openslo").
	Format string `json:"format"`
}

// Target returns the objective as a ratio in (0, 1), e.g. 0.999.
func (s *SLO) Target() float64 { return math.Round(s.Objective*1e10) / 1e12 }

// Title returns the display name, or the name when none is set.
func (s *SLO) Title() string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Name
}

// Alerting returns the SLO's burn-rate windows, or the defaults.
func (s *SLO) Alerting() []BurnWindow {
	if len(s.BurnWindow) > 0 {
		return s.BurnWindow
	}
	return DefaultBurnWindows
}

// Error is a definition problem, located at a file and line and naming the SLO.
type Error struct {
	Location
	SLO     string `json:"slo,omitempty"`
	Message string `json:"message"`
}

// Error renders file:line: slo: message.
func (e *Error) Error() string {
	if e.SLO != "" {
		return fmt.Sprintf("%s: %s: %s", e.Location, e.SLO, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Location, e.Message)
}
