package reportpage

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nines-slo/nines/pkg/reportdoc"
	"github.com/nines-slo/nines/pkg/svgchart"
)

// Colours of the charts (Okabe-Ito): the SLI is blue, the budget orange, the objective a
// black dashed line, met periods green and missed ones vermilion.
const (
	sliColor       = svgchart.Blue
	budgetColor    = svgchart.Orange
	objectiveColor = svgchart.Black
	metColor       = svgchart.Green
	missedColor    = svgchart.Vermilion
)

// SLIChart draws the SLI over the window against the objective.
func SLIChart(s reportdoc.SLO) string {
	xs, ys := make([]float64, len(s.Series)), make([]float64, len(s.Series))
	for i, p := range s.Series {
		xs[i], ys[i] = unix(p.Time), val(p.SLI)
	}
	lo, hi, _ := svgchart.Span(append(append([]float64(nil), ys...), s.Objective), 0.1, 0.0005)
	hi = math.Min(hi, 1)
	return svgchart.Chart{
		Label: fmt.Sprintf("%s: SLI over the %s window against the objective of %s", s.Name, s.Window, Objective(s.Objective)),
		X:     timeAxis(xs),
		Y:     svgchart.Axis{Title: "SLI (%)", Min: lo, Max: hi, Ticks: pctTicks(lo, hi)},
		Lines: []svgchart.Line{{Name: "SLI", Color: sliColor, X: xs, Y: ys}},
		Refs:  []svgchart.Ref{{Name: "objective", Y: s.Objective, Color: objectiveColor}},
		Legend: []svgchart.LegendItem{{Name: "SLI over the window", Color: sliColor},
			{Name: "objective " + Objective(s.Objective), Color: objectiveColor, Dashed: true}},
	}.SVG()
}

// BudgetChart draws the error budget left over the window, against zero.
func BudgetChart(s reportdoc.SLO) string {
	xs, ys := make([]float64, len(s.Series)), make([]float64, len(s.Series))
	for i, p := range s.Series {
		xs[i], ys[i] = unix(p.Time), val(p.Remaining)
	}
	lo, hi, _ := svgchart.Span(append(append([]float64(nil), ys...), 0, 1), 0.05, 0)
	return svgchart.Chart{
		Label:  fmt.Sprintf("%s: error budget left over the %s window", s.Name, s.Window),
		X:      timeAxis(xs),
		Y:      svgchart.Axis{Title: "budget left (%)", Min: lo, Max: hi, Ticks: pctTicks(lo, hi)},
		Lines:  []svgchart.Line{{Name: "budget left", Color: budgetColor, X: xs, Y: ys}},
		Refs:   []svgchart.Ref{{Name: "budget spent", Y: 0, Color: objectiveColor}},
		Legend: []svgchart.LegendItem{{Name: "error budget left", Color: budgetColor}, {Name: "0 %: budget spent", Color: objectiveColor, Dashed: true}},
	}.SVG()
}

// HistoryChart draws each past period's SLI as a bar against the objective, marked met or missed.
func HistoryChart(s reportdoc.SLO) string {
	vals := []float64{s.Objective}
	var bars []svgchart.Bar
	for _, h := range s.History {
		b := svgchart.Bar{Label: periodLabel(h.Start, s.HistoryPeriod), Value: val(h.SLI), Note: "missed", Color: missedColor}
		if h.Met {
			b.Note, b.Color = "met", metColor
		}
		if h.Partial {
			b.Label += " (so far)"
		}
		vals = append(vals, b.Value)
		bars = append(bars, b)
	}
	lo, hi, _ := svgchart.Span(vals, 0.2, 0.0005)
	hi = math.Min(hi, 1)
	return svgchart.Chart{
		Label: fmt.Sprintf("%s: SLI of each past %s against the objective of %s", s.Name, s.HistoryPeriod, Objective(s.Objective)),
		Y:     svgchart.Axis{Title: "SLI (%)", Min: lo, Max: hi, Ticks: pctTicks(lo, hi)},
		X:     svgchart.Axis{Title: s.HistoryPeriod + " (UTC)"},
		Bars:  bars,
		Refs:  []svgchart.Ref{{Name: "objective", Y: s.Objective, Color: objectiveColor}},
		Legend: []svgchart.LegendItem{{Name: "met", Color: metColor}, {Name: "missed", Color: missedColor},
			{Name: "objective " + Objective(s.Objective), Color: objectiveColor, Dashed: true}},
	}.SVG()
}

