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

// FormatNative is the Format of SLOs read from the native format.
const FormatNative = "native"

// minRolling is the shortest rolling window accepted; shorter ones are typos.
const minRolling = time.Hour

// nativeDocYAML is a document of the native format.
type nativeDocYAML struct {
	Service text                 `yaml:"service"`
	Owner   text                 `yaml:"owner"`
	Labels  yaml.Node            `yaml:"labels"`
	SLOs    items[nativeSLOYAML] `yaml:"slos"`
}

// nativeSLOYAML is one SLO of a native document.
type nativeSLOYAML struct {
	Name        text                `yaml:"name"`
	DisplayName text                `yaml:"displayName"`
	Description text                `yaml:"description"`
	UserStory   text                `yaml:"userStory"`
	Owner       text                `yaml:"owner"`
	Labels      yaml.Node           `yaml:"labels"`
	Objective   number              `yaml:"objective"`
	Window      text                `yaml:"window"`
	TimeZone    text                `yaml:"timeZone"`
	Budgeting   nativeBudgetingYAML `yaml:"budgeting"`
	Indicator   nativeIndicatorYAML `yaml:"indicator"`
	Happiness   items[signalYAML]   `yaml:"happiness"`
	Alerting    alertingYAML        `yaml:"alerting"`
	Grouping    items[text]         `yaml:"grouping"`
}

// nativeBudgetingYAML is the mapping form of budgeting; a scalar is the method alone.
type nativeBudgetingYAML struct {
	Method         text   `yaml:"method"`
	SliceLength    span   `yaml:"sliceLength"`
	SliceThreshold number `yaml:"sliceThreshold"`
	EmptySlices    text   `yaml:"emptySlices"`
}

// nativeIndicatorYAML holds exactly one indicator kind.
type nativeIndicatorYAML struct {
	Ratio     ratioYAML     `yaml:"ratio"`
	Latency   latencyYAML   `yaml:"latency"`
	Threshold thresholdYAML `yaml:"threshold"`
	Raw       rawYAML       `yaml:"raw"`
}

// ratioYAML is a ratio indicator: good or bad events over total events.
type ratioYAML struct {
	Good  text `yaml:"good"`
	Bad   text `yaml:"bad"`
	Total text `yaml:"total"`
}

// latencyYAML is a latency indicator: a histogram and a bucket bound.
type latencyYAML struct {
	Histogram text   `yaml:"histogram"`
	Threshold number `yaml:"threshold"`
}

// thresholdYAML is a threshold indicator: a gauge compared to a value.
type thresholdYAML struct {
	Gauge text   `yaml:"gauge"`
	Op    text   `yaml:"op"`
	Value number `yaml:"value"`
}

// rawYAML is a raw indicator: an error ratio query.
type rawYAML struct {
	ErrorRatio text `yaml:"errorRatio"`
}

// indicatorKnown lists each native indicator kind's fields.
var indicatorKnown = map[string][]string{
	string(slo.Ratio):     knownFields(ratioYAML{}),
	string(slo.Latency):   knownFields(latencyYAML{}),
	string(slo.Threshold): knownFields(thresholdYAML{}),
	string(slo.Raw):       knownFields(rawYAML{}),
}

// signalYAML is one happiness signal.
type signalYAML struct {
	Name    text `yaml:"name"`
	Counter text `yaml:"counter"`
	Gauge   text `yaml:"gauge"`
	Combine text `yaml:"combine"`
}

// alertingYAML holds the burn-rate windows.
type alertingYAML struct {
	Windows items[burnWindowYAML] `yaml:"windows"`
}

// burnWindowYAML is one burn-rate alert window.
type burnWindowYAML struct {
	Long     span   `yaml:"long"`
	Short    span   `yaml:"short"`
	Factor   number `yaml:"factor"`
	Severity text   `yaml:"severity"`
}

// nativeDoc is what a native document gives each of its SLOs.
type nativeDoc struct {
	service   string
	serviceAt *slo.Location
	owner     string
	labels    map[string]string
}

