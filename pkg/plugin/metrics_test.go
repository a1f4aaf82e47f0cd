package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingSource answers the Prometheus API with a steady counter (one series, 1 per
// second) and counts the requests; with fail set it refuses them as bad input.
type countingSource struct {
	requests atomic.Int64
	fail     atomic.Bool
}

func (s *countingSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if s.fail.Load() {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"refused by the test"}`))
		return
	}
	num := func(k string) float64 { f, _ := strconv.ParseFloat(r.Form.Get(k), 64); return f }
	var data any
	switch r.URL.Path {
	case "/api/v1/query_range":
		var values []any
		for t := num("start"); t <= num("end"); t += num("step") {
			values = append(values, []any{t, "60"})
		}
		data = map[string]any{"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}}}
	case "/api/v1/query":
		data = map[string]any{"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{num("time"), "60"}}}}
	case "/api/v1/status/buildinfo":
		data = map[string]any{"version": "2.42.0"}
	default:
		data = []string{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
}

// collect calls CollectMetrics over gRPC, as Grafana does, and returns the nines_ families.
func collect(t *testing.T, tp datasourcetest.TestPlugin) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := tp.Client.DiagnosticsClient.CollectMetrics(context.Background(), &pluginv2.CollectMetricsRequest{})
	require.NoError(t, err)
	text := resp.GetMetrics().GetPrometheus()
	p := expfmt.NewTextParser(model.UTF8Validation)
	all, err := p.TextToMetricFamilies(bytes.NewReader(text))
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for name, mf := range all {
		if strings.HasPrefix(name, "nines_") {
			out[name] = mf
		}
	}
	return out
}

// value returns the value of the family's series whose labels are labels ("k=v,…"), 0 when absent.
func value(mfs map[string]*dto.MetricFamily, name, labels string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(ls, ",") != labels {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// TestMetricsThroughCollectMetrics queries the plugin over gRPC, as Grafana does, and
// reads its metrics the way Grafana scrapes them.
func TestMetricsThroughCollectMetrics(t *testing.T) {
	src := &countingSource{}
	srv := fakeSource(t, src.ServeHTTP)
	tp := grpcPlugin(t)
	jsonData, _ := json.Marshal(map[string]any{"definitions": benchSLO, "rangeSemantics": "lastSample", "timeInterval": "1m"})
	pctx := backend.PluginContext{OrgID: 1, PluginID: PluginID, DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
		ID: 7, UID: "metrics", Name: "Nines", URL: srv.URL, JSONData: jsonData, Updated: time.Unix(1, 0)}}
	ctx := context.Background()
	budget := func() *backend.QueryDataResponse {
		t.Helper()
		resp, err := tp.Client.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{
			{RefID: "A", QueryType: QueryBudget, TimeRange: backend.TimeRange{From: t0.Add(-24 * time.Hour), To: t0},
				Interval: time.Hour, MaxDataPoints: 100, JSON: []byte(`{"slo":"bench-availability"}`)}}})
		require.NoError(t, err)
		return resp
	}

	before := collect(t, tp)
	for _, name := range []string{"nines_source_requests_total", "nines_source_request_duration_seconds", "nines_cache_hits_total",
		"nines_cache_misses_total", "nines_cache_bytes", "nines_cache_entries", "nines_source_shared_requests_total", "nines_source_split_retries_total"} {
		require.Contains(t, before, name)
		assert.NotEmpty(t, before[name].GetHelp(), name)
	}
	require.NoError(t, budget().Responses["A"].Error)
	sent := float64(src.requests.Load())
	require.Positive(t, sent)
	cold := collect(t, tp)
	delta := func(after map[string]*dto.MetricFamily, name, labels string) float64 {
		return value(after, name, labels) - value(before, name, labels)
	}
	assert.Equal(t, sent, delta(cold, "nines_source_requests_total", "outcome=success"), "every request counted once")
	assert.Equal(t, sent, delta(cold, "nines_source_request_duration_seconds", ""), "and timed")
	assert.Positive(t, delta(cold, "nines_cache_misses_total", ""))
	assert.Positive(t, delta(cold, "nines_cache_bytes", ""))
	assert.Positive(t, delta(cold, "nines_cache_entries", ""))

	// The same panel again: its past chunks come from the cache.
	before = cold
	require.NoError(t, budget().Responses["A"].Error)
	warm := collect(t, tp)
	assert.Positive(t, delta(warm, "nines_cache_hits_total", ""))
	assert.Equal(t, float64(src.requests.Load())-sent, delta(warm, "nines_source_requests_total", "outcome=success"))

	// A refusal counts by its outcome.
	src.fail.Store(true)
	before = warm
	pctx.DataSourceInstanceSettings.Updated = time.Unix(2, 0) // a new instance: an empty cache
	require.Error(t, budget().Responses["A"].Error)
	failed := collect(t, tp)
	assert.Positive(t, delta(failed, "nines_source_requests_total", "outcome=http_4xx"))

	// No label holds the source's address or anything per query.
	var buf bytes.Buffer
	for _, mf := range failed {
		_, _ = expfmt.MetricFamilyToText(&buf, mf)
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.Equal(t, "outcome", l.GetName(), "%s has only the outcome label", mf.GetName())
			}
		}
	}
	assert.NotContains(t, buf.String(), strings.TrimPrefix(srv.URL, "http://"))
}
