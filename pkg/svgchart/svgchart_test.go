package svgchart

import (
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// element is a parsed SVG element, with its attributes and children's text.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parse checks that s is well-formed XML and returns its elements in order.
func parse(t *testing.T, s string) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	var out []element
	var open []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "well-formed SVG")
		switch tk := tok.(type) {
		case xml.StartElement:
			e := element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			open = append(open, len(out)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(tk)
			}
		}
	}
	require.Empty(t, open)
	return out
}

func find(es []element, name string) []element {
	var out []element
	for _, e := range es {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

func TestLineChart(t *testing.T) {
	nan := math.NaN()
	c := Chart{
		Label: `SLI <of> "checkout" & more`,
		Width: 640, Height: 260,
		X:      Axis{Title: "time (UTC)", Min: 0, Max: 4, Ticks: []Tick{{0, "Mon"}, {4, "Fri"}}},
		Y:      Axis{Title: "SLI (%)", Min: 0.9, Max: 1, Ticks: []Tick{{0.9, "90 %"}, {1, "100 %"}}},
		Lines:  []Line{{Name: "SLI", Color: Blue, X: []float64{0, 1, 2, 3, 4}, Y: []float64{1, 0.95, nan, 0.92, 0.9}}},
		Refs:   []Ref{{Name: "objective", Y: 0.95, Color: Black}},
		Legend: []LegendItem{{Name: "SLI", Color: Blue}, {Name: "objective", Color: Black}},
	}
	es := parse(t, c.SVG())
	root := es[0]
	require.Equal(t, "svg", root.name)
	require.Equal(t, "chart", root.attrs["class"])
	require.Equal(t, "img", root.attrs["role"])
	require.Equal(t, c.Label, root.attrs["aria-label"], "the label is escaped and reads back the same")
	require.Equal(t, "4", root.attrs["data-points"], "the missing point is not drawn")
	require.Equal(t, c.Label, find(es, "title")[0].text)

	paths := find(es, "path")
	var series []element
	for _, p := range paths {
		if p.attrs["class"] == "series" {
			series = append(series, p)
		}
	}
	require.Len(t, series, 1)
	d := series[0].attrs["d"]
	require.Equal(t, 2, strings.Count(d, "M"), "the line breaks at the missing point: %s", d)
	// (0, 1) is the top left corner of the plot; (4, 0.9) the bottom right.
	require.True(t, strings.HasPrefix(d, "M64 28 "), d)
	require.True(t, strings.HasSuffix(d, "L612 216"), d)

	ref := find(es, "line")
	var objective []element
	for _, l := range ref {
		if l.attrs["class"] == "ref" {
			objective = append(objective, l)
		}
	}
	require.Len(t, objective, 1)
	require.Equal(t, "122", objective[0].attrs["y1"], "0.95 is half way up")

	var texts []string
	for _, e := range find(es, "text") {
		texts = append(texts, e.text)
	}
	for _, want := range []string{"Mon", "Fri", "90 %", "100 %", "time (UTC)", "SLI (%)", "SLI", "objective"} {
		require.Contains(t, texts, want)
	}
	require.NotContains(t, texts, "no data")
}

func TestBarChart(t *testing.T) {
	c := Chart{
		Label: "months", Width: 640, Height: 260,
		Y: Axis{Title: "SLI (%)", Min: 0.99, Max: 1},
		Bars: []Bar{{Label: "2026-01", Value: 0.995, Note: "met", Color: Green}, {Label: "2026-02", Value: 0.992, Note: "missed", Color: Vermilion},
			{Label: "2026-03", Value: math.NaN(), Note: "met", Color: Green}},
		Refs: []Ref{{Y: 0.994, Color: Black}},
	}
	es := parse(t, c.SVG())
	require.Equal(t, "2", es[0].attrs["data-points"])
	rects := find(es, "rect")
	require.Len(t, rects, 2)
	require.Equal(t, Green, rects[0].attrs["fill"])
	require.Equal(t, Vermilion, rects[1].attrs["fill"])
	// The bars stand on the axis: 0.995 is half the plot's height (188) high.
	require.Equal(t, "94", rects[0].attrs["height"])
	require.Equal(t, "216", num(mustFloat(t, rects[0].attrs["y"])+mustFloat(t, rects[0].attrs["height"])))
	var texts []string
	for _, e := range find(es, "text") {
		texts = append(texts, e.text)
	}
	for _, want := range []string{"2026-01", "2026-02", "2026-03", "met", "missed", "no data"} {
		require.Contains(t, texts, want)
	}
}

func TestScatterAndNoData(t *testing.T) {
	c := Chart{Label: "happiness", Width: 640, Height: 260, X: Axis{Min: 0, Max: 1}, Y: Axis{Min: 0, Max: 10}, DotColor: Blue,
		Dots: []Dot{{0.5, 5}, {1, 10}, {math.NaN(), 3}}}
	es := parse(t, c.SVG())
	require.Equal(t, "2", es[0].attrs["data-points"])
	circles := find(es, "circle")
	require.Len(t, circles, 2)
	require.Equal(t, "338", circles[0].attrs["cx"])
	require.Equal(t, "122", circles[0].attrs["cy"])

	empty := parse(t, Chart{Label: "nothing", Lines: []Line{{X: []float64{1, 2}, Y: []float64{math.NaN(), math.NaN()}}}}.SVG())
	require.Equal(t, "0", empty[0].attrs["data-points"])
	require.Regexp(t, regexp.MustCompile(`no data`), find(empty, "text")[len(find(empty, "text"))-1].text)
}

func TestNiceTicks(t *testing.T) {
	format := func(v float64) string { return num(v) }
	for _, tc := range []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0.993, 1, []float64{0.994, 0.996, 0.998, 1}},
		{-1.6, 1.05, []float64{-1, 0, 1}},
		{3, 3, []float64{3}},
	} {
		var got []float64
		for _, tk := range NiceTicks(tc.lo, tc.hi, 5, format) {
			got = append(got, tk.V)
			require.False(t, math.Signbit(tk.V) && tk.V == 0, "no -0")
		}
		require.InDeltaSlice(t, tc.want, got, 1e-12, "%v..%v", tc.lo, tc.hi)
	}
}

func TestSpan(t *testing.T) {
	lo, hi, ok := Span([]float64{0.99, math.NaN(), 0.995}, 0.1, 0)
	require.True(t, ok)
	require.InDelta(t, 0.9895, lo, 1e-12)
	require.InDelta(t, 0.9955, hi, 1e-12)
	lo, hi, ok = Span([]float64{0.999}, 0, 0.002)
	require.True(t, ok)
	require.InDelta(t, 0.998, lo, 1e-12)
	require.InDelta(t, 1.0, hi, 1e-12)
	_, _, ok = Span([]float64{math.NaN()}, 0.1, 0)
	require.False(t, ok)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}
