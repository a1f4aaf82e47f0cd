// Package reportpage writes the report of nines report as one self-contained HTML page:
// inline CSS and SVG charts, no script, nothing loaded from the network.
//
// Contract with tests and tools that read the page:
//   - every chart is <svg class="chart" role="img" aria-label="…" data-points="N">, N the
//     number of data points drawn;
//   - every figure that is also in the JSON report is an element with data-json (an RFC 6901
//     pointer into the JSON document) and data-value (that JSON value: numbers written with
//     strconv.FormatFloat(v, 'g', -1, 64), strings as they are, true/false, null); its
//     visible text is the formatted value;
//   - each SLO's section is <section class="slo" data-slo="NAME">.
package reportpage

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/reportdoc"
)

// Write writes the page of report d to w.
func Write(w io.Writer, d reportdoc.Document) error {
	p := &page{}
	p.head(d)
	p.summary(d)
	for i, s := range d.SLOs {
		p.slo(i, s)
	}
	p.printf("</main>\n<footer><p>Made by <code>nines report --format html</code>. Figures are as of the report time; ratios of counted events, never averages of averages.</p></footer>\n</body>\n</html>\n")
	_, err := io.WriteString(w, p.b.String())
	return err
}

// page collects the HTML.
type page struct{ b strings.Builder }

func (p *page) printf(format string, args ...any) { fmt.Fprintf(&p.b, format, args...) }

