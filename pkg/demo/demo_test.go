package demo

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	defOnce sync.Once
	defHist *History
)

// def returns the default history, generated once per test process.
func def() *History {
	defOnce.Do(func() { defHist = Generate(Default()) })
	return defHist
}

var (
	checkout = map[string]string{"job": "checkout"}
	errs500  = map[string]string{"job": "checkout", "code": "500"}
)

func digest(h *History) [32]byte {
	d := sha256.New()
	for _, s := range h.Series {
		d.Write([]byte(s.Metric + labelString(s.Labels)))
		for _, v := range s.Values {
			binary.Write(d, binary.LittleEndian, math.Float64bits(v))
		}
		for _, v := range s.Events {
			binary.Write(d, binary.LittleEndian, math.Float64bits(v))
		}
	}
	var out [32]byte
	copy(out[:], d.Sum(nil))
	return out
}

func TestDeterministic(t *testing.T) {
	if digest(Generate(Default())) != digest(def()) {
		t.Fatal("two generations of the default history differ")
	}
	other := Default()
	other.Seed++
	if digest(Generate(other)) == digest(def()) {
		t.Fatal("a different seed gave the same history")
	}
}

func TestShape(t *testing.T) {
	h := def()
	if h.Len != 75*1440+1 || h.Step != time.Minute || len(h.Series) != 13 {
		t.Fatalf("len %d step %v series %d", h.Len, h.Step, len(h.Series))
	}
	if !h.End().Equal(time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)) || h.Start.Unix()%60 != 0 {
		t.Fatalf("span %v..%v", h.Start, h.End())
	}
	if h.Find("http_requests_total", checkout) != nil {
		t.Fatal("Find must match the label set exactly")
	}
	if h.Find("http_requests_total", errs500) == nil || h.Find("probe_success", map[string]string{"job": "blackbox", "instance": "checkout"}) == nil {
		t.Fatal("Find missed a series")
	}
}

func inGap(t time.Time) bool { return t.After(GapStart) && t.Before(GapEnd) }

// TestCounterConsistency checks that counter values are the cumulated events, with the reset and gap.
func TestCounterConsistency(t *testing.T) {
	h := def()
	reset := h.index(Reset)
	g0, g1 := h.index(GapStart), h.index(GapEnd)
	if reset <= 0 || g0 <= 0 || g1 <= g0 {
		t.Fatal("scenario times not on the grid")
	}
	for _, s := range h.Series {
		name := s.Metric + labelString(s.Labels)
		co := s.Labels["job"] == "checkout"
		if s.Kind == Gauge {
			if s.Events != nil {
				t.Errorf("%s: gauge with events", name)
			}
			for i, v := range s.Values {
				if inGap(h.Time(i)) != math.IsNaN(v) || !math.IsNaN(v) && v != 0 && v != 1 {
					t.Fatalf("%s[%d] = %v", name, i, v)
				}
			}
			continue
		}
		if s.Events[0] != 0 || s.Values[0] != 0 {
			t.Errorf("%s: first sample %v/%v", name, s.Values[0], s.Events[0])
		}
		v := 0.0
		for i := 0; i < h.Len; i++ {
			if s.Events[i] < 0 {
				t.Fatalf("%s: negative events at %d", name, i)
			}
			if co && i == reset {
				v = 0
			}
			v += s.Events[i]
			got := s.Values[i]
			switch {
			case co && inGap(h.Time(i)):
				if !math.IsNaN(got) {
					t.Fatalf("%s: sample at %v inside the gap", name, h.Time(i))
				}
			case math.IsNaN(got):
				t.Fatalf("%s: missing sample at %v", name, h.Time(i))
			case math.Abs(got-v) > 1e-9*math.Max(1, v):
				t.Fatalf("%s[%d] = %v, cumulated events %v", name, i, got, v)
			}
		}
		if co {
			if !(s.Values[reset] < s.Values[reset-1]) {
				t.Errorf("%s: no visible drop at the reset (%v -> %v)", name, s.Values[reset-1], s.Values[reset])
			}
			if s.Values[g1] != s.Values[g0] {
				t.Errorf("%s: value changed across the gap", name)
			}
			for i := g0 + 1; i <= g1; i++ {
				if s.Events[i] != 0 {
					t.Fatalf("%s: traffic in the gap at %v", name, h.Time(i))
				}
			}
		}
	}
}

