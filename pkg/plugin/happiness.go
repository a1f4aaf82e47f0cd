package plugin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
)

func init() { register(QueryHappiness, (*Datasource).queryHappiness, true) }

// queryHappiness answers "happiness": per SLO and signal, a summary table and the aligned
// series (time, SLI, signal) over the dashboard range.
func (d *Datasource) queryHappiness(ctx context.Context, r *request) backend.DataResponse {
	o, err := models.Decode[models.HappinessOptions](r.q.JSON)
	if err != nil {
		return queryError(userErr(err))
	}
	iv, lag, err := o.Resolved()
	if err != nil {
		return queryError(userErr(err))
	}
	from, to := r.q.TimeRange.From, r.q.TimeRange.To
	out := make([]data.Frames, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		sigs, err := engine.ResolveSignal(s, o.Signal)
		if err != nil {
			return userErr(err)
		}
		for _, sig := range sigs {
			h, err := d.engine.Happiness(ctx, s, sig, from, to, iv, lag)
			if err != nil {
				return err
			}
			out[i] = append(out[i], happinessFrames(h)...)
		}
		return nil
	})
	var all data.Frames
	for _, fs := range out {
		all = append(all, fs...)
	}
	return finish(all, errs)
}

// correlationCfg shows a correlation coefficient in [-1, 1].
func correlationCfg() *data.FieldConfig {
	return (&data.FieldConfig{Min: ptr(data.ConfFloat64(-1)), Max: ptr(data.ConfFloat64(1))}).SetDecimals(3)
}

// happinessColumns are the columns of the happiness summary, one row per SLO and signal.
var happinessColumns = []column[*engine.Happiness]{
	col("SLO", func(h *engine.Happiness) string { return h.SLO.Name }),
	col("Signal", func(h *engine.Happiness) string { return h.Signal.Name }),
	col("Interval", func(h *engine.Happiness) float64 { return h.Interval.Seconds() }).with(&data.FieldConfig{Unit: "s"}),
	col("Intervals used", func(h *engine.Happiness) int64 { return int64(h.Used) }),
	col("No traffic", func(h *engine.Happiness) int64 { return int64(h.NoTraffic) }).
		with(&data.FieldConfig{Description: "intervals without events, left out"}),
	col("No signal", func(h *engine.Happiness) int64 { return int64(h.NoSignal) }).
		with(&data.FieldConfig{Description: "intervals without a signal value, left out"}),
	col("Pearson", func(h *engine.Happiness) *float64 { return when(h.PearsonOK, func() float64 { return h.Pearson }) }).
		with(correlationCfg()),
	col("Spearman", func(h *engine.Happiness) *float64 { return when(h.SpearmanOK, func() float64 { return h.Spearman }) }).
		with(correlationCfg()),
	col("Best lag", func(h *engine.Happiness) *float64 {
		return when(h.LagOK, func() float64 { return h.LagDuration().Seconds() })
	}).
		with(&data.FieldConfig{Unit: "s", Description: "positive: the signal follows the SLI"}),
	col("Pearson at best lag", func(h *engine.Happiness) *float64 { return when(h.LagOK, func() float64 { return h.LagR }) }).
		with(correlationCfg()),
	col("Strength", func(h *engine.Happiness) string { return string(h.Verdict.Strength) }),
	col("Verdict", func(h *engine.Happiness) string { return h.Verdict.Text }),
}

// happinessFrames turns one happiness test into its summary table and aligned series.
func happinessFrames(h *engine.Happiness) data.Frames {
	s := h.SLO
	labels := data.Labels{"slo": s.Name, "service": s.Service, "signal": h.Signal.Name}
	executed := strings.Join(h.Queries, "\n")
	sum := tableFrame("happiness summary", []*engine.Happiness{h}, happinessColumns...)
	sum.Meta.ExecutedQueryString = executed
	for _, w := range h.Warnings {
		addNotice(sum, data.NoticeSeverityWarning, w)
	}
	if h.NoTraffic > 0 {
		addNotice(sum, data.NoticeSeverityInfo, fmt.Sprintf("%s: %d intervals without traffic left out of the correlation", s.Name, h.NoTraffic))
	}
	n := len(h.Times)
	sli, val := make([]*float64, n), make([]*float64, n)
	for i := range h.Times {
		if v := h.SLI[i]; v == v {
			sli[i] = ptr(v)
		}
		if v := h.Value[i]; v == v {
			val[i] = ptr(v)
		}
	}
	sliCfg := (&data.FieldConfig{Unit: "percentunit", DisplayNameFromDS: s.Title() + " SLI"}).SetDecimals(3)
	sigCfg := &data.FieldConfig{DisplayNameFromDS: h.Signal.Name}
	aligned := data.NewFrame("happiness series",
		data.NewField("Time", nil, append([]time.Time(nil), h.Times...)),
		data.NewField("SLI", labels, sli).SetConfig(sliCfg),
		data.NewField(h.Signal.Name, labels, val).SetConfig(sigCfg),
	)
	aligned.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, ExecutedQueryString: executed}
	return data.Frames{sum, aligned}
}
