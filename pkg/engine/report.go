package engine

import (
	"context"
	"time"

	"github.com/nines-slo/nines/pkg/slo"
)

// ReportOptions configures Report.
type ReportOptions struct {
	// HappinessSpan is how far back the happiness test looks; 0 means the SLO's window.
	HappinessSpan time.Duration
	// Interval and MaxLag configure the happiness test; 0 means the defaults (1h, 6).
	Interval time.Duration
	MaxLag   int
	// HistoryPeriods is how many past calendar months the history shows; 0 means 3.
	HistoryPeriods int
	// Progress, when set, is told what the report is working on.
	Progress func(msg string)
}

// ReportSLO is one SLO's part of a report.
type ReportSLO struct {
	SLO       *slo.SLO
	Status    *Status
	Err       error
	Happiness []*Happiness
	// HappinessErrs holds, per signal of SLO.Happiness, the error of its test.
	HappinessErrs []error
	// History is the SLI of past calendar months, with its achievability summary.
	History    *History
	HistoryErr error
	// Trend is the SLI over the SLO's window (for a calendar window, the period to date)
	// at about TrendPoints times across the window up to Status.At.
	Trend    *Rolling
	TrendErr error
}

// TrendPoints is about how many points the report's SLI and budget series have.
const TrendPoints = 168

// DefaultHappinessSpan is how far back the report's happiness test looks for SLOs without
// a rolling window.
const DefaultHappinessSpan = 28 * 24 * time.Hour

// HistoryShare is the share of past periods the report's achievable objective must meet.
const HistoryShare = DefaultHistoryShare

// Report holds the figures of several SLOs at one instant.
type Report struct {
	At   time.Time
	SLOs []*ReportSLO
}

// Report computes status, budgets, burn rates and the happiness test of every SLO at the
// instant at, through the same path the plugin's queries take. One SLO's failure is kept
// in its entry and does not stop the others.
func (e *Engine) Report(ctx context.Context, slos []*slo.SLO, at time.Time, opts ReportOptions) *Report {
	if opts.Interval <= 0 {
		opts.Interval = DefaultHappinessInterval
	}
	if opts.HistoryPeriods <= 0 {
		opts.HistoryPeriods = 3
	}
	if opts.MaxLag <= 0 {
		opts.MaxLag = DefaultMaxLag
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	r := &Report{At: at.UTC()}
	for _, s := range slos {
		rs := &ReportSLO{SLO: s}
		r.SLOs = append(r.SLOs, rs)
		progress("status of " + s.Name)
		rs.Status, rs.Err = e.Status(ctx, s, at)
		if rs.Err != nil {
			continue
		}
		progress("history of " + s.Name)
		rs.History, rs.HistoryErr = e.History(ctx, s, HistoryOptions{Period: "month", Periods: opts.HistoryPeriods,
			End: rs.Status.At, Share: HistoryShare})
		progress("SLI over the window of " + s.Name)
		rs.Trend, rs.TrendErr = e.trend(ctx, s, rs.Status)
		span := opts.HappinessSpan
		if span <= 0 {
			span = s.Window.Duration
		}
		if span <= 0 {
			span = DefaultHappinessSpan // calendar windows
		}
		for _, sig := range s.Happiness {
			progress("happiness of " + s.Name + " against " + sig.Name)
			h, err := e.Happiness(ctx, s, sig, rs.Status.At.Add(-span), rs.Status.At, opts.Interval, opts.MaxLag)
			rs.Happiness = append(rs.Happiness, h)
			rs.HappinessErrs = append(rs.HappinessErrs, err)
		}
	}
	for _, rs := range r.SLOs {
		if rs.Status != nil {
			r.At = rs.Status.At
			break
		}
	}
	return r
}

// trend fetches the SLI of s over its window ending at st.At (the period to date for a
// calendar window), at about TrendPoints times.
func (e *Engine) trend(ctx context.Context, s *slo.SLO, st *Status) (*Rolling, error) {
	if s.Window.Kind == slo.Calendar {
		from := st.PeriodStart
		interval := max(st.At.Sub(from)/TrendPoints, MinStep)
		return e.CalendarCounts(ctx, s, from, st.At, interval)
	}
	w := s.Window.Duration
	interval := max(w/TrendPoints, MinStep)
	return e.RollingCounts(ctx, s, st.At.Add(-w), st.At, interval, []time.Duration{w})
}
