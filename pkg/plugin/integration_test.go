package plugin

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/embedded"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	relativePathsForTests = true // fixtures are named relative to the package; the plugin refuses that
	promtest.Main(m)
}

// newTestDatasource builds an instance the way Grafana does, from settings JSON.
func newTestDatasource(t testing.TB, url string, jsonData map[string]any) *Datasource {
	t.Helper()
	if jsonData == nil {
		jsonData = map[string]any{}
	}
	if _, ok := jsonData["definitionPaths"]; !ok {
		jsonData["definitionPaths"] = []string{"testdata/slos.yaml"}
	}
	raw, err := json.Marshal(jsonData)
	require.NoError(t, err)
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{Type: PluginID, URL: url, JSONData: raw})
	require.NoError(t, err)
	return inst.(*Datasource)
}

func query(refID, queryType string, from, to time.Time, interval time.Duration, model string) backend.DataQuery {
	return backend.DataQuery{RefID: refID, QueryType: queryType, TimeRange: backend.TimeRange{From: from, To: to},
		Interval: interval, MaxDataPoints: 1000, JSON: json.RawMessage(model)}
}

func run(t *testing.T, ds *Datasource, qs ...backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: qs})
	require.NoError(t, err)
	return resp
}

// truth is the bad fraction and total events of an SLO's window, from the generator's counts.
type truthFunc func(from, to time.Time) (bad, total float64)

func truths(h *demo.History) map[string]truthFunc {
	return map[string]truthFunc{
		"checkout-availability": func(from, to time.Time) (float64, float64) {
			return h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, from, to),
				h.True("http_requests_total", map[string]string{"job": "checkout"}, from, to)
		},
		"checkout-latency": func(from, to time.Time) (float64, float64) {
			total := h.True("http_request_duration_seconds_count", map[string]string{"job": "checkout"}, from, to)
			good := h.True("http_request_duration_seconds_bucket", map[string]string{"job": "checkout", "le": "0.5"}, from, to)
			return total - good, total
		},
		"search-availability": func(from, to time.Time) (float64, float64) {
			return h.True("search_errors_total", map[string]string{"job": "search"}, from, to),
				h.True("search_requests_total", map[string]string{"job": "search"}, from, to)
		},
	}
}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// The SLI, budget and burn-rate series agree with the generator's true counts to 1e-6
// (relative, on the bad fraction) at every grid-aligned window end.
func TestIntegrationFiguresMatchTruth(t *testing.T) {
	// The probe finds an extrapolating increase on Prometheus 2.x and picks the
	// counter's last samples; "closed", the setting of earlier versions, means the same.
	srv := promtest.Shared(t)
	for _, mode := range []string{"auto", "lastSample", "closed"} {
		t.Run(mode, func(t *testing.T) { figuresMatchTruth(t, srv.URL, srv.History, mode, "last_over_time(") })
	}
}

// On Prometheus 3's engine (left-open ranges; the Prometheus module's own TSDB and
// engine, in-process, without the embedded source's 2.x rewrite) the probe finds the
// left-open ranges and the figures still equal the truth.
func TestPrometheus3FiguresMatchTruth(t *testing.T) {
	h := demo.Generate(demo.Default())
	cases := []struct {
		name string
		mode embedded.Mode
		form string
	}{
		{"without extended range selectors", embedded.Prometheus3, "last_over_time("},
		{"with extended range selectors", embedded.Prometheus3Extended, " anchored)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, err := embedded.StartSamples(context.Background(), h.Sampled(), c.mode)
			require.NoError(t, err)
			t.Cleanup(func() { _ = srv.Close() })
			figuresMatchTruth(t, srv.URL, h, "auto", c.form)
		})
	}
}

