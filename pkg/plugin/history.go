package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// History query defaults and limits.
const (
	DefaultHistoryPeriods = 6
	MaxHistoryPeriods     = 120
	DefaultHistoryShare   = 0.9
)

// historyParams are the history options of a query, validated.
type historyParams struct {
	period     string // "" = the SLO's own
	periods    int
	share      float64
	objectives []float64 // ratios; nil = defaults per SLO
	loc        *time.Location
	window     time.Duration
	complete   bool
}

// parseHistory reads and checks the history fields of a query.
func parseHistory(raw json.RawMessage, m Query) (historyParams, error) {
	p := historyParams{periods: DefaultHistoryPeriods, share: DefaultHistoryShare}
	// periods and timeZone are read here so that an explicit 0 is told from "unset".
	var extra struct {
		Periods      *int    `json:"periods"`
		TimeZone     *string `json:"timeZone"`
		CompleteOnly bool    `json:"completeOnly"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &extra); err != nil {
			return p, fmt.Errorf("bad query JSON: %w", err)
		}
	}
	p.complete = extra.CompleteOnly
	if extra.Periods != nil {
		if *extra.Periods < 1 || *extra.Periods > MaxHistoryPeriods {
			return p, fmt.Errorf("query field periods: %d must be between 1 and %d", *extra.Periods, MaxHistoryPeriods)
		}
		p.periods = *extra.Periods
	}
	if m.Share != nil {
		if !(*m.Share > 0 && *m.Share <= 1) {
			return p, fmt.Errorf("query field share: %v must be in (0, 1] (e.g. 0.9 for 90 %% of the periods)", *m.Share)
		}
		p.share = *m.Share
	}
	switch per := strings.ToLower(strings.TrimSpace(m.Period)); per {
	case "", "week", "month", "quarter", engine.RollingPeriod:
		p.period = per
	default:
		return p, fmt.Errorf("query field period: %q must be week, month, quarter or rolling", m.Period)
	}
	if extra.TimeZone != nil && strings.TrimSpace(*extra.TimeZone) != "" {
		loc, err := engine.Location(strings.TrimSpace(*extra.TimeZone))
		if err != nil {
			return p, fmt.Errorf("query field timeZone: %w", err)
		}
		p.loc = loc
	}
	w, err := m.WindowDuration()
	if err != nil {
		return p, err
	}
	p.window = w
	objs, err := parseObjectives(m.Objectives)
	if err != nil {
		return p, err
	}
	p.objectives = objs
	return p, nil
}

// parseObjectives reads a comma-separated list of percents, e.g. "99, 99.5, 99.9".
func parseObjectives(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	seen := map[float64]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "%"))
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || !(f > 0 && f < 100) {
			return nil, fmt.Errorf("query field objectives: %q is not a percent strictly between 0 and 100 (write e.g. \"99, 99.5, 99.9\")", part)
		}
		r := math.Round(f*1e10) / 1e12
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("query field objectives: %q holds no objective", s)
	}
	sort.Float64s(out)
	return out, nil
}

// defaultObjectives are the what-if objectives when the query gives none: the usual
// ladder around the SLO's own objective.
func defaultObjectives(target float64) []float64 {
	out := []float64{0.99, 0.995, 0.999, 0.9995}
	for _, o := range out {
		if budget.SameObjective(o, target) {
			return out
		}
	}
	out = append(out, target)
	sort.Float64s(out)
	return out
}

// queryHistory answers "history": past periods, the achievability summary and a what-if
// over candidate objectives, for each SLO, from one bucketed fetch per SLO.
func (d *Datasource) queryHistory(ctx context.Context, r *request) backend.DataResponse {
	p, err := parseHistory(r.q.JSON, r.m)
	if err != nil {
		return queryError(userErr(err))
	}
	hs := make([]*engine.History, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		o := engine.HistoryOptions{Periods: p.periods, Share: p.share, End: r.q.TimeRange.To, Objectives: p.objectives, Period: p.period, Location: p.loc, CompleteOnly: p.complete}
		if o.Objectives == nil {
			o.Objectives = defaultObjectives(s.Target())
		}
		if o.Period == "" {
			if s.Window.Kind == slo.Calendar {
				o.Period = string(s.Window.Unit)
			} else {
				o.Period = engine.RollingPeriod
			}
		}
		if o.Period == engine.RollingPeriod {
			o.Window = p.window
			if o.Window == 0 {
				o.Window = s.Window.Duration
			}
			if o.Window == 0 {
				return userErr(fmt.Errorf("SLO %s: a rolling history of a calendar SLO needs a window (e.g. \"window\": \"30d\")", s.Name))
			}
		}
		h, err := d.engine.History(ctx, s, o)
		hs[i] = h
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
		frames = historyFrames(ok, p.share)
	}
	return finish(frames, errs)
}

// periodNoun names a history's periods in plain words: "months", "30-day windows".
func periodNoun(h *engine.History, n int) string {
	var one string
	if h.Options.Period == engine.RollingPeriod {
		one = slo.FormatDuration(h.Options.Window) + " window"
		if w := h.Options.Window; w%(24*time.Hour) == 0 {
			one = fmt.Sprintf("%d-day window", w/(24*time.Hour))
		}
	} else {
		one = h.Options.Period
	}
	if n == 1 {
		return one
	}
	return one + "s"
}

// historyFrames builds three tables: the periods, the summary (one row per SLO) and
// the what-if (one row per SLO and candidate objective).
func historyFrames(hs []*engine.History, share float64) data.Frames {
	pctCfg := func(dec uint16) *data.FieldConfig { return (&data.FieldConfig{Unit: "percentunit"}).SetDecimals(dec) }

	// Periods.
	var (
		pSLO, pName, pPeriod, pMet, pNote []string
		pStart, pEnd                      []time.Time
		pSLI, pUsed, pEmpty               []*float64
		pObj, pEvents                     []float64
		pPartial                          []bool
	)
	var executed []string
	var notices []data.Notice
	for _, h := range hs {
		s := h.SLO
		executed = append(executed, h.Fetched.Queries...)
		for _, w := range h.Fetched.Warnings {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("%s: %s", s.Name, w)})
		}
		var empties float64
		for _, pr := range h.Periods {
			pSLO, pName = append(pSLO, s.Name), append(pName, s.Title())
			pPeriod = append(pPeriod, periodLabel(h, pr))
			pStart, pEnd = append(pStart, pr.Start), append(pEnd, pr.End)
			pObj = append(pObj, s.Target())
			pEvents = append(pEvents, pr.Counts.Total)
			pPartial = append(pPartial, pr.Partial)
			var note []string
			if pr.StartsMidway {
				note = append(note, "data starts mid-period")
			}
			if pr.Running {
				note = append(note, "period still running")
			}
			if h.Fetched.Empty != nil {
				pEmpty = append(pEmpty, ptr(pr.EmptySlices))
				empties += pr.EmptySlices
			} else {
				pEmpty = append(pEmpty, nil)
			}
			if pr.HasData {
				pSLI, pUsed = append(pSLI, ptr(pr.SLI)), append(pUsed, ptr(pr.BudgetUsed))
				if pr.Met {
					pMet = append(pMet, "met")
				} else {
					pMet = append(pMet, "missed")
				}
			} else {
				pSLI, pUsed = append(pSLI, nil), append(pUsed, nil)
				pMet = append(pMet, string(budget.StateNoData))
			}
			pNote = append(pNote, strings.Join(note, "; "))
		}
		if empties > 0 {
			how := "left out"
			switch s.Budgeting.EmptySlices {
			case slo.EmptyGood:
				how = "counted as good"
			case slo.EmptyBad:
				how = "counted as bad"
			}
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo,
				Text: fmt.Sprintf("%s: %g time slices of %s had no data (%s)", s.Name, empties, slo.FormatDuration(s.Budgeting.SliceLength), how)})
		}
		notices = append(notices, historyNotices(h)...)
	}
	metMappings := data.ValueMappings{data.ValueMapper{
		"met":                      {Color: "green", Index: 0},
		"missed":                   {Color: "red", Index: 1},
		string(budget.StateNoData): {Color: "text", Index: 2},
	}}
	periodsFrame := data.NewFrame("history",
		data.NewField("SLO", nil, pSLO),
		data.NewField("Name", nil, pName),
		data.NewField("Period", nil, pPeriod),
		data.NewField("Start", nil, pStart),
		data.NewField("End", nil, pEnd),
		data.NewField("SLI", nil, pSLI).SetConfig(func() *data.FieldConfig {
			c := pctCfg(3)
			if len(hs) == 1 {
				c.Thresholds = objectiveThresholds(hs[0].SLO.Target())
			}
			return c
		}()),
		data.NewField("Objective", nil, pObj).SetConfig(pctCfg(3)),
		data.NewField("Met", nil, pMet).SetConfig(&data.FieldConfig{Mappings: metMappings}),
		data.NewField("Budget used", nil, pUsed).SetConfig(&data.FieldConfig{Unit: "percentunit", Decimals: ptrU16(1), Thresholds: thresholds(
			data.NewThreshold(math.Inf(-1), "green", ""), data.NewThreshold(0.75, "orange", ""), data.NewThreshold(1, "red", ""))}),
		data.NewField("Events", nil, pEvents).SetConfig(&data.FieldConfig{Unit: "short"}),
		data.NewField("Empty slices", nil, pEmpty).SetConfig(&data.FieldConfig{Unit: "short"}),
		data.NewField("Partial", nil, pPartial),
		data.NewField("Note", nil, pNote),
	)
	periodsFrame.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable,
		ExecutedQueryString: strings.Join(executed, "\n"), Notices: notices}

	// Summary.
	n := len(hs)
	var (
		sSLO, sName, sPeriod, sBasis          = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		sObj, sShare                          = make([]float64, n), make([]float64, n)
		sPeriods, sWithData, sMet             = make([]int64, n), make([]int64, n), make([]int64, n)
		sShareMet, sAch, sNines, sRec, sRecNn = make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
	)
	for i, h := range hs {
		s, sm := h.SLO, h.Summary
		sSLO[i], sName[i], sPeriod[i] = s.Name, s.Title(), periodNoun(h, 1)
		sObj[i], sShare[i] = s.Target(), share
		sPeriods[i], sWithData[i], sMet[i] = int64(sm.Periods), int64(sm.WithData), int64(sm.Met)
		partial := 0
		for _, p := range h.Periods {
			if p.Summarised && p.Partial {
				partial++
			}
		}
		sBasis[i] = fmt.Sprintf("%d %s with data, %d partial", sm.WithData, periodNoun(h, sm.WithData), partial)
		if h.SummaryOfPartial {
			sBasis[i] += " (no complete period has data)"
		}
		if !h.HasSummary {
			sBasis[i] = string(budget.StateNoData)
			continue
		}
		sShareMet[i], sAch[i], sRec[i] = ptr(sm.ShareMet), ptr(sm.Achievable), ptr(sm.Recommended)
		if !math.IsInf(sm.AchievableNines, 0) {
			sNines[i] = ptr(sm.AchievableNines)
		}
		if sm.Recommended > 0 {
			sRecNn[i] = ptr(budget.Nines(sm.Recommended))
		}
	}
	summary := data.NewFrame("summary",
		data.NewField("SLO", nil, sSLO),
		data.NewField("Name", nil, sName),
		data.NewField("Period", nil, sPeriod),
		data.NewField("Objective", nil, sObj).SetConfig(pctCfg(3)),
		data.NewField("Periods", nil, sPeriods),
		data.NewField("Summarised", nil, sWithData),
		data.NewField("Met", nil, sMet),
		data.NewField("Share met", nil, sShareMet).SetConfig(pctCfg(1)),
		data.NewField("Share wanted", nil, sShare).SetConfig(pctCfg(1)),
		data.NewField("Achievable", nil, sAch).SetConfig(pctCfg(3)),
		data.NewField("Achievable nines", nil, sNines).SetConfig((&data.FieldConfig{Unit: "none", NoValue: "∞"}).SetDecimals(2)),
		data.NewField("Recommended", nil, sRec).SetConfig(pctCfg(3)),
		data.NewField("Recommended nines", nil, sRecNn).SetConfig((&data.FieldConfig{Unit: "none"}).SetDecimals(2)),
		data.NewField("Basis", nil, sBasis),
	)
	summary.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}

	// What-if.
	var (
		wSLO             []string
		wObj             []float64
		wMet, wWith      []int64
		wShare, wUsed    []*float64
		wCurrent, wMeets []bool
	)
	for _, h := range hs {
		for _, w := range h.WhatIf {
			wSLO = append(wSLO, h.SLO.Name)
			wObj = append(wObj, w.Objective)
			wMet, wWith = append(wMet, int64(w.Met)), append(wWith, int64(w.WithData))
			wCurrent = append(wCurrent, budget.SameObjective(w.Objective, h.SLO.Target()))
			if w.WithData > 0 {
				sh := float64(w.Met) / float64(w.WithData)
				wShare, wUsed = append(wShare, ptr(sh)), append(wUsed, ptr(w.MeanBudgetUsed))
				wMeets = append(wMeets, sh >= share-1e-9)
			} else {
				wShare, wUsed = append(wShare, nil), append(wUsed, nil)
				wMeets = append(wMeets, false)
			}
		}
	}
	whatIf := data.NewFrame("objectives",
		data.NewField("SLO", nil, wSLO),
		data.NewField("Objective", nil, wObj).SetConfig(pctCfg(3)),
		data.NewField("Current", nil, wCurrent),
		data.NewField("Periods met", nil, wMet),
		data.NewField("Periods", nil, wWith),
		data.NewField("Share met", nil, wShare).SetConfig(pctCfg(1)),
		data.NewField("Achievable", nil, wMeets),
		data.NewField("Mean budget used", nil, wUsed).SetConfig((&data.FieldConfig{Unit: "percentunit"}).SetDecimals(1)),
	)
	whatIf.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}
	return data.Frames{periodsFrame, summary, whatIf}
}

func ptrU16(v uint16) *uint16 { return &v }

// periodLabel names one period: "2026-02", "2026-W09", "2026-Q1" or the window's end day.
func periodLabel(h *engine.History, p engine.HistoryPeriod) string {
	loc := h.Options.Location
	if loc == nil {
		loc = time.UTC
	}
	t := p.Start.In(loc)
	switch h.Options.Period {
	case "week":
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case "month":
		return t.Format("2006-01")
	case "quarter":
		return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	}
	return fmt.Sprintf("%s – %s", p.Start.In(loc).Format("2006-01-02 15:04"), p.End.In(loc).Format("2006-01-02 15:04"))
}

// historyNotices say in plain words how often the objective was met and what would have been.
func historyNotices(h *engine.History) []data.Notice {
	s, sm := h.SLO, h.Summary
	if !h.HasSummary {
		return []data.Notice{{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf("%s: no data in the last %d %s", s.Name, len(h.Periods), periodNoun(h, len(h.Periods)))}}
	}
	n := sm.WithData
	what := fmt.Sprintf("the last %d %s", n, periodNoun(h, n))
	partial := 0
	for _, p := range h.Periods {
		if p.Summarised && p.Partial {
			partial++
		}
	}
	if partial > 0 {
		what += fmt.Sprintf(" (%d partial)", partial)
	}
	text := fmt.Sprintf("%s: %s was met in %s of %s", s.Name, pct(s.Target()), countWord(sm.Met, n), what)
	sev := data.NoticeSeverityInfo
	if sm.Met < n {
		sev = data.NoticeSeverityWarning
	}
	if sm.Recommended > 0 && !budget.SameObjective(sm.Recommended, s.Target()) {
		met := 0
		for _, p := range h.Periods {
			if p.Summarised && budget.Met(p.SLI, sm.Recommended) {
				met++
			}
		}
		text += fmt.Sprintf("; %s would have been met in %s", pct(sm.Recommended), countWord(met, n))
	}
	return []data.Notice{{Severity: sev, Text: text}}
}

func countWord(k, n int) string {
	switch {
	case k == n && n == 1:
		return "the only one"
	case k == n && n == 2:
		return "both"
	case k == n:
		return fmt.Sprintf("all %d", n)
	}
	return strconv.Itoa(k)
}
