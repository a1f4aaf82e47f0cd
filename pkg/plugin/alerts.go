package plugin

import (
	"context"
	"math"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

func init() { register(QueryAlerts, (*Datasource).queryAlerts, true) }

// States of an alert window pair in the alerts frames.
const (
	alertFiring = "firing"
	alertOK     = "ok"
	alertNoData = "no data"
	alertError  = "error"
)

// alertMappings colour the state column.
var alertMappings = data.ValueMappings{data.ValueMapper{
	alertOK:     {Color: "green", Index: 0},
	alertFiring: {Color: "red", Index: 1},
	alertNoData: {Color: "text", Index: 2},
	alertError:  {Color: "purple", Index: 3},
}}

// alertRow is one alert window pair of one SLO, or of an SLO whose figures failed.
type alertRow struct {
	s   *slo.SLO
	p   engine.AlertPair
	err error
}

func (r alertRow) value() *float64 {
	if r.err != nil {
		return nil
	}
	v, ok := r.p.Ratio()
	return when(ok, func() float64 { return v })
}

func (r alertRow) state() string {
	switch v := r.value(); {
	case r.err != nil:
		return alertError
	case v == nil:
		return alertNoData
	case r.p.Firing():
		return alertFiring
	}
	return alertOK
}

func burnOf(b engine.Burn, failed bool) *float64 {
	return when(!failed && b.OK, func() float64 { return b.Rate })
}

// ratioConfig is the alert value's field config: 1 is where the pair starts to fire.
func ratioConfig() *data.FieldConfig {
	fc := &data.FieldConfig{DisplayNameFromDS: "Alert ratio", Unit: "none", Thresholds: thresholds(
		data.NewThreshold(math.Inf(-1), "green", ""), data.NewThreshold(1, "red", ""))}
	return fc.SetDecimals(2)
}

// alertLabelColumns are the string columns of the alerts frame; Grafana's server-side
// expressions turn them into the labels of each alert instance.
var alertLabelColumns = []column[alertRow]{
	col("slo", func(r alertRow) string { return r.s.Name }),
	col("service", func(r alertRow) string { return r.s.Service }),
	col("severity", func(r alertRow) string { return r.p.Severity }),
	col("long", func(r alertRow) string { return slo.FormatDuration(r.p.Long) }),
	col("short", func(r alertRow) string { return slo.FormatDuration(r.p.Short) }),
}

// alertColumns are the columns of the alerts frame: labels and exactly one number, so
// that each row is one alert instance.
var alertColumns = append(append([]column[alertRow]{}, alertLabelColumns...),
	col("value", alertRow.value).with(ratioConfig()))

// alertWindowColumns are the columns of the "alert windows" table, for panels.
var alertWindowColumns = []column[alertRow]{
	col("SLO", func(r alertRow) string { return r.s.Name }),
	col("Name", func(r alertRow) string { return r.s.Title() }),
	col("Service", func(r alertRow) string { return r.s.Service }),
	col("Severity", func(r alertRow) string { return r.p.Severity }),
	col("Long window", func(r alertRow) string { return slo.FormatDuration(r.p.Long) }),
	col("Short window", func(r alertRow) string { return slo.FormatDuration(r.p.Short) }),
	col("Long burn rate", func(r alertRow) *float64 { return burnOf(r.p.LongBurn, r.err != nil) }).
		with((&data.FieldConfig{Unit: "x"}).SetDecimals(2)),
	col("Short burn rate", func(r alertRow) *float64 { return burnOf(r.p.ShortBurn, r.err != nil) }).
		with((&data.FieldConfig{Unit: "x"}).SetDecimals(2)),
	col("Factor", func(r alertRow) float64 { return r.p.Factor }).with(&data.FieldConfig{Unit: "x"}),
	col("Alert ratio", alertRow.value).with(ratioConfig()),
	col("State", alertRow.state).with(&data.FieldConfig{Mappings: alertMappings}),
	col("Message", func(r alertRow) string {
		if r.err != nil {
			return r.err.Error()
		}
		return ""
	}),
}

// queryAlerts answers "alerts": one row per SLO and alert window pair at the end of the
// range. The first frame is a numeric table (labels and one number, typed numeric-long)
// that Grafana-managed alert rules read directly; the second is the same rows with the
// burn rates, factor and state, for panels.
func (d *Datasource) queryAlerts(ctx context.Context, r *request) backend.DataResponse {
	at := r.q.TimeRange.To
	res := make([]*engine.Alerts, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		a, err := d.engine.Alerts(ctx, s, at)
		res[i] = a
		return err
	})
	if err := allFailed(r.slos, errs); err != nil {
		return queryError(err)
	}
	var ok, failed []alertRow
	var executed []string
	var notices []data.Notice
	for i, s := range r.slos {
		if errs[i] != nil {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityError, Text: errs[i].Error()})
			for _, bw := range s.Alerting() {
				failed = append(failed, alertRow{s: s, p: engine.AlertPair{BurnWindow: bw}, err: errs[i]})
			}
			continue
		}
		executed = append(executed, res[i].Fetched.Queries...)
		notices = append(notices, warnings(s, res[i].Fetched)...)
		for _, p := range res[i].Pairs {
			ok = append(ok, alertRow{s: s, p: p})
		}
	}
	all := append(append([]alertRow{}, ok...), failed...)
	if len(r.slos) == 0 {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: "no SLO matches this query"})
	}
	alerts := tableFrame("alerts", ok, alertColumns...)
	alerts.Meta.Type, alerts.Meta.TypeVersion = data.FrameTypeNumericLong, data.FrameTypeVersion{0, 1}
	alerts.Meta.ExecutedQueryString = executedString(executed)
	alerts.Meta.Notices = notices
	windows := tableFrame("alert windows", all, alertWindowColumns...)
	return backend.DataResponse{Frames: data.Frames{alerts, windows}}
}
