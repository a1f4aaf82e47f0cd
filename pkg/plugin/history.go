package plugin

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
)

func init() { register(QueryHistory, (*Datasource).queryHistory, true) }

// queryHistory answers "history": past periods, the achievability summary and a what-if
// over candidate objectives, for each SLO, from one bucketed fetch per SLO.
func (d *Datasource) queryHistory(ctx context.Context, r *request) backend.DataResponse {
	o, err := models.Decode[models.HistoryOptions](r.q.JSON)
	if err != nil {
		return queryError(userErr(err))
	}
	req, err := o.Request()
	if err != nil {
		return queryError(userErr(err))
	}
	req.End = r.q.TimeRange.To
	hs := make([]*engine.History, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		o, err := req.HistoryOptions(s)
		if err != nil {
			return userErr(err)
		}
		hs[i], err = d.engine.History(ctx, s, o)
		return err
	})
	var ok []*engine.History
	for i, h := range hs {
		if errs[i] == nil && h != nil {
			ok = append(ok, h)
		}
	}
	var frames data.Frames
	if len(ok) > 0 {
		frames = historyFrames(ok)
	}
	return finish(frames, errs)
}

// periodRow is one past period of one SLO's history.
type periodRow struct {
	h *engine.History
	p engine.HistoryPeriod
}

// periodColumns are the columns of the history table; sliCfg colours the SLI.
func periodColumns(sliCfg *data.FieldConfig) []column[periodRow] {
	return []column[periodRow]{
		col("SLO", func(r periodRow) string { return r.h.SLO.Name }),
		col("Name", func(r periodRow) string { return r.h.SLO.Title() }),
		col("Period", func(r periodRow) string { return r.h.PeriodLabel(r.p) }),
		col("Start", func(r periodRow) time.Time { return r.p.Start }),
		col("End", func(r periodRow) time.Time { return r.p.End }),
		col("SLI", func(r periodRow) *float64 { return when(r.p.HasData, func() float64 { return r.p.SLI }) }).with(sliCfg),
		col("Objective", func(r periodRow) float64 { return r.h.SLO.Target() }).with(percentCfg(3)),
		col("Met", func(r periodRow) string {
			switch {
			case !r.p.HasData:
				return string(budget.StateNoData)
			case r.p.Met:
				return "met"
			}
			return "missed"
		}).with(&data.FieldConfig{Mappings: metMappings}),
		col("Budget used", func(r periodRow) *float64 { return when(r.p.HasData, func() float64 { return r.p.BudgetUsed }) }).
			with(&data.FieldConfig{Unit: "percentunit", Decimals: ptr[uint16](1), Thresholds: thresholds(
				data.NewThreshold(math.Inf(-1), "green", ""), data.NewThreshold(0.75, "orange", ""), data.NewThreshold(1, "red", ""))}),
		col("Events", func(r periodRow) float64 { return r.p.Counts.Total }).with(&data.FieldConfig{Unit: "short"}),
		col("Empty slices", func(r periodRow) *float64 {
			return when(r.h.Fetched.Empty != nil, func() float64 { return r.p.EmptySlices })
		}).with(&data.FieldConfig{Unit: "short"}),
		col("Partial", func(r periodRow) bool { return r.p.Partial }),
		col("Note", func(r periodRow) string {
			var note []string
			if r.p.StartsMidway {
				note = append(note, "data starts mid-period")
			}
			if r.p.Running {
				note = append(note, "period still running")
			}
			return strings.Join(note, "; ")
		}),
	}
}

// metMappings colour the Met column.
var metMappings = data.ValueMappings{data.ValueMapper{
	"met":                      {Color: "green", Index: 0},
	"missed":                   {Color: "red", Index: 1},
	string(budget.StateNoData): {Color: "text", Index: 2},
}}