// native reads a document of the native format.
func (b *batch) native(d *decoder) {
	var y nativeDocYAML
	if !d.mapping("", "document", knownFields(y)) || !d.decodeLoose("", &y) {
		return
	}
	doc := nativeDoc{service: d.str("service", y.Service), owner: d.str("owner", y.Owner)}
	if d.has("service") {
		at := d.keyLoc("service")
		doc.serviceAt = &at
	}
	if d.has("labels") {
		doc.labels = d.labels("labels", false)
	}
	if !d.has("slos") {
		d.errorf(d.node(""), "document has no slos (a native document has a service and a list of slos; OpenSLO documents start with apiVersion)")
		return
	}
	paths, _ := d.sequence("slos")
	if !b.room(d, d.node(""), len(paths)) {
		return
	}
	for i, p := range paths {
		b.entries = append(b.entries, d.nativeSLO(p, y.SLOs.at(i), doc))
	}
	d.cur = nil
}

// nativeSLO reads one SLO of a native document.
func (d *decoder) nativeSLO(p string, y nativeSLOYAML, doc nativeDoc) *entry {
	s := &slo.SLO{
		Name:      y.Name.v,
		Service:   doc.service,
		Owner:     doc.owner,
		Labels:    maps.Clone(doc.labels),
		Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Source:    d.keyLoc(p),
		Format:    FormatNative,
	}
	e := &entry{s: s, spots: newSpots()}
	if doc.serviceAt != nil && doc.serviceAt.Line > 0 {
		e.set("service", *doc.serviceAt)
	}
	d.cur = e
	known := knownFields(y)
	if !d.mapping(p, "slo", known) {
		return e
	}
	for _, key := range known {
		if d.has(p + "." + key) {
			e.set(key, d.keyLoc(p+"."+key))
		}
	}
	// The name first, so that every other error names the SLO.
	if d.has(p + ".name") {
		s.Name = d.str(p+".name", y.Name)
	}
	d.nativeTexts(p, y, s)
	if read(d, &e.spots, "objective", p+".objective", y.Objective, &s.Objective) {
		d.percent(e, p+".objective", s.Objective)
	}
	if d.has(p + ".window") {
		d.nativeWindow(e, p+".window", y.Window)
	}
	if d.has(p + ".timeZone") {
		s.Window.TimeZone = d.str(p+".timeZone", y.TimeZone)
		e.set("window.timeZone", d.keyLoc(p+".timeZone"))
	}
	if d.has(p + ".budgeting") {
		d.nativeBudgeting(e, p+".budgeting", y.Budgeting)
	}
	if d.has(p + ".indicator") {
		d.nativeIndicator(e, p+".indicator", y.Indicator)
	}
	d.nativeHappiness(e, p+".happiness", y.Happiness)
	d.nativeAlerting(e, p+".alerting", y.Alerting)
	if d.has(p + ".grouping") {
		d.grouping(e, p+".grouping")
	}
	return e
}

// grouping reads the list of grouping labels at p, each item located for validation.
func (d *decoder) grouping(e *entry, p string) {
	e.set("grouping", d.keyLoc(p))
	paths, ok := d.sequence(p)
	if !ok {
		e.silence("grouping")
		return
	}
	for i, ip := range paths {
		n := resolve(d.node(ip))
		model := fmt.Sprintf("grouping[%d]", i)
		if n.Kind != yaml.ScalarNode {
			d.fieldErr(&e.spots, model, n, "grouping: item %d must be a label name", i+1)
			continue
		}
		e.set(model, d.loc(n))
		e.s.Grouping = append(e.s.Grouping, n.Value)
	}
}

// nativeTexts reads an SLO's free texts, owner and labels.
func (d *decoder) nativeTexts(p string, y nativeSLOYAML, s *slo.SLO) {
	s.DisplayName = d.str(p+".displayName", y.DisplayName)
	s.Description = d.str(p+".description", y.Description)
	s.UserStory = d.str(p+".userStory", y.UserStory)
	if d.has(p + ".owner") {
		s.Owner = d.str(p+".owner", y.Owner)
	}
	if d.has(p + ".labels") {
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		maps.Copy(s.Labels, d.labels(p+".labels", false))
	}
}

