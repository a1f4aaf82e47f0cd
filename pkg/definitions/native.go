package definitions

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// FormatNative is the Format of SLOs read from the native format.
const FormatNative = "native"

var (
	nativeDocFields = []string{"service", "owner", "labels", "slos"}
	nativeSLOFields = []string{"name", "displayName", "description", "userStory", "owner", "labels",
		"objective", "window", "timeZone", "budgeting", "indicator", "happiness", "alerting"}
)

// minRolling is the shortest rolling window accepted; shorter ones are typos.
const minRolling = time.Hour

// nativeDoc is what a native document gives each of its SLOs.
type nativeDoc struct {
	service   string
	serviceAt slo.Location
	owner     string
	labels    map[string]string
}

// native reads a document of the native format.
func (b *batch) native(d *decoder, n *yaml.Node) {
	m, ok := d.mapping(n, "document", nativeDocFields)
	if !ok {
		return
	}
	doc := nativeDoc{}
	if f, ok := m["service"]; ok {
		doc.service, _ = d.str(f)
		doc.serviceAt = d.loc(f.key)
	}
	if f, ok := m["owner"]; ok {
		doc.owner, _ = d.str(f)
	}
	if f, ok := m["labels"]; ok {
		doc.labels = d.labels(f, false)
	}
	f, ok := m["slos"]
	if !ok {
		d.errorf(n, "document has no slos (a native document has a service and a list of slos; OpenSLO documents start with apiVersion)")
		return
	}
	items, _ := d.sequence(f)
	for _, item := range items {
		b.entries = append(b.entries, d.nativeSLO(item, doc))
	}
	d.cur = nil
}

// nativeSLO reads one SLO of a native document.
func (d *decoder) nativeSLO(n *yaml.Node, doc nativeDoc) *entry {
	s := &slo.SLO{
		Service:   doc.service,
		Owner:     doc.owner,
		Labels:    maps.Clone(doc.labels),
		Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Source:    d.loc(n),
		Format:    FormatNative,
	}
	e := &entry{s: s, fields: slo.Fields{}}
	if doc.serviceAt.Line > 0 {
		e.fields["service"] = doc.serviceAt
	}
	d.cur = e
	s.Name = peekName(n)
	m, ok := d.mapping(n, "slo", nativeSLOFields)
	if !ok {
		return e
	}
	// The name first, so that every other error names the SLO.
	if f, ok := m["name"]; ok {
		s.Name, _ = d.str(f)
		e.fields["name"] = d.loc(f.key)
	}
	for _, key := range nativeSLOFields {
		f, ok := m[key]
		if !ok {
			continue
		}
		if key != "name" {
			e.fields[key] = d.loc(f.key)
		}
		switch key {
		case "displayName":
			s.DisplayName, _ = d.str(f)
		case "description":
			s.Description, _ = d.str(f)
		case "userStory":
			s.UserStory, _ = d.str(f)
		case "owner":
			s.Owner, _ = d.str(f)
		case "labels":
			if s.Labels == nil {
				s.Labels = map[string]string{}
			}
			maps.Copy(s.Labels, d.labels(f, false))
		case "objective":
			if v, ok := d.num(f); ok {
				s.Objective = v
			} else {
				e.fields["objective"] = slo.Location{Line: -1}
			}
		case "window":
			d.nativeWindow(e, f)
		case "timeZone":
			s.Window.TimeZone, _ = d.str(f)
			e.fields["window.timeZone"] = d.loc(f.key)
		case "budgeting":
			d.nativeBudgeting(e, f)
		case "indicator":
			d.nativeIndicator(e, f)
		case "happiness":
			d.nativeHappiness(e, f)
		case "alerting":
			d.nativeAlerting(e, f)
		}
	}
	return e
}

