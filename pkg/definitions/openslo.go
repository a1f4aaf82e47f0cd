package definitions

import (
	"fmt"
	"maps"
	"math"
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

// openSLO reads a document with an apiVersion.
func (b *batch) openSLO(d *decoder, n, versionKey, version *yaml.Node) {
	if version.Kind != yaml.ScalarNode || version.Value != OpenSLOVersion {
		d.errorf(versionKey, "unsupported apiVersion %q (Nines reads %s and its native format)", version.Value, OpenSLOVersion)
		return
	}
	m, ok := d.mapping(n, "document", []string{"apiVersion", "kind", "metadata", "spec"})
	if !ok {
		return
	}
	kf, ok := m["kind"]
	if !ok {
		d.errorf(n, "document has no kind (SLO, SLI, Service or DataSource)")
		return
	}
	kind, _ := d.str(kf)
	var meta map[string]field
	if mf, ok := m["metadata"]; ok {
		meta, _ = d.mapping(mf.val, "metadata", []string{"name", "displayName", "namespace", "labels", "annotations"})
	}
	name := ""
	if nf, ok := meta["name"]; ok {
		name, _ = d.str(nf)
	}
	spec, hasSpec := m["spec"]
	switch kind {
	case "SLO":
		if !hasSpec {
			d.errorf(n, "SLO %q has no spec", name)
			return
		}
		b.entries = append(b.entries, d.openSLOSLO(n, name, meta, spec)...)
		d.cur = nil
	case "SLI":
		if name == "" {
			d.errorf(n, "SLI has no metadata.name")
			return
		}
		if !hasSpec {
			d.errorf(n, "SLI %q has no spec", name)
			return
		}
		d.what = name
		def := d.sli(spec.val, name, d.loc(n))
		d.what = ""
		if prev, dup := b.slis[name]; dup {
			d.errorf(n, "duplicate SLI name %q, first defined at %s", name, prev.at)
			return
		}
		b.slis[name] = def
	case "Service":
		if hasSpec {
			d.mapping(spec.val, "Service spec", []string{"description"})
		}
	case "DataSource":
		// Connection details are Grafana's business: accepted and ignored.
	default:
		d.errorf(kf.key, "unsupported kind %q (Nines reads SLO, SLI, Service and DataSource)", kind)
	}
}

// openSLOSLO reads an SLO document: one SLO per objective.
func (d *decoder) openSLOSLO(n *yaml.Node, name string, meta map[string]field, spec field) []*entry {
	s := &slo.SLO{Name: name, Source: d.loc(n), Format: FormatOpenSLO, Budgeting: slo.Budgeting{Method: slo.Occurrences}}
	e := &entry{s: s, fields: slo.Fields{}}
	d.cur = e
	if nf, ok := meta["name"]; ok {
		e.fields["name"] = d.loc(nf.key)
	}
	if f, ok := meta["displayName"]; ok {
		s.DisplayName, _ = d.str(f)
	}
	if f, ok := meta["labels"]; ok {
		s.Labels = d.labels(f, true)
	}
	if f, ok := meta["annotations"]; ok {
		ann := d.labels(f, false)
		s.UserStory = ann[AnnotationUserStory]
		if s.UserStory == "" {
			s.UserStory = ann[AnnotationOpenSLOUserStory]
		}
		s.Owner = ann[AnnotationOwner]
	}
	m, ok := d.mapping(spec.val, "SLO spec", []string{"description", "service", "indicator", "indicatorRef",
		"timeWindow", "budgetingMethod", "objectives", "alertPolicies"})
	if !ok {
		return []*entry{e}
	}
	if f, ok := m["description"]; ok {
		s.Description, _ = d.str(f)
	}
	if f, ok := m["service"]; ok {
		s.Service, _ = d.str(f)
		e.fields["service"] = d.loc(f.key)
	}
	inl, hasInline := m["indicator"]
	ref, hasRef := m["indicatorRef"]
	switch {
	case hasInline && hasRef:
		d.fieldErr(e.fields, "indicator", ref.key, "set indicator or indicatorRef, not both")
	case hasInline:
		e.fields["indicator"] = d.loc(inl.key)
		d.inlineIndicator(e, inl)
	case hasRef:
		e.ref, _ = d.str(ref)
		e.refAt = d.loc(ref.key)
		e.fields["indicator"] = e.refAt
		if e.ref == "" {
			d.fieldErr(e.fields, "indicator", ref.key, "indicatorRef is empty")
		}
	default:
		d.fieldErr(e.fields, "indicator", n, "SLO needs an indicator or an indicatorRef")
	}
	if f, ok := m["timeWindow"]; ok {
		e.fields["window"] = d.loc(f.key)
		d.timeWindow(e, f)
	} else {
		d.fieldErr(e.fields, "window", n, "SLO needs a timeWindow")
	}
	if f, ok := m["budgetingMethod"]; ok {
		e.fields["budgeting"] = d.loc(f.key)
		v, _ := d.str(f)
		s.Budgeting.Method = budgetingMethod(v)
		switch s.Budgeting.Method {
		case slo.Occurrences, slo.Timeslices, slo.RatioTimeslices:
		default:
			d.fieldErr(e.fields, "budgeting", f.key, "budgetingMethod %q must be Occurrences, Timeslices or RatioTimeslices", v)
		}
	}
	f, ok := m["objectives"]
	if !ok {
		d.fieldErr(e.fields, "objective", n, "SLO needs objectives")
		return []*entry{e}
	}
	items, _ := d.sequence(f)
	if len(items) == 0 {
		d.fieldErr(e.fields, "objective", f.key, "SLO needs at least one objective")
		return []*entry{e}
	}
	if len(items) == 1 {
		d.objective(e, items[0], len(items))
		return []*entry{e}
	}
	out := make([]*entry, len(items))
	for i, item := range items {
		c := &entry{s: new(slo.SLO), fields: maps.Clone(e.fields), broken: e.broken, ref: e.ref, refAt: e.refAt}
		*c.s = *s
		c.s.Labels = maps.Clone(s.Labels)
		c.s.Name = fmt.Sprintf("%s-%d", name, i+1)
		d.cur = c
		d.objective(c, item, len(items))
		out[i] = c
	}
	return out
}

// opNames maps OpenSLO's operator names to the model's.
var opNames = map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "==", "ne": "!="}

