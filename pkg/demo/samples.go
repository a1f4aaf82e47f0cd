package demo

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
)

// Sampled is one series as a scraper stored it: samples at arbitrary times.
type Sampled struct {
	Metric string
	Labels map[string]string
	Kind   Kind
	// T holds the sample times in milliseconds since the epoch, strictly increasing.
	T []int64
	// V holds the sample values; V[i] was taken at T[i].
	V []float64
}

// Samples is a set of series with samples at arbitrary times, as a metrics source holds
// them, together with the history whose events are the truth.
type Samples struct {
	Series []*Sampled
	// Truth is the event model the samples were taken from (its Events are the truth).
	Truth *History
}

// Sampled returns h's own samples (on its grid, gaps left out) as a sample set.
func (h *History) Sampled() *Samples {
	out := &Samples{Truth: h}
	for _, s := range h.Series {
		ss := &Sampled{Metric: s.Metric, Labels: s.Labels, Kind: s.Kind}
		for i, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			ss.T = append(ss.T, h.Time(i).UnixMilli())
			ss.V = append(ss.V, v)
		}
		out.Series = append(out.Series, ss)
	}
	return out
}

// Span returns the first and last sample time of the set, in milliseconds.
func (s *Samples) Span() (first, last int64) {
	first, last = math.MaxInt64, math.MinInt64
	for _, ss := range s.Series {
		if len(ss.T) == 0 {
			continue
		}
		first = min(first, ss.T[0])
		last = max(last, ss.T[len(ss.T)-1])
	}
	return first, last
}

// asSeries returns a Series value carrying the metric, labels and kind of ss, for naming.
func (ss *Sampled) asSeries() *Series {
	return &Series{Metric: ss.Metric, Labels: ss.Labels, Kind: ss.Kind}
}

// sorted returns the series ordered as in WriteOpenMetrics.
func (s *Samples) sorted() []*Sampled {
	series := append([]*Sampled(nil), s.Series...)
	sort.SliceStable(series, func(a, b int) bool {
		return seriesKey(series[a].asSeries()) < seriesKey(series[b].asSeries())
	})
	return series
}

// WriteOpenMetrics writes the set as OpenMetrics text (timestamps in seconds with
// millisecond decimals), for promtool tsdb create-blocks-from openmetrics.
func (s *Samples) WriteOpenMetrics(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	lastFam := ""
	buf := make([]byte, 0, 256)
	for _, ss := range s.sorted() {
		fam, typ := family(ss.asSeries())
		if fam != lastFam {
			bw.WriteString("# TYPE " + fam + " " + typ + "\n")
			lastFam = fam
		}
		prefix := ss.Metric + labelString(ss.Labels) + " "
		for i, v := range ss.V {
			buf = append(buf[:0], prefix...)
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
			buf = append(buf, ' ')
			buf = appendSeconds(buf, ss.T[i])
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// appendSeconds appends ms as seconds with up to three decimals.
func appendSeconds(buf []byte, ms int64) []byte {
	buf = strconv.AppendInt(buf, floorDiv(ms, 1000), 10)
	if frac := ms - floorDiv(ms, 1000)*1000; frac != 0 {
		buf = append(buf, '.')
		f := strconv.AppendInt(nil, 1000+frac, 10)[1:]
		for len(f) > 0 && f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		buf = append(buf, f...)
	}
	return buf
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// WritePrometheusText writes the set as Prometheus text exposition lines with timestamps
// in milliseconds and no TYPE lines, the format of VictoriaMetrics' /api/v1/import/prometheus.
func (s *Samples) WritePrometheusText(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 256)
	for _, ss := range s.sorted() {
		prefix := ss.Metric + labelString(ss.Labels) + " "
		for i, v := range ss.V {
			buf = append(buf[:0], prefix...)
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, ss.T[i], 10)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
