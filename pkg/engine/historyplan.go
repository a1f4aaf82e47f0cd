package engine

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// History defaults and limits.
const (
	// DefaultHistoryPeriods is how many past periods a history shows by default.
	DefaultHistoryPeriods = 6
	// MaxHistoryPeriods is the most past periods a history shows.
	MaxHistoryPeriods = 120
	// DefaultHistoryShare is the share of periods an achievable objective must have met.
	DefaultHistoryShare = 0.9
)

// HistoryRequest is what a history query asks, before the SLO's own defaults apply.
type HistoryRequest struct {
	// Period is series.Week, Month, Quarter, RollingPeriod, or "" for the SLO's own.
	Period series.Unit
	// Periods is how many periods to show (0: DefaultHistoryPeriods).
	Periods int
	// Share is the share of periods to meet (0: DefaultHistoryShare).
	Share float64
	// Objectives are the what-if objectives as ratios (nil: DefaultObjectives).
	Objectives []float64
	// Location is the zone of calendar periods (nil: the SLO's own).
	Location *time.Location
	// Window is the rolling window (0: the SLO's window).
	Window time.Duration
	// CompleteOnly leaves partial periods out of the summary.
	CompleteOnly bool
	// End is the end of the dashboard range.
	End time.Time
}

// HistoryOptions resolves a request for one SLO: its calendar unit or rolling window
// where the request gives none, and the objective ladder around its own objective.
func (r HistoryRequest) HistoryOptions(s *slo.SLO) (HistoryOptions, error) {
	o := HistoryOptions{Period: r.Period, Periods: r.Periods, Share: r.Share, Objectives: r.Objectives,
		Location: r.Location, End: r.End, CompleteOnly: r.CompleteOnly}
	if o.Periods == 0 {
		o.Periods = DefaultHistoryPeriods
	}
	if o.Share == 0 {
		o.Share = DefaultHistoryShare
	}
	if o.Objectives == nil {
		o.Objectives = DefaultObjectives(s.Target())
	}
	if o.Period == "" {
		o.Period = RollingPeriod
		if s.Window.Kind == slo.Calendar {
			o.Period = s.Window.Unit
		}
	}
	if o.Period == RollingPeriod {
		o.Window = r.Window
		if o.Window == 0 {
			o.Window = s.Window.Duration
		}
		if o.Window == 0 {
			return o, fmt.Errorf("SLO %s: a rolling history of a calendar SLO needs a window (e.g. \"window\": \"30d\")", s.Name)
		}
	}
	return o, nil
}

// DefaultObjectives are the what-if objectives when a query gives none: the usual ladder
// around the SLO's own objective.
func DefaultObjectives(target float64) []float64 {
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

// PeriodNoun names the history's periods in plain words: "months", "30-day windows".
func (h *History) PeriodNoun(n int) string {
	var one string
	if h.Options.Period == RollingPeriod {
		one = slo.FormatDuration(h.Options.Window) + " window"
		if w := h.Options.Window; w%(24*time.Hour) == 0 {
			one = fmt.Sprintf("%d-day window", w/(24*time.Hour))
		}
	} else {
		one = string(h.Options.Period)
	}
	if n == 1 {
		return one
	}
	return one + "s"
}

// PeriodLabel names one period: "2026-02", "2026-W09", "2026-Q1" or the window's span.
func (h *History) PeriodLabel(p HistoryPeriod) string {
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

// PartialSummarised counts the partial periods the summary counts.
func (h *History) PartialSummarised() int {
	n := 0
	for _, p := range h.Periods {
		if p.Summarised && p.Partial {
			n++
		}
	}
	return n
}

// Basis says in words which periods the summary rests on.
func (h *History) Basis() string {
	if !h.HasSummary {
		return string(budget.StateNoData)
	}
	sm := h.Summary
	b := fmt.Sprintf("%d %s with data, %d partial", sm.WithData, h.PeriodNoun(sm.WithData), h.PartialSummarised())
	if h.SummaryOfPartial {
		b += " (no complete period has data)"
	}
	return b
}

// EmptySlices is the number of time slices without data over all periods.
func (h *History) EmptySlices() float64 {
	var n float64
	for _, p := range h.Periods {
		n += p.EmptySlices
	}
	return n
}

// Verdict says in plain words how often the objective was met and what would have been;
// missed is true when some summarised period missed it.
func (h *History) Verdict() (text string, missed bool) {
	s, sm := h.SLO, h.Summary
	if !h.HasSummary {
		return fmt.Sprintf("%s: no data in the last %d %s", s.Name, len(h.Periods), h.PeriodNoun(len(h.Periods))), false
	}
	n := sm.WithData
	what := fmt.Sprintf("the last %d %s", n, h.PeriodNoun(n))
	if partial := h.PartialSummarised(); partial > 0 {
		what += fmt.Sprintf(" (%d partial)", partial)
	}
	text = fmt.Sprintf("%s: %s was met in %s of %s", s.Name, budget.Percent(s.Target()), countWord(sm.Met, n), what)
	if sm.Recommended > 0 && !budget.SameObjective(sm.Recommended, s.Target()) {
		met := 0
		for _, p := range h.Periods {
			if p.Summarised && budget.Met(p.SLI, sm.Recommended) {
				met++
			}
		}
		text += fmt.Sprintf("; %s would have been met in %s", budget.Percent(sm.Recommended), countWord(met, n))
	}
	return text, sm.Met < n
}

// countWord says k of n in words: "the only one", "both", "all 6" or "4".
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