func (d *decoder) nativeWindow(e *entry, f field) {
	v, ok := d.str(f)
	if !ok {
		e.fields["window"] = slo.Location{Line: -1}
		return
	}
	switch u := slo.CalendarUnit(strings.ToLower(strings.TrimSpace(v))); u {
	case slo.Week, slo.Month, slo.Quarter:
		e.s.Window.Kind, e.s.Window.Unit = slo.Calendar, u
		return
	}
	e.s.Window.Kind = slo.Rolling
	dur, err := slo.ParseDuration(v)
	if err != nil {
		d.fieldErr(e.fields, "window", f.key, "window: %v (a rolling duration such as 28d, or week, month or quarter)", err)
		return
	}
	if dur < minRolling {
		d.fieldErr(e.fields, "window", f.key, "window %s is too short: a rolling window must be at least 1h (did you mean month?)", v)
		return
	}
	e.s.Window.Duration = dur
}

func (d *decoder) nativeBudgeting(e *entry, f field) {
	b := &e.s.Budgeting
	if f.val.Kind == yaml.ScalarNode {
		b.Method = budgetingMethod(f.val.Value)
		return
	}
	m, ok := d.mapping(f.val, "budgeting", []string{"method", "sliceLength", "sliceThreshold", "emptySlices"})
	if !ok {
		e.fields["budgeting"] = slo.Location{Line: -1}
		return
	}
	if mf, ok := m["method"]; ok {
		v, _ := d.str(mf)
		b.Method = budgetingMethod(v)
		e.fields["budgeting"] = d.loc(mf.key)
	}
	if mf, ok := m["sliceLength"]; ok {
		e.fields["budgeting.sliceLength"] = d.loc(mf.key)
		if v, ok := d.duration(mf); ok {
			b.SliceLength = v
		} else {
			e.fields["budgeting.sliceLength"] = slo.Location{Line: -1}
		}
	}
	if mf, ok := m["emptySlices"]; ok {
		e.fields["budgeting.emptySlices"] = d.loc(mf.key)
		v, _ := d.str(mf)
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "skip", "":
			b.EmptySlices = slo.EmptySkip
		case "good":
			b.EmptySlices = slo.EmptyGood
		case "bad":
			b.EmptySlices = slo.EmptyBad
		default:
			b.EmptySlices = slo.EmptySlices(v)
		}
	}
	if mf, ok := m["sliceThreshold"]; ok {
		e.fields["budgeting.sliceThreshold"] = d.loc(mf.key)
		if v, ok := d.num(mf); ok {
			b.SliceThreshold = v
		} else {
			e.fields["budgeting.sliceThreshold"] = slo.Location{Line: -1}
		}
	}
}

// budgetingMethod maps a method name, in any case, to the model's; unknown names stay
// as written for validation to report.
func budgetingMethod(v string) slo.BudgetingMethod {
	for _, m := range []slo.BudgetingMethod{slo.Occurrences, slo.Timeslices, slo.RatioTimeslices} {
		if strings.EqualFold(v, string(m)) {
			return m
		}
	}
	return slo.BudgetingMethod(v)
}

// indicatorFields lists each native indicator kind's fields and their model paths.
var indicatorFields = map[slo.IndicatorKind][][2]string{
	slo.Ratio:     {{"good", "indicator.good"}, {"bad", "indicator.bad"}, {"total", "indicator.total"}},
	slo.Latency:   {{"histogram", "indicator.histogram"}, {"threshold", "indicator.le"}},
	slo.Threshold: {{"gauge", "indicator.gauge"}, {"op", "indicator.op"}, {"value", "indicator.value"}},
	slo.Raw:       {{"errorRatio", "indicator.errorRatio"}},
}

