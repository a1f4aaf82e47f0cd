package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// Output is the report as printed: plain figures, ratios in 0..1, durations in seconds.
type Output struct {
	At      time.Time   `json:"at"`
	Source  string      `json:"source"`
	Version string      `json:"version"`
	SLOs    []OutputSLO `json:"slos"`
}

// OutputSLO is one SLO of the report.
type OutputSLO struct {
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
	// Group holds the labels of one group of a grouped SLO (Name then ends with them).
	Group map[string]string `json:"group,omitempty"`

	History      []OutputPeriod `json:"history,omitempty"`
	Summary      *OutputSummary `json:"historySummary,omitempty"`
	HistoryError string         `json:"historyError,omitempty"`
	Happiness    []OutputSignal `json:"happiness,omitempty"`
}

// OutputPeriod is one past period.
type OutputPeriod struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	SLI        *float64  `json:"sli"`
	Met        bool      `json:"met"`
	Partial    bool      `json:"partial"`
	BudgetUsed *float64  `json:"budgetUsed"`
}

// OutputSummary is the achievability over the past periods.
type OutputSummary struct {
	WithData    int     `json:"periodsWithData"`
	Met         int     `json:"met"`
	ShareMet    float64 `json:"shareMet"`
	Achievable  float64 `json:"achievable"`
	Recommended float64 `json:"recommended"`
}

// OutputSignal is one happiness test.
type OutputSignal struct {
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
}

// opt returns v when it is a known, finite figure, else nil (printed as null or a dash).
func opt(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// buildOutput maps the engine's report to the printed figures.
func buildOutput(r *engine.Report, src, version string, demo bool) Output {
	if demo {
		src = "embedded (demo history)"
	}
	out := Output{At: r.At, Source: src, Version: version}
	for _, rs := range r.SLOs {
		s := rs.SLO
		o := OutputSLO{Name: s.Name, Service: s.Service, Objective: s.Target(), Window: s.Window.String(), Group: s.Group}
		if s.Group != nil {
			o.Name += " " + engine.GroupText(s.Grouping, s.Group)
		}
		if rs.Err != nil {
			o.Status, o.Error = "error", rs.Err.Error()
			out.SLOs = append(out.SLOs, o)
			continue
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
		if rs.HistoryErr != nil {
			o.HistoryError = rs.HistoryErr.Error()
		} else if h := rs.History; h != nil {
			for _, p := range h.Periods {
				o.History = append(o.History, OutputPeriod{Start: p.Start, End: p.End, SLI: opt(p.SLI, p.HasData), Met: p.Met,
					Partial: p.Partial || p.Running, BudgetUsed: opt(p.BudgetUsed, p.HasData)})
			}
			if h.HasSummary {
				o.Summary = &OutputSummary{WithData: h.Summary.WithData, Met: h.Summary.Met, ShareMet: h.Summary.ShareMet,
					Achievable: h.Summary.Achievable, Recommended: h.Summary.Recommended}
			}
		}
		for i, sig := range s.Happiness {
			os := OutputSignal{Signal: sig.Name}
			if err := rs.HappinessErrs[i]; err != nil {
				os.Error, os.Strength = err.Error(), "error"
				o.Happiness = append(o.Happiness, os)
				continue
			}
			h := rs.Happiness[i]
			os.Interval, os.Used, os.NoTraffic, os.NoSignal = slo.FormatDuration(h.Interval), h.Used, h.NoTraffic, h.NoSignal
			os.Pearson, os.Spearman, os.LagR = opt(h.Pearson, h.PearsonOK), opt(h.Spearman, h.SpearmanOK), opt(h.LagR, h.LagOK)
			os.BestLag = engine.FormatLag(h.Lag, h.Interval)
			os.Strength, os.Verdict = string(h.Verdict.Strength), h.Verdict.Text
			o.Happiness = append(o.Happiness, os)
		}
		out.SLOs = append(out.SLOs, o)
	}
	return out
}

// renderers write the output in each --format.
var renderers = map[string]func(io.Writer, Output) error{
	"table":    func(w io.Writer, o Output) error { return renderText(w, o, false) },
	"markdown": func(w io.Writer, o Output) error { return renderText(w, o, true) },
	"json": func(w io.Writer, o Output) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(o)
	},
}

// pctOf prints a ratio as a percentage with decimals places.
func pctOf(v *float64, decimals int) string {
	if v == nil {
		return "no data"
	}
	return fmt.Sprintf("%.*f %%", decimals, *v*100)
}

// num prints a figure with format, or a dash when there is none.
func num(v *float64, format string) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf(format, *v)
}

// durOf prints seconds as a duration rounded to the minute, in days from two days on; none is infinite.
func durOf(v *float64) string {
	if v == nil {
		return "∞"
	}
	d := time.Duration(*v * float64(time.Second)).Round(time.Minute)
	if d >= 48*time.Hour {
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	}
	return slo.FormatDuration(d)
}

// rNum prints a correlation with three decimals and a true minus sign.
func rNum(v *float64) string {
	if v == nil {
		return "–"
	}
	return strings.Replace(fmt.Sprintf("%.3f", *v), "-", "−", 1)
}

// table writes rows as aligned columns, or as a Markdown table.
type table struct {
	md   bool
	rows [][]string
}