func TestHistogramConsistency(t *testing.T) {
	h := def()
	ok := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "200"})
	bad := h.Find("http_requests_total", errs500)
	count := h.Find("http_request_duration_seconds_count", checkout)
	sum := h.Find("http_request_duration_seconds_sum", checkout)
	var buckets []*Series
	for _, le := range bucketBounds {
		buckets = append(buckets, h.Find("http_request_duration_seconds_bucket", map[string]string{"job": "checkout", "le": le}))
	}
	for i := 0; i < h.Len; i++ {
		if count.Events[i] != ok.Events[i]+bad.Events[i] || buckets[4].Events[i] != count.Events[i] {
			t.Fatalf("step %d: count %v, requests %v, +Inf %v", i, count.Events[i], ok.Events[i]+bad.Events[i], buckets[4].Events[i])
		}
		if buckets[4].Values[i] != count.Values[i] && !math.IsNaN(count.Values[i]) {
			t.Fatalf("step %d: +Inf %v != count %v", i, buckets[4].Values[i], count.Values[i])
		}
		for b := 1; b < len(buckets); b++ {
			if buckets[b].Events[i] < buckets[b-1].Events[i] || buckets[b].Values[i] < buckets[b-1].Values[i] {
				t.Fatalf("step %d: bucket %s below bucket %s", i, bucketBounds[b], bucketBounds[b-1])
			}
		}
		if lo, hi := 0.05*count.Events[i], 2*count.Events[i]; sum.Events[i] < lo-1e-9 || sum.Events[i] > hi+1e-9 {
			t.Fatalf("step %d: sum %v out of [%v, %v]", i, sum.Events[i], lo, hi)
		}
	}
	// Slow during incidents: under 60 % within 0.25 s, against about 90 % normally.
	in := checkoutIncidents[0]
	fast := h.True("http_request_duration_seconds_bucket", map[string]string{"le": "0.25"}, in.Start, in.Start.Add(in.Dur))
	all := h.True("http_request_duration_seconds_count", nil, in.Start, in.Start.Add(in.Dur))
	if fast/all > 0.6 {
		t.Errorf("incident not slow: %v", fast/all)
	}
}

func TestTrue(t *testing.T) {
	h := def()
	s := h.Find("http_requests_total", errs500)
	sum := func(lo, hi int) float64 {
		var x float64
		for i := max(lo, 0); i <= min(hi, h.Len-1); i++ {
			x += s.Events[i]
		}
		return x
	}
	for _, c := range []struct {
		from, to time.Time
		lo, hi   int
	}{
		{h.Time(0), h.Time(60), 1, 60},
		{h.Time(100), h.Time(100), 1, 0},
		{h.Time(100).Add(30 * time.Second), h.Time(200).Add(59 * time.Second), 101, 200},
		{h.Start.Add(-time.Hour), h.Time(10), 0, 10},
		{h.Time(h.Len - 10), h.End().Add(time.Hour), h.Len - 9, h.Len - 1},
		{h.Start.Add(-48 * time.Hour), h.End().Add(48 * time.Hour), 0, h.Len - 1},
		{Reset.Add(-30 * time.Minute), Reset.Add(30 * time.Minute), h.index(Reset) - 29, h.index(Reset) + 30},
	} {
		if got, want := h.True("http_requests_total", map[string]string{"code": "500"}, c.from, c.to), sum(c.lo, c.hi); got != want {
			t.Errorf("True(%v, %v) = %v, want %v", c.from, c.to, got, want)
		}
	}
	// A label subset sums the matching counters.
	from, to := h.Time(1000), h.Time(5000)
	both := h.True("http_requests_total", checkout, from, to)
	if ok := h.True("http_requests_total", map[string]string{"code": "200"}, from, to); both != ok+h.True("http_requests_total", errs500, from, to) {
		t.Error("label subset does not sum both codes")
	}
	if h.True("probe_success", nil, from, to) != 0 || h.True("nope", nil, from, to) != 0 {
		t.Error("gauges and unknown metrics must have no events")
	}
	if h.True("http_requests_total", checkout, GapStart, GapEnd) != 0 {
		t.Error("traffic in the gap")
	}
}