// summaryColumns are the columns of the summary table, one row per SLO.
var summaryColumns = []column[*engine.History]{
	col("SLO", func(h *engine.History) string { return h.SLO.Name }),
	col("Name", func(h *engine.History) string { return h.SLO.Title() }),
	col("Period", func(h *engine.History) string { return h.PeriodNoun(1) }),
	col("Objective", func(h *engine.History) float64 { return h.SLO.Target() }).with(percentCfg(3)),
	col("Periods", func(h *engine.History) int64 { return int64(h.Summary.Periods) }),
	col("Summarised", func(h *engine.History) int64 { return int64(h.Summary.WithData) }),
	col("Met", func(h *engine.History) int64 { return int64(h.Summary.Met) }),
	col("Share met", func(h *engine.History) *float64 {
		return when(h.HasSummary, func() float64 { return h.Summary.ShareMet })
	}).
		with(percentCfg(1)),
	col("Share wanted", func(h *engine.History) float64 { return h.Options.Share }).with(percentCfg(1)),
	col("Achievable", func(h *engine.History) *float64 {
		return when(h.HasSummary, func() float64 { return h.Summary.Achievable })
	}).
		with(percentCfg(3)),
	col("Achievable nines", func(h *engine.History) *float64 {
		return when(h.HasSummary && !math.IsInf(h.Summary.AchievableNines, 0), func() float64 { return h.Summary.AchievableNines })
	}).with((&data.FieldConfig{Unit: "none", NoValue: "∞"}).SetDecimals(2)),
	col("Recommended", func(h *engine.History) *float64 {
		return when(h.HasSummary, func() float64 { return h.Summary.Recommended })
	}).
		with(percentCfg(3)),
	col("Recommended nines", func(h *engine.History) *float64 {
		return when(h.HasSummary && h.Summary.Recommended > 0, func() float64 { return budget.Nines(h.Summary.Recommended) })
	}).with((&data.FieldConfig{Unit: "none"}).SetDecimals(2)),
	col("Basis", func(h *engine.History) string { return h.Basis() }),
}

// whatIfRow is one candidate objective of one SLO's history.
type whatIfRow struct {
	h *engine.History
	w engine.WhatIf
}

// shareMet is the share of periods with data that met the candidate.
func (r whatIfRow) shareMet() float64 { return float64(r.w.Met) / float64(r.w.WithData) }

// whatIfColumns are the columns of the what-if table.
var whatIfColumns = []column[whatIfRow]{
	col("SLO", func(r whatIfRow) string { return r.h.SLO.Name }),
	col("Objective", func(r whatIfRow) float64 { return r.w.Objective }).with(percentCfg(3)),
	col("Current", func(r whatIfRow) bool { return budget.SameObjective(r.w.Objective, r.h.SLO.Target()) }),
	col("Periods met", func(r whatIfRow) int64 { return int64(r.w.Met) }),
	col("Periods", func(r whatIfRow) int64 { return int64(r.w.WithData) }),
	col("Share met", func(r whatIfRow) *float64 { return when(r.w.WithData > 0, r.shareMet) }).with(percentCfg(1)),
	col("Achievable", func(r whatIfRow) bool { return r.w.WithData > 0 && r.shareMet() >= r.h.Options.Share-1e-9 }),
	col("Mean budget used", func(r whatIfRow) *float64 {
		return when(r.w.WithData > 0, func() float64 { return r.w.MeanBudgetUsed })
	}).with(percentCfg(1)),
}

// historyFrames builds three tables: the periods, the summary (one row per SLO) and
// the what-if (one row per SLO and candidate objective).
func historyFrames(hs []*engine.History) data.Frames {
	var periods []periodRow
	var whatIfs []whatIfRow
	var executed []string
	var notices []data.Notice
	for _, h := range hs {
		executed = append(executed, h.Fetched.Queries...)
		notices = append(notices, warnings(h.SLO, h.Fetched)...)
		for _, p := range h.Periods {
			periods = append(periods, periodRow{h, p})
		}
		for _, w := range h.WhatIf {
			whatIfs = append(whatIfs, whatIfRow{h, w})
		}
		notices = append(notices, historyNotices(h)...)
	}
	sliCfg := percentCfg(3)
	if len(hs) == 1 {
		sliCfg.Thresholds = objectiveThresholds(hs[0].SLO.Target())
	}
	periodsFrame := tableFrame("history", periods, periodColumns(sliCfg)...)
	periodsFrame.Meta.ExecutedQueryString = executedString(executed)
	periodsFrame.Meta.Notices = notices
	return data.Frames{periodsFrame, tableFrame("summary", hs, summaryColumns...), tableFrame("objectives", whatIfs, whatIfColumns...)}
}

// historyNotices tell of time slices without data, and say in plain words how often the
// objective was met and what would have been.
func historyNotices(h *engine.History) []data.Notice {
	var out []data.Notice
	s := h.SLO
	if empties := h.EmptySlices(); h.Fetched.Empty != nil && empties > 0 {
		how := "left out"
		switch s.Budgeting.EmptySlices {
		case slo.EmptyGood:
			how = "counted as good"
		case slo.EmptyBad:
			how = "counted as bad"
		}
		out = append(out, data.Notice{Severity: data.NoticeSeverityInfo,
			Text: fmt.Sprintf("%s: %g time slices of %s had no data (%s)", s.Name, empties, slo.FormatDuration(s.Budgeting.SliceLength), how)})
	}
	text, missed := h.Verdict()
	sev := data.NoticeSeverityInfo
	if missed {
		sev = data.NoticeSeverityWarning
	}
	return append(out, data.Notice{Severity: sev, Text: text})
}
