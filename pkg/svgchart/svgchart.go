// Package svgchart draws small, self-contained SVG charts (lines, bars, scatter) with axes,
// a legend and reference lines, for pages that must not load scripts or fonts.
//
// Every chart is <svg class="chart" role="img" aria-label="…" data-points="N">, where N is
// the number of data points drawn.
package svgchart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Okabe-Ito colours, safe for colour-blind readers.
const (
	Black     = "#000000"
	Orange    = "#E69F00"
	SkyBlue   = "#56B4E9"
	Green     = "#009E73"
	Blue      = "#0072B2"
	Vermilion = "#D55E00"
	Purple    = "#CC79A7"
)

// Tick is one labelled value on an axis.
type Tick struct {
	V    float64
	Text string
}

// Axis is the scale of one direction: its range, ticks and title (with the unit).
type Axis struct {
	Title    string
	Min, Max float64
	Ticks    []Tick
}

// Line is a series drawn as a line; points with a NaN Y break it.
type Line struct {
	Name  string
	Color string
	X, Y  []float64
}

// Ref is a horizontal reference line, such as an objective.
type Ref struct {
	Name  string
	Y     float64
	Color string
}

// Bar is one bar of a bar chart: its category label, value and the word written above it.
type Bar struct {
	Label, Note string
	Value       float64
	Color       string
}

// Dot is one point of a scatter.
type Dot struct{ X, Y float64 }

// LegendItem names a colour; Dashed draws it as a dashed line, as reference lines are.
type LegendItem struct {
	Name, Color string
	Dashed      bool
}

// Chart is one chart; X is unused by bar charts (their bars sit in equal slots).
type Chart struct {
	Label         string // the accessible name, read by screen readers
	Width, Height float64
	X, Y          Axis
	Lines         []Line
	Bars          []Bar
	Dots          []Dot
	DotColor      string
	Refs          []Ref
	Legend        []LegendItem
}

// Size of a chart without one, in SVG units: two fit side by side on a page.
const DefaultWidth, DefaultHeight = 480.0, 260.0

// Margins of the plot area inside the chart, in SVG units.
const (
	left, right, top, bottom = 64.0, 28.0, 28.0, 44.0
)

// SVG returns the chart as an inline SVG element.
func (c Chart) SVG() string {
	if c.Width == 0 {
		c.Width, c.Height = DefaultWidth, DefaultHeight
	}
	var b strings.Builder
	body, n := c.plot()
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" data-points="%d" viewBox="0 0 %s %s" width="%s" height="%s" xmlns="http://www.w3.org/2000/svg">`,
		esc(c.Label), n, num(c.Width), num(c.Height), num(c.Width), num(c.Height))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Label))
	b.WriteString(c.axes())
	b.WriteString(body)
	if n == 0 {
		fmt.Fprintf(&b, `<text class="nodata" x="%s" y="%s" text-anchor="middle" font-size="14">no data</text>`, num((left+c.Width-right)/2), num((top+c.Height-bottom)/2))
	}
	b.WriteString(c.legend())
	b.WriteString(`</svg>`)
	return b.String()
}

// plot draws the data and returns it with the number of points drawn.
func (c Chart) plot() (string, int) {
	var b strings.Builder
	n := 0
	for _, r := range c.Refs {
		y := c.y(r.Y)
		fmt.Fprintf(&b, `<line class="ref" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`,
			num(left), num(c.Width-right), num(y), num(y), r.Color)
	}
	if len(c.Bars) > 0 {
		s, k := c.bars()
		b.WriteString(s)
		n += k
	}
	for _, l := range c.Lines {
		s, k := c.line(l)
		b.WriteString(s)
		n += k
	}
	for _, d := range c.Dots {
		if finite(d.X) && finite(d.Y) {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s" fill-opacity="0.6"/>`, num(c.x(d.X)), num(c.y(d.Y)), c.DotColor)
			n++
		}
	}
	return b.String(), n
}