// percent refuses an objective v, written at p, that looks like a ratio: objectives
// are percentages, and 0.999 would be 0.999 %.
func (d *decoder) percent(e *entry, p string, v float64) {
	if v > 0 && v < 1 {
		d.fieldErr(&e.spots, "objective", d.keyNode(p), "%s %v is below 1 %%: objectives are percentages: did you mean %v?",
			d.keyName(p), v, math.Round(v*100*1e9)/1e9)
	}
}

func (d *decoder) nativeWindow(e *entry, p string, y text) {
	v, ok := y.read(d, p)
	if !ok {
		e.silence("window")
		return
	}
	switch u := slo.CalendarUnit(strings.ToLower(strings.TrimSpace(v))); u {
	case slo.Week, slo.Month, slo.Quarter:
		e.s.Window.Kind, e.s.Window.Unit = slo.Calendar, u
		return
	}
	e.s.Window.Kind = slo.Rolling
	e.s.Window.Duration = d.rolling(e, p, v, "window: %v (a rolling duration such as 28d, or week, month or quarter)",
		"window %s is too short: a rolling window must be at least 1h (did you mean month?)")
}

// rolling parses the rolling window duration v written at p, reporting an unreadable
// one with badFormat (given the error) and one shorter than minRolling with shortFormat
// (given v).
func (d *decoder) rolling(e *entry, p, v, badFormat, shortFormat string) time.Duration {
	dur, err := slo.ParseDuration(v)
	if err != nil {
		d.fieldErr(&e.spots, "window", d.keyNode(p), badFormat, err)
		return 0
	}
	if dur < minRolling {
		d.fieldErr(&e.spots, "window", d.keyNode(p), shortFormat, v)
		return 0
	}
	return dur
}

func (d *decoder) nativeBudgeting(e *entry, p string, y nativeBudgetingYAML) {
	b := &e.s.Budgeting
	if n := d.node(p); n.Kind == yaml.ScalarNode {
		b.Method = budgetingMethod(n.Value)
		return
	}
	if !d.mapping(p, "budgeting", knownFields(y)) {
		e.silence("budgeting")
		return
	}
	if d.has(p + ".method") {
		b.Method = budgetingMethod(d.str(p+".method", y.Method))
		e.set("budgeting", d.keyLoc(p+".method"))
	}
	read(d, &e.spots, "budgeting.sliceLength", p+".sliceLength", y.SliceLength, &b.SliceLength)
	if d.has(p + ".emptySlices") {
		e.set("budgeting.emptySlices", d.keyLoc(p+".emptySlices"))
		b.EmptySlices = emptySlices(d.str(p+".emptySlices", y.EmptySlices))
	}
	read(d, &e.spots, "budgeting.sliceThreshold", p+".sliceThreshold", y.SliceThreshold, &b.SliceThreshold)
}

// emptySlices maps a written emptySlices value to the model's; unknown values stay
// as written for validation to report.
func emptySlices(v string) slo.EmptySlices {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "skip", "":
		return slo.EmptySkip
	case "good":
		return slo.EmptyGood
	case "bad":
		return slo.EmptyBad
	}
	return slo.EmptySlices(v)
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

func (d *decoder) nativeIndicator(e *entry, p string, y nativeIndicatorYAML) {
	kinds := knownFields(y)
	if !d.mapping(p, "indicator", kinds) {
		e.silence("indicator")
		return
	}
	kind, ok := d.onlyOne(e, "indicator", p, kinds, "indicator needs exactly one of ratio, latency, threshold or raw")
	if !ok {
		return
	}
	k := p + "." + kind
	e.s.Indicator.Kind = slo.IndicatorKind(kind)
	e.set("indicator", d.keyLoc(k))
	if !d.mapping(k, kind, indicatorKnown[kind]) {
		e.silence("indicator")
		return
	}
	d.indicatorQueries(e, k, y)
}

