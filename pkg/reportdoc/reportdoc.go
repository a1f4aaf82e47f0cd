// Package reportdoc holds the report of nines report as a document: plain figures, ratios
// in 0..1, durations in seconds, with the series its charts draw. Its JSON form is what
// --format json prints.
package reportdoc

import (
	"math"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// Document is the whole report.
type Document struct {
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
	Version string    `json:"version"`
	SLOs    []SLO     `json:"slos"`
}

// SLO is one SLO of the report.
type SLO struct {
	Name       string   `json:"name"`
	Service    string   `json:"service"`
	Objective  float64  `json:"objective"`
	Window     string   `json:"window"`
	Status     string   `json:"status"`
	SLI        *float64 `json:"sli"`
	Remaining  *float64 `json:"budgetRemaining"`
	Burn1h     *float64 `json:"burnRate1h"`
	Burn6h     *float64 `json:"burnRate6h"`
	Exhaustion *float64 `json:"timeToExhaustionSeconds"`
	Events     float64  `json:"events"`
	Error      string   `json:"error,omitempty"`

	History      []Period `json:"history,omitempty"`
	Summary      *Summary `json:"historySummary,omitempty"`
	HistoryError string   `json:"historyError,omitempty"`
	Happiness    []Signal `json:"happiness,omitempty"`

	// Title, UserStory and Owner describe the SLO for people.
	Title     string `json:"title,omitempty"`
	UserStory string `json:"userStory,omitempty"`
	Owner     string `json:"owner,omitempty"`
	// HistoryPeriod names the unit of History ("month").
	HistoryPeriod string `json:"historyPeriod,omitempty"`
	// Series is the SLI and the budget left over the window, up to At.
	Series      []Point `json:"series,omitempty"`
	SeriesError string  `json:"seriesError,omitempty"`
}

// Period is one past period.
type Period struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	SLI        *float64  `json:"sli"`
	Met        bool      `json:"met"`
	Partial    bool      `json:"partial"`
	BudgetUsed *float64  `json:"budgetUsed"`
}

// Summary is the achievability over the past periods.
type Summary struct {
	WithData    int     `json:"periodsWithData"`
	Met         int     `json:"met"`
	ShareMet    float64 `json:"shareMet"`
	Achievable  float64 `json:"achievable"`
	Recommended float64 `json:"recommended"`
}

// Signal is one happiness test.
type Signal struct {
	Signal    string   `json:"signal"`
	Interval  string   `json:"interval"`
	Used      int      `json:"intervalsUsed"`
	NoTraffic int      `json:"intervalsWithoutTraffic"`
	NoSignal  int      `json:"intervalsWithoutSignal"`
	Pearson   *float64 `json:"pearson"`
	Spearman  *float64 `json:"spearman"`
	BestLag   string   `json:"bestLag"`
	LagR      *float64 `json:"pearsonAtBestLag"`
	Strength  string   `json:"strength"`
	Verdict   string   `json:"verdict"`
	Error     string   `json:"error,omitempty"`

	// LagIntervals is the best lag in intervals (positive: the signal follows the SLI).
	LagIntervals int `json:"bestLagIntervals"`
	// Points are the SLI and the signal per interval, at lag 0.
	Points []SignalPoint `json:"points,omitempty"`
}

// Point is the SLI and the budget left of the window ending at Time; nil without events.
type Point struct {
	Time      time.Time `json:"time"`
	SLI       *float64  `json:"sli"`
	Remaining *float64  `json:"budgetRemaining"`
}

// SignalPoint is the SLI and the signal of the interval ending at Time; nil where absent.
type SignalPoint struct {
	Time  time.Time `json:"time"`
	SLI   *float64  `json:"sli"`
	Value *float64  `json:"value"`
}

// EmbeddedSource is the source of a report on the embedded demo history.
const EmbeddedSource = "embedded demo history"

