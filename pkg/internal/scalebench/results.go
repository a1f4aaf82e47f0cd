package scalebench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Targets of issue 10.
const (
	TargetStatusSpeedup = 2.0                    // status cold: at least this many times faster than by hand
	TargetRefresh       = 300 * time.Millisecond // status refreshed: under this
	TargetFloorRatio    = 1.3                    // budget of all SLOs: within this factor of the floor
	TargetBudgetSpeedup = 10.0                   // budget of all SLOs: at least this many times faster than by hand
	TargetP99           = time.Second            // viewers after the first wave: p99 under this
	TargetRSS           = 250 << 20              // plugin peak RSS, bytes
)

// Measure is one timed call and what it cost upstream.
type Measure struct {
	Took     time.Duration
	Requests int   // upstream requests through the proxy
	Items    int   // rows or series in the answer
	PeakRSS  int64 // the plugin's peak RSS during the call, bytes (plugin calls only)
	// PromCPU and PluginCPU are the CPU time Prometheus and the plugin used during the
	// call (status calls only): where the time went, on a machine both share.
	PromCPU, PluginCPU time.Duration
}

// String is the measure in one line, for progress output.
func (m Measure) String() string {
	s := fmt.Sprintf("%s, %d requests, %d rows/series", seconds(m.Took), m.Requests, m.Items)
	if m.PeakRSS > 0 {
		s += fmt.Sprintf(", peak RSS %s", megabytes(m.PeakRSS))
	}
	if m.PromCPU > 0 || m.PluginCPU > 0 {
		s += fmt.Sprintf(", CPU: Prometheus %s, plugin %s", seconds(m.PromCPU), seconds(m.PluginCPU))
	}
	return s
}

// BudgetRow is the budget of the first SLOs by the plugin and by hand.
type BudgetRow struct {
	SLOs        int
	Nines, Hand Measure
}

// ViewerResult is the many-viewers phase.
type ViewerResult struct {
	Viewers, Calls, SLOs int
	Counts               Counts        // upstream requests and distinct ones
	Took                 time.Duration // the whole phase
	P50, P99             time.Duration // latency of the calls after each viewer's first
	Later                int           // how many calls that is
}

// Results is everything one run measured.
type Results struct {
	History                            History
	CPUs                               int
	Date                               time.Time
	Blocks                             string
	Generated                          bool
	Generation, Startup                time.Duration
	LoadBefore, LoadAfter              string // /proc/loadavg's 1-minute load at the start and end of the measurements
	StatusHand, StatusCold, StatusWarm Measure
	Budget                             []BudgetRow
	Floor                              Measure
	Viewers                            ViewerResult
}

// row is one line of the table.
type row struct{ what, nines, other, ratio, target, verdict string }

