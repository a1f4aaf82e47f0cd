package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// RollingPeriod is the period of a history made of back-to-back rolling windows.
const RollingPeriod series.Unit = "rolling"

// HistoryOptions selects the past periods of a history.
type HistoryOptions struct {
	// Period is series.Week, Month, Quarter or RollingPeriod.
	Period series.Unit
	// Window is the length of each rolling window (rolling only).
	Window time.Duration
	// Location is the time zone of calendar periods (nil: the SLO's own zone).
	Location *time.Location
	// Periods is how many periods to show, the last one containing End.
	Periods int
	// End is the end of the dashboard range.
	End time.Time
	// Share is the share of periods an achievable objective must have met, in (0, 1].
	Share float64
	// Objectives are the what-if objectives, as ratios in (0, 1).
	Objectives []float64
	// CompleteOnly leaves partial periods out of the summary and the what-if (all
	// periods with data count when none is complete). By default every period with
	// data counts, partial ones included, and is flagged.
	CompleteOnly bool
}

// HistoryPeriod is one past period with its figures.
type HistoryPeriod struct {
	budget.PeriodResult
	// Running is true for a period that has not ended yet; StartsMidway for the
	// period in which the data starts (after the period's start).
	Running, StartsMidway bool
	// EmptySlices is the number of time slices without data (timeslices budgeting).
	EmptySlices float64
	// Summarised is true for the periods the summary and the what-if count.
	Summarised bool
}

// WhatIf is the outcome of one candidate objective over the summarised periods.
type WhatIf struct {
	Objective      float64
	Met, WithData  int
	MeanBudgetUsed float64
}

// History is the historical achievability of one SLO.
type History struct {
	SLO     *slo.SLO
	Options HistoryOptions
	Step    time.Duration
	Periods []HistoryPeriod
	// Summary covers the periods with data (only the complete ones with
	// HistoryOptions.CompleteOnly, or all of them when none is complete: SummaryOfPartial).
	Summary          budget.Summary
	HasSummary       bool
	SummaryOfPartial bool
	WhatIf           []WhatIf
	Fetched          *Fetched
}

// HistoryStep is the bucket size history queries ask for (at most; smaller where
// the zone or the window needs it).
const HistoryStep = time.Hour