// figuresMatchTruth checks sli, budget and burnRate series against the truth; every
// query that ran must contain form (the growth form the probe or the setting picked).
func figuresMatchTruth(t *testing.T, url string, h *demo.History, mode string, form string) {
	ds := newTestDatasource(t, url, map[string]any{"rangeSemantics": mode})
	truth := truths(h)
	from := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	objective := map[string]float64{"checkout-availability": 0.999, "checkout-latency": 0.95, "search-availability": 0.995}
	window := map[string]time.Duration{"checkout-availability": 28 * 24 * time.Hour, "checkout-latency": 7 * 24 * time.Hour, "search-availability": 7 * 24 * time.Hour}

	resp := run(t, ds,
		query("sli", QuerySLI, from, to, time.Hour, `{}`),
		query("budget", QueryBudget, from, to, time.Hour, `{}`),
		query("burn", QueryBurnRate, from, to, 5*time.Minute, `{"window":"1h"}`),
	)
	checked := 0
	for refID, dr := range resp.Responses {
		require.NoError(t, dr.Error, refID)
		require.Len(t, dr.Frames, 3, refID)
		for _, f := range dr.Frames {
			require.Contains(t, f.Meta.ExecutedQueryString, form)
			name := f.Fields[1].Labels["slo"]
			w := window[name]
			if refID == "burn" {
				w = time.Hour
			}
			for i := 0; i < f.Rows(); i++ {
				ts := f.Fields[0].At(i).(time.Time)
				bad, total := truth[name](ts.Add(-w), ts)
				v := f.Fields[1].At(i).(*float64)
				if total == 0 {
					require.Nil(t, v, "%s %s at %s: no events must be no data", refID, name, ts)
					continue
				}
				require.NotNil(t, v, "%s %s at %s", refID, name, ts)
				wantBad := bad / total
				var gotBad float64
				switch refID {
				case "sli":
					gotBad = 1 - *v
				case "budget":
					gotBad = (1 - *v) * (1 - objective[name])
				case "burn":
					gotBad = *v * (1 - objective[name])
				}
				if wantBad == 0 {
					require.InDelta(t, 0, gotBad, 1e-12, "%s %s at %s", refID, name, ts)
				} else {
					require.LessOrEqual(t, relErr(gotBad, wantBad), 1e-6, "%s %s at %s: bad fraction got %g want %g", refID, name, ts, gotBad, wantBad)
				}
				checked++
			}
		}
	}
	require.Greater(t, checked, 1000)
}

// The status table matches the truth at an instant on the minute grid.
func TestIntegrationStatusMatchesTruth(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, nil)
	truth := truths(srv.History)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryStatus, at.Add(-6*time.Hour), at, time.Minute, `{}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	col := func(name string) *data.Field {
		fld, idx := f.FieldByName(name)
		require.GreaterOrEqual(t, idx, 0, name)
		return fld
	}
	window := map[string]time.Duration{"checkout-availability": 28 * 24 * time.Hour, "checkout-latency": 7 * 24 * time.Hour, "search-availability": 7 * 24 * time.Hour}
	require.Equal(t, 3, f.Rows())
	for i := 0; i < f.Rows(); i++ {
		name := col("SLO").At(i).(string)
		bad, total := truth[name](at.Add(-window[name]), at)
		sli := col("SLI").At(i).(*float64)
		require.NotNil(t, sli, name)
		require.LessOrEqual(t, relErr(1-*sli, bad/total), 1e-6, "%s SLI", name)
		obj := col("Objective").At(i).(float64)
		rem := col("Budget remaining").At(i).(*float64)
		require.LessOrEqual(t, relErr(1-*rem, (bad/total)/(1-obj)), 1e-6, "%s budget", name)
		b1, t1 := truth[name](at.Add(-time.Hour), at)
		burn := col("Burn rate 1h").At(i).(*float64)
		require.NotNil(t, burn, name)
		if b1 == 0 {
			require.InDelta(t, 0, *burn, 1e-12)
		} else {
			require.LessOrEqual(t, relErr(*burn, (b1/t1)/(1-obj)), 1e-6, "%s burn 1h", name)
		}
	}
}

// Golden frames for every query type over a fixed range of the demo history.
func TestIntegrationGoldenFrames(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, nil)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, queryType, model string
		interval               time.Duration
	}{
		{"status", QueryStatus, `{}`, time.Hour},
		{"sli", QuerySLI, `{"slo":"checkout-availability"}`, 2 * time.Hour},
		{"budget", QueryBudget, `{"slo":"search-availability"}`, 2 * time.Hour},
		{"burnrate", QueryBurnRate, `{"slo":"checkout-availability"}`, 2 * time.Hour},
		{"catalog", QueryCatalog, `{"service":"checkout"}`, time.Hour},
		{"alerts", QueryAlerts, `{"service":"checkout"}`, time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := run(t, ds, query("A", tc.queryType, from, to, tc.interval, tc.model))
			dr := resp.Responses["A"]
			require.NoError(t, dr.Error)
			experimental.CheckGoldenJSONResponse(t, "testdata/golden", tc.name, &dr, *update)
		})
	}
}

// "Save & test" reports a latency threshold that is not a bucket bound on the server.
func TestIntegrationHealthLatencyBound(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{}, "definitions": `service: checkout
slos:
  - name: checkout-fast
    objective: 99
    window: 7d
    indicator:
      latency:
        histogram: http_request_duration_seconds{job="checkout"}
        threshold: 0.3