// verdict is "pass" or "FAIL" for a met or missed target, "" for a figure without one.
func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// rows turns the results into the table's lines.
func (r *Results) rows() []row {
	n := r.History.Services
	hs, cs := r.StatusHand.Took.Seconds(), r.StatusCold.Took.Seconds()
	out := []row{
		{fmt.Sprintf("`status`, all %d SLOs, cold", n), fmt.Sprintf("%s, %d requests", seconds(r.StatusCold.Took), r.StatusCold.Requests),
			fmt.Sprintf("by hand (3 instant queries by service): %s", seconds(r.StatusHand.Took)), faster(hs / cs),
			fmt.Sprintf("≥ %g× faster", TargetStatusSpeedup), verdict(hs/cs >= TargetStatusSpeedup)},
		{"the same, refreshed (default settings)", fmt.Sprintf("%s, %d requests", seconds(r.StatusWarm.Took), r.StatusWarm.Requests), "—", "—",
			"< " + seconds(TargetRefresh), verdict(r.StatusWarm.Took < TargetRefresh)},
	}
	for _, b := range r.Budget {
		ratio := b.Hand.Took.Seconds() / b.Nines.Took.Seconds()
		rw := row{fmt.Sprintf("`budget` 30d range and window, %s, cold", slos(b.SLOs)), fmt.Sprintf("%s, %d requests", seconds(b.Nines.Took), b.Nines.Requests),
			fmt.Sprintf("by hand (one range query per SLO): %s", seconds(b.Hand.Took)), faster(ratio), "—", ""}
		if b.SLOs == n {
			rw.target, rw.verdict = fmt.Sprintf("≥ %g× faster", TargetBudgetSpeedup), verdict(ratio >= TargetBudgetSpeedup)
		}
		out = append(out, rw)
	}
	if len(r.Budget) > 0 {
		b := r.Budget[len(r.Budget)-1]
		ratio := b.Nines.Took.Seconds() / r.Floor.Took.Seconds()
		out = append(out, row{fmt.Sprintf("the same, %d SLOs, against the floor", b.SLOs), seconds(b.Nines.Took),
			fmt.Sprintf("the floor (one grouped query at 1d steps): %s", seconds(r.Floor.Took)), fmt.Sprintf("%.2f× the floor", ratio),
			fmt.Sprintf("≤ %g×", TargetFloorRatio), verdict(ratio <= TargetFloorRatio)})
	}
	v := r.Viewers
	out = append(out,
		row{fmt.Sprintf("%d viewers at once, `status` of %d SLOs, %d calls: upstream requests", v.Viewers, v.SLOs, v.Calls), fmt.Sprint(v.Counts.Requests),
			fmt.Sprintf("distinct requests: %d", v.Counts.Distinct), fmt.Sprintf("%.1f×", float64(v.Counts.Requests)/float64(max(v.Counts.Distinct, 1))),
			"≤ distinct", verdict(v.Counts.Requests <= v.Counts.Distinct)},
		row{fmt.Sprintf("the same, latency of the %d calls after the first wave", v.Later), fmt.Sprintf("p50 %s, p99 %s", seconds(v.P50), seconds(v.P99)), "—", "—",
			"p99 < " + seconds(TargetP99), verdict(v.P99 < TargetP99)},
		row{"plugin peak RSS, `status` of all SLOs, cold", megabytes(r.StatusCold.PeakRSS), "—", "—", "≤ " + megabytes(TargetRSS), verdict(r.StatusCold.PeakRSS <= TargetRSS)},
		row{"plugin peak RSS, the same refreshed", megabytes(r.StatusWarm.PeakRSS), "—", "—", "≤ " + megabytes(TargetRSS), verdict(r.StatusWarm.PeakRSS <= TargetRSS)},
	)
	return out
}

// Table writes the one table of the run, with a header naming what was measured.
func (r *Results) Table(w io.Writer) {
	h := r.History
	gen := "cached blocks"
	if r.Generated {
		gen = "generated in " + r.Generation.Round(time.Second).String()
	}
	fmt.Fprintf(w, "Nines scale benchmark, %s: %d SLOs (one per service, %g, 30d), %d series, %d days at 1-minute scrapes ending %s (%s); %d CPUs, load average %s at the start and %s at the end; Prometheus ready in %s\n\n",
		r.Date.Format("2006-01-02 15:04 MST"), h.Services, Objective, 2*h.Services, h.Days, h.End.Format(time.RFC3339), gen, r.CPUs,
		r.LoadBefore, r.LoadAfter, r.Startup.Round(time.Millisecond))
	fmt.Fprintln(w, "| what | Nines | the alternative, same run | ratio | target | verdict |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, x := range r.rows() {
		fmt.Fprintf(w, "| %s |\n", strings.Join([]string{x.what, x.nines, x.other, x.ratio, x.target, x.verdict}, " | "))
	}
}

// Failed counts the rows whose target was missed.
func (r *Results) Failed() int {
	n := 0
	for _, x := range r.rows() {
		if x.verdict == "FAIL" {
			n++
		}
	}
	return n
}

// faster says how many times faster (ratio ≥ 1) or slower Nines was than the alternative.
func faster(ratio float64) string {
	if ratio >= 1 {
		return fmt.Sprintf("%.2f× faster", ratio)
	}
	return fmt.Sprintf("%.2f× slower", 1/ratio)
}

func slos(n int) string {
	if n == 1 {
		return "1 SLO"
	}
	return fmt.Sprintf("%d SLOs", n)
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func megabytes(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
