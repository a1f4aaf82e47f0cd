package slo

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Fields maps model field paths to where they were written, so that validation
// errors point at the offending line. Paths are the model's JSON names joined by
// dots, with indexes for lists: "objective", "window", "window.timeZone",
// "budgeting.sliceLength", "indicator.good", "happiness[1].name", "alerting[0].short".
// A path that is missing falls back to its parent ("happiness[1]", "happiness"),
// then to the SLO's Source. A Location marked Reported is a field whose error was
// already reported (for instance a bad duration); validation stays silent on it.
type Fields map[string]Location

// at returns where field was written and whether an error on it should be reported.
func (f Fields) at(field string, fallback Location) (Location, bool) {
	for p := field; p != ""; p = parentPath(p) {
		if loc, ok := f[p]; ok {
			return loc, !loc.Reported
		}
	}
	return fallback, true
}

// parentPath strips the last ".name" or "[i]" from a field path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// validator collects the errors of one SLO.
type validator struct {
	s      *SLO
	fields Fields
	errs   []*Error
}

func (v *validator) errorf(field, format string, args ...any) {
	loc, ok := v.fields.at(field, v.s.Source)
	if !ok {
		return
	}
	v.errs = append(v.errs, &Error{Location: loc, SLO: v.s.Name, Message: fmt.Sprintf(format, args...)})
}

// Validate checks the SLO on its own and returns every problem, located at s.Source.
func (s *SLO) Validate() []*Error { return s.ValidateFields(nil) }

// ValidateFields checks the SLO like Validate, locating each error at its field (see Fields).
func (s *SLO) ValidateFields(fields Fields) []*Error {
	v := &validator{s: s, fields: fields}
	v.name()
	if strings.TrimSpace(s.Service) == "" {
		v.errorf("service", "service is required")
	}
	if !(s.Objective > 0 && s.Objective < 100) {
		v.errorf("objective", "objective %v must be strictly between 0 and 100 (percent, e.g. 99.9)", s.Objective)
	}
	v.window()
	v.budgeting()
	v.indicator()
	v.happiness()
	v.alerting()
	v.grouping()
	return v.errs
}

func (v *validator) name() {
	if err := CheckName(v.s.Name); err != nil {
		v.errorf("name", "%v", err)
	}
}

func (v *validator) window() {
	w := v.s.Window
	switch w.Kind {
	case Rolling:
		if w.Duration <= 0 {
			v.errorf("window", "rolling window must be longer than 0")
		}
		if w.TimeZone != "" {
			v.errorf("window.timeZone", "time zone %q applies to calendar windows only", w.TimeZone)
		}
	case Calendar:
		switch w.Unit {
		case Week, Month, Quarter:
		default:
			v.errorf("window", "calendar window %q must be week, month or quarter", w.Unit)
		}
		if w.TimeZone != "" {
			if _, err := time.LoadLocation(w.TimeZone); err != nil {
				v.errorf("window.timeZone", "time zone %q: %v", w.TimeZone, err)
			}
		}
	case "":
		v.errorf("window", "window is required (a rolling duration such as 28d, or week, month or quarter)")
	default:
		v.errorf("window", "window kind %q must be rolling or calendar", w.Kind)
	}
}

// minLength is the shortest the window can be: its duration, or the shortest calendar period.
func (w Window) minLength() time.Duration {
	day := 24 * time.Hour
	switch {
	case w.Kind == Rolling:
		return w.Duration
	case w.Unit == Week:
		return 7 * day
	case w.Unit == Month:
		return 28 * day
	case w.Unit == Quarter:
		return 89 * day
	}
	return 0
}

func (v *validator) budgeting() {
	b := v.s.Budgeting
	switch b.Method {
	case Occurrences, "":
		// The empty method means occurrences, the default.
	case Timeslices, RatioTimeslices:
		if b.SliceLength <= 0 {
			v.errorf("budgeting.sliceLength", "%s budgeting needs a slice length greater than 0", b.Method)
		} else if wl := v.s.Window.minLength(); wl > 0 && b.SliceLength >= wl {
			v.errorf("budgeting.sliceLength", "slice length %s must be shorter than the window %s", FormatDuration(b.SliceLength), v.s.Window)
		}
		// RatioTimeslices averages the slices' ratios and needs no threshold (OpenSLO),
		// but one that is given must make sense.
		if b.Method == Timeslices || b.SliceThreshold != 0 {
			if !(b.SliceThreshold > 0 && b.SliceThreshold <= 1) {
				v.errorf("budgeting.sliceThreshold", "slice threshold %v must be in (0, 1]", b.SliceThreshold)
			}
		}
		switch b.EmptySlices {
		case EmptySkip, EmptyGood, EmptyBad:
		default:
			v.errorf("budgeting.emptySlices", "emptySlices %q must be skip, good or bad", b.EmptySlices)
		}
	default:
		v.errorf("budgeting", "budgeting method %q must be occurrences, timeslices or ratioTimeslices", b.Method)
	}
}

