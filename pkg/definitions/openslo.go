package definitions

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// FormatOpenSLO is the Format of SLOs read from OpenSLO v1 documents.
const FormatOpenSLO = "openslo"

// OpenSLOVersion is the apiVersion Nines reads.
const OpenSLOVersion = "openslo/v1"

// Annotations read into the model.
const (
	AnnotationUserStory        = "nines/user-story"
	AnnotationOpenSLOUserStory = "openslo.com/user-story"
	AnnotationOwner            = "nines/owner"
)

// prometheusTypes are the metric source types that speak the Prometheus HTTP API.
var prometheusTypes = []string{"prometheus", "thanos", "mimir", "cortex", "victoriametrics"}

// openSLODocYAML is an OpenSLO document; its spec is read by kind.
type openSLODocYAML struct {
	APIVersion text         `yaml:"apiVersion"`
	Kind       text         `yaml:"kind"`
	Metadata   metadataYAML `yaml:"metadata"`
	Spec       yaml.Node    `yaml:"spec"`
}

// metadataYAML is the metadata of an OpenSLO document or inline indicator.
type metadataYAML struct {
	Name        text      `yaml:"name"`
	DisplayName text      `yaml:"displayName"`
	Namespace   yaml.Node `yaml:"namespace"`
	Labels      yaml.Node `yaml:"labels"`
	Annotations yaml.Node `yaml:"annotations"`
}

// sloSpecYAML is the spec of an OpenSLO SLO.
type sloSpecYAML struct {
	Description     text                  `yaml:"description"`
	Service         text                  `yaml:"service"`
	Indicator       inlineIndicatorYAML   `yaml:"indicator"`
	IndicatorRef    text                  `yaml:"indicatorRef"`
	TimeWindow      items[timeWindowYAML] `yaml:"timeWindow"`
	BudgetingMethod text                  `yaml:"budgetingMethod"`
	Objectives      items[objectiveYAML]  `yaml:"objectives"`
	AlertPolicies   yaml.Node             `yaml:"alertPolicies"`
}

// inlineIndicatorYAML is an SLI written inside an SLO.
type inlineIndicatorYAML struct {
	Metadata metadataYAML `yaml:"metadata"`
	Spec     sliSpecYAML  `yaml:"spec"`
}

// sliSpecYAML is the spec of an SLI: a ratioMetric or a thresholdMetric.
type sliSpecYAML struct {
	Description     text            `yaml:"description"`
	RatioMetric     ratioMetricYAML `yaml:"ratioMetric"`
	ThresholdMetric metricYAML      `yaml:"thresholdMetric"`
}

// ratioMetricYAML is an OpenSLO ratio: good or bad over total, or a raw ratio.
type ratioMetricYAML struct {
	Counter flag       `yaml:"counter"`
	Good    metricYAML `yaml:"good"`
	Bad     metricYAML `yaml:"bad"`
	Total   metricYAML `yaml:"total"`
	RawType text       `yaml:"rawType"`
	Raw     metricYAML `yaml:"raw"`
}

// metricYAML is {metricSource: {type, spec: {query}}}.
type metricYAML struct {
	MetricSource struct {
		MetricSourceRef yaml.Node `yaml:"metricSourceRef"`
		Type            text      `yaml:"type"`
		Spec            struct {
			Query text `yaml:"query"`
		} `yaml:"spec"`
	} `yaml:"metricSource"`
}

// timeWindowYAML is one entry of spec.timeWindow.
type timeWindowYAML struct {
	Duration  text `yaml:"duration"`
	IsRolling flag `yaml:"isRolling"`
	Calendar  struct {
		StartTime text `yaml:"startTime"`
		TimeZone  text `yaml:"timeZone"`
	} `yaml:"calendar"`
}

// objectiveYAML is one entry of spec.objectives.
type objectiveYAML struct {
	DisplayName     text   `yaml:"displayName"`
	Op              text   `yaml:"op"`
	Value           number `yaml:"value"`
	Target          number `yaml:"target"`
	TargetPercent   number `yaml:"targetPercent"`
	TimeSliceTarget number `yaml:"timeSliceTarget"`
	TimeSliceWindow span   `yaml:"timeSliceWindow"`
}