// History computes the SLI of each of the last o.Periods periods ending at o.End, with
// one bucketed fetch over the whole span, summing each period with Buckets.Between.
func (e *Engine) History(ctx context.Context, s *slo.SLO, o HistoryOptions) (*History, error) {
	if o.Periods < 1 {
		return nil, fmt.Errorf("SLO %s: period count %d must be at least 1", s.Name, o.Periods)
	}
	if !(o.Share > 0 && o.Share <= 1) {
		return nil, fmt.Errorf("SLO %s: share %v is not in (0, 1]", s.Name, o.Share)
	}
	if o.Location == nil {
		// Calendar periods are the SLO's own (its timeZone, UTC by default), for every
		// caller: the plugin's history query and the command line's report alike.
		var err error
		if o.Location, err = SLOLocation(s); err != nil {
			return nil, err
		}
	}
	periods, step, end, err := historyPeriods(s, o)
	if err != nil {
		return nil, err
	}
	f, err := e.Counts(ctx, s, periods[0].Start, end, step)
	if err != nil {
		return nil, err
	}
	h := &History{SLO: s, Options: o, Step: step, Fetched: f}
	if err := h.evaluate(periods); err != nil {
		return nil, err
	}
	summarised := h.summarise()
	if len(summarised) > 0 {
		if h.Summary, err = budget.Achievability(summarised, s.Target(), o.Share); err != nil {
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
		h.HasSummary = true
	}
	h.Summary.Periods = len(periods)
	for _, obj := range o.Objectives {
		h.WhatIf = append(h.WhatIf, whatIf(summarised, obj))
	}
	return h, nil
}

// historyPeriods lays out the periods of a history, with the bucket step that puts
// their boundaries on the grid and the aligned end of the last one.
func historyPeriods(s *slo.SLO, o HistoryOptions) ([]series.Period, time.Duration, time.Time, error) {
	var periods []series.Period
	if o.Period == RollingPeriod {
		if o.Window <= 0 {
			return nil, 0, time.Time{}, fmt.Errorf("SLO %s: rolling history needs a window", s.Name)
		}
		step := SliceStep(s, HistoryStep, o.Window)
		if o.Window%step != 0 {
			return nil, 0, time.Time{}, fmt.Errorf("SLO %s: window %s is not a multiple of the bucket %s", s.Name, slo.FormatDuration(o.Window), step)
		}
		end := series.Align(o.End, step)
		for i := o.Periods; i >= 1; i-- {
			periods = append(periods, series.Period{Start: end.Add(-time.Duration(i) * o.Window), End: end.Add(-time.Duration(i-1) * o.Window)})
		}
		return periods, step, end, nil
	}
	approx, ok := map[series.Unit]time.Duration{series.Week: 7 * day, series.Month: 31 * day, series.Quarter: 92 * day}[o.Period]
	if !ok {
		return nil, 0, time.Time{}, fmt.Errorf("SLO %s: unknown period %q (want week, month, quarter or rolling)", s.Name, o.Period)
	}
	loc := o.Location
	from := o.End.Add(-time.Duration(o.Periods+1) * approx)
	step, err := CalendarStep(s, HistoryStep, loc, from, o.End)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	end := series.Align(o.End, step)
	// The last period is the one containing the instant just before end.
	first, err := series.PeriodStart(end.Add(-time.Nanosecond), o.Period, loc)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	for i := 1; i < o.Periods; i++ {
		if first, err = series.PeriodStart(first.Add(-time.Nanosecond), o.Period, loc); err != nil {
			return nil, 0, time.Time{}, err
		}
	}
	if periods, err = series.Periods(first, end, o.Period, loc); err != nil {
		return nil, 0, time.Time{}, err
	}
	if len(periods) == 0 {
		return nil, 0, time.Time{}, fmt.Errorf("SLO %s: no periods before %s", s.Name, o.End.Format(time.RFC3339))
	}
	return periods, step, end, nil
}

// dataStart is the start of the first bucket with data, zero when none has any.
func (h *History) dataStart() time.Time {
	f, b := h.Fetched, h.Fetched.Buckets
	for i := 0; i < b.Len(); i++ {
		t := b.Total[i]
		if f.Empty != nil && h.SLO.Budgeting.EmptySlices != slo.EmptySkip {
			t -= f.Empty.Total[i]
		}
		if t > 0 {
			return b.BucketEnd(i).Add(-b.Step)
		}
	}
	return time.Time{}
}

// evaluate sums the fetched buckets over each period and marks the periods still
// running and the one where the data starts.
func (h *History) evaluate(periods []series.Period) error {
	f, o := h.Fetched, h.Options
	counts := make([]series.Counts, len(periods))
	for i, p := range periods {
		var err error
		if counts[i], err = f.Buckets.Between(p.Start, p.End); err != nil {
			return fmt.Errorf("SLO %s: %w", h.SLO.Name, err)
		}
	}
	dataStart := h.dataStart()
	for i, r := range budget.Evaluate(periods, counts, h.SLO.Target()) {
		hp := HistoryPeriod{PeriodResult: r}
		if o.Period != RollingPeriod && periods[i].Partial {
			hp.Running = true
			// Keep the period's own end for display; the figures are to date.
			if pe, err := series.PeriodEnd(r.Start, o.Period, o.Location); err == nil {
				hp.End = pe
			}
		}
		hp.StartsMidway = !dataStart.IsZero() && dataStart.After(r.Start) && dataStart.Before(hp.End)
		hp.Partial = hp.Running || hp.StartsMidway
		if f.Empty != nil {
			ec, _ := f.Empty.Between(periods[i].Start, periods[i].End)
			hp.EmptySlices = ec.Total
		}
		h.Periods = append(h.Periods, hp)
	}
	return nil
}

// summarise picks the periods the summary and the what-if count: every period with data,
// or with CompleteOnly the complete ones (all with data when none is complete).
func (h *History) summarise() []budget.PeriodResult {
	var summarised, withData []budget.PeriodResult
	for _, hp := range h.Periods {
		if hp.HasData {
			withData = append(withData, hp.PeriodResult)
			if !hp.Partial {
				summarised = append(summarised, hp.PeriodResult)
			}
		}
	}
	if !h.Options.CompleteOnly {
		summarised = withData
	} else if len(summarised) == 0 && len(withData) > 0 {
		summarised, h.SummaryOfPartial = withData, true
	}
	for i := range h.Periods {
		p := &h.Periods[i]
		p.Summarised = p.HasData && (!h.Options.CompleteOnly || h.SummaryOfPartial || !p.Partial)
	}
	return summarised
}

// whatIf is how the summarised periods would have done against objective obj.
func whatIf(summarised []budget.PeriodResult, obj float64) WhatIf {
	w := WhatIf{Objective: obj, WithData: len(summarised), MeanBudgetUsed: math.NaN()}
	var used float64
	for _, r := range summarised {
		if budget.Met(r.SLI, obj) {
			w.Met++
		}
		used += budget.BurnRate(r.SLI, obj)
	}
	if len(summarised) > 0 {
		w.MeanBudgetUsed = used / float64(len(summarised))
	}
	return w
}