// head writes the document head, the styles and the title.
func (p *page) head(d reportdoc.Document) {
	at := d.At.UTC().Format("2006-01-02 15:04 UTC")
	p.printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	p.printf("<title>SLO report at %s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(at), css)
	p.printf("<h1>SLO report</h1>\n<p class=\"meta\">At %s. Source: %s (%s).</p>\n",
		fig("/at", d.At.Format(time.RFC3339Nano), at), fig("/source", d.Source, d.Source), fig("/version", d.Version, reportdoc.EngineVersion(d.Version)))
}

// summary writes the table of every SLO's status at the top.
func (p *page) summary(d reportdoc.Document) {
	p.printf("<h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr><th>SLO</th><th>Service</th><th>Objective</th><th>Window</th><th>SLI</th><th>Budget left</th><th>Burn 1h</th><th>Burn 6h</th><th>Budget lasts</th><th>Status</th><th>Periods met</th></tr></thead>\n<tbody>\n")
	for i, s := range d.SLOs {
		ptr := func(key string) string { return fmt.Sprintf("/slos/%d/%s", i, key) }
		met := "–"
		if sm := s.Summary; sm != nil {
			met = fig(ptr("historySummary/met"), sm.Met, strconv.Itoa(sm.Met)) + " of " + fig(ptr("historySummary/periodsWithData"), sm.WithData, strconv.Itoa(sm.WithData))
		}
		p.printf("<tr><td><a href=\"#slo-%s\">%s</a></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"status-%s\">%s</td><td>%s</td></tr>\n",
			esc(s.Name), fig(ptr("name"), s.Name, s.Name), fig(ptr("service"), s.Service, s.Service),
			fig(ptr("objective"), s.Objective, Objective(s.Objective)), fig(ptr("window"), s.Window, s.Window),
			figOpt(ptr("sli"), s.SLI, pct3), figOpt(ptr("budgetRemaining"), s.Remaining, pct1),
			figOpt(ptr("burnRate1h"), s.Burn1h, burn), figOpt(ptr("burnRate6h"), s.Burn6h, burn),
			exhaustion(ptr("timeToExhaustionSeconds"), s), esc(s.Status), fig(ptr("status"), s.Status, s.Status), met)
	}
	p.printf("</tbody>\n</table>\n<p class=\"note\">Budget lasts: how long the error budget left lasts at the last 6 hours' burn rate; ∞ when it is not being spent, – without data. Burn rate 1× spends the budget exactly over the window.</p>\n")
}

// slo writes one SLO's section.
func (p *page) slo(i int, s reportdoc.SLO) {
	ptr := func(key string) string { return fmt.Sprintf("/slos/%d/%s", i, key) }
	name := ""
	if s.Title != s.Name {
		name = " <small>(" + fig(ptr("name"), s.Name, s.Name) + ")</small>"
	}
	p.printf("<section class=\"slo\" data-slo=\"%s\" id=\"slo-%s\">\n<h2>%s%s</h2>\n", esc(s.Name), esc(s.Name), fig(ptr("title"), s.Title, s.Title), name)
	if s.UserStory != "" {
		p.printf("<blockquote class=\"story\">%s</blockquote>\n", fig(ptr("userStory"), s.UserStory, s.UserStory))
	}
	owner := "not named"
	if s.Owner != "" {
		owner = fig(ptr("owner"), s.Owner, s.Owner)
	}
	p.printf("<p>Owner: %s. Service: %s. Objective: <strong>%s</strong> of events good over %s. Status: <strong>%s</strong>, with %s events in the window.</p>\n",
		owner, fig(ptr("service"), s.Service, s.Service), fig(ptr("objective"), s.Objective, Objective(s.Objective)),
		windowWords(fig(ptr("window"), s.Window, s.Window), s.Window), fig(ptr("status"), s.Status, s.Status), fig(ptr("events"), s.Events, count(s.Events)))
	if s.Error != "" {
		p.printf("<p class=\"error\">Error: %s</p>\n</section>\n", fig(ptr("error"), s.Error, s.Error))
		return
	}
	p.printf("<p>SLI now: %s; error budget left: %s.</p>\n", figOpt(ptr("sli"), s.SLI, pct3), figOpt(ptr("budgetRemaining"), s.Remaining, pct1))
	p.trend(i, s)
	p.history(i, s)
	p.happiness(i, s)
	p.printf("</section>\n")
}

// trend writes the SLI and budget charts over the window.
func (p *page) trend(i int, s reportdoc.SLO) {
	p.printf("<h3>Over the window</h3>\n")
	if s.SeriesError != "" {
		p.printf("<p class=\"error\">%s</p>\n", fig(fmt.Sprintf("/slos/%d/seriesError", i), s.SeriesError, s.SeriesError))
		return
	}
	p.printf("<div class=\"charts\">\n<figure>%s<figcaption>SLI over the %s window at each time, against the objective.</figcaption></figure>\n", SLIChart(s), esc(s.Window))
	p.printf("<figure>%s<figcaption>Error budget left: 100 %% is untouched, 0 %% spent, below 0 overspent.</figcaption></figure>\n</div>\n", BudgetChart(s))
}

// history writes the past periods: chart, table and the recommendation.
func (p *page) history(i int, s reportdoc.SLO) {
	ptr := func(key string) string { return fmt.Sprintf("/slos/%d/%s", i, key) }
	unit := s.HistoryPeriod
	if unit == "" {
		unit = "month"
	}
	p.printf("<h3>Past %ss</h3>\n", esc(unit))
	if s.HistoryError != "" {
		p.printf("<p class=\"error\">%s</p>\n", fig(ptr("historyError"), s.HistoryError, s.HistoryError))
		return
	}
	if len(s.History) == 0 {
		p.printf("<p>No past %ss.</p>\n", esc(unit))
		return
	}
	p.printf("<div class=\"charts\"><figure>%s<figcaption>SLI of each calendar %s (UTC) against the objective.</figcaption></figure>\n", HistoryChart(s), esc(unit))
	p.printf("<table>\n<thead><tr><th>%s</th><th>SLI</th><th>Objective met</th><th>Budget used</th></tr></thead>\n<tbody>\n", esc(title(unit)))
	for j, h := range s.History {
		hp := func(key string) string { return ptr(fmt.Sprintf("history/%d/%s", j, key)) }
		label := fig(hp("start"), h.Start.Format(time.RFC3339Nano), periodLabel(h.Start, unit))
		if h.Partial {
			label += " " + fig(hp("partial"), true, "(so far)")
		}
		met := fig(hp("met"), h.Met, map[bool]string{true: "met", false: "missed"}[h.Met])
		if h.SLI == nil {
			met = "no data"
		}
		p.printf("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", label,
			figOpt(hp("sli"), h.SLI, pct3), met, figOpt(hp("budgetUsed"), h.BudgetUsed, pct0))
	}
	p.printf("</tbody>\n</table></div>\n")
	p.recommendation(i, s)
}

// recommendation says in plain words what the history supports.
func (p *page) recommendation(i int, s reportdoc.SLO) {
	sm := s.Summary
	if sm == nil {
		p.printf("<p>No past %s has data yet: no recommendation.</p>\n", esc(s.HistoryPeriod))
		return
	}
	ptr := func(key string) string { return fmt.Sprintf("/slos/%d/historySummary/%s", i, key) }
	obj := Objective(s.Objective)
	p.printf("<p class=\"advice\">The objective of %s was met in %s of the last %s %s (%s). The service achieved %s or better in 90 %% of them. ",
		esc(obj), fig(ptr("met"), sm.Met, strconv.Itoa(sm.Met)), fig(ptr("periodsWithData"), sm.WithData, strconv.Itoa(sm.WithData)),
		plural(sm.WithData, s.HistoryPeriod), fig(ptr("shareMet"), sm.ShareMet, pct0(sm.ShareMet)), fig(ptr("achievable"), sm.Achievable, pct3(sm.Achievable)))
	rec := fig(ptr("recommended"), sm.Recommended, Objective(sm.Recommended))
	switch {
	case sm.Recommended <= 0:
		p.printf("No round objective is achievable from this history: look at the failures first.</p>\n")
	case math.Abs(sm.Recommended-s.Objective) < 1e-9:
		p.printf("<strong>Recommendation: keep %s.</strong> It fits what the service achieves.</p>\n", rec)
	case sm.Recommended < s.Objective:
		p.printf("<strong>Recommendation: %s.</strong> The objective asks for more than the service delivers; lower it to %s, or make the service more reliable before promising %s.</p>\n", rec, Objective(sm.Recommended), esc(obj))
	default:
		p.printf("<strong>Recommendation: %s.</strong> The service does better than promised; users could be promised %s.</p>\n", rec, Objective(sm.Recommended))
	}
}

// happiness writes each happiness test: scatter, figures and verdict.
func (p *page) happiness(i int, s reportdoc.SLO) {
	if len(s.Happiness) == 0 {
		return
	}
	p.printf("<h3>Happiness test</h3>\n<p>Does the SLI move with what users do? Each dot is one interval.</p>\n")
	for k, h := range s.Happiness {
		ptr := func(key string) string { return fmt.Sprintf("/slos/%d/happiness/%d/%s", i, k, key) }
		p.printf("<h4>%s</h4>\n", fig(ptr("signal"), h.Signal, h.Signal))
		if h.Error != "" {
			p.printf("<p class=\"error\">%s</p>\n", fig(ptr("error"), h.Error, h.Error))
			continue
		}
		p.printf("<div class=\"charts\"><figure>%s<figcaption>SLI of each %s interval against %s %s later (the best lag).</figcaption></figure>\n",
			HappinessChart(s, h), esc(h.Interval), esc(h.Signal), esc(h.BestLag))
		p.printf("<dl><dt>Intervals used</dt><dd>%s intervals of %s, %s without traffic</dd><dt>Pearson r</dt><dd>%s</dd><dt>Spearman ρ</dt><dd>%s</dd><dt>Best lag</dt><dd>%s (r = %s)</dd><dt>Strength</dt><dd>%s</dd></dl></div>\n",
			fig(ptr("intervalsUsed"), h.Used, strconv.Itoa(h.Used)), fig(ptr("interval"), h.Interval, h.Interval),
			fig(ptr("intervalsWithoutTraffic"), h.NoTraffic, strconv.Itoa(h.NoTraffic)),
			figOpt(ptr("pearson"), h.Pearson, corr), figOpt(ptr("spearman"), h.Spearman, corr),
			fig(ptr("bestLag"), h.BestLag, h.BestLag), figOpt(ptr("pearsonAtBestLag"), h.LagR, corr), fig(ptr("strength"), h.Strength, h.Strength))
		p.printf("<p class=\"advice\">Verdict: %s</p>\n", fig(ptr("verdict"), h.Verdict, h.Verdict))
	}
}

// exhaustion writes the time to exhaustion: exhausted, a duration, ∞ (not spending) or – (no data).
func exhaustion(ptr string, s reportdoc.SLO) string {
	switch {
	case s.Remaining == nil && s.Exhaustion == nil:
		return fig(ptr, nil, "–")
	case *s.Remaining <= 0:
		return figOpt(ptr, s.Exhaustion, func(float64) string { return "exhausted" })
	case s.Exhaustion == nil:
		return fig(ptr, nil, "∞")
	}
	return figOpt(ptr, s.Exhaustion, duration)
}

// windowWords says the window in words: "28d" is "a rolling 28d window", "month" "each calendar month".
func windowWords(figure, w string) string {
	switch w {
	case "week", "month", "quarter":
		return "each calendar " + figure
	}
	return "a rolling " + figure + " window"
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, unit string) string {
	if n == 1 {
		return esc(unit)
	}
	return esc(unit) + "s"
}

// periodLabel names a period starting at t: "2026-01", "2026-W03", "2026-Q1".
func periodLabel(t time.Time, unit string) string {
	t = t.UTC()
	switch unit {
	case "week":
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case "quarter":
		return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	case "month":
		return t.Format("2006-01")
	}
	return t.Format("2006-01-02")
}

func esc(s string) string { return html.EscapeString(s) }
