package vmtest

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/demo"
)

// base is the hour the hand-written samples start in.
var base = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// oddSamples is two counters scraped every 15 s at +7.345 s past base, with a few ms of
// jitter, for three hours; b_total resets (to a small value) after two hours.
func oddSamples() *demo.Samples {
	b0 := base.UnixMilli()
	a := &demo.Sampled{Metric: "a_total", Labels: map[string]string{"job": "odd"}, Kind: demo.Counter}
	b := &demo.Sampled{Metric: "b_total", Labels: map[string]string{"job": "odd"}, Kind: demo.Counter}
	for k := int64(0); k < 720; k++ {
		t := b0 + 7345 + k*15000 + (k*37)%23
		a.T, a.V = append(a.T, t), append(a.V, 100+float64(3*k)+0.25)
		b.T = append(b.T, t+1)
		if k < 480 {
			b.V = append(b.V, float64(5*k))
		} else {
			b.V = append(b.V, float64(2*(k-480)+1))
		}
	}
	return &demo.Samples{Series: []*demo.Sampled{a, b}}
}

type point struct {
	t int64 // ms
	v float64
}

// get calls the API and decodes its JSON answer into out; it returns the HTTP status.
func get(t *testing.T, s *Server, path string, params url.Values, out any) int {
	t.Helper()
	resp, err := http.Get(s.URL + path + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %s: %v", path, resp.Status, err)
	}
	return resp.StatusCode
}

func secs(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// queryRange runs a range query and returns the points of each series by metric name.
func queryRange(t *testing.T, s *Server, q string, start, end time.Time, step time.Duration) map[string][]point {
	t.Helper()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	get(t, s, "/api/v1/query_range", url.Values{"query": {q}, "start": {secs(start.UnixMilli())}, "end": {secs(end.UnixMilli())}, "step": {step.String()}}, &body)
	if body.Status != "success" {
		t.Fatalf("%s: %s", q, body.Error)
	}
	out := map[string][]point{}
	for _, r := range body.Data.Result {
		name := r.Metric["__name__"]
		for _, p := range r.Values {
			v, err := strconv.ParseFloat(p[1].(string), 64)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], point{int64(math.Round(p[0].(float64) * 1000)), v})
		}
	}
	return out
}

// instant runs an instant query and returns the value of each series by metric name
// (the query keeps the names with VictoriaMetrics' keep_metric_names).
func instant(t *testing.T, s *Server, q string, at time.Time) map[string]float64 {
	t.Helper()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	get(t, s, "/api/v1/query", url.Values{"query": {q}, "time": {secs(at.UnixMilli())}}, &body)
	if body.Status != "success" {
		t.Fatalf("%s: %s", q, body.Error)
	}
	out := map[string]float64{}
	for _, r := range body.Data.Result {
		v, err := strconv.ParseFloat(r.Value[1].(string), 64)
		if err != nil {
			t.Fatal(err)
		}
		out[r.Metric["__name__"]] = v
	}
	return out
}

// lastIn returns the last sample of ss in (from, to], or false.
func lastIn(ss *demo.Sampled, from, to int64) (point, bool) {
	for i := len(ss.T) - 1; i >= 0; i-- {
		if ss.T[i] <= to {
			if ss.T[i] > from {
				return point{ss.T[i], ss.V[i]}, true
			}
			break
		}
	}
	return point{}, false
}

