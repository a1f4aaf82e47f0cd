package definitions

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// Sloth formats: the prometheus/v1 spec and its Kubernetes CRD.
const (
	FormatSloth     = "sloth"
	SlothVersion    = "prometheus/v1"
	SlothCRDVersion = "sloth.slok.dev/v1"
	SlothCRDKind    = "PrometheusServiceLevel"
)

// slothPeriod is Sloth's default SLO period; its spec has no window field.
const slothPeriod = 30 * 24 * time.Hour

// AlertRules is how a definition asks its burn-rate alerts to be written as rules
// (Sloth's and Pyrra's alerting sections), beyond the burn windows of the SLO model.
type AlertRules struct {
	// Name is the alert name; empty means the default.
	Name string
	// Disabled turns every burn-rate alert of the SLO off; recording rules stay.
	Disabled bool
	// Labels and Annotations go on every alert of the SLO.
	Labels, Annotations map[string]string
	// Severity holds extra labels and annotations per burn window severity.
	Severity map[string]AlertSeverity
}

// AlertSeverity is the extra labels and annotations of the alerts of one severity.
type AlertSeverity struct {
	Labels, Annotations map[string]string
}

// slothNames are the keys of the fields that the two Sloth forms spell differently.
type slothNames struct {
	plugins, errorQuery, totalQuery, errorRatio, page, ticket string
}

var (
	slothSpecNames = slothNames{"slo_plugins", "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert"}
	slothCRDNames  = slothNames{"sloPlugins", "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert"}
)

func (n slothNames) doc() []string {
	return []string{"version", "service", "labels", n.plugins, "slos"}
}
func (n slothNames) slo() []string {
	return []string{"name", "description", "objective", "labels", "plugins", "sli", "alerting"}
}
func (n slothNames) events() []string { return []string{n.errorQuery, n.totalQuery} }
func (n slothNames) alerting() []string {
	return []string{"name", "labels", "annotations", n.page, n.ticket}
}

var slothAlertKnown = []string{"disable", "labels", "annotations"}

// textAt reads the scalar at path as a text leaf; nothing written is "".
func (d *decoder) textAt(path string) text {
	n := d.node(path)
	if n == nil {
		return text{}
	}
	return text{v: n.Value, bad: n.Kind != yaml.ScalarNode}
}

// numberAt reads the scalar at path as a number leaf.
func (d *decoder) numberAt(path string) number {
	var x number
	if n := d.node(path); n != nil {
		_ = x.UnmarshalYAML(n)
	}
	return x
}

// flagAt reads the scalar at path as a true-or-false leaf.
func (d *decoder) flagAt(path string) flag {
	var x flag
	if n := d.node(path); n != nil {
		_ = x.UnmarshalYAML(n)
	}
	return x
}

// sloth reads a Sloth prometheus/v1 document.
func (b *batch) sloth(d *decoder) {
	if v, ok := d.textAt("version").read(d, "version"); !ok || v != SlothVersion {
		if ok {
			d.failf("version", "unsupported version %q (Nines reads Sloth's %s)", quoted(v), SlothVersion)
		}
		return
	}
	if !d.mapping("", "Sloth document", slothSpecNames.doc()) {
		return
	}
	b.slothSpec(d, "", slothSpecNames)
}

// slothCRD reads a Sloth PrometheusServiceLevel document.
func (b *batch) slothCRD(d *decoder) {
	if !d.mapping("", "PrometheusServiceLevel", []string{"apiVersion", "kind", "metadata", "spec", "status"}) {
		return
	}
	if k, _ := d.textAt("kind").read(d, "kind"); !d.has("kind") || k != SlothCRDKind {
		d.errorf(d.node(""), "%s documents must be of kind %s", SlothCRDVersion, SlothCRDKind)
		return
	}
	if !d.has("spec") {
		d.errorf(d.node(""), "PrometheusServiceLevel has no spec")
		return
	}
	if !d.mapping("spec", "spec", slothCRDNames.doc()[1:]) {
		return
	}
	b.slothSpec(d, "spec", slothCRDNames)
}