// objective reads one entry of spec.objectives into e.
func (d *decoder) objective(e *entry, n *yaml.Node, count int) {
	m, ok := d.mapping(n, "objective", []string{"displayName", "op", "value", "target", "targetPercent",
		"timeSliceTarget", "timeSliceWindow"})
	if !ok {
		e.fields["objective"] = slo.Location{Line: -1}
		return
	}
	s := e.s
	e.fields["objective"] = d.loc(n)
	if f, ok := m["displayName"]; ok {
		if v, _ := d.str(f); v != "" && (count > 1 || s.DisplayName == "") {
			s.DisplayName = v
		}
	}
	t, hasT := m["target"]
	tp, hasTP := m["targetPercent"]
	switch {
	case hasT && hasTP:
		d.fieldErr(e.fields, "objective", tp.key, "set target or targetPercent, not both")
	case hasT:
		e.fields["objective"] = d.loc(t.key)
		if v, ok := d.num(t); !ok {
			e.fields["objective"] = slo.Location{Line: -1}
		} else if v >= 1 {
			d.fieldErr(e.fields, "objective", t.key, "target %v must be a ratio between 0 and 1 (use targetPercent for percent)", v)
		} else {
			s.Objective = math.Round(v*100*1e9) / 1e9
		}
	case hasTP:
		e.fields["objective"] = d.loc(tp.key)
		if v, ok := d.num(tp); ok {
			s.Objective = v
		} else {
			e.fields["objective"] = slo.Location{Line: -1}
		}
	default:
		d.fieldErr(e.fields, "objective", n, "objective needs a target (0..1) or a targetPercent")
	}
	if f, ok := m["op"]; ok {
		e.fields["indicator.op"] = d.loc(f.key)
		v, _ := d.str(f)
		if sym, ok := opNames[strings.ToLower(v)]; ok {
			v = sym
		}
		s.Indicator.Op = v
	}
	if f, ok := m["value"]; ok {
		e.fields["indicator.value"] = d.loc(f.key)
		if v, ok := d.num(f); ok {
			s.Indicator.Value = v
		} else {
			e.fields["indicator.value"] = slo.Location{Line: -1}
		}
	}
	if f, ok := m["timeSliceTarget"]; ok {
		e.fields["budgeting.sliceThreshold"] = d.loc(f.key)
		if v, ok := d.num(f); ok {
			s.Budgeting.SliceThreshold = v
		} else {
			e.fields["budgeting.sliceThreshold"] = slo.Location{Line: -1}
		}
	}
	if f, ok := m["timeSliceWindow"]; ok {
		e.fields["budgeting.sliceLength"] = d.loc(f.key)
		if v, ok := d.duration(f); ok {
			s.Budgeting.SliceLength = v
		} else {
			e.fields["budgeting.sliceLength"] = slo.Location{Line: -1}
		}
	}
}