// Known fields of the mappings without a struct of their own.
var (
	metricSourceKnown     = knownFields(metricYAML{}.MetricSource)
	metricSourceSpecKnown = knownFields(metricYAML{}.MetricSource.Spec)
	calendarKnown         = knownFields(timeWindowYAML{}.Calendar)
	serviceSpecKnown      = []string{"description"}
)

// openSLO reads a document with an apiVersion, written at versionKey.
func (b *batch) openSLO(d *decoder, versionKey, version *yaml.Node) {
	if version.Kind != yaml.ScalarNode || version.Value != OpenSLOVersion {
		d.errorf(versionKey, "unsupported apiVersion %q (Nines reads %s and its native format)", quoted(version.Value), OpenSLOVersion)
		return
	}
	var y openSLODocYAML
	if !d.mapping("", "document", knownFields(y)) || !d.decodeLoose("", &y) {
		return
	}
	if !d.has("kind") {
		d.errorf(d.node(""), "document has no kind (SLO, SLI, Service or DataSource)")
		return
	}
	kind := d.str("kind", y.Kind)
	if d.has("metadata") {
		// A metadata that is not a mapping has no fields in the index: its name is "".
		d.mapping("metadata", "metadata", knownFields(y.Metadata))
	}
	name := d.str("metadata.name", y.Metadata.Name)
	if kind != "SLO" && name != "" { // an SLO's name is validated with the SLO
		if err := slo.CheckName(name); err != nil {
			d.failf("metadata.name", "metadata.%v", err)
			return
		}
	}
	switch kind {
	case "SLO":
		b.sloDocument(d, name, y)
	case "SLI":
		b.sliDocument(d, name)
	case "Service":
		if d.has("spec") {
			d.mapping("spec", "Service spec", serviceSpecKnown)
		}
	case "DataSource":
		// Connection details are Grafana's business: accepted and ignored.
	default:
		d.errorf(d.keyNode("kind"), "unsupported kind %q (Nines reads SLO, SLI, Service and DataSource)", quoted(kind))
	}
}

// sloDocument reads an SLO document named name.
func (b *batch) sloDocument(d *decoder, name string, y openSLODocYAML) {
	if !d.has("spec") {
		d.errorf(d.node(""), "SLO %q has no spec", name)
		return
	}
	var spec sloSpecYAML
	if d.decodeLoose("spec", &spec) {
		if es := d.openSLOSLO(name, y.Metadata, spec); b.room(d, d.node(""), len(es)) {
			b.entries = append(b.entries, es...)
		}
	}
	d.cur = nil
}

// sliDocument reads an SLI document named name.
func (b *batch) sliDocument(d *decoder, name string) {
	doc := d.node("")
	if name == "" {
		d.errorf(doc, "SLI has no metadata.name")
		return
	}
	if !d.has("spec") {
		d.errorf(doc, "SLI %q has no spec", name)
		return
	}
	d.what = name
	def := d.sli("spec", name, d.loc(doc))
	d.what = ""
	if prev, dup := b.slis[name]; dup {
		d.errorf(doc, "duplicate SLI name %q, first defined at %s", name, prev.at)
		return
	}
	b.slis[name] = def
}

// openSLOSLO reads an SLO document: one SLO per objective.
func (d *decoder) openSLOSLO(name string, meta metadataYAML, y sloSpecYAML) []*entry {
	s := &slo.SLO{Name: name, Source: d.loc(d.node("")), Format: FormatOpenSLO, Budgeting: slo.Budgeting{Method: slo.Occurrences}}
	e := &entry{s: s, spots: newSpots()}
	d.cur = e
	d.sloMetadata(e, meta)
	if !d.mapping("spec", "SLO spec", knownFields(y)) {
		return []*entry{e}
	}
	s.Description = d.str("spec.description", y.Description)
	if d.has("spec.service") {
		s.Service = d.str("spec.service", y.Service)
		e.set("service", d.keyLoc("spec.service"))
	}
	d.sloIndicator(e, y)
	if d.has("spec.timeWindow") {
		e.set("window", d.keyLoc("spec.timeWindow"))
		d.timeWindow(e, "spec.timeWindow", y.TimeWindow)
	} else {
		d.fieldErr(&e.spots, "window", d.node(""), "SLO needs a timeWindow")
	}
	d.sloBudgeting(e, "spec.budgetingMethod", y.BudgetingMethod)
	return d.objectives(e, "spec.objectives", y.Objectives)
}