// slothSpec reads the service, labels and SLOs under p.
func (b *batch) slothSpec(d *decoder, p string, names slothNames) {
	at := func(k string) string { return joinPath(p, k) }
	if d.has(at(names.plugins)) {
		d.failf(at(names.plugins), "Sloth SLO plugins are not supported: they rewrite Sloth's generated rules, which Nines does not use")
		return
	}
	doc := nativeDoc{service: d.str(at("service"), d.textAt(at("service")))}
	if d.has(at("service")) {
		l := d.keyLoc(at("service"))
		doc.serviceAt = &l
	}
	if d.has(at("labels")) {
		doc.labels = d.labels(at("labels"), false)
	}
	if !d.has(at("slos")) {
		d.errorf(d.node(p), "Sloth spec has no slos")
		return
	}
	paths, _ := d.sequence(at("slos"))
	if !b.room(d, d.node(""), len(paths)) {
		return
	}
	for _, sp := range paths {
		b.entries = append(b.entries, d.slothSLO(sp, doc, names))
	}
	d.cur = nil
}

// slothSLO reads one SLO of a Sloth spec.
func (d *decoder) slothSLO(p string, doc nativeDoc, names slothNames) *entry {
	s := &slo.SLO{
		Name:      d.textAt(p + ".name").v,
		Service:   doc.service,
		Labels:    maps.Clone(doc.labels),
		Window:    slo.Window{Kind: slo.Rolling, Duration: slothPeriod},
		Budgeting: slo.Budgeting{Method: slo.Occurrences},
		Source:    d.keyLoc(p),
		Format:    FormatSloth,
	}
	e := &entry{s: s, spots: newSpots()}
	if doc.serviceAt != nil {
		e.set("service", *doc.serviceAt)
	}
	d.cur = e
	if !d.mapping(p, "slo", names.slo()) {
		return e
	}
	if d.has(p + ".name") {
		s.Name = d.str(p+".name", d.textAt(p+".name"))
		e.set("name", d.keyLoc(p+".name"))
	}
	s.Description = d.str(p+".description", d.textAt(p+".description"))
	if d.has(p + ".labels") {
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		maps.Copy(s.Labels, d.labels(p+".labels", false))
	}
	if read(d, &e.spots, "objective", p+".objective", d.numberAt(p+".objective"), &s.Objective) {
		d.percent(e, p+".objective", s.Objective)
	}
	if d.has(p + ".plugins") {
		d.failf(p+".plugins", "Sloth SLO plugins are not supported: they rewrite Sloth's generated rules, which Nines does not use")
	}
	if d.has(p + ".sli") {
		d.slothSLI(e, p+".sli", names)
	} else {
		e.set("indicator", d.keyLoc(p))
	}
	if d.has(p + ".alerting") {
		d.slothAlerting(e, p+".alerting", names)
	}
	return e
}

// slothSLI reads sli.events; sli.raw and sli.plugin are refused.
func (d *decoder) slothSLI(e *entry, p string, names slothNames) {
	if !d.mapping(p, "sli", []string{"events", "raw", "plugin"}) {
		e.silence("indicator")
		return
	}
	e.set("indicator", d.keyLoc(p))
	switch {
	case d.has(p + ".plugin"):
		d.fieldErr(&e.spots, "indicator", d.keyNode(p+".plugin"), "sli.plugin is not supported: Nines cannot run Sloth SLI plugins; write the plugin's error and total queries as sli.events")
	case d.has(p + ".raw"):
		d.fieldErr(&e.spots, "indicator", d.keyNode(p+".raw"), "sli.raw is not supported: an error ratio computed over {{.window}} cannot be split into the counters Nines adds up over its own windows; write sli.events with error_query and total_query")
	case d.has(p + ".events"):
		ev := p + ".events"
		if !d.mapping(ev, "sli.events", names.events()) {
			e.silence("indicator")
			return
		}
		e.s.Indicator.Kind = slo.Ratio
		bad, badFn := d.slothQuery(e, "indicator.bad", ev+"."+names.errorQuery)
		total, totalFn := d.slothQuery(e, "indicator.total", ev+"."+names.totalQuery)
		e.s.Indicator.Bad, e.s.Indicator.Total = bad, total
		if badFn != "" && totalFn != "" && badFn != totalFn {
			d.fieldErr(&e.spots, "indicator.total", d.keyNode(ev+"."+names.totalQuery),
				"%s uses %s() but %s uses %s(): the two queries must use the same one for their ratio to be exact",
				names.errorQuery, badFn, names.totalQuery, totalFn)
		}
	default:
		d.fieldErr(&e.spots, "indicator", d.keyNode(p), "sli needs events (error_query and total_query)")
	}
}

