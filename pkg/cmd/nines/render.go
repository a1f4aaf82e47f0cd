package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/reportdoc"
	"github.com/nines-slo/nines/pkg/reportpage"
	"github.com/nines-slo/nines/pkg/slo"
)

// The report as printed, and its parts.
type (
	Output       = reportdoc.Document
	OutputSLO    = reportdoc.SLO
	OutputPeriod = reportdoc.Period
)

// buildOutput maps the engine's report to the printed figures.
func buildOutput(r *engine.Report, src, version string, demo bool) Output {
	if demo {
		src = reportdoc.EmbeddedSource
	}
	return reportdoc.Build(r, src, version)
}

// renderers write the output in each --format.
var renderers = map[string]func(io.Writer, Output) error{
	"table":    func(w io.Writer, o Output) error { return renderText(w, o, false) },
	"markdown": func(w io.Writer, o Output) error { return renderText(w, o, true) },
	"html":     func(w io.Writer, o Output) error { return reportpage.Write(w, o) },
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

// objectiveOf prints an objective (a ratio) as a percentage with the digits it was
// written with: 99.9 %, 99.995 %, 95 %.
func objectiveOf(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e12)/1e10, 'f', -1, 64) + " %"
}

// durOf prints seconds as a duration rounded to the minute, in days from two days on;
// none is infinite (the budget is not being spent).
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
		fmt.Fprintf(r.w, "# Nines report at %s\n\nSource: %s (%s)\n\n", o.At.Format(time.RFC3339), o.Source, reportdoc.EngineVersion(o.Version))
	} else {
		fmt.Fprintf(r.w, "Nines report at %s — source: %s (%s)\n\n", o.At.Format(time.RFC3339), o.Source, reportdoc.EngineVersion(o.Version))
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
		obj := objectiveOf(s.Objective)
		if s.Error != "" {
			t.add(s.Name, s.Service, obj, s.Window, "–", "–", "–", "–", "–", "error")
			problems = append(problems, s.Error)
			continue
		}
		exh := durOf(s.Exhaustion)
		switch {
		case s.Remaining == nil:
			exh = "–" // no data
		case *s.Remaining <= 0:
			exh = "exhausted"
		}
		t.add(s.Name, s.Service, obj, s.Window, pctOf(s.SLI, 3), pctOf(s.Remaining, 1),
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
func summaryLine(name string, sm *reportdoc.Summary) string {
	return fmt.Sprintf("%s: objective met in %d of %s (%.0f %%); achievable in %.0f %% of months: %s (%.2f nines); recommended: %s",
		name, sm.Met, plural(sm.WithData, "month", "months"), sm.ShareMet*100, engine.HistoryShare*100, pctOf(&sm.Achievable, 3), budget.Nines(sm.Achievable), objectiveOf(sm.Recommended))
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

// plural writes a count with its noun: "1 error", "2 errors", "0 errors".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