// calendarUnits maps OpenSLO calendar durations to units.
var calendarUnits = map[string]slo.CalendarUnit{
	"1w": slo.Week, "1week": slo.Week,
	"1m": slo.Month, "1month": slo.Month, // lower-cased: "1M" and "1Month"
	"1q": slo.Quarter, "1quarter": slo.Quarter,
}

// timeWindow reads spec.timeWindow, a list with one window.
func (d *decoder) timeWindow(e *entry, f field) {
	items, ok := d.sequence(f)
	if !ok || len(items) == 0 {
		if ok {
			d.fieldErr(e.fields, "window", f.key, "timeWindow needs one window")
		}
		e.fields["window"] = slo.Location{Line: -1}
		return
	}
	if len(items) > 1 {
		d.errorf(items[1], "only one timeWindow is supported")
	}
	m, ok := d.mapping(items[0], "timeWindow", []string{"duration", "isRolling", "calendar"})
	if !ok {
		e.fields["window"] = slo.Location{Line: -1}
		return
	}
	w := &e.s.Window
	cal, hasCal := m["calendar"]
	rolling := !hasCal
	if rf, ok := m["isRolling"]; ok {
		rolling, _ = d.boolean(rf)
	}
	df, ok := m["duration"]
	if !ok {
		d.fieldErr(e.fields, "window", items[0], "timeWindow needs a duration")
		return
	}
	e.fields["window"] = d.loc(df.key)
	v, _ := d.str(df)
	if rolling {
		w.Kind = slo.Rolling
		if hasCal {
			d.errorf(cal.key, "calendar applies to calendar windows (isRolling: false) only")
		}
		dur, err := slo.ParseDuration(v)
		if err != nil {
			d.fieldErr(e.fields, "window", df.key, "timeWindow duration: %v", err)
			return
		}
		if dur < minRolling {
			d.fieldErr(e.fields, "window", df.key, "window %s is too short (did you mean 1M, a month?)", v)
			return
		}
		w.Duration = dur
		return
	}
	w.Kind = slo.Calendar
	unit, ok := calendarUnits[strings.ToLower(strings.TrimSpace(v))]
	if !ok || strings.TrimSpace(v) == "1m" { // a minute is no calendar period
		d.fieldErr(e.fields, "window", df.key, "calendar timeWindow duration %q must be 1w, 1M or 1Q (a week, a month or a quarter)", v)
		return
	}
	w.Unit = unit
	if !hasCal {
		return
	}
	cm, ok := d.mapping(cal.val, "calendar", []string{"startTime", "timeZone"})
	if !ok {
		return
	}
	loc := time.UTC
	if tf, ok := cm["timeZone"]; ok {
		w.TimeZone, _ = d.str(tf)
		e.fields["window.timeZone"] = d.loc(tf.key)
		if l, err := time.LoadLocation(w.TimeZone); err == nil {
			loc = l
		}
	}
	if sf, ok := cm["startTime"]; ok {
		v, _ := d.str(sf)
		t, err := time.ParseInLocation("2006-01-02 15:04:05", v, loc)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, v); err != nil {
				d.errorf(sf.key, "startTime %q must look like 2024-01-01 00:00:00", v)
			}
		}
		w.Start = t
	}
}

// inlineIndicator reads spec.indicator: an SLI written inside the SLO.
func (d *decoder) inlineIndicator(e *entry, f field) {
	m, ok := d.mapping(f.val, "indicator", []string{"metadata", "spec"})
	if !ok {
		e.fields["indicator"] = slo.Location{Line: -1}
		return
	}
	if mf, ok := m["metadata"]; ok {
		d.mapping(mf.val, "indicator metadata", []string{"name", "displayName", "namespace", "labels", "annotations"})
	}
	sf, ok := m["spec"]
	if !ok {
		d.fieldErr(e.fields, "indicator", f.key, "indicator needs a spec")
		return
	}
	applySLI(e, d.sli(sf.val, "", d.loc(f.key)))
}

