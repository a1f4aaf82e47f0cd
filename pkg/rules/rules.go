// Package rules writes Prometheus rule files from SLOs: recording rules for the error
// ratio of each SLO over each of its alert windows, and the SRE workbook's multiwindow,
// multi-burn-rate alerting rules, so that Prometheus alerts without Grafana in the path.
//
// Per SLO there is one rule group, "nines-<name>". The recording rules are named
// nines_slo:sli_error:ratio_rate<window> and carry the labels nines_slo, nines_service
// and the SLO's labels. There is one alert per severity of the SLO's burn windows
// (page and ticket by default); it fires when, for any of its windows, the error ratio
// over both the long and the short window is above factor × (1 − objective).
package rules

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/slo"
)

// DefaultAlertName is the alert name of SLOs whose definition names none.
const DefaultAlertName = "SLOErrorBudgetBurn"

// Labels the rules carry.
const (
	LabelSLO      = "nines_slo"
	LabelService  = "nines_service"
	LabelSeverity = "severity"
	// LabelRunbook is the SLO label that, when set, becomes the runbook_url annotation.
	LabelRunbook = "runbook_url"
)

// thresholdSlice is the step at which a threshold indicator's gauge is judged.
const thresholdSlice = time.Minute

// File is a Prometheus rule file.
type File struct {
	Groups []Group `yaml:"groups"`
}

// Group is one rule group.
type Group struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is a recording or an alerting rule.
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// RecordName returns the name of the recording rule of the error ratio over w.
func RecordName(w time.Duration) string {
	return "nines_slo:sli_error:ratio_rate" + slo.FormatDuration(w)
}

// Build returns the rule file of the SLOs; alerts holds how each SLO's definition asks
// its alerts to be written (definitions.Result.Alerts; nil for none).
func Build(slos []*slo.SLO, alerts map[string]*definitions.AlertRules) (*File, error) {
	f := &File{Groups: []Group{}}
	for _, s := range slos {
		g, err := group(s, alerts[s.Name])
		if err != nil {
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		f.Groups = append(f.Groups, g)
	}
	return f, nil
}

// Marshal returns the rule file as YAML.
func (f *File) Marshal() ([]byte, error) {
	out, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("marshal rules: %w", err)
	}
	return out, nil
}

// group builds the rule group of one SLO.
func group(s *slo.SLO, ar *definitions.AlertRules) (Group, error) {
	g := Group{Name: "nines-" + s.Name}
	base := map[string]string{}
	for k, v := range s.Labels {
		if k != LabelRunbook {
			base[k] = v
		}
	}
	base[LabelSLO], base[LabelService] = s.Name, s.Service
	windows := s.Alerting()
	var ds []time.Duration
	for _, bw := range windows {
		ds = append(ds, bw.Long, bw.Short)
	}
	slices.Sort(ds)
	ds = slices.Compact(ds)
	for _, w := range ds {
		expr, err := ErrorRatio(s, w)
		if err != nil {
			return Group{}, err
		}
		g.Rules = append(g.Rules, Rule{Record: RecordName(w), Expr: expr, Labels: maps.Clone(base)})
	}
	if ar != nil && ar.Disabled {
		return g, nil
	}
	var sevs []string
	for _, bw := range windows {
		if !slices.Contains(sevs, bw.Severity) {
			sevs = append(sevs, bw.Severity)
		}
	}
	for _, sev := range sevs {
		g.Rules = append(g.Rules, alert(s, ar, sev, windows))
	}
	return g, nil
}