// ThresholdOps are the comparison operators a threshold indicator may use.
var ThresholdOps = []string{"<", "<=", ">", ">=", "==", "!="}

func (v *validator) indicator() {
	in := v.s.Indicator
	switch in.Kind {
	case Ratio:
		switch {
		case in.Good == "" && in.Bad == "":
			v.errorf("indicator.good", "ratio indicator needs good or bad events")
		case in.Good != "" && in.Bad != "":
			v.errorf("indicator.bad", "ratio indicator needs exactly one of good and bad, not both")
		}
		if in.Total == "" {
			v.errorf("indicator.total", "ratio indicator needs total events")
		}
		v.counter("indicator.good", "good", in.Good)
		v.counter("indicator.bad", "bad", in.Bad)
		v.counter("indicator.total", "total", in.Total)
	case Latency:
		if in.Histogram == "" {
			v.errorf("indicator.histogram", "latency indicator needs a histogram")
		} else if _, err := HistogramBase(in.Histogram); err != nil {
			v.errorf("indicator.histogram", "histogram: %v", err)
		}
		if !(in.Le > 0) || math.IsInf(in.Le, 0) {
			v.errorf("indicator.le", "latency threshold %v must be a bucket bound greater than 0", in.Le)
		}
	case Threshold:
		if in.Gauge == "" {
			v.errorf("indicator.gauge", "threshold indicator needs a gauge")
		} else {
			v.query("indicator.gauge", "gauge", in.Gauge)
		}
		if !validOp(in.Op) {
			v.errorf("indicator.op", "threshold op %q must be one of %s", in.Op, strings.Join(ThresholdOps, ", "))
		}
		if math.IsNaN(in.Value) {
			v.errorf("indicator.value", "threshold value must be a number")
		}
	case Raw:
		if in.ErrorRatio == "" {
			v.errorf("indicator.errorRatio", "raw indicator needs an errorRatio expression")
		} else {
			v.query("indicator.errorRatio", "errorRatio", in.ErrorRatio)
		}
	case "":
		v.errorf("indicator", "indicator is required (ratio, latency, threshold or raw)")
	default:
		v.errorf("indicator", "indicator kind %q must be ratio, latency, threshold or raw", in.Kind)
	}
}

func validOp(op string) bool {
	for _, o := range ThresholdOps {
		if op == o {
			return true
		}
	}
	return false
}

// counter checks an optional counter query (empty is skipped).
func (v *validator) counter(field, what, q string) {
	if q == "" {
		return
	}
	if err := CheckCounterQuery(q); err != nil {
		v.errorf(field, "%s: %v", what, err)
	}
}

// query checks that q parses to an instant vector.
func (v *validator) query(field, what, q string) {
	if err := checkVectorQuery(q); err != nil {
		v.errorf(field, "%s: %v", what, err)
	}
}

func (v *validator) happiness() {
	seen := map[string]bool{}
	for i, sig := range v.s.Happiness {
		p := fmt.Sprintf("happiness[%d]", i)
		name := strings.TrimSpace(sig.Name)
		switch {
		case name == "":
			v.errorf(p+".name", "happiness signal %d needs a name", i+1)
		case seen[name]:
			v.errorf(p+".name", "duplicate happiness signal %q", name)
		}
		seen[name] = true
		switch {
		case sig.Query == "":
			v.errorf(p, "happiness signal %q needs a counter or gauge query", sig.Name)
		case sig.Kind == Counter:
			if err := CheckCounterQuery(sig.Query); err != nil {
				v.errorf(p+".query", "happiness signal %q: %v", sig.Name, err)
			}
		case sig.Kind == Gauge:
			if err := checkVectorQuery(sig.Query); err != nil {
				v.errorf(p+".query", "happiness signal %q: %v", sig.Name, err)
			}
		default:
			v.errorf(p, "happiness signal %q: kind %q must be counter or gauge", sig.Name, sig.Kind)
		}
		if sig.Combine != "" && !slices.Contains(Combines, sig.Combine) {
			v.errorf(p+".combine", "happiness signal %q: combine %q must be one of sum, avg, max, min", sig.Name, sig.Combine)
		}
	}
}

