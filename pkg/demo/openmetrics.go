package demo

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// family returns the metric family name and type of s as written in "# TYPE" lines.
func family(s *Series) (string, string) {
	if s.Kind == Gauge {
		return s.Metric, "gauge"
	}
	for _, suf := range []string{"_bucket", "_count", "_sum"} {
		if strings.HasSuffix(s.Metric, suf) && strings.HasPrefix(s.Metric, "http_request_duration_seconds") {
			return strings.TrimSuffix(s.Metric, suf), "histogram"
		}
	}
	return strings.TrimSuffix(s.Metric, "_total"), "counter"
}

// labelString renders labels sorted by name in exposition syntax, e.g. {a="1",b="2"}.
func labelString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteString(`="`)
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(labels[k])
		b.WriteString(v)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// seriesKey orders series by family, then _bucket/_count/_sum, then metric name and labels.
func seriesKey(s *Series) string {
	fam, _ := family(s)
	return fam + "\x00" + s.Metric + labelString(s.Labels)
}

// WriteOpenMetrics writes h as OpenMetrics text with timestamps in seconds, series sorted, ending in "# EOF".
func (h *History) WriteOpenMetrics(w io.Writer) error {
	series := append([]*Series(nil), h.Series...)
	sort.SliceStable(series, func(a, b int) bool { return seriesKey(series[a]) < seriesKey(series[b]) })
	bw := bufio.NewWriterSize(w, 1<<20)
	lastFam := ""
	buf := make([]byte, 0, 256)
	for _, s := range series {
		fam, typ := family(s)
		if fam != lastFam {
			bw.WriteString("# TYPE " + fam + " " + typ + "\n")
			lastFam = fam
		}
		prefix := s.Metric + labelString(s.Labels) + " "
		for i, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			buf = append(buf[:0], prefix...)
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, h.Time(i).Unix(), 10)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}