// alert builds the alert of one severity: any of its windows burning too fast.
func alert(s *slo.SLO, ar *definitions.AlertRules, sev string, windows []slo.BurnWindow) Rule {
	sel := fmt.Sprintf("{%s=%s}", LabelSLO, strconv.Quote(s.Name))
	budget := strconv.FormatFloat(math.Round((100-s.Objective)*1e10)/1e12, 'g', -1, 64)
	var parts []string
	for _, bw := range windows {
		if bw.Severity != sev {
			continue
		}
		f := strconv.FormatFloat(bw.Factor, 'g', -1, 64)
		parts = append(parts, fmt.Sprintf("(%s%s > (%s * %s) and %s%s > (%s * %s))",
			RecordName(bw.Long), sel, f, budget, RecordName(bw.Short), sel, f, budget))
	}
	r := Rule{
		Alert:  DefaultAlertName,
		Expr:   strings.Join(parts, "\nor\n"),
		Labels: map[string]string{LabelSeverity: sev, LabelSLO: s.Name},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("%s (%s) is burning its error budget too fast (%s alert)", s.Title(), s.Service, sev),
			"description": fmt.Sprintf("The error ratio of SLO %s is above the burn rates of its %s windows: at this pace its %s error budget (objective %s %%) runs out early.",
				s.Name, sev, s.Window, strconv.FormatFloat(s.Objective, 'g', -1, 64)),
		},
	}
	if len(s.Grouping) > 0 {
		// A grouped SLO alerts per group: name the group in the summary.
		var g []string
		for _, l := range s.Grouping {
			g = append(g, fmt.Sprintf("%s={{ $labels.%s }}", l, l))
		}
		r.Annotations["summary"] += " for " + strings.Join(g, ", ")
	}
	if s.Description != "" {
		r.Annotations["slo_description"] = s.Description
	}
	if s.UserStory != "" {
		r.Annotations["user_story"] = s.UserStory
	}
	if s.Owner != "" {
		r.Annotations["owner"] = s.Owner
	}
	if u := s.Labels[LabelRunbook]; u != "" {
		r.Annotations["runbook_url"] = u
	}
	if ar != nil {
		if ar.Name != "" {
			r.Alert = ar.Name
		}
		maps.Copy(r.Labels, ar.Labels)
		maps.Copy(r.Annotations, ar.Annotations)
		maps.Copy(r.Labels, ar.Severity[sev].Labels)
		maps.Copy(r.Annotations, ar.Severity[sev].Annotations)
		if u, ok := r.Annotations["runbook"]; ok && r.Annotations["runbook_url"] == "" {
			r.Annotations["runbook_url"] = u
		}
	}
	// The SLO's own labels come with the recording rules; these name the alert's tier.
	r.Labels["nines_severity"] = sev
	return r
}

// ErrorRatio returns the PromQL of the SLO's error ratio over the window w, as one
// series: 1 − good/total, bad/total, the share of judged minutes that fail a threshold
// indicator's condition, or a raw indicator's ratio averaged over w.
func ErrorRatio(s *slo.SLO, w time.Duration) (string, error) {
	in := s.Indicator
	switch in.Kind {
	case slo.Ratio:
		total, err := rateSum(in.Total, w, s.Grouping)
		if err != nil {
			return "", fmt.Errorf("total: %w", err)
		}
		if in.Bad != "" {
			bad, err := rateSum(in.Bad, w, s.Grouping)
			if err != nil {
				return "", fmt.Errorf("bad: %w", err)
			}
			return div(bad, total).String(), nil
		}
		good, err := rateSum(in.Good, w, s.Grouping)
		if err != nil {
			return "", fmt.Errorf("good: %w", err)
		}
		return oneMinus(div(good, total)).String(), nil
	case slo.Latency:
		h, err := parse(in.Histogram)
		if err != nil {
			return "", fmt.Errorf("histogram: %w", err)
		}
		vs, ok := h.(*parser.VectorSelector)
		if !ok {
			return "", errors.New("histogram must be a metric selector")
		}
		le := labels.MustNewMatcher(labels.MatchEqual, model.BucketLabel, strconv.FormatFloat(in.Le, 'f', -1, 64))
		good := renamed(vs, vs.Name+"_bucket", le)
		total := renamed(vs, vs.Name+"_count")
		return oneMinus(div(sumOf(rate(good, w), s.Grouping), sumOf(rate(total, w), s.Grouping))).String(), nil
	case slo.Threshold:
		g, err := parse(in.Gauge)
		if err != nil {
			return "", fmt.Errorf("gauge: %w", err)
		}
		op, ok := map[string]parser.ItemType{"<": parser.LSS, "<=": parser.LTE, ">": parser.GTR, ">=": parser.GTE, "==": parser.EQLC, "!=": parser.NEQ}[in.Op]
		if !ok {
			return "", fmt.Errorf("threshold op %q", in.Op)
		}
		judged := &parser.BinaryExpr{Op: op, LHS: &parser.ParenExpr{Expr: g}, RHS: &parser.NumberLiteral{Val: in.Value}, ReturnBool: true}
		sub := func(fn string) parser.Expr {
			return sumOf(&parser.Call{Func: parser.Functions[fn], Args: parser.Expressions{
				&parser.SubqueryExpr{Expr: &parser.ParenExpr{Expr: judged}, Range: w, Step: thresholdSlice}}}, s.Grouping)
		}
		return oneMinus(div(sub("sum_over_time"), sub("count_over_time"))).String(), nil
	case slo.Raw:
		r, err := parse(in.ErrorRatio)
		if err != nil {
			return "", fmt.Errorf("errorRatio: %w", err)
		}
		return (&parser.Call{Func: parser.Functions["avg_over_time"], Args: parser.Expressions{
			&parser.SubqueryExpr{Expr: r, Range: w, Step: thresholdSlice}}}).String(), nil
	}
	return "", fmt.Errorf("indicator kind %q has no error ratio", in.Kind)
}