func (v *validator) alerting() {
	for i, bw := range v.s.BurnWindow {
		p := fmt.Sprintf("alerting[%d]", i)
		if bw.Long <= 0 {
			v.errorf(p+".long", "burn window long must be longer than 0")
		}
		if bw.Short <= 0 {
			v.errorf(p+".short", "burn window short must be longer than 0")
		} else if bw.Long > 0 && bw.Short >= bw.Long {
			v.errorf(p+".short", "burn window short %s must be shorter than long %s", FormatDuration(bw.Short), FormatDuration(bw.Long))
		}
		if !(bw.Factor > 0) || math.IsInf(bw.Factor, 0) {
			v.errorf(p+".factor", "burn window factor %v must be greater than 0", bw.Factor)
		}
	}
}

// labelName is the classic Prometheus label name syntax.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// grouping checks the grouping labels: label names, each once, not the bucket bound le.
func (v *validator) grouping() {
	seen := map[string]bool{}
	for i, l := range v.s.Grouping {
		p := fmt.Sprintf("grouping[%d]", i)
		switch {
		case !labelName.MatchString(l) || strings.HasPrefix(l, "__"):
			v.errorf(p, "grouping label %q must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", l)
		case l == model.BucketLabel:
			v.errorf(p, "grouping by %q would make one SLO per histogram bucket: group by a label that tells requests apart, such as route", l)
		case seen[l]:
			v.errorf(p, "grouping label %q is listed twice", l)
		}
		seen[l] = true
	}
}

// ValidateAll validates every SLO and adds an error for each name used more than once.
func ValidateAll(slos []*SLO) []*Error {
	var errs []*Error
	first := map[string]*SLO{}
	for _, s := range slos {
		errs = append(errs, s.Validate()...)
		if s.Name == "" {
			continue
		}
		if f, ok := first[s.Name]; ok {
			errs = append(errs, DuplicateError(f, s))
			continue
		}
		first[s.Name] = s
	}
	return errs
}

// DuplicateError reports that dup reuses the name of first, naming both locations.
func DuplicateError(first, dup *SLO) *Error {
	return &Error{
		Location: dup.Source,
		SLO:      dup.Name,
		Message:  fmt.Sprintf("duplicate SLO name %q, first defined at %s", dup.Name, first.Source),
	}
}

var promqlParser = parser.NewParser(parser.Options{})

// parse parses a PromQL expression, wrapping the parser's error.
func parse(q string) (parser.Expr, error) {
	expr, err := promqlParser.ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("invalid PromQL %q: %w", q, err)
	}
	return expr, nil
}

// errCounterShape is returned for counter queries that are not instant-vector expressions.
var errCounterShape = errors.New("must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)")

// CheckCounterQuery checks that q is a counter selector or an expression over
// instant vector selectors, without range selectors or subqueries.
func CheckCounterQuery(q string) error {
	expr, err := parse(q)
	if err != nil {
		return err
	}
	if expr.Type() != parser.ValueTypeVector {
		return fmt.Errorf("%q %w", q, errCounterShape)
	}
	selectors := 0
	var bad parser.Node
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n.(type) {
		case *parser.MatrixSelector, *parser.SubqueryExpr:
			if bad == nil {
				bad = n
			}
		case *parser.VectorSelector:
			selectors++
		}
		return nil
	})
	if bad != nil {
		return fmt.Errorf("%q: %s is not allowed: %w", q, bad, errCounterShape)
	}
	if selectors == 0 {
		return fmt.Errorf("%q %w", q, errCounterShape)
	}
	return nil
}

// checkVectorQuery checks that q parses and yields an instant vector.
func checkVectorQuery(q string) error {
	expr, err := parse(q)
	if err != nil {
		return err
	}
	if t := expr.Type(); t != parser.ValueTypeVector {
		return fmt.Errorf("%q must yield an instant vector, not a %s", q, parser.DocumentedType(t))
	}
	return nil
}

// HistogramBase checks that q is a plain metric selector of a histogram and returns
// it without a "_bucket" suffix on the metric name, as Nines adds _bucket and _count.
func HistogramBase(q string) (string, error) {
	expr, err := parse(q)
	if err != nil {
		return "", err
	}
	vs, ok := expr.(*parser.VectorSelector)
	if ok && vs.Name == "" {
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				vs.Name = m.Value
			}
		}
	}
	if !ok || vs.Name == "" || vs.OriginalOffset != 0 || vs.OriginalOffsetExpr != nil || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		return "", fmt.Errorf("%q must be a plain metric selector such as http_request_duration_seconds{job=\"api\"}", q)
	}
	base, found := strings.CutSuffix(vs.Name, "_bucket")
	if !found || base == "" {
		return q, nil
	}
	vs.Name = base
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			nm, err := labels.NewMatcher(labels.MatchEqual, labels.MetricName, base)
			if err != nil {
				return "", fmt.Errorf("histogram %q: %w", q, err)
			}
			*m = *nm
		}
	}
	return vs.String(), nil
}