// opt returns v when it is a known, finite figure, else nil (printed as null or a dash).
func opt(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Build maps the engine's report to the document; src and version name the metrics source.
func Build(r *engine.Report, src, version string) Document {
	d := Document{At: r.At, Source: src, Version: version}
	for _, rs := range r.SLOs {
		d.SLOs = append(d.SLOs, buildSLO(rs))
	}
	return d
}

// buildSLO maps one SLO of the engine's report.
func buildSLO(rs *engine.ReportSLO) SLO {
	s := rs.SLO
	o := SLO{Name: s.Name, Service: s.Service, Objective: s.Target(), Window: s.Window.String(),
		Title: s.Title(), UserStory: s.UserStory, Owner: s.Owner}
	if rs.Err != nil {
		o.Status, o.Error = "error", rs.Err.Error()
		return o
	}
	st := rs.Status
	o.Status, o.Events = string(st.State), st.Counts.Total
	o.SLI, o.Remaining = opt(st.SLI, st.HasData), opt(st.Remaining, st.HasData)
	for i, b := range st.Burns {
		switch i {
		case 0:
			o.Burn1h = opt(b.Rate, b.OK)
		case 1:
			o.Burn6h = opt(b.Rate, b.OK)
		}
	}
	o.Exhaustion = opt(st.Exhaustion.Seconds(), st.HasData && st.Exhausts)
	buildHistory(&o, rs)
	buildSeries(&o, rs)
	for i, sig := range s.Happiness {
		o.Happiness = append(o.Happiness, buildSignal(sig, rs.Happiness[i], rs.HappinessErrs[i]))
	}
	return o
}

// buildHistory fills in the past periods and their summary.
func buildHistory(o *SLO, rs *engine.ReportSLO) {
	if rs.HistoryErr != nil {
		o.HistoryError = rs.HistoryErr.Error()
		return
	}
	h := rs.History
	if h == nil {
		return
	}
	o.HistoryPeriod = string(h.Options.Period)
	for _, p := range h.Periods {
		o.History = append(o.History, Period{Start: p.Start, End: p.End, SLI: opt(p.SLI, p.HasData), Met: p.Met,
			Partial: p.Partial || p.Running, BudgetUsed: opt(p.BudgetUsed, p.HasData)})
	}
	if h.HasSummary {
		o.Summary = &Summary{WithData: h.Summary.WithData, Met: h.Summary.Met, ShareMet: h.Summary.ShareMet,
			Achievable: h.Summary.Achievable, Recommended: h.Summary.Recommended}
	}
}

// buildSeries fills in the SLI and budget over the window.
func buildSeries(o *SLO, rs *engine.ReportSLO) {
	if rs.TrendErr != nil {
		o.SeriesError = rs.TrendErr.Error()
		return
	}
	tr := rs.Trend
	if tr == nil || len(tr.Counts) == 0 {
		return
	}
	sli := engine.SLIPoints(tr.Times, tr.Counts[0])
	left := engine.BudgetPoints(tr.Times, tr.Counts[0], rs.SLO.Target())
	for i, p := range sli {
		o.Series = append(o.Series, Point{Time: p.Time.UTC(), SLI: opt(p.Value, p.OK), Remaining: opt(left[i].Value, left[i].OK)})
	}
}

// buildSignal maps one happiness test.
func buildSignal(sig slo.Signal, h *engine.Happiness, err error) Signal {
	out := Signal{Signal: sig.Name}
	if err != nil {
		out.Error, out.Strength = err.Error(), "error"
		return out
	}
	out.Interval, out.Used, out.NoTraffic, out.NoSignal = slo.FormatDuration(h.Interval), h.Used, h.NoTraffic, h.NoSignal
	out.Pearson, out.Spearman, out.LagR = opt(h.Pearson, h.PearsonOK), opt(h.Spearman, h.SpearmanOK), opt(h.LagR, h.LagOK)
	out.BestLag, out.LagIntervals = engine.FormatLag(h.Lag, h.Interval), h.Lag
	out.Strength, out.Verdict = string(h.Verdict.Strength), h.Verdict.Text
	for i, t := range h.Times {
		sli, v := h.SLI[i], h.Value[i]
		out.Points = append(out.Points, SignalPoint{Time: t.UTC(), SLI: opt(sli, true), Value: opt(v, true)})
	}
	return out
}

// EngineVersion reads the version of an embedded source ("v0.316.0-embedded") as the
// Prometheus engine it runs ("Prometheus engine v0.316.0"); other versions are returned as they are.
func EngineVersion(version string) string {
	if v, ok := strings.CutSuffix(version, "-embedded"); ok {
		return "Prometheus engine " + v
	}
	return version
}