func parse(q string) (parser.Expr, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", q, err)
	}
	return e, nil
}

// rateSum parses a counter expression and returns sum by (by) (it with each selector x
// as rate(x[w])).
func rateSum(q string, w time.Duration, by []string) (parser.Expr, error) {
	e, err := parse(q)
	if err != nil {
		return nil, err
	}
	if err := slo.CheckCounterQuery(q); err != nil {
		return nil, err
	}
	return sumOf(withRates(e, w), by), nil
}

// withRates replaces every vector selector below e by rate(selector[w]).
func withRates(e parser.Expr, w time.Duration) parser.Expr {
	switch n := e.(type) {
	case *parser.VectorSelector:
		return rate(n, w)
	case *parser.AggregateExpr:
		if n.Param != nil {
			n.Param = withRates(n.Param, w)
		}
		n.Expr = withRates(n.Expr, w)
	case *parser.BinaryExpr:
		n.LHS, n.RHS = withRates(n.LHS, w), withRates(n.RHS, w)
	case *parser.ParenExpr:
		n.Expr = withRates(n.Expr, w)
	case *parser.UnaryExpr:
		n.Expr = withRates(n.Expr, w)
	case *parser.Call:
		for i, a := range n.Args {
			n.Args[i] = withRates(a, w)
		}
	case *parser.StepInvariantExpr:
		n.Expr = withRates(n.Expr, w)
	}
	return e
}

func rate(v *parser.VectorSelector, w time.Duration) parser.Expr {
	return &parser.Call{Func: parser.Functions["rate"], Args: parser.Expressions{&parser.MatrixSelector{VectorSelector: v, Range: w}}}
}

// sumOf wraps e in sum by (by) (...) unless it is that sum already: a grouped SLO's
// series keep their grouping labels, so each group gets its own ratio and alerts.
func sumOf(e parser.Expr, by []string) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	if a, ok := e.(*parser.AggregateExpr); ok && a.Op == parser.SUM && !a.Without && slices.Equal(a.Grouping, by) {
		return e
	}
	return &parser.AggregateExpr{Op: parser.SUM, Expr: e, Grouping: slices.Clone(by)}
}

func div(a, b parser.Expr) parser.Expr {
	return &parser.BinaryExpr{Op: parser.DIV, LHS: a, RHS: b, VectorMatching: &parser.VectorMatching{Card: parser.CardOneToOne}}
}

func oneMinus(e parser.Expr) parser.Expr {
	return &parser.BinaryExpr{Op: parser.SUB, LHS: &parser.NumberLiteral{Val: 1}, RHS: &parser.ParenExpr{Expr: e}}
}

// renamed returns a copy of v for the metric name, with extra matchers.
func renamed(v *parser.VectorSelector, name string, extra ...*labels.Matcher) *parser.VectorSelector {
	ms := []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name)}
	for _, m := range v.LabelMatchers {
		if m.Name != labels.MetricName {
			ms = append(ms, m)
		}
	}
	return &parser.VectorSelector{Name: name, LabelMatchers: append(ms, extra...)}
}