`})
	ds.Now = func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Contains(t, res.Message, "latency threshold 0.3s is not a bucket bound")
	require.Contains(t, res.Message, "inline:")
}

// At an instant off the minute grid the status figures of windows of 7 days or more must
// stay within 2e-4 (relative, on the bad fraction) of the truth at that instant (DESIGN);
// with samples on the minute grid Nines is exact there too, so the test asks for 1e-6.
// The windows are read in hourly buckets with minute edges, so this also checks the edges.
func TestIntegrationStatusOffGrid(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, nil)
	truth := truths(srv.History)
	window := map[string]time.Duration{"checkout-availability": 28 * 24 * time.Hour, "checkout-latency": 7 * 24 * time.Hour, "search-availability": 7 * 24 * time.Hour}
	for _, at := range []time.Time{
		time.Date(2026, 2, 14, 9, 17, 37, 0, time.UTC),
		time.Date(2026, 3, 3, 9, 0, 59, 999e6, time.UTC), // inside the span without samples
	} {
		resp := run(t, ds, query("A", QueryStatus, at.Add(-time.Hour), at, time.Minute, `{}`))
		dr := resp.Responses["A"]
		require.NoError(t, dr.Error)
		f := dr.Frames[0]
		names, _ := f.FieldByName("SLO")
		slis, _ := f.FieldByName("SLI")
		for i := 0; i < f.Rows(); i++ {
			name := names.At(i).(string)
			bad, total := truth[name](at.Add(-window[name]), at)
			sli := slis.At(i).(*float64)
			require.NotNil(t, sli, name)
			require.LessOrEqual(t, relErr(1-*sli, bad/total), 1e-6, "%s at %s", name, at)
		}
	}
}

// Template-variable values select SLOs by name and never reach PromQL: a value that
// tries to inject PromQL matches no SLO, and the queries that run are the definitions' own.
func TestIntegrationVariableValuesNeverReachPromQL(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, nil)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	inject := `checkout-availability"} or vector(1) or up{x="`
	escaped := `(checkout\-availability|search\-availability)` // a multi-value variable, regex-escaped by the front end
	resp := run(t, ds,
		query("inject", QuerySLI, at.Add(-time.Hour), at, time.Minute, `{"slo":`+strconv.Quote(inject)+`}`),
		query("multi", QuerySLI, at.Add(-time.Hour), at, time.Minute, `{"slo":`+strconv.Quote(escaped)+`}`),
		query("service", QueryStatus, at.Add(-time.Hour), at, time.Minute, `{"service":"checkout\") or vector(1"}`),
	)
	for _, ref := range []string{"inject", "service"} {
		dr := resp.Responses[ref]
		require.NoError(t, dr.Error, ref)
		require.Len(t, dr.Frames, 1, ref)
		if ref == "inject" {
			require.Equal(t, "empty", dr.Frames[0].Name, "no SLO matches")
			require.Equal(t, "no SLO matches this query", dr.Frames[0].Meta.Notices[0].Text)
		} else {
			require.Equal(t, 0, dr.Frames[0].Rows(), "no SLO matches")
			require.Equal(t, "no SLO matches this query", dr.Frames[0].Meta.Notices[0].Text)
		}
	}
	multi := resp.Responses["multi"]
	require.NoError(t, multi.Error)
	require.Len(t, multi.Frames, 2)
	for _, f := range multi.Frames {
		require.NotContains(t, f.Meta.ExecutedQueryString, "vector(1)")
		require.NotContains(t, f.Meta.ExecutedQueryString, `\-`)
	}
}

// "Save & test" lists the SLOs without data in the last hour, threshold SLOs included:
// the probe gauge is absent during the demo's 6-hour scrape gap and present after it.
func TestHealthNoDataIncludesThresholdSLOs(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{}, "definitions": `service: checkout
slos:
  - name: probe-up
    objective: 99
    window: 7d
    indicator:
      threshold: {gauge: 'probe_success{job="blackbox"}', op: ">=", value: 1}
  - name: nothing
    objective: 99
    window: 7d
    indicator:
      ratio: {good: 'nothing_total{code="200"}', total: 'nothing_total'}
`})
	for _, c := range []struct {
		at     time.Time
		noData []string
	}{
		{time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), []string{"nothing", "probe-up"}},
		{time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), []string{"nothing"}},
	} {
		ds.Now = func() time.Time { return c.at }
		res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		require.NoError(t, err)
		var det HealthDetails
		require.NoError(t, json.Unmarshal(res.JSONDetails, &det))
		require.Equal(t, c.noData, det.NoData, "at %s", c.at)
	}
}