// sloMetadata reads an SLO's name location, display name, labels and annotations.
func (d *decoder) sloMetadata(e *entry, meta metadataYAML) {
	s := e.s
	if d.has("metadata.name") {
		e.set("name", d.keyLoc("metadata.name"))
	}
	s.DisplayName = d.str("metadata.displayName", meta.DisplayName)
	if d.has("metadata.labels") {
		s.Labels = d.labels("metadata.labels", true)
	}
	if d.has("metadata.annotations") {
		ann := d.labels("metadata.annotations", false)
		s.UserStory = ann[AnnotationUserStory]
		if s.UserStory == "" {
			s.UserStory = ann[AnnotationOpenSLOUserStory]
		}
		s.Owner = ann[AnnotationOwner]
	}
}

// sloIndicator reads spec.indicator or spec.indicatorRef.
func (d *decoder) sloIndicator(e *entry, y sloSpecYAML) {
	const inl, ref = "spec.indicator", "spec.indicatorRef"
	switch hasInline, hasRef := d.has(inl), d.has(ref); {
	case hasInline && hasRef:
		d.fieldErr(&e.spots, "indicator", d.keyNode(ref), "set indicator or indicatorRef, not both")
	case hasInline:
		e.set("indicator", d.keyLoc(inl))
		d.inlineIndicator(e, inl, y.Indicator)
	case hasRef:
		e.ref = d.str(ref, y.IndicatorRef)
		e.refAt = d.keyLoc(ref)
		e.set("indicator", e.refAt)
		if e.ref == "" {
			d.fieldErr(&e.spots, "indicator", d.keyNode(ref), "indicatorRef is empty")
		}
	default:
		d.fieldErr(&e.spots, "indicator", d.node(""), "SLO needs an indicator or an indicatorRef")
	}
}

// sloBudgeting reads spec.budgetingMethod, written at p.
func (d *decoder) sloBudgeting(e *entry, p string, y text) {
	if !d.has(p) {
		return
	}
	e.set("budgeting", d.keyLoc(p))
	v := d.str(p, y)
	e.s.Budgeting.Method = budgetingMethod(v)
	switch e.s.Budgeting.Method {
	case slo.Occurrences, slo.Timeslices, slo.RatioTimeslices:
	default:
		d.fieldErr(&e.spots, "budgeting", d.keyNode(p), "budgetingMethod %q must be Occurrences, Timeslices or RatioTimeslices", v)
	}
}

// objectives reads spec.objectives, written at p, into one entry per objective.
func (d *decoder) objectives(e *entry, p string, y items[objectiveYAML]) []*entry {
	if !d.has(p) {
		d.fieldErr(&e.spots, "objective", d.node(""), "SLO needs objectives")
		return []*entry{e}
	}
	paths, _ := d.sequence(p)
	switch len(paths) {
	case 0:
		d.fieldErr(&e.spots, "objective", d.keyNode(p), "SLO needs at least one objective")
		return []*entry{e}
	case 1:
		d.objective(e, paths[0], y.at(0), 1)
		return []*entry{e}
	}
	out := make([]*entry, len(paths))
	for i, ip := range paths {
		c := &entry{s: new(slo.SLO), spots: e.spots.clone(), broken: e.broken, ref: e.ref, refAt: e.refAt}
		*c.s = *e.s
		c.s.Labels = maps.Clone(e.s.Labels)
		c.s.Name = fmt.Sprintf("%s-%d", e.s.Name, i+1)
		d.cur = c
		d.objective(c, ip, y.at(i), len(paths))
		out[i] = c
	}
	return out
}

