package definitions

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/nines-slo/nines/pkg/slo"
)

// Pyrra's ServiceLevelObjective.
const (
	FormatPyrra  = "pyrra"
	PyrraVersion = "pyrra.dev/v1alpha1"
	PyrraKind    = "ServiceLevelObjective"
	// pyrraPrefix marks the labels and annotations Pyrra propagates to its rules.
	pyrraPrefix = "pyrra.dev/"
)

// Known fields of a Pyrra document.
var (
	pyrraDocKnown      = []string{"apiVersion", "kind", "metadata", "spec", "status"}
	pyrraMetaKnown     = []string{"name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}
	pyrraSpecKnown     = []string{"description", "target", "window", "indicator", "alerting", "partial_response_strategy", "performanceOverAccuracy", "ruleOutput"}
	pyrraIndKnown      = []string{"ratio", "latency", "latencyNative", "bool_gauge"}
	pyrraAlertKnown    = []string{"disabled", "burnrates", "absent", "name", "absentName", "severities"}
	pyrraSeverityKnown = []string{"absent", "fastBurn", "mediumBurn", "slowBurn", "longTermBurn"}
)

// pyrraTier is one of Pyrra's four burn-rate tiers, scaled to the SLO window as Pyrra does.
type pyrraTier struct {
	key           string // the alerting.severities key
	severity      string // Pyrra's default severity
	factor        float64
	longD, shortD int64 // divisors of the window
}

var pyrraTiers = []pyrraTier{
	{key: "fastBurn", severity: "critical", factor: 14, longD: 28 * 24, shortD: 28 * 24 * 12},
	{key: "mediumBurn", severity: "critical", factor: 7, longD: 28 * 4, shortD: 28 * 24 * 2},
	{key: "slowBurn", severity: "warning", factor: 2, longD: 28, shortD: 28 * 12},
	{key: "longTermBurn", severity: "warning", factor: 1, longD: 7, shortD: 28 * 4},
}

// PyrraBurnWindows returns Pyrra's burn-rate windows for an SLO window (1h/5m ×14,
// 6h/30m ×7, 1d/2h ×2 and 4d/6h ×1 for 28d), with Pyrra's default severities.
func PyrraBurnWindows(window time.Duration) []slo.BurnWindow {
	out := make([]slo.BurnWindow, 0, len(pyrraTiers))
	for _, t := range pyrraTiers {
		out = append(out, slo.BurnWindow{
			Long:     (window / time.Duration(t.longD)).Round(time.Minute),
			Short:    (window / time.Duration(t.shortD)).Round(time.Minute),
			Factor:   t.factor,
			Severity: t.severity,
		})
	}
	return out
}

// pyrra reads a Pyrra ServiceLevelObjective document.
func (b *batch) pyrra(d *decoder) {
	if !d.mapping("", PyrraKind, pyrraDocKnown) {
		return
	}
	if k, _ := d.textAt("kind").read(d, "kind"); !d.has("kind") || k != PyrraKind {
		d.errorf(d.node(""), "%s documents must be of kind %s", PyrraVersion, PyrraKind)
		return
	}
	if !b.room(d, d.node(""), 1) {
		return
	}
	b.entries = append(b.entries, d.pyrraSLO())
	d.cur = nil
}

// pyrraSLO reads the SLO of a Pyrra document.
func (d *decoder) pyrraSLO() *entry {
	s := &slo.SLO{
		Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Source:    d.loc(d.node("")),
		Format:    FormatPyrra,
	}
	e := &entry{s: s, spots: newSpots()}
	d.cur = e
	ar := &AlertRules{}
	if d.has("metadata") && d.mapping("metadata", "metadata", pyrraMetaKnown) {
		d.pyrraMetadata(e, ar)
	}
	if !d.has("spec") {
		d.errorf(d.node(""), "ServiceLevelObjective has no spec")
		return e
	}
	if !d.mapping("spec", "spec", pyrraSpecKnown) {
		return e
	}
	s.Description = d.str("spec.description", d.textAt("spec.description"))
	var target string
	if read(d, &e.spots, "objective", "spec.target", d.textAt("spec.target"), &target) {
		v, err := strconv.ParseFloat(strings.TrimSpace(target), 64)
		if err != nil {
			d.fieldErr(&e.spots, "objective", d.keyNode("spec.target"), "target %q is not a number (a percentage such as \"99.5\")", quoted(target))
		} else {
			s.Objective = v
			d.percent(e, "spec.target", v)
		}
	}
	var w string
	if read(d, &e.spots, "window", "spec.window", d.textAt("spec.window"), &w) {
		s.Window.Kind = slo.Rolling
		s.Window.Duration = d.rolling(e, "spec.window", w, "window: %v (a duration such as 28d)",
			"window %s is too short: a window must be at least 1h")
	}
	if d.has("spec.indicator") {
		d.pyrraIndicator(e, "spec.indicator")
	}
	if s.Window.Duration > 0 {
		s.BurnWindow = PyrraBurnWindows(s.Window.Duration)
	}
	if d.has("spec.alerting") {
		d.pyrraAlerting(e, "spec.alerting", ar)
	}
	e.alerts = ar
	return e
}

// pyrraMetadata reads the name (the SLO's), the namespace (its service), and the
// labels and annotations Pyrra propagates (prefixed pyrra.dev/, prefix dropped).
func (d *decoder) pyrraMetadata(e *entry, ar *AlertRules) {
	s := e.s
	if d.has("metadata.name") {
		s.Name = d.str("metadata.name", d.textAt("metadata.name"))
		e.set("name", d.keyLoc("metadata.name"))
	}
	s.Service = s.Name
	if d.has("metadata.namespace") {
		s.Service = d.str("metadata.namespace", d.textAt("metadata.namespace"))
		e.set("service", d.keyLoc("metadata.namespace"))
	} else if d.has("metadata.name") {
		e.set("service", d.keyLoc("metadata.name"))
	}
	if d.has("metadata.labels") {
		for k, v := range d.labels("metadata.labels", false) {
			if name, ok := strings.CutPrefix(k, pyrraPrefix); ok && model.LabelName(name).IsValid() {
				if s.Labels == nil {
					s.Labels = map[string]string{}
				}
				s.Labels[name] = v
			}
		}
	}
	if d.has("metadata.annotations") {
		ann := d.labels("metadata.annotations", false)
		s.UserStory, s.Owner = ann[AnnotationUserStory], ann[AnnotationOwner]
		for k, v := range ann {
			if name, ok := strings.CutPrefix(k, pyrraPrefix); ok && model.LabelName(name).IsValid() {
				if ar.Annotations == nil {
					ar.Annotations = map[string]string{}
				}
				ar.Annotations[name] = v
			}
		}
	}
}

// pyrraIndicator reads indicator.ratio, latency or bool_gauge with their grouping;
// latencyNative is refused.
func (d *decoder) pyrraIndicator(e *entry, p string) {
	if !d.mapping(p, "indicator", pyrraIndKnown) {
		e.silence("indicator")
		return
	}
	kind, ok := d.onlyOne(e, "indicator", p, pyrraIndKnown, "indicator needs exactly one of ratio, latency, latencyNative or bool_gauge")
	if !ok {
		return
	}
	k := p + "." + kind
	e.set("indicator", d.keyLoc(k))
	in := &e.s.Indicator
	switch kind {
	case "latencyNative":
		d.fieldErr(&e.spots, "indicator", d.keyNode(k), "latencyNative (native histograms) is not supported yet: use latency with the classic histogram's _bucket and _count")
		return
	case "ratio":
		if !d.mapping(k, "ratio", []string{"errors", "total", "grouping"}) {
			e.silence("indicator")
			return
		}
		in.Kind = slo.Ratio
		in.Bad = d.pyrraMetric(e, "indicator.bad", k+".errors")
		in.Total = d.pyrraMetric(e, "indicator.total", k+".total")
	case "latency":
		if !d.mapping(k, "latency", []string{"success", "total", "grouping"}) {
			e.silence("indicator")
			return
		}
		in.Kind = slo.Ratio
		in.Good = d.pyrraMetric(e, "indicator.good", k+".success")
		in.Total = d.pyrraMetric(e, "indicator.total", k+".total")
		asLatency(e)
	case "bool_gauge":
		if !d.mapping(k, "bool_gauge", []string{"metric", "grouping"}) {
			e.silence("indicator")
			return
		}
		in.Kind, in.Op, in.Value = slo.Threshold, "==", 1
		var m string
		read(d, &e.spots, "indicator.gauge", k+".metric", d.textAt(k+".metric"), &m)
		in.Gauge = m
	}
	if d.has(k + ".grouping") {
		d.grouping(e, k+".grouping")
	}
}

// pyrraMetric reads the {metric: selector} mapping at p into the model field model.
func (d *decoder) pyrraMetric(e *entry, model, p string) string {
	if !d.has(p) {
		return ""
	}
	if !d.mapping(p, d.keyName(p), []string{"metric"}) {
		e.silence(model)
		return ""
	}
	if !d.has(p + ".metric") {
		d.fieldErr(&e.spots, model, d.keyNode(p), "%s needs a metric", d.keyName(p))
		return ""
	}
	var m string
	read(d, &e.spots, model, p+".metric", d.textAt(p+".metric"), &m)
	return m
}

// asLatency turns a Pyrra latency indicator whose success is a histogram bucket
// X_bucket{…, le="v"} and whose total is X_count{…} with the same other matchers
// into a Nines latency indicator; otherwise it stays a good/total ratio.
func asLatency(e *entry) {
	in := &e.s.Indicator
	p := parser.NewParser(parser.Options{})
	ge, err1 := p.ParseExpr(in.Good)
	te, err2 := p.ParseExpr(in.Total)
	if err1 != nil || err2 != nil {
		return
	}
	g, ok1 := ge.(*parser.VectorSelector)
	t, ok2 := te.(*parser.VectorSelector)
	if !ok1 || !ok2 {
		return
	}
	base, ok := strings.CutSuffix(g.Name, "_bucket")
	if !ok || t.Name != base+"_count" {
		return
	}
	le, rest := "", []*labels.Matcher{}
	for _, m := range g.LabelMatchers {
		switch {
		case m.Name == model.BucketLabel && m.Type == labels.MatchEqual:
			le = m.Value
		case m.Name != labels.MetricName:
			rest = append(rest, m)
		}
	}
	v, err := strconv.ParseFloat(le, 64)
	if err != nil || !sameMatchers(rest, t.LabelMatchers) {
		return
	}
	hist := &parser.VectorSelector{Name: base, LabelMatchers: append([]*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, base)}, rest...)}
	in.Kind, in.Histogram, in.Le, in.Good, in.Total = slo.Latency, hist.String(), v, "", ""
	at := e.fields["indicator.good"]
	e.set("indicator.histogram", at)
	e.set("indicator.le", at)
}