// TestFigures pins the figures documented in the package comment.
func TestFigures(t *testing.T) {
	h := def()
	d := func(s string) time.Time { return at(s + "T00:00:00Z") }
	for _, c := range []struct {
		from, to         time.Time
		requests, errors float64
	}{
		{d("2025-12-31"), d("2026-01-01"), 4320018, 2203},
		{d("2026-01-01"), d("2026-02-01"), 133916473, 292676},
		{d("2026-02-01"), d("2026-03-01"), 120969262, 664341},
		{d("2026-03-01"), d("2026-03-16"), 63718892, 31913},
		{h.Start, h.End(), 322924645, 991133},
		{at("2026-01-14T09:00:00Z"), at("2026-01-14T11:00:00Z"), 415200, 82994},
		{Outage, Outage.Add(30 * time.Minute), 142797, 142797},
	} {
		req, bad := h.True("http_requests_total", checkout, c.from, c.to), h.True("http_requests_total", errs500, c.from, c.to)
		if req != c.requests || bad != c.errors {
			t.Errorf("checkout (%v, %v]: %v requests %v errors, documented %v %v", c.from, c.to, req, bad, c.requests, c.errors)
		}
	}
	for le, want := range map[string]float64{"0.1": 224001412, "0.25": 288840425, "0.5": 312110926, "1": 319233351} {
		if got := h.True("http_request_duration_seconds_bucket", map[string]string{"le": le}, h.Start, h.End()); got != want {
			t.Errorf("le=%s: %v, documented %v", le, got, want)
		}
	}
	if r, e := h.True("search_requests_total", nil, h.Start, h.End()), h.True("search_errors_total", nil, h.Start, h.End()); r != 81014701 || e != 122347 {
		t.Errorf("search: %v %v", r, e)
	}
	if tk := h.True("support_tickets_total", nil, h.Start, h.End()); tk != 23735 {
		t.Errorf("tickets: %v", tk)
	}
	var samples, good float64
	for _, v := range h.Find("probe_success", map[string]string{"job": "blackbox", "instance": "checkout"}).Values {
		if !math.IsNaN(v) {
			samples++
			good += v
		}
	}
	if samples != 107642 || good != 107432 {
		t.Errorf("probe: %v samples, %v good", samples, good)
	}
	// Search errors never exceed search requests.
	sr, se := h.Find("search_requests_total", map[string]string{"job": "search"}), h.Find("search_errors_total", map[string]string{"job": "search"})
	for i := range sr.Events {
		if se.Events[i] > sr.Events[i] {
			t.Fatalf("step %d: more search errors than requests", i)
		}
	}
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestTicketsLagOneHour(t *testing.T) {
	h := def()
	var errsPerHour, ticketsPerHour []float64
	for from := h.Start; from.Before(h.End()); from = from.Add(time.Hour) {
		errsPerHour = append(errsPerHour, h.True("http_requests_total", errs500, from, from.Add(time.Hour)))
		ticketsPerHour = append(ticketsPerHour, h.True("support_tickets_total", nil, from, from.Add(time.Hour)))
	}
	n := len(errsPerHour)
	corr := func(lag int) float64 { return pearson(errsPerHour[:n-lag], ticketsPerHour[lag:]) }
	c0, c1, c2 := corr(0), corr(1), corr(2)
	if c1 < 0.9 || c1 <= c0 || c1 <= c2 {
		t.Errorf("correlation by lag 0/1/2 h: %.3f %.3f %.3f; want the best at 1 h and > 0.9", c0, c1, c2)
	}
}

var lineRE = regexp.MustCompile(`^[a-z_]+\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\} -?[0-9.]+ [0-9]+$`)

func TestWriteOpenMetrics(t *testing.T) {
	h := def()
	var buf bytes.Buffer
	if err := h.WriteOpenMetrics(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if !strings.HasSuffix(text, "\n# EOF\n") || !strings.HasPrefix(text, "# TYPE http_request_duration_seconds histogram\n") {
		t.Fatalf("bad start or end: %q ... %q", text[:60], text[len(text)-60:])
	}
	for _, want := range []string{
		"\n# TYPE http_requests counter\nhttp_requests_total{code=\"200\",job=\"checkout\"} 0 1767139200\n",
		"\n# TYPE probe_success gauge\nprobe_success{instance=\"checkout\",job=\"blackbox\"} 1 1767139200\n",
		"\n# TYPE support_tickets counter\n",
		"\nhttp_request_duration_seconds_bucket{job=\"checkout\",le=\"+Inf\"} 0 1767139200\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	samples, types, prev := 0, 0, ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# TYPE "):
			types++
		case line == "# EOF":
		case lineRE.MatchString(line):
			samples++
			series := line[:strings.IndexByte(line, '}')+1]
			if series < prev && !strings.HasPrefix(prev, "http_request_duration_seconds") {
				t.Fatalf("series not sorted: %s after %s", series, prev)
			}
			prev = series
		default:
			t.Fatalf("bad line %q", line)
		}
	}
	want := 0
	for _, s := range h.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				want++
			}
		}
	}
	if samples != want || types != 6 {
		t.Errorf("%d samples (want %d), %d TYPE lines (want 6)", samples, want, types)
	}
	t.Logf("OpenMetrics text: %d bytes, %d samples", buf.Len(), samples)

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not on PATH, and CI=true")
		}
		t.Skip("promtool not on PATH: skipping the backfill check")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.om")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=2400h", file, filepath.Join(dir, "blocks")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	t.Logf("promtool backfill took %v", time.Since(start))
	blocks, _ := filepath.Glob(filepath.Join(dir, "blocks", "*", "meta.json"))
	if len(blocks) == 0 {
		t.Fatalf("promtool wrote no blocks:\n%s", out)
	}
}