// opNames maps OpenSLO's operator names to the model's.
var opNames = map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "==", "ne": "!="}

// objective reads the entry of spec.objectives at p into e; count is how many there are.
func (d *decoder) objective(e *entry, p string, y objectiveYAML, count int) {
	if !d.mapping(p, "objective", knownFields(y)) {
		e.silence("objective")
		return
	}
	s := e.s
	e.set("objective", d.keyLoc(p))
	if v := d.str(p+".displayName", y.DisplayName); v != "" && (count > 1 || s.DisplayName == "") {
		s.DisplayName = v
	}
	d.target(e, p, y)
	if d.has(p + ".op") {
		e.set("indicator.op", d.keyLoc(p+".op"))
		v := d.str(p+".op", y.Op)
		if sym, ok := opNames[strings.ToLower(v)]; ok {
			v = sym
		}
		s.Indicator.Op = v
	}
	read(d, &e.spots, "indicator.value", p+".value", y.Value, &s.Indicator.Value)
	read(d, &e.spots, "budgeting.sliceThreshold", p+".timeSliceTarget", y.TimeSliceTarget, &s.Budgeting.SliceThreshold)
	read(d, &e.spots, "budgeting.sliceLength", p+".timeSliceWindow", y.TimeSliceWindow, &s.Budgeting.SliceLength)
}

// target reads the target or targetPercent of the objective at p into the SLO's objective.
func (d *decoder) target(e *entry, p string, y objectiveYAML) {
	t, tp := p+".target", p+".targetPercent"
	switch hasT, hasTP := d.has(t), d.has(tp); {
	case hasT && hasTP:
		d.fieldErr(&e.spots, "objective", d.keyNode(tp), "set target or targetPercent, not both")
	case hasT:
		var v float64
		read(d, &e.spots, "objective", t, y.Target, &v)
		switch {
		case y.Target.bad:
		case v >= 1:
			d.fieldErr(&e.spots, "objective", d.keyNode(t), "target %v must be a ratio between 0 and 1 (use targetPercent for percent)", v)
		default:
			e.s.Objective = math.Round(v*100*1e9) / 1e9
		}
	case hasTP:
		read(d, &e.spots, "objective", tp, y.TargetPercent, &e.s.Objective)
		if !y.TargetPercent.bad {
			d.percent(e, tp, e.s.Objective)
		}
	default:
		d.fieldErr(&e.spots, "objective", d.keyNode(p), "objective needs a target (0..1) or a targetPercent")
	}
}

// calendarUnits maps OpenSLO calendar durations to units.
var calendarUnits = map[string]slo.CalendarUnit{
	"1w": slo.Week, "1week": slo.Week,
	"1m": slo.Month, "1month": slo.Month, // lower-cased: "1M" and "1Month"
	"1q": slo.Quarter, "1quarter": slo.Quarter,
}

// timeWindow reads spec.timeWindow, written at p: a list with one window.
func (d *decoder) timeWindow(e *entry, p string, y items[timeWindowYAML]) {
	paths, ok := d.sequence(p)
	if !ok || len(paths) == 0 {
		if ok {
			d.fieldErr(&e.spots, "window", d.keyNode(p), "timeWindow needs one window")
		}
		e.silence("window")
		return
	}
	if len(paths) > 1 {
		d.errorf(d.node(paths[1]), "only one timeWindow is supported")
	}
	w, wy := paths[0], y.at(0)
	if !d.mapping(w, "timeWindow", knownFields(wy)) {
		e.silence("window")
		return
	}
	hasCal := d.has(w + ".calendar")
	rolling := !hasCal
	if d.has(w + ".isRolling") {
		rolling, _ = wy.IsRolling.read(d, w+".isRolling")
	}
	if !d.has(w + ".duration") {
		d.fieldErr(&e.spots, "window", d.node(w), "timeWindow needs a duration")
		return
	}
	e.set("window", d.keyLoc(w+".duration"))
	v := d.str(w+".duration", wy.Duration)
	if rolling {
		d.rollingWindow(e, w, v)
		return
	}
	d.calendarWindow(e, w, v, wy)
}