func TestImportedSamplesAndSemantics(t *testing.T) {
	samples := oddSamples()
	s := Start(t, samples)
	if s.Samples != samples {
		t.Fatal("Server.Samples is not the imported set")
	}
	byName := map[string]*demo.Sampled{}
	for _, ss := range samples.Series {
		byName[ss.Metric] = ss
	}

	// (a) last_over_time over a range query at a step that is not a multiple of the
	// scrape interval, from an odd start: each point is the last sample in (t-1h, t].
	start, end, step := base.Add(-10*time.Minute+1234*time.Millisecond), base.Add(4*time.Hour), 7*time.Minute
	got := queryRange(t, s, `last_over_time({job="odd"}[1h])`, start, end, step)
	for name, ss := range byName {
		var want []point
		for at := start; !at.After(end); at = at.Add(step) {
			if p, ok := lastIn(ss, at.Add(-time.Hour).UnixMilli(), at.UnixMilli()); ok {
				want = append(want, point{at.UnixMilli(), p.v})
			}
		}
		if len(got[name]) != len(want) {
			t.Fatalf("last_over_time %s: %d points, want %d:\n%v\n%v", name, len(got[name]), len(want), got[name], want)
		}
		for i := range want {
			if got[name][i] != want[i] {
				t.Errorf("last_over_time %s point %d: %v, want %v", name, i, got[name][i], want[i])
			}
		}
	}

	// Range queries of 11,000 points per series (Prometheus' limit) pass.
	long := queryRange(t, s, `last_over_time(a_total[1h])`, base.Add(time.Minute), base.Add(time.Minute+10999*time.Second), time.Second)
	if n := len(long["a_total"]); n != 11000 {
		t.Errorf("an 11,000-point range query returned %d points", n)
	}

	// (b) increase(x[1m]) reads from the last sample before the range and does not
	// extrapolate: at any instant it is the growth from the last sample at or before t-1m
	// to the last sample at or before t, a counter reset counting the new value as growth.
	increase := func(ss *demo.Sampled, from, to int64) float64 {
		prev := math.NaN()
		sum := 0.0
		for i, tm := range ss.T {
			if tm > to {
				break
			}
			if tm <= from {
				prev = ss.V[i]
				continue
			}
			switch {
			case math.IsNaN(prev):
			case ss.V[i] < prev:
				sum += ss.V[i]
			default:
				sum += ss.V[i] - prev
			}
			prev = ss.V[i]
		}
		return sum
	}
	checked := 0
	for at := base.Add(5 * time.Minute); at.Before(base.Add(3 * time.Hour)); at = at.Add(4*time.Minute + 1111*time.Millisecond) {
		vals := instant(t, s, `increase({job="odd"}[1m]) keep_metric_names`, at)
		for name, ss := range byName {
			want := increase(ss, at.Add(-time.Minute).UnixMilli(), at.UnixMilli())
			if g, ok := vals[name]; !ok || math.Abs(g-want) > 1e-9 {
				t.Errorf("increase(%s[1m]) at %s: %v (present %v), want %v", name, at.Format(time.RFC3339Nano), g, ok, want)
			}
			checked++
		}
	}
	// Right at the reset, in a range that holds one sample only: the growth from the
	// sample before is 5*479 -> 1, counted as 1.
	reset := byName["b_total"].T[480]
	vals := instant(t, s, `increase(b_total[10s]) keep_metric_names`, time.UnixMilli(reset))
	if vals["b_total"] != 1 {
		t.Errorf("increase(b_total[10s]) at the reset: %v, want 1", vals["b_total"])
	}
	// A window holding one sample, 8 s after the one before it: Prometheus would have no
	// value (it needs two samples in the range); VictoriaMetrics gives the growth since the
	// previous sample.
	a := byName["a_total"]
	vals = instant(t, s, `increase(a_total[10s]) keep_metric_names`, time.UnixMilli(a.T[100]+2))
	if vals["a_total"] != a.V[100]-a.V[99] {
		t.Errorf("increase(a_total[10s]) around one sample: %v, want %v", vals["a_total"], a.V[100]-a.V[99])
	}
	t.Logf("checked %d increase values", checked)
	// A range with no sample has no value, though a sample before it exists.
	if vals := instant(t, s, `increase({job="odd"}[5s]) keep_metric_names`, time.UnixMilli(a.T[100]+6000)); len(vals) != 0 {
		t.Errorf("increase over an empty 5s range: %v, want no value", vals)
	}
	// At the start of a series (no sample before the range) VictoriaMetrics guesses: a
	// first value small next to the growth that follows counts from 0 (b_total: 0 then 5),
	// a large one is only the base (a_total: 100.25 then 103.25 gives 3, not 103.25).
	first := instant(t, s, `increase({job="odd"}[1m]) keep_metric_names`, base.Add(30*time.Second))
	if first["a_total"] != 3 || first["b_total"] != 5 {
		t.Errorf("increase over the first two samples: %v, want a_total 3, b_total 5", first)
	}
	// rate() divides that growth by the time between the two samples it spans, not by the
	// range: 12 over 60.002 s here (Prometheus would extrapolate and divide by 60 s).
	at := time.UnixMilli(a.T[200])
	wantRate := (a.V[200] - a.V[196]) / (float64(a.T[200]-a.T[196]) / 1000)
	if got := instant(t, s, `rate(a_total[1m]) keep_metric_names`, at)["a_total"]; math.Abs(got-wantRate) > 1e-12 {
		t.Errorf("rate(a_total[1m]): %v, want %v", got, wantRate)
	}
	// Nines' probe for this behaviour: Prometheus extrapolates to 90, VictoriaMetrics says 120.
	if got := instant(t, s, `increase(vector(time())[90s:1m])`, base.Add(time.Hour))[""]; got != 120 {
		t.Errorf("increase(vector(time())[90s:1m]): %v, want 120", got)
	}

	// (c) VictoriaMetrics 1.79 answers buildinfo with success and empty data: no version.
	var bi struct {
		Status string         `json:"status"`
		Data   map[string]any `json:"data"`
	}
	if code := get(t, s, "/api/v1/status/buildinfo", nil, &bi); code != http.StatusOK || bi.Status != "success" || len(bi.Data) != 0 {
		t.Errorf("buildinfo: %d %s %v; VictoriaMetrics 1.79 answers 200 success with empty data", code, bi.Status, bi.Data)
	}
}