// HappinessChart draws the SLI of each interval against the signal at the best lag.
func HappinessChart(s reportdoc.SLO, h reportdoc.Signal) string {
	var dots []svgchart.Dot
	var xs, ys []float64
	for i, p := range h.Points {
		j := i + h.LagIntervals // positive lag: the signal follows the SLI
		if j < 0 || j >= len(h.Points) || p.SLI == nil || h.Points[j].Value == nil {
			continue
		}
		d := svgchart.Dot{X: *p.SLI, Y: *h.Points[j].Value}
		dots = append(dots, d)
		xs, ys = append(xs, d.X), append(ys, d.Y)
	}
	xlo, xhi, _ := svgchart.Span(xs, 0.05, 0.0005)
	xhi = math.Min(xhi, 1)
	ylo, yhi, _ := svgchart.Span(append(ys, 0), 0.05, 1)
	if slices.Min(append(ys, 0)) >= 0 {
		ylo = 0 // counts: the axis starts at zero
	}
	return svgchart.Chart{
		Label: fmt.Sprintf("%s: SLI of each %s interval against %s at lag %s", s.Name, h.Interval, h.Signal, h.BestLag),
		X:     svgchart.Axis{Title: fmt.Sprintf("SLI per %s (%%)", h.Interval), Min: xlo, Max: xhi, Ticks: pctTicks(xlo, xhi)},
		Y: svgchart.Axis{Title: fmt.Sprintf("%s per %s", h.Signal, h.Interval), Min: ylo, Max: yhi,
			Ticks: svgchart.NiceTicks(ylo, yhi, 5, func(v float64) string { return minus(strconv.FormatFloat(v, 'f', -1, 64)) })},
		Dots:     dots,
		DotColor: sliColor,
		Legend:   []svgchart.LegendItem{{Name: fmt.Sprintf("one %s interval (%s %s later)", h.Interval, h.Signal, h.BestLag), Color: sliColor}},
	}.SVG()
}

// timeAxis is a time axis over xs (Unix seconds) with a tick at midnight UTC every few days.
func timeAxis(xs []float64) svgchart.Axis {
	ax := svgchart.Axis{Title: "time (UTC)"}
	if len(xs) == 0 {
		return ax
	}
	ax.Min, ax.Max = xs[0], xs[len(xs)-1]
	const day = 86400.0
	days := (ax.Max - ax.Min) / day
	every := math.Max(1, math.Ceil(days/7))
	for v := math.Ceil(ax.Min/day) * day; v <= ax.Max; v += every * day {
		ax.Ticks = append(ax.Ticks, svgchart.Tick{V: v, Text: time.Unix(int64(v), 0).UTC().Format("Jan 2")})
	}
	return ax
}

// pctTicks are ticks for ratios, written as percentages with as many decimals as the step needs.
func pctTicks(lo, hi float64) []svgchart.Tick {
	ticks := svgchart.NiceTicks(lo, hi, 5, nil2)
	dec := 0
	if len(ticks) > 1 {
		step := (ticks[1].V - ticks[0].V) * 100
		for dec < 6 && math.Abs(step*math.Pow10(dec)-math.Round(step*math.Pow10(dec))) > 1e-6 {
			dec++
		}
	}
	for i := range ticks {
		ticks[i].Text = pctN(ticks[i].V, dec)
	}
	return ticks
}

func nil2(float64) string { return "" }

func unix(t time.Time) float64 { return float64(t.Unix()) }

// val is the figure, or NaN when there is none.
func val(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
