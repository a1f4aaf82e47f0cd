package promtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/demo"
)

func TestMain(m *testing.M) { Main(m) }

// query runs an instant query and returns the single value, or ok=false for an empty result.
func query(t *testing.T, s *Server, q string, at time.Time) (float64, bool) {
	t.Helper()
	u := s.URL + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatInt(at.Unix(), 10)}}.Encode()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if body.Status != "success" {
		t.Fatalf("%s: %s %s", q, body.Status, body.Error)
	}
	switch len(body.Data.Result) {
	case 0:
		return 0, false
	case 1:
	default:
		t.Fatalf("%s: %d series", q, len(body.Data.Result))
	}
	str, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		t.Fatalf("%s: value %q: %v", q, str, err)
	}
	return v, true
}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestSharedServesHistoryExactly(t *testing.T) {
	s := Shared(t)
	h := s.History
	all := map[string]string{"job": "checkout"}
	bad := map[string]string{"job": "checkout", "code": "500"}
	hour := func(v string) time.Time { tm, _ := time.Parse(time.RFC3339, v); return tm }
	resetHour := demo.Reset.Truncate(time.Hour).Add(time.Hour)
	cases := []struct {
		name string
		end  time.Time
		rng  string
	}{
		{"first hour", h.Start.Add(time.Hour), "1h"},
		{"ordinary hour", hour("2026-01-05T13:00:00Z"), "1h"},
		{"hour containing the counter reset", resetHour, "1h"},
		{"outage hour", demo.Outage.Add(time.Hour), "1h"},
		{"hour after the gap", demo.GapEnd.Add(time.Hour), "1h"},
		{"last hour", h.End(), "1h"},
		{"day with the reset", hour("2026-02-11T00:00:00Z"), "1d"},
		{"February (reset inside)", hour("2026-03-01T00:00:00Z"), "28d"},
		{"day with the gap", hour("2026-03-04T00:00:00Z"), "1d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := time.ParseDuration(c.rng)
			if c.rng == "1d" {
				d = 24 * time.Hour
			} else if c.rng == "28d" {
				d = 28 * 24 * time.Hour
			}
			wantAll := h.True("http_requests_total", all, c.end.Add(-d), c.end)
			wantBad := h.True("http_requests_total", bad, c.end.Add(-d), c.end)
			gotAll, ok := query(t, s, fmt.Sprintf(`sum(increase(http_requests_total{job="checkout"}[%s]))`, c.rng), c.end)
			if !ok || relErr(gotAll, wantAll) > 1e-9 {
				t.Errorf("increase at %v over %s: got %v (present %v), true %v", c.end, c.rng, gotAll, ok, wantAll)
			}
			gotBad, ok := query(t, s, fmt.Sprintf(`sum(increase(http_requests_total{job="checkout",code="500"}[%s]))`, c.rng), c.end)
			if !ok || relErr(gotBad, wantBad) > 1e-9 {
				t.Errorf("errors at %v over %s: got %v, true %v", c.end, c.rng, gotBad, wantBad)
			}
		})
	}

	// The hour inside the gap has no samples, hence no result; the true count is zero too.
	if v, ok := query(t, s, `sum(increase(http_requests_total{job="checkout"}[1h]))`, demo.GapStart.Add(3*time.Hour)); ok {
		t.Errorf("result %v inside the gap", v)
	}
	if n, ok := query(t, s, `count({__name__=~".+"})`, h.End()); !ok || int(n) != len(h.Series) {
		t.Errorf("%v series at the end, want %d", n, len(h.Series))
	}
	// Prometheus sees the restart as one reset of each checkout counter.
	if n, ok := query(t, s, `sum(resets({job="checkout",__name__=~"http_requests_total|http_request_duration_seconds_bucket"}[1h]))`, resetHour); !ok || n != 7 {
		t.Errorf("%v resets in the reset hour, want 7", n)
	}
}

func TestStartOwnHistory(t *testing.T) {
	cfg := demo.Config{Start: time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC), Days: 1, Seed: 7}
	s := Start(t, demo.Generate(cfg))
	end := demo.Outage.Add(time.Hour)
	want := s.History.True("http_requests_total", map[string]string{"code": "500"}, end.Add(-time.Hour), end)
	got, ok := query(t, s, `sum(increase(http_requests_total{code="500"}[1h]))`, end)
	if !ok || relErr(got, want) > 1e-9 || want < 30*1000 {
		t.Errorf("outage hour errors: got %v, true %v", got, want)
	}
}

// oddSamples is two counters scraped every 15 s at +7.345 s with a few milliseconds of
// jitter; b_total resets once.
func oddSamples() *demo.Samples {
	base := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC).UnixMilli()
	a := &demo.Sampled{Metric: "a_total", Labels: map[string]string{"job": "odd"}, Kind: demo.Counter}
	b := &demo.Sampled{Metric: "b_total", Labels: map[string]string{"job": "odd"}, Kind: demo.Counter}
	for k := int64(0); k < 480; k++ { // two hours
		t := base + 7345 + k*15000 + (k*37)%23
		a.T, a.V = append(a.T, t), append(a.V, float64(3*k)+0.5)
		b.T = append(b.T, t+1)
		if k < 200 {
			b.V = append(b.V, float64(k))
		} else {
			b.V = append(b.V, float64(k-200))
		}
	}
	return &demo.Samples{Series: []*demo.Sampled{a, b}}
}

// The backfilled samples keep their exact millisecond timestamps and values.
func TestStartSamplesKeepsMilliseconds(t *testing.T) {
	samples := oddSamples()
	s := StartSamples(t, samples)
	_, last := samples.Span()
	for _, ser := range samples.Series {
		u := s.URL + "/api/v1/query?" + url.Values{
			"query": {ser.Metric + "[3h]"},
			"time":  {strconv.FormatFloat(float64(last)/1000, 'f', 3, 64)},
		}.Encode()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Data struct {
				Result []struct {
					Values [][2]any `json:"values"`
				} `json:"result"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(body.Data.Result) != 1 {
			t.Fatalf("%s: %d series", ser.Metric, len(body.Data.Result))
		}
		got := body.Data.Result[0].Values
		if len(got) != len(ser.T) {
			t.Fatalf("%s: %d samples, want %d", ser.Metric, len(got), len(ser.T))
		}
		for i, p := range got {
			ts := int64(math.Round(p[0].(float64) * 1000))
			v, _ := strconv.ParseFloat(p[1].(string), 64)
			if ts != ser.T[i] || v != ser.V[i] {
				t.Fatalf("%s sample %d: (%d, %v), want (%d, %v)", ser.Metric, i, ts, v, ser.T[i], ser.V[i])
			}
		}
	}
	if s.Samples != samples || s.History != nil {
		t.Errorf("Server.Samples/History not set from the sample set")
	}
}