// slothQuery reads and converts the Sloth query at path into the model field model;
// it returns the expression and the range function it used.
func (d *decoder) slothQuery(e *entry, model, path string) (string, string) {
	var q string
	if !read(d, &e.spots, model, path, d.textAt(path), &q) {
		return "", ""
	}
	out, fn, err := SlothCounter(q)
	if err != nil {
		d.fieldErr(&e.spots, model, d.keyNode(path), "%s: %v", d.keyName(path), err)
		e.silence("indicator.good") // the events are there, only unreadable
		return "", ""
	}
	return out, fn
}

// windowPlaceholder is Sloth's range placeholder, {{.window}}.
var windowPlaceholder = regexp.MustCompile(`\{\{\s*\.window\s*\}\}`)

// placeholderRange stands in for {{.window}} while the query is parsed: no one writes it.
const placeholderRange = 7777777 * time.Second

// SlothCounter turns a Sloth events query, such as
// sum(rate(http_requests_total{code=~"5.."}[{{.window}}])), into a Nines counter
// expression, sum(http_requests_total{code=~"5.."}), through the PromQL syntax tree. It
// returns the range function the query used (rate or increase). It refuses what is not
// additive over time, so that Nines' sums of counter growth equal Sloth's query:
// a ratio or product of two queries, aggregations other than sum, functions other than
// rate and increase over {{.window}}, ranges other than {{.window}}, subqueries.
func SlothCounter(q string) (string, string, error) {
	if !windowPlaceholder.MatchString(q) {
		return "", "", errors.New("the query has no {{.window}} placeholder: Sloth events queries count events over {{.window}}")
	}
	src := windowPlaceholder.ReplaceAllString(q, fmt.Sprintf("%ds", int(placeholderRange/time.Second)))
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(src)
	if err != nil {
		return "", "", fmt.Errorf("invalid PromQL: %w", err)
	}
	c := &counterRewrite{}
	out, err := c.expr(expr)
	if err != nil {
		return "", "", err
	}
	if c.fn == "" {
		return "", "", errors.New("the query counts nothing: it needs rate(...[{{.window}}]) or increase(...[{{.window}}]) of a counter")
	}
	for {
		p, ok := out.(*parser.ParenExpr)
		if !ok {
			break
		}
		out = p.Expr
	}
	return out.String(), c.fn, nil
}

// counterRewrite replaces rate/increase over {{.window}} by the counter selector.
type counterRewrite struct{ fn string }

// hasSelector tells whether e selects series.
func hasSelector(e parser.Node) bool {
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n.(type) {
		case *parser.VectorSelector, *parser.MatrixSelector:
			found = true
		}
		return nil
	})
	return found
}

func (c *counterRewrite) expr(e parser.Expr) (parser.Expr, error) {
	switch n := e.(type) {
	case *parser.ParenExpr:
		x, err := c.expr(n.Expr)
		n.Expr = x
		return n, err
	case *parser.NumberLiteral, *parser.StringLiteral:
		return n, nil
	case *parser.VectorSelector:
		return nil, fmt.Errorf("%s is used without rate() or increase() over {{.window}}", n)
	case *parser.MatrixSelector, *parser.SubqueryExpr:
		return nil, fmt.Errorf("%s is not allowed outside rate() or increase() over {{.window}}", n)
	case *parser.AggregateExpr:
		if n.Op != parser.SUM {
			return nil, fmt.Errorf("aggregation %s is not additive over time: only sum can be split into counters", n.Op)
		}
		x, err := c.expr(n.Expr)
		n.Expr = x
		return n, err
	case *parser.BinaryExpr:
		return c.binary(n)
	case *parser.Call:
		return c.call(n)
	}
	return nil, fmt.Errorf("%s is not supported in an events query", e)
}

