package embedded

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// oddSamples is two counters scraped every 15 s at +7.345 s past 10:00 with a few ms of
// jitter, for three hours; b_total resets after two hours.
func oddSamples() *demo.Samples {
	b0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC).UnixMilli()
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

// apiResult is an API answer: HTTP status and the decoded body.
type apiResult struct {
	code int
	body map[string]any
}

func call(t *testing.T, base, path string, params url.Values) apiResult {
	t.Helper()
	resp, err := http.Get(base + path + "?" + params.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return apiResult{resp.StatusCode, body}
}

func ms(t int64) string { return strconv.FormatFloat(float64(t)/1000, 'f', 3, 64) }

func startModes(t *testing.T, samples *demo.Samples) map[Mode]*Server {
	t.Helper()
	out := map[Mode]*Server{}
	for _, m := range []Mode{Prometheus2, Prometheus3, Prometheus3Extended} {
		s, err := StartSamples(context.Background(), samples, m)
		require.NoError(t, err, m)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		require.Equal(t, m, s.Mode())
		out[m] = s
	}
	return out
}

// Samples at odd milliseconds come back exactly; the modes differ in range ends, lookback
// and the extended range selectors; Prometheus2 answers as a real Prometheus 2.42 does.
func TestStartSamplesModes(t *testing.T) {
	samples := oddSamples()
	srv := startModes(t, samples)
	real := promtest.StartSamples(t, samples)
	a := samples.Series[0]
	_, last := samples.Span()

	// Every mode holds the samples at their milliseconds.
	for m, s := range srv {
		r := call(t, s.URL, "/api/v1/query", url.Values{"query": {`a_total[4h]`}, "time": {ms(last)}})
		require.Equal(t, http.StatusOK, r.code, m)
		vals := r.body["data"].(map[string]any)["result"].([]any)[0].(map[string]any)["values"].([]any)
		require.Len(t, vals, len(a.T), m)
		for i, p := range vals {
			p := p.([]any)
			require.Equal(t, ms(a.T[i]), strconv.FormatFloat(p[0].(float64), 'f', 3, 64), "%s sample %d", m, i)
			require.Equal(t, strconv.FormatFloat(a.V[i], 'f', -1, 64), p[1], "%s sample %d", m, i)
		}
	}

	// A range exactly as long as the gap between two samples, ending on the second:
	// Prometheus 2.x includes the first (2 samples), Prometheus 3 does not (1).
	i := 100
	gap := strconv.FormatInt(a.T[i]-a.T[i-1], 10) + "ms"
	count := `count_over_time(a_total[` + gap + `])`
	for m, want := range map[Mode]string{Prometheus2: "2", Prometheus3: "1", Prometheus3Extended: "1"} {
		r := call(t, srv[m].URL, "/api/v1/query", url.Values{"query": {count}, "time": {ms(a.T[i])}})
		require.Equal(t, want, r.body["data"].(map[string]any)["result"].([]any)[0].(map[string]any)["value"].([]any)[1], "%s: %s", m, count)
	}

	// The extended range selectors: parse errors without them, as Prometheus 2.42 and
	// Prometheus 3 without the feature flag answer; accepted with them.
	anchored := `sum(increase(a_total[1m] anchored))`
	smoothed := `rate(b_total[5m] smoothed)`
	for _, q := range []string{anchored, smoothed, `a_total anchored`} {
		for m, want := range map[Mode]string{
			Prometheus2: `invalid parameter "query": 1:` + map[string]string{anchored: `26: parse error: unexpected identifier "anchored" in aggregation`, smoothed: `18: parse error: unexpected identifier "smoothed"`, `a_total anchored`: `9: parse error: unexpected identifier "anchored"`}[q],
			Prometheus3: `invalid parameter "query": 1:` + map[string]string{anchored: `14: parse error: anchored modifier is experimental and not enabled`, smoothed: `6: parse error: smoothed modifier is experimental and not enabled`, `a_total anchored`: `1: parse error: anchored modifier is experimental and not enabled`}[q],
		} {
			for _, path := range []string{"/api/v1/query", "/api/v1/query_range"} {
				r := call(t, srv[m].URL, path, url.Values{"query": {q}, "time": {ms(last)}, "start": {ms(last - 3600_000)}, "end": {ms(last)}, "step": {"60"}})
				require.Equal(t, http.StatusBadRequest, r.code, "%s %s %s", m, path, q)
				require.Equal(t, "bad_data", r.body["errorType"], "%s %s", m, q)
				require.Equal(t, want, r.body["error"], "%s %s", m, q)
			}
		}
		r := call(t, srv[Prometheus3Extended].URL, "/api/v1/query", url.Values{"query": {q}, "time": {ms(last)}})
		require.Equal(t, http.StatusOK, r.code, q)
	}
	// Prometheus 2.42 itself says the same.
	for _, q := range []string{anchored, smoothed, `a_total anchored`, `rate(a_total[1m] anchored) / sum by (job) (b_total)`, `sum by (job) (rate(a_total[1m] anchored) * 2)`} {
		r := call(t, real.URL, "/api/v1/query", url.Values{"query": {q}, "time": {ms(last)}})
		e := call(t, srv[Prometheus2].URL, "/api/v1/query", url.Values{"query": {q}, "time": {ms(last)}})
		require.Equal(t, r, e, q)
	}
	// Anchored increase: from the last sample at or before the start, no extrapolation.
	at := a.T[200] + 5000
	r := call(t, srv[Prometheus3Extended].URL, "/api/v1/query", url.Values{"query": {anchored}, "time": {ms(at)}})
	j := 196 // the last sample at or before at-1m
	require.LessOrEqual(t, a.T[j], at-60_000)
	require.Greater(t, a.T[j+1], at-60_000)
	require.Equal(t, strconv.FormatFloat(a.V[200]-a.V[j], 'f', -1, 64), r.body["data"].(map[string]any)["result"].([]any)[0].(map[string]any)["value"].([]any)[1])

	// Build info: 2.x-era string for Prometheus2 (unchanged), 3.x for the others.
	for m, want := range map[Mode]string{Prometheus2: Version(), Prometheus3: Prometheus3.Version(), Prometheus3Extended: Prometheus3.Version()} {
		r := call(t, srv[m].URL, "/api/v1/status/buildinfo", nil)
		require.Equal(t, want, r.body["data"].(map[string]any)["version"], m)
	}
	// (Test binaries carry no module versions: unknown-embedded and 3.x-embedded there.)
	require.Regexp(t, `^(v0\.\d+\.\d+|unknown)-embedded$`, Version())
	require.Regexp(t, `^3\.(\d+\.\d+|x)-embedded$`, Prometheus3.Version())

	_, err := StartSamples(context.Background(), samples, Mode(7))
	require.Error(t, err)
}

// lookback_delta on /api/v1/query and /api/v1/query_range: a duration or float seconds;
// Prometheus2 mode includes the sample exactly lookback_delta old, as Prometheus 2.x does
// with its default lookback, the Prometheus 3 modes exclude it. Prometheus 2.42 itself
// predates the parameter (2.43) and ignores it: compared without it only.
func TestLookbackDelta(t *testing.T) {
	samples := oddSamples()
	srv := startModes(t, samples)
	real := promtest.StartSamples(t, samples)
	_, last := samples.Span() // b_total's last sample
	lastA := samples.Series[0].T[len(samples.Series[0].T)-1]

	present := func(r apiResult) int {
		require.Equal(t, http.StatusOK, r.code, r.body)
		return len(r.body["data"].(map[string]any)["result"].([]any))
	}
	type check struct {
		at       int64
		lookback string
		want     map[Mode]int // series present
	}
	all := func(n int) map[Mode]int {
		return map[Mode]int{Prometheus2: n, Prometheus3: n, Prometheus3Extended: n}
	}
	checks := []check{
		{last + 4*60_000, "", all(2)},    // default 5m
		{last + 6*60_000, "", all(0)},    // past the default
		{last + 90_000, "1m", all(0)},    // shorter
		{last + 90_000, "2m", all(2)},    // longer
		{last + 90_000, "120", all(2)},   // float seconds
		{last + 90_000, "89.5", all(0)},  // fractional seconds
		{last + 6*60_000, "0", all(0)},   // 0 is the default
		{last + 6*60_000, "10m", all(2)}, // longer than the default
		{last + 90_000, "90s", map[Mode]int{Prometheus2: 1, Prometheus3: 0, Prometheus3Extended: 0}},  // b_total exactly 90 s old, a_total 1 ms older
		{lastA + 90_000, "90s", map[Mode]int{Prometheus2: 2, Prometheus3: 1, Prometheus3Extended: 1}}, // a_total exactly 90 s old, b_total 1 ms younger
	}
	for _, c := range checks {
		params := url.Values{"query": {`{job="odd"}`}, "time": {ms(c.at)}}
		if c.lookback != "" {
			params.Set("lookback_delta", c.lookback)
		}
		for m, want := range c.want {
			require.Equal(t, want, present(call(t, srv[m].URL, "/api/v1/query", params)), "%s at +%dms lookback %q", m, c.at-last, c.lookback)
		}
		if c.lookback == "" {
			require.Equal(t, c.want[Prometheus2], present(call(t, real.URL, "/api/v1/query", params)), "Prometheus 2.42 at +%dms", c.at-last)
		}
	}
	r := call(t, real.URL, "/api/v1/query", url.Values{"query": {`{job="odd"}`}, "time": {ms(last + 90_000)}, "lookback_delta": {"1m"}})
	require.Equal(t, 2, present(r), "Prometheus 2.42 ignores lookback_delta")

	// In a range query: points until the last sample is lookback_delta old.
	for m, want := range map[Mode]int{Prometheus2: 4, Prometheus3: 3, Prometheus3Extended: 3} {
		params := url.Values{"query": {`b_total`}, "start": {ms(last)}, "end": {ms(last + 10*60_000)}, "step": {"30"}, "lookback_delta": {"90s"}}
		r := call(t, srv[m].URL, "/api/v1/query_range", params)
		require.Equal(t, http.StatusOK, r.code, m)
		vals := r.body["data"].(map[string]any)["result"].([]any)[0].(map[string]any)["values"].([]any)
		require.Len(t, vals, want, m)
	}

	// A bad value is a bad_data error, as in Prometheus.
	for m, s := range srv {
		r := call(t, s.URL, "/api/v1/query", url.Values{"query": {"b_total"}, "lookback_delta": {"soon"}})
		require.Equal(t, http.StatusBadRequest, r.code, m)
		require.Equal(t, "bad_data", r.body["errorType"], m)
		require.Contains(t, r.body["error"], "error parsing lookback delta duration", m)
	}
}