// sameMatchers tells whether a and b (the metric name aside) hold the same matchers.
func sameMatchers(a, b []*labels.Matcher) bool {
	key := func(ms []*labels.Matcher) map[string]bool {
		out := map[string]bool{}
		for _, m := range ms {
			if m.Name != labels.MetricName {
				out[m.String()] = true
			}
		}
		return out
	}
	return maps.Equal(key(a), key(b))
}

// pyrraAlerting reads Pyrra's alerting: on or off, the alert name and severities.
func (d *decoder) pyrraAlerting(e *entry, p string, ar *AlertRules) {
	if !d.mapping(p, "alerting", pyrraAlertKnown) {
		return
	}
	e.set("alerting", d.keyLoc(p))
	var disabled, burnrates bool
	if read(d, &e.spots, "alerting", p+".disabled", d.flagAt(p+".disabled"), &disabled) && disabled {
		ar.Disabled = true
	}
	if read(d, &e.spots, "alerting", p+".burnrates", d.flagAt(p+".burnrates"), &burnrates) && !burnrates {
		ar.Disabled = true
	}
	var absent bool
	read(d, &e.spots, "alerting", p+".absent", d.flagAt(p+".absent"), &absent)
	ar.Name = d.str(p+".name", d.textAt(p+".name"))
	d.str(p+".absentName", d.textAt(p+".absentName"))
	sp := p + ".severities"
	if !d.has(sp) || !d.mapping(sp, "severities", pyrraSeverityKnown) {
		return
	}
	for i, t := range pyrraTiers {
		if i < len(e.s.BurnWindow) && d.has(sp+"."+t.key) {
			e.s.BurnWindow[i].Severity = d.str(sp+"."+t.key, d.textAt(sp+"."+t.key))
			e.set(fmt.Sprintf("alerting[%d].severity", i), d.keyLoc(sp+"."+t.key))
		}
	}
	d.str(sp+".absent", d.textAt(sp+".absent"))
}
