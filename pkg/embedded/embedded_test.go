package embedded

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/internal/promtest"
	"github.com/nines-slo/nines/pkg/source"
)

func TestMain(m *testing.M) { promtest.Main(m) }

func TestClosed(t *testing.T) {
	for in, want := range map[string]string{
		`sum(increase(a_total{job="x"}[1h]))`:      `sum(increase(a_total{job="x"}[1h] anchored))`,
		`rate(a_total[5m]) / delta(g[1m])`:         `rate(a_total[5m] anchored) / delta(g[1m] anchored)`,
		`avg_over_time(probe_success[1h])`:         `avg_over_time(probe_success[1h1ms])`,
		`max_over_time(rate(a_total[1m])[10m:1m])`: `max_over_time(rate(a_total[1m] anchored)[10m1ms:1m])`,
		`up`:                              `up`,
		`increase(a_total[1h] offset 1h)`: `increase(a_total[1h] anchored offset 1h)`,
	} {
		got, err := Closed(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := Closed(`sum(`)
	require.Error(t, err)
}

// The embedded source gives the same numbers as a real Prometheus 2.42 holding the same
// history, for the queries Nines sends (through the same client) and for plain ones.
func TestSameAsPrometheus(t *testing.T) {
	real := promtest.Shared(t)
	ctx := context.Background()
	emb, err := Start(ctx, real.History)
	require.NoError(t, err)
	defer emb.Close()

	clients := map[string]*source.Client{}
	for name, u := range map[string]string{"real": real.URL, "embedded": emb.URL} {
		c, err := source.New(source.Config{URL: u})
		require.NoError(t, err)
		clients[name] = c
	}
	type rng struct {
		from, to time.Time
		step     time.Duration
	}
	day := 24 * time.Hour
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	ranges := []rng{
		{at("2026-01-27T12:00:00Z"), at("2026-01-27T18:00:00Z"), time.Minute}, // outage
		{at("2026-02-10T02:00:00Z"), at("2026-02-10T05:00:00Z"), time.Minute}, // counter reset
		{at("2026-03-03T05:00:00Z"), at("2026-03-03T13:00:00Z"), time.Minute}, // gap
		{at("2026-01-01T01:00:00Z"), at("2026-03-15T00:00:00Z"), time.Hour},   // long, hourly
		{at("2026-01-10T00:00:00Z"), at("2026-03-15T00:00:00Z"), day},         // daily
	}
	queries := []string{
		`sum(increase(http_requests_total{job="checkout"}[%s]))`,
		`sum(increase(http_requests_total{job="checkout",code=~"5.."}[%s]))`,
		`sum(increase(http_request_duration_seconds_bucket{job="checkout",le="0.5"}[%s]))`,
		`sum(increase(search_errors_total{job="search"}[%s])) / sum(increase(search_requests_total{job="search"}[%s]))`,
		`increase(support_tickets_total{product="checkout"}[%s])`,
		`avg_over_time(probe_success{job="blackbox"}[%s])`,
		`sum(rate(http_requests_total{job="checkout"}[%s]))`,
		`sum(http_requests_total{job="checkout"})`,
	}
	compared, extra := 0, 0
	for _, r := range ranges {
		for _, qf := range queries {
			w := strings.TrimSuffix(strings.TrimSuffix((r.step).String(), "0s"), "0m")
			q := strings.ReplaceAll(qf, "%s", w)
			a, _, err := clients["real"].Range(ctx, q, r.from, r.to, r.step)
			require.NoError(t, err, q)
			b, _, err := clients["embedded"].Range(ctx, q, r.from, r.to, r.step)
			require.NoError(t, err, q)
			for i := range a.Values {
				if !a.Present[i] {
					// Prometheus 2.x needs two samples in the range; the anchored
					// increase of a lone sample is 0: the same count of events.
					if b.Present[i] {
						require.Zero(t, b.Values[i], "%s at %s: only embedded has a value", q, a.At(i))
						extra++
					}
					continue
				}
				require.True(t, b.Present[i], "%s at %s: only Prometheus has a value", q, a.At(i))
				require.InDelta(t, a.Values[i], b.Values[i], 1e-9*math.Max(1, math.Abs(a.Values[i])), "%s at %s", q, a.At(i))
				compared++
			}
		}
	}
	t.Logf("compared %d points; %d zero points where Prometheus 2.42 has none", compared, extra)

	// Instant queries, label values, series and buildinfo.
	for _, q := range []string{`sum(increase(http_requests_total{job="checkout"}[28d]))`, `count(up) or vector(0)`, `sum(probe_success)`} {
		ts := at("2026-03-15T00:00:00Z")
		a, aok, err := clients["real"].Instant(ctx, q, ts)
		require.NoError(t, err)
		b, bok, err := clients["embedded"].Instant(ctx, q, ts)
		require.NoError(t, err)
		require.Equal(t, aok, bok, q)
		require.InDelta(t, a, b, 1e-9*math.Max(1, math.Abs(a)), q)
	}
	from, to := real.History.Start, real.History.End()
	for _, lbl := range []string{"le", "job", "__name__"} {
		a, err := clients["real"].LabelValues(ctx, lbl, "", from, to)
		require.NoError(t, err)
		b, err := clients["embedded"].LabelValues(ctx, lbl, "", from, to)
		require.NoError(t, err)
		require.Equal(t, a, b, lbl)
	}
	// The engine's probe sees an extrapolating increase (Prometheus) on both.
	for name, c := range clients {
		g, err := c.ProbeGrowth(ctx)
		require.NoError(t, err, name)
		require.Equal(t, source.GrowthExtrapolated, g, name)
	}
	v, err := clients["embedded"].Version(ctx)
	require.NoError(t, err)
	require.Contains(t, v, "embedded")

	for _, path := range []string{"/api/v1/series?match[]=http_requests_total", "/api/v1/labels"} {
		ra, rb := getJSON(t, real.URL+path), getJSON(t, emb.URL+path)
		require.Equal(t, "success", rb["status"])
		require.ElementsMatch(t, ra["data"], rb["data"], path)
	}
	// POST form works as GET does.
	resp, err := http.PostForm(emb.URL+"/api/v1/query", url.Values{"query": {"vector(2)"}, "time": {"1700000000"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.JSONEq(t, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"2"]}]}}`, string(body))
	// Bad input is a Prometheus-style error.
	resp, err = http.Get(emb.URL + "/api/v1/query?query=sum(")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, string(body), `"errorType":"bad_data"`)
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}