// add appends a row.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the rows and an empty line.
func (t *table) write(w io.Writer) error {
	if t.md {
		for i, r := range t.rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
			if i == 0 {
				seps := make([]string, len(r))
				for j := range seps {
					seps[j] = "---"
				}
				fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
			}
		}
		_, err := fmt.Fprintln(w)
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// renderText writes the report as aligned text, or as Markdown with md.
func renderText(w io.Writer, o Output, md bool) error {
	r := textReport{w: w, md: md}
	r.title(o)
	var problems []string
	for _, section := range []func(Output) ([]string, error){r.status, r.history, r.happiness} {
		p, err := section(o)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		r.heading("Problems")
		r.bullets(problems)
	}
	return nil
}

// textReport writes the sections of a text or Markdown report to w.
type textReport struct {
	w  io.Writer
	md bool
}

// title writes the first line: the report time and the source.
func (r textReport) title(o Output) {
	if r.md {
		fmt.Fprintf(r.w, "# Nines report at %s\n\nSource: %s (%s)\n\n", o.At.Format(time.RFC3339), o.Source, o.Version)
	} else {
		fmt.Fprintf(r.w, "Nines report at %s — source: %s (%s)\n\n", o.At.Format(time.RFC3339), o.Source, o.Version)
	}
}

// heading writes a section heading.
func (r textReport) heading(s string) {
	if r.md {
		fmt.Fprintf(r.w, "## %s\n\n", s)
	} else {
		fmt.Fprintf(r.w, "%s\n%s\n", s, strings.Repeat("=", len([]rune(s))))
	}
}

// bullets writes one bullet a line.
func (r textReport) bullets(lines []string) {
	for _, l := range lines {
		fmt.Fprintf(r.w, "%s%s\n", bullet(r.md), l)
	}
}

// status writes the status table and returns the errors of the SLOs that failed.
func (r textReport) status(o Output) ([]string, error) {
	r.heading("Status")
	t := &table{md: r.md}
	t.add("SLO", "Service", "Objective", "Window", "SLI", "Budget left", "Burn 1h", "Burn 6h", "Exhaustion", "Status")
	var problems []string
	for _, s := range o.SLOs {
		obj := s.Objective
		if s.Error != "" {
			t.add(s.Name, s.Service, pctOf(&obj, 2), s.Window, "–", "–", "–", "–", "–", "error")
			problems = append(problems, s.Error)
			continue
		}
		exh := durOf(s.Exhaustion)
		if s.Remaining != nil && *s.Remaining <= 0 {
			exh = "exhausted"
		}
		t.add(s.Name, s.Service, pctOf(&obj, 2), s.Window, pctOf(s.SLI, 3), pctOf(s.Remaining, 1),
			num(s.Burn1h, "%.2fx"), num(s.Burn6h, "%.2fx"), exh, s.Status)
	}
	return problems, t.write(r.w)
}

// history writes the table of past months and the summary of each SLO, and returns the
// history errors.
func (r textReport) history(o Output) ([]string, error) {
	r.heading("History (calendar months, UTC)")
	t := &table{md: r.md}
	t.add("SLO", "Month", "SLI", "Met", "Budget used")
	var problems, summaries []string
	for _, s := range o.SLOs {
		if s.HistoryError != "" {
			problems = append(problems, s.Name+": history: "+s.HistoryError)
		}
		for _, p := range s.History {
			t.add(periodRow(s.Name, p)...)
		}
		if sm := s.Summary; sm != nil {
			summaries = append(summaries, summaryLine(s.Name, sm))
		}
	}
	if err := t.write(r.w); err != nil {
		return nil, err
	}
	r.bullets(summaries)
	if len(summaries) > 0 {
		fmt.Fprintln(r.w)
	}
	return problems, nil
}

// periodRow is the history table's row of one month.
func periodRow(name string, p OutputPeriod) []string {
	month := p.Start.Format("2006-01")
	if p.Partial {
		month += " (partial)"
	}
	met := "no"
	if p.Met {
		met = "yes"
	}
	if p.SLI == nil {
		met = "no data"
	}
	return []string{name, month, pctOf(p.SLI, 3), met, pctOf(p.BudgetUsed, 0)}
}

// summaryLine says how often an SLO met its objective and what it could achieve.
func summaryLine(name string, sm *OutputSummary) string {
	return fmt.Sprintf("%s: objective met in %d of %d months (%.0f %%); achievable in %.0f %% of months: %s (%.2f nines); recommended: %s",
		name, sm.Met, sm.WithData, sm.ShareMet*100, engine.HistoryShare*100, pctOf(&sm.Achievable, 3), budget.Nines(sm.Achievable), pctOf(&sm.Recommended, 2))
}

// happiness writes the happiness tests and their verdicts and returns the errors of the
// tests that failed.
func (r textReport) happiness(o Output) ([]string, error) {
	r.heading("Happiness test")
	t := &table{md: r.md}
	t.add("SLO", "Signal", "Intervals", "No traffic", "Pearson", "Spearman", "Best lag", "r at lag", "Strength")
	var problems, verdicts []string
	for _, s := range o.SLOs {
		for _, h := range s.Happiness {
			if h.Error != "" {
				t.add(s.Name, h.Signal, "–", "–", "–", "–", "–", "–", "error")
				problems = append(problems, h.Error)
				continue
			}
			t.add(s.Name, h.Signal, fmt.Sprintf("%d × %s", h.Used, h.Interval), fmt.Sprint(h.NoTraffic), rNum(h.Pearson), rNum(h.Spearman), h.BestLag, rNum(h.LagR), h.Strength)
			verdicts = append(verdicts, fmt.Sprintf("%s / %s: %s", s.Name, h.Signal, h.Verdict))
		}
	}
	if len(verdicts) == 0 {
		fmt.Fprintln(r.w, "No SLO has happiness signals.")
		fmt.Fprintln(r.w)
		return problems, nil
	}
	if err := t.write(r.w); err != nil {
		return nil, err
	}
	r.bullets(verdicts)
	fmt.Fprintln(r.w)
	return problems, nil
}

// bullet is the start of a list item.
func bullet(md bool) string {
	if md {
		return "- "
	}
	return "  * "
}