// line draws one series as a path, breaking it at missing points.
func (c Chart) line(l Line) (string, int) {
	var d strings.Builder
	n, pen := 0, false
	for i := range l.X {
		if i >= len(l.Y) || !finite(l.Y[i]) || !finite(l.X[i]) {
			pen = false
			continue
		}
		op := "L"
		if !pen {
			op = "M"
		}
		fmt.Fprintf(&d, "%s%s %s ", op, num(c.x(l.X[i])), num(c.y(l.Y[i])))
		pen = true
		n++
	}
	if n == 0 {
		return "", 0
	}
	return fmt.Sprintf(`<path class="series" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(d.String()), l.Color), n
}

// bars draws the bars in equal slots, each with its label below and its note above.
func (c Chart) bars() (string, int) {
	var b strings.Builder
	b.WriteString(`<g class="bars" font-size="12">`)
	slot := (c.Width - left - right) / float64(len(c.Bars))
	base := c.y(max(c.Y.Min, 0))
	n := 0
	for i, bar := range c.Bars {
		x := left + float64(i)*slot
		cx := x + slot/2
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(cx), num(c.Height-bottom+16), esc(bar.Label))
		if !finite(bar.Value) {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">no data</text>`, num(cx), num(base-6))
			continue
		}
		y := c.y(bar.Value)
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(x+slot*0.2), num(min(y, base)), num(slot*0.6), num(math.Abs(base-y)), bar.Color)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-weight="bold">%s</text>`, num(cx), num(min(y, base)-6), esc(bar.Note))
		n++
	}
	b.WriteString(`</g>`)
	return b.String(), n
}

// axes draws the frame, ticks, grid and axis titles.
func (c Chart) axes() string {
	var b strings.Builder
	x0, x1, y0, y1 := left, c.Width-right, top, c.Height-bottom
	fmt.Fprintf(&b, `<g class="axes" font-size="11" fill="%s">`, Black)
	fmt.Fprintf(&b, `<path d="M%s %s V%s H%s" fill="none" stroke="%s"/>`, num(x0), num(y0), num(y1), num(x1), Black)
	for _, t := range c.Y.Ticks {
		y := c.y(t.V)
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#ccc"/>`, num(x0), num(x1), num(y), num(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(x0-4), num(y+4), esc(t.Text))
	}
	for _, t := range c.X.Ticks {
		x := c.x(t.V)
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(x), num(x), num(y1), num(y1+4), Black)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(y1+16), esc(t.Text))
	}
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num((x0+x1)/2), num(c.Height-6), esc(c.X.Title))
	fmt.Fprintf(&b, `<text transform="translate(12 %s) rotate(-90)" text-anchor="middle">%s</text>`, num((y0+y1)/2), esc(c.Y.Title))
	b.WriteString(`</g>`)
	return b.String()
}

// legend draws the legend along the top.
func (c Chart) legend() string {
	var b strings.Builder
	b.WriteString(`<g class="legend" font-size="11">`)
	x := left
	for _, it := range c.Legend {
		if it.Dashed {
			fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="13" y2="13" stroke="%s" stroke-width="2" stroke-dasharray="4 2"/>`, num(x), num(x+14), it.Color)
		} else {
			fmt.Fprintf(&b, `<rect x="%s" y="8" width="14" height="10" fill="%s"/>`, num(x), it.Color)
		}
		fmt.Fprintf(&b, `<text x="%s" y="17">%s</text>`, num(x+18), esc(it.Name))
		x += 30 + 6.5*float64(len([]rune(it.Name)))
	}
	b.WriteString(`</g>`)
	return b.String()
}

// x maps a value on the X axis to SVG units.
func (c Chart) x(v float64) float64 {
	return scale(v, c.X.Min, c.X.Max, left, c.Width-right)
}

// y maps a value on the Y axis to SVG units (up is larger).
func (c Chart) y(v float64) float64 {
	return scale(v, c.Y.Min, c.Y.Max, c.Height-bottom, top)
}

// scale maps v from [a, b] to [from, to]; a degenerate range maps to the middle.
func scale(v, a, b, from, to float64) float64 {
	if b == a {
		return (from + to) / 2
	}
	return from + (v-a)/(b-a)*(to-from)
}

// NiceTicks returns about n round values covering [lo, hi], labelled by format.
func NiceTicks(lo, hi float64, n int, format func(float64) string) []Tick {
	if !(hi > lo) || n < 1 {
		return []Tick{{V: lo, Text: format(lo)}}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []Tick
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+step*1e-9; v += step {
		v = math.Round(v/step) * step
		if v == 0 {
			v = 0 // not -0
		}
		out = append(out, Tick{V: v, Text: format(v)})
	}
	return out
}

// Span returns the range of the finite values, widened by pad (a share of the range) and
// to at least width; ok is false when there is none.
func Span(vals []float64, pad, width float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return 0, 1, false
	}
	if d := width - (hi - lo); d > 0 {
		lo, hi = lo-d/2, hi+d/2
	}
	p := (hi - lo) * pad
	return lo - p, hi + p, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// num writes an SVG coordinate with at most two decimals.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

func esc(s string) string { return html.EscapeString(s) }