func (d *decoder) nativeIndicator(e *entry, f field) {
	kinds := []string{string(slo.Ratio), string(slo.Latency), string(slo.Threshold), string(slo.Raw)}
	m, ok := d.mapping(f.val, "indicator", kinds)
	if !ok || len(m) != 1 {
		if ok {
			d.fieldErr(e.fields, "indicator", f.key, "indicator needs exactly one of ratio, latency, threshold or raw")
		}
		e.fields["indicator"] = slo.Location{Line: -1}
		return
	}
	in := &e.s.Indicator
	for k, kf := range m {
		in.Kind = slo.IndicatorKind(k)
		e.fields["indicator"] = d.loc(kf.key)
		spec := indicatorFields[in.Kind]
		names := make([]string, len(spec))
		for i, s := range spec {
			names[i] = s[0]
		}
		sub, ok := d.mapping(kf.val, k, names)
		if !ok {
			e.fields["indicator"] = slo.Location{Line: -1}
			return
		}
		for _, s := range spec {
			sf, ok := sub[s[0]]
			if !ok {
				continue
			}
			e.fields[s[1]] = d.loc(sf.key)
			var good bool
			switch s[0] {
			case "good":
				in.Good, good = d.str(sf)
			case "bad":
				in.Bad, good = d.str(sf)
			case "total":
				in.Total, good = d.str(sf)
			case "histogram":
				in.Histogram, good = d.str(sf)
				if good {
					if base, err := slo.HistogramBase(in.Histogram); err == nil {
						in.Histogram = base
					}
				}
			case "threshold":
				in.Le, good = d.num(sf)
			case "gauge":
				in.Gauge, good = d.str(sf)
			case "op":
				in.Op, good = d.str(sf)
			case "value":
				in.Value, good = d.num(sf)
			case "errorRatio":
				in.ErrorRatio, good = d.str(sf)
			}
			if !good {
				e.fields[s[1]] = slo.Location{Line: -1}
			}
		}
	}
}

func (d *decoder) nativeHappiness(e *entry, f field) {
	items, _ := d.sequence(f)
	for i, item := range items {
		p := fmt.Sprintf("happiness[%d]", i)
		e.fields[p] = d.loc(item)
		m, ok := d.mapping(item, "happiness signal", []string{"name", "counter", "gauge", "combine"})
		if !ok {
			continue
		}
		var sig slo.Signal
		if nf, ok := m["name"]; ok {
			sig.Name, _ = d.str(nf)
			e.fields[p+".name"] = d.loc(nf.key)
		}
		cf, hasC := m["counter"]
		gf, hasG := m["gauge"]
		switch {
		case hasC && hasG:
			d.errorf(gf.key, "happiness signal %q needs one of counter and gauge, not both", sig.Name)
		case hasC:
			sig.Kind = slo.Counter
			sig.Query, _ = d.str(cf)
			e.fields[p+".query"] = d.loc(cf.key)
		case hasG:
			sig.Kind = slo.Gauge
			sig.Query, _ = d.str(gf)
			e.fields[p+".query"] = d.loc(gf.key)
		}
		if cf, ok := m["combine"]; ok {
			v, _ := d.str(cf)
			sig.Combine = slo.Combine(strings.ToLower(strings.TrimSpace(v)))
			e.fields[p+".combine"] = d.loc(cf.key)
		}
		e.s.Happiness = append(e.s.Happiness, sig)
	}
}

func (d *decoder) nativeAlerting(e *entry, f field) {
	m, ok := d.mapping(f.val, "alerting", []string{"windows"})
	if !ok {
		return
	}
	wf, ok := m["windows"]
	if !ok {
		return
	}
	items, _ := d.sequence(wf)
	for i, item := range items {
		p := fmt.Sprintf("alerting[%d]", i)
		e.fields[p] = d.loc(item)
		wm, ok := d.mapping(item, "burn window", []string{"long", "short", "factor", "severity"})
		if !ok {
			continue
		}
		var bw slo.BurnWindow
		for key, wf := range wm {
			e.fields[p+"."+key] = d.loc(wf.key)
			var good bool
			switch key {
			case "long":
				bw.Long, good = d.duration(wf)
			case "short":
				bw.Short, good = d.duration(wf)
			case "factor":
				bw.Factor, good = d.num(wf)
			case "severity":
				bw.Severity, good = d.str(wf)
			}
			if !good {
				e.fields[p+"."+key] = slo.Location{Line: -1}
			}
		}
		e.s.BurnWindow = append(e.s.BurnWindow, bw)
	}
}

// peekName returns the scalar "name" of a mapping, so that errors found before it name the SLO.
func peekName(n *yaml.Node) string {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := resolve(n.Content[i+1]); n.Content[i].Value == "name" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}