// indicatorQueries reads the fields of the indicator kind at k.
func (d *decoder) indicatorQueries(e *entry, k string, y nativeIndicatorYAML) {
	in, f := &e.s.Indicator, &e.spots
	switch in.Kind {
	case slo.Ratio:
		read(d, f, "indicator.good", k+".good", y.Ratio.Good, &in.Good)
		read(d, f, "indicator.bad", k+".bad", y.Ratio.Bad, &in.Bad)
		read(d, f, "indicator.total", k+".total", y.Ratio.Total, &in.Total)
	case slo.Latency:
		if read(d, f, "indicator.histogram", k+".histogram", y.Latency.Histogram, &in.Histogram) && !y.Latency.Histogram.bad {
			if base, err := slo.HistogramBase(in.Histogram); err == nil {
				in.Histogram = base
			}
		}
		read(d, f, "indicator.le", k+".threshold", y.Latency.Threshold, &in.Le)
	case slo.Threshold:
		read(d, f, "indicator.gauge", k+".gauge", y.Threshold.Gauge, &in.Gauge)
		read(d, f, "indicator.op", k+".op", y.Threshold.Op, &in.Op)
		read(d, f, "indicator.value", k+".value", y.Threshold.Value, &in.Value)
	case slo.Raw:
		read(d, f, "indicator.errorRatio", k+".errorRatio", y.Raw.ErrorRatio, &in.ErrorRatio)
	}
}

func (d *decoder) nativeHappiness(e *entry, p string, y items[signalYAML]) {
	if !d.has(p) {
		return
	}
	paths, _ := d.sequence(p)
	for i, ip := range paths {
		model := fmt.Sprintf("happiness[%d]", i)
		e.set(model, d.keyLoc(ip))
		sy := y.at(i)
		if !d.mapping(ip, "happiness signal", knownFields(sy)) {
			continue
		}
		e.s.Happiness = append(e.s.Happiness, d.signal(&e.spots, model, ip, sy))
	}
}

// signal reads the happiness signal at p, model path model.
func (d *decoder) signal(f *spots, model, p string, y signalYAML) slo.Signal {
	var sig slo.Signal
	if d.has(p + ".name") {
		sig.Name = d.str(p+".name", y.Name)
		f.set(model+".name", d.keyLoc(p+".name"))
	}
	query := ""
	switch hasC, hasG := d.has(p+".counter"), d.has(p+".gauge"); {
	case hasC && hasG:
		d.failf(p+".gauge", "happiness signal %q needs one of counter and gauge, not both", sig.Name)
	case hasC:
		sig.Kind, query = slo.Counter, p+".counter"
		sig.Query = d.str(query, y.Counter)
	case hasG:
		sig.Kind, query = slo.Gauge, p+".gauge"
		sig.Query = d.str(query, y.Gauge)
	}
	if query != "" {
		f.set(model+".query", d.keyLoc(query))
	}
	if d.has(p + ".combine") {
		sig.Combine = slo.Combine(strings.ToLower(strings.TrimSpace(d.str(p+".combine", y.Combine))))
		f.set(model+".combine", d.keyLoc(p+".combine"))
	}
	return sig
}

func (d *decoder) nativeAlerting(e *entry, p string, y alertingYAML) {
	if !d.has(p) || !d.mapping(p, "alerting", knownFields(y)) || !d.has(p+".windows") {
		return
	}
	paths, _ := d.sequence(p + ".windows")
	for i, ip := range paths {
		model := fmt.Sprintf("alerting[%d]", i)
		e.set(model, d.keyLoc(ip))
		wy := y.Windows.at(i)
		if !d.mapping(ip, "burn window", knownFields(wy)) {
			continue
		}
		var bw slo.BurnWindow
		read(d, &e.spots, model+".long", ip+".long", wy.Long, &bw.Long)
		read(d, &e.spots, model+".short", ip+".short", wy.Short, &bw.Short)
		read(d, &e.spots, model+".factor", ip+".factor", wy.Factor, &bw.Factor)
		read(d, &e.spots, model+".severity", ip+".severity", wy.Severity, &bw.Severity)
		e.s.BurnWindow = append(e.s.BurnWindow, bw)
	}
}