// sli reads the spec of an SLI: a ratioMetric or a thresholdMetric.
func (d *decoder) sli(n *yaml.Node, name string, at slo.Location) *sliDef {
	def := &sliDef{name: name, at: at, fields: slo.Fields{}}
	before := len(d.errs)
	defer func() { def.broken = len(d.errs) > before }()
	m, ok := d.mapping(n, "SLI spec", []string{"description", "ratioMetric", "thresholdMetric"})
	if !ok {
		return def
	}
	ratio, hasRatio := m["ratioMetric"]
	thr, hasThr := m["thresholdMetric"]
	switch {
	case hasRatio && hasThr:
		d.errorf(thr.key, "set ratioMetric or thresholdMetric, not both")
	case hasThr:
		def.ind.Kind = slo.Threshold
		def.fields["indicator"] = d.loc(thr.key)
		def.ind.Gauge = d.metric(thr, def.fields, "indicator.gauge")
	case hasRatio:
		def.fields["indicator"] = d.loc(ratio.key)
		d.ratioMetric(ratio, def)
	default:
		d.errorf(n, "SLI spec needs a ratioMetric or a thresholdMetric")
	}
	return def
}

func (d *decoder) ratioMetric(f field, def *sliDef) {
	m, ok := d.mapping(f.val, "ratioMetric", []string{"counter", "good", "bad", "total", "rawType", "raw"})
	if !ok {
		return
	}
	if cf, ok := m["counter"]; ok {
		if c, ok := d.boolean(cf); ok && !c {
			d.errorf(cf.key, "ratioMetric counter: false is not supported: Nines needs counters (counter: true)")
		}
	}
	if rf, ok := m["raw"]; ok {
		def.ind.Kind = slo.Raw
		q := d.metric(rf, def.fields, "indicator.errorRatio")
		rawType := "failure"
		if tf, ok := m["rawType"]; ok {
			rawType, _ = d.str(tf)
		}
		switch rawType {
		case "failure":
			def.ind.ErrorRatio = q
		case "success":
			if q != "" {
				def.ind.ErrorRatio = "1 - (" + q + ")"
			}
		default:
			d.errorf(m["rawType"].key, "rawType %q must be success or failure", rawType)
		}
		for _, k := range []string{"good", "bad", "total"} {
			if kf, ok := m[k]; ok {
				d.errorf(kf.key, "ratioMetric with raw takes no %s", k)
			}
		}
		return
	}
	def.ind.Kind = slo.Ratio
	if gf, ok := m["good"]; ok {
		def.ind.Good = d.metric(gf, def.fields, "indicator.good")
	}
	if bf, ok := m["bad"]; ok {
		def.ind.Bad = d.metric(bf, def.fields, "indicator.bad")
	}
	if tf, ok := m["total"]; ok {
		def.ind.Total = d.metric(tf, def.fields, "indicator.total")
	}
}

// metric reads {metricSource: {type, spec: {query}}} and returns the query.
func (d *decoder) metric(f field, fields slo.Fields, path string) string {
	fields[path] = d.loc(f.key)
	m, ok := d.mapping(f.val, f.key.Value, []string{"metricSource"})
	if !ok {
		fields[path] = slo.Location{Line: -1}
		return ""
	}
	src, ok := m["metricSource"]
	if !ok {
		d.fieldErr(fields, path, f.key, "%s needs a metricSource", f.key.Value)
		return ""
	}
	sm, ok := d.mapping(src.val, "metricSource", []string{"metricSourceRef", "type", "spec"})
	if !ok {
		fields[path] = slo.Location{Line: -1}
		return ""
	}
	if tf, ok := sm["type"]; ok {
		t, _ := d.str(tf)
		if !contains(prometheusTypes, strings.ToLower(t)) {
			d.fieldErr(fields, path, tf.key, "metricSource type %q is not supported: Nines reads Prometheus queries", t)
			return ""
		}
	}
	spec, ok := sm["spec"]
	if !ok {
		d.fieldErr(fields, path, src.key, "metricSource needs a spec with a query")
		return ""
	}
	qm, ok := d.mapping(spec.val, "metricSource spec", []string{"query"})
	if !ok {
		fields[path] = slo.Location{Line: -1}
		return ""
	}
	qf, ok := qm["query"]
	if !ok {
		d.fieldErr(fields, path, spec.key, "metricSource spec needs a query")
		return ""
	}
	fields[path] = d.loc(qf.key)
	q, _ := d.str(qf)
	return strings.TrimSpace(q)
}