func (c *counterRewrite) binary(n *parser.BinaryExpr) (parser.Expr, error) {
	l, r := hasSelector(n.LHS), hasSelector(n.RHS)
	switch {
	case n.Op == parser.ADD || n.Op == parser.SUB:
		if l != r {
			return nil, fmt.Errorf("%s between a query and a constant is not additive over time", n.Op)
		}
	case n.Op == parser.MUL && l != r, n.Op == parser.DIV && l && !r:
		// Scaling by a constant keeps the sum.
	case n.Op == parser.LOR && l && !r:
		// "or vector(0)" fills gaps with a constant.
	case n.Op == parser.DIV || n.Op == parser.MUL:
		return nil, fmt.Errorf("%s of two queries computes a ratio or product inside the query: Nines needs the error and total counts apart", n.Op)
	default:
		return nil, fmt.Errorf("operator %s is not additive over time", n.Op)
	}
	var err error
	if l {
		if n.LHS, err = c.expr(n.LHS); err != nil {
			return nil, err
		}
	}
	if r {
		if n.RHS, err = c.expr(n.RHS); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (c *counterRewrite) call(n *parser.Call) (parser.Expr, error) {
	switch name := n.Func.Name; name {
	case "rate", "increase":
		m, ok := n.Args[0].(*parser.MatrixSelector)
		if !ok {
			return nil, fmt.Errorf("%s() must apply to a counter selector over {{.window}}", name)
		}
		vs, _ := m.VectorSelector.(*parser.VectorSelector)
		switch {
		case m.Range != placeholderRange:
			return nil, fmt.Errorf("%s: the range must be {{.window}}, not a fixed %s", n, m.Range)
		case vs == nil:
			return nil, fmt.Errorf("%s() must apply to a counter selector", name)
		case vs.OriginalOffset != 0 || vs.OriginalOffsetExpr != nil || vs.Timestamp != nil || vs.StartOrEnd != 0:
			return nil, fmt.Errorf("offset and @ modifiers on %s are not supported", vs.Name)
		case c.fn != "" && c.fn != name:
			return nil, fmt.Errorf("the query mixes rate() and increase(): use one of them")
		}
		c.fn = name
		return vs, nil
	case "vector":
		if hasSelector(n) {
			return nil, fmt.Errorf("%s is not supported in an events query", n)
		}
		return n, nil
	case "label_replace", "label_join":
		x, err := c.expr(n.Args[0])
		n.Args[0] = x
		return n, err
	}
	return nil, fmt.Errorf("function %s() is not supported in an events query: only rate() and increase() over {{.window}} can be split into counters", n.Func.Name)
}

// slothAlerting reads Sloth's alerting: the page and ticket alerts, their labels and annotations.
func (d *decoder) slothAlerting(e *entry, p string, names slothNames) {
	if !d.mapping(p, "alerting", names.alerting()) {
		return
	}
	e.set("alerting", d.keyLoc(p))
	ar := &AlertRules{Name: d.str(p+".name", d.textAt(p+".name")), Severity: map[string]AlertSeverity{}}
	if d.has(p + ".labels") {
		ar.Labels = d.labels(p+".labels", false)
	}
	if d.has(p + ".annotations") {
		ar.Annotations = d.labels(p+".annotations", false)
	}
	disabled := map[string]bool{}
	for sev, key := range map[string]string{"page": names.page, "ticket": names.ticket} {
		ap := p + "." + key
		if !d.has(ap) || !d.mapping(ap, key, slothAlertKnown) {
			continue
		}
		var off bool
		read(d, &e.spots, "alerting", ap+".disable", d.flagAt(ap+".disable"), &off)
		disabled[sev] = off
		var as AlertSeverity
		if d.has(ap + ".labels") {
			as.Labels = d.labels(ap+".labels", false)
		}
		if d.has(ap + ".annotations") {
			as.Annotations = d.labels(ap+".annotations", false)
		}
		ar.Severity[sev] = as
	}
	switch {
	case disabled["page"] && disabled["ticket"]:
		ar.Disabled = true
	case disabled["page"] || disabled["ticket"]:
		for _, bw := range slo.DefaultBurnWindows {
			if !disabled[bw.Severity] {
				e.s.BurnWindow = append(e.s.BurnWindow, bw)
			}
		}
	}
	e.alerts = ar
}
