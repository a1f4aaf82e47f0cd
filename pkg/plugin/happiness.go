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

// happinessFrames turns one happiness test into its summary table and aligned series.
func happinessFrames(h *engine.Happiness) data.Frames {
	s := h.SLO
	labels := data.Labels{"slo": s.Name, "service": s.Service, "signal": h.Signal.Name}
	opt := func(v float64, ok bool) *float64 {
		if !ok {
			return nil
		}
		return ptr(v)
	}
	executed := strings.Join(h.Queries, "\n")
	rCfg := func() *data.FieldConfig {
		return (&data.FieldConfig{Min: ptr(data.ConfFloat64(-1)), Max: ptr(data.ConfFloat64(1))}).SetDecimals(3)
	}
	sum := data.NewFrame("happiness summary",
		data.NewField("SLO", nil, []string{s.Name}),
		data.NewField("Signal", nil, []string{h.Signal.Name}),
		data.NewField("Interval", nil, []float64{h.Interval.Seconds()}).SetConfig(&data.FieldConfig{Unit: "s"}),
		data.NewField("Intervals used", nil, []int64{int64(h.Used)}),
		data.NewField("No traffic", nil, []int64{int64(h.NoTraffic)}).SetConfig(&data.FieldConfig{Description: "intervals without events, left out"}),
		data.NewField("No signal", nil, []int64{int64(h.NoSignal)}).SetConfig(&data.FieldConfig{Description: "intervals without a signal value, left out"}),
		data.NewField("Pearson", nil, []*float64{opt(h.Pearson, h.PearsonOK)}).SetConfig(rCfg()),
		data.NewField("Spearman", nil, []*float64{opt(h.Spearman, h.SpearmanOK)}).SetConfig(rCfg()),
		data.NewField("Best lag", nil, []*float64{opt(h.LagDuration().Seconds(), h.LagOK)}).SetConfig(&data.FieldConfig{Unit: "s", Description: "positive: the signal follows the SLI"}),
		data.NewField("Pearson at best lag", nil, []*float64{opt(h.LagR, h.LagOK)}).SetConfig(rCfg()),
		data.NewField("Strength", nil, []string{string(h.Verdict.Strength)}),
		data.NewField("Verdict", nil, []string{h.Verdict.Text}),
	)
	sum.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable, ExecutedQueryString: executed}
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