// rollingWindow sets a rolling window of duration v, written in the timeWindow at w.
func (d *decoder) rollingWindow(e *entry, w, v string) {
	e.s.Window.Kind = slo.Rolling
	if d.has(w + ".calendar") {
		d.failf(w+".calendar", "calendar applies to calendar windows (isRolling: false) only")
	}
	e.s.Window.Duration = d.rolling(e, w+".duration", v, "timeWindow duration: %v",
		"window %s is too short (did you mean 1M, a month?)")
}

// calendarWindow sets a calendar window of duration v, written in the timeWindow at w.
func (d *decoder) calendarWindow(e *entry, w, v string, y timeWindowYAML) {
	win := &e.s.Window
	win.Kind = slo.Calendar
	unit, ok := calendarUnits[strings.ToLower(strings.TrimSpace(v))]
	if !ok || strings.TrimSpace(v) == "1m" { // a minute is no calendar period
		d.fieldErr(&e.spots, "window", d.keyNode(w+".duration"), "calendar timeWindow duration %q must be 1w, 1M or 1Q (a week, a month or a quarter)", v)
		return
	}
	win.Unit = unit
	c := w + ".calendar"
	if !d.has(c) || !d.mapping(c, "calendar", calendarKnown) {
		return
	}
	loc := time.UTC
	if d.has(c + ".timeZone") {
		win.TimeZone = d.str(c+".timeZone", y.Calendar.TimeZone)
		e.set("window.timeZone", d.keyLoc(c+".timeZone"))
		if l, err := time.LoadLocation(win.TimeZone); err == nil {
			loc = l
		}
	}
	if d.has(c + ".startTime") {
		win.Start = d.startTime(c+".startTime", y.Calendar.StartTime, loc)
	}
}

// startTime reads a calendar's startTime, written at p, in loc.
func (d *decoder) startTime(p string, y text, loc *time.Location) time.Time {
	v := d.str(p, y)
	t, err := time.ParseInLocation("2006-01-02 15:04:05", v, loc)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			d.failf(p, "startTime %q must look like 2024-01-01 00:00:00", v)
		}
	}
	return t
}

// inlineIndicator reads spec.indicator, written at p: an SLI written inside the SLO.
func (d *decoder) inlineIndicator(e *entry, p string, y inlineIndicatorYAML) {
	if !d.mapping(p, "indicator", knownFields(y)) {
		e.silence("indicator")
		return
	}
	if d.has(p + ".metadata") {
		d.mapping(p+".metadata", "indicator metadata", knownFields(y.Metadata))
	}
	if !d.has(p + ".spec") {
		d.fieldErr(&e.spots, "indicator", d.keyNode(p), "indicator needs a spec")
		return
	}
	applySLI(e, d.sli(p+".spec", "", d.keyLoc(p)))
}

// sli reads the spec of an SLI, written at p: a ratioMetric or a thresholdMetric.
func (d *decoder) sli(p, name string, at slo.Location) *sliDef {
	def := &sliDef{name: name, at: at, spots: newSpots()}
	before := len(d.errs)
	defer func() { def.broken = len(d.errs) > before }()
	var y sliSpecYAML
	if !d.mapping(p, "SLI spec", knownFields(y)) || !d.decodeLoose(p, &y) {
		return def
	}
	ratio, thr := p+".ratioMetric", p+".thresholdMetric"
	switch hasRatio, hasThr := d.has(ratio), d.has(thr); {
	case hasRatio && hasThr:
		d.failf(thr, "set ratioMetric or thresholdMetric, not both")
	case hasThr:
		def.ind.Kind = slo.Threshold
		def.set("indicator", d.keyLoc(thr))
		def.ind.Gauge = d.metric(thr, y.ThresholdMetric, &def.spots, "indicator.gauge")
	case hasRatio:
		def.set("indicator", d.keyLoc(ratio))
		d.ratioMetric(ratio, y.RatioMetric, def)
	default:
		d.errorf(d.node(p), "SLI spec needs a ratioMetric or a thresholdMetric")
	}
	return def
}

// ratioMetric reads the ratioMetric at p into def.
func (d *decoder) ratioMetric(p string, y ratioMetricYAML, def *sliDef) {
	if !d.mapping(p, "ratioMetric", knownFields(y)) {
		return
	}
	if d.has(p + ".counter") {
		if c, ok := y.Counter.read(d, p+".counter"); ok && !c {
			d.failf(p+".counter", "ratioMetric counter: false is not supported: Nines needs counters (counter: true)")
		}
	}
	if d.has(p + ".raw") {
		d.rawMetric(p, y, def)
		return
	}
	def.ind.Kind = slo.Ratio
	for _, m := range []struct {
		key    string
		metric metricYAML
		query  *string
	}{{"good", y.Good, &def.ind.Good}, {"bad", y.Bad, &def.ind.Bad}, {"total", y.Total, &def.ind.Total}} {
		if d.has(p + "." + m.key) {
			*m.query = d.metric(p+"."+m.key, m.metric, &def.spots, "indicator."+m.key)
		}
	}
}

// rawMetric reads the raw error ratio of the ratioMetric at p into def.
func (d *decoder) rawMetric(p string, y ratioMetricYAML, def *sliDef) {
	def.ind.Kind = slo.Raw
	q := d.metric(p+".raw", y.Raw, &def.spots, "indicator.errorRatio")
	rawType := "failure"
	if d.has(p + ".rawType") {
		rawType = d.str(p+".rawType", y.RawType)
	}
	switch rawType {
	case "failure":
		def.ind.ErrorRatio = q
	case "success":
		if q != "" {
			def.ind.ErrorRatio = "1 - (" + q + ")"
		}
	default:
		d.failf(p+".rawType", "rawType %q must be success or failure", rawType)
	}
	for _, k := range []string{"good", "bad", "total"} {
		if d.has(p + "." + k) {
			d.failf(p+"."+k, "ratioMetric with raw takes no %s", k)
		}
	}
}

// metric reads {metricSource: {type, spec: {query}}}, written at p, and returns the
// query; model is the model field it sets.
func (d *decoder) metric(p string, y metricYAML, fields *spots, model string) string {
	fields.set(model, d.keyLoc(p))
	src := p + ".metricSource"
	if !d.mapping(p, d.keyName(p), knownFields(y)) {
		fields.silence(model)
		return ""
	}
	if !d.has(src) {
		d.fieldErr(fields, model, d.keyNode(p), "%s needs a metricSource", d.keyName(p))
		return ""
	}
	if !d.mapping(src, "metricSource", metricSourceKnown) {
		fields.silence(model)
		return ""
	}
	if t := d.str(src+".type", y.MetricSource.Type); d.has(src+".type") && !slices.Contains(prometheusTypes, strings.ToLower(t)) {
		d.fieldErr(fields, model, d.keyNode(src+".type"), "metricSource type %q is not supported: Nines reads Prometheus queries", t)
		return ""
	}
	return d.query(src, y, fields, model)
}

// query reads the query of the metricSource at src.
func (d *decoder) query(src string, y metricYAML, fields *spots, model string) string {
	spec, q := src+".spec", src+".spec.query"
	if !d.has(spec) {
		d.fieldErr(fields, model, d.keyNode(src), "metricSource needs a spec with a query")
		return ""
	}
	if !d.mapping(spec, "metricSource spec", metricSourceSpecKnown) {
		fields.silence(model)
		return ""
	}
	if !d.has(q) {
		d.fieldErr(fields, model, d.keyNode(spec), "metricSource spec needs a query")
		return ""
	}
	fields.set(model, d.keyLoc(q))
	return strings.TrimSpace(d.str(q, y.MetricSource.Spec.Query))
}
