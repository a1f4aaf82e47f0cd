package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"
)

func callResource(t *testing.T, ds *Datasource, method, path string, body []byte) (int, map[string]any) {
	t.Helper()
	var got *backend.CallResourceResponse
	p, _, _ := strings.Cut(path, "?")
	err := ds.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: p, URL: "/api/datasources/uid/nines/resources/" + path, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}}},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	require.NoError(t, err)
	require.NotNil(t, got)
	var out map[string]any
	require.NoError(t, json.Unmarshal(got.Body, &out), string(got.Body))
	return got.Status, out
}

func TestResourceList(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	cases := []struct {
		path  string
		names []string
	}{
		{"slos", []string{"checkout-availability", "checkout-latency", "search-availability"}},
		{"slos?service=search", []string{"search-availability"}},
		{"slos?slo=checkout", []string{"checkout-availability", "checkout-latency"}},
		{"slos?owner=team-search", []string{"search-availability"}},
		{"slos?label=tier%3D1", []string{"checkout-availability", "checkout-latency"}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			status, out := callResource(t, ds, http.MethodGet, c.path, nil)
			require.Equal(t, http.StatusOK, status)
			var names []string
			for _, s := range out["slos"].([]any) {
				names = append(names, s.(map[string]any)["name"].(string))
			}
			require.Equal(t, c.names, names)
		})
	}
}

func TestResourceGet(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	status, out := callResource(t, ds, http.MethodGet, "slos/search-availability", nil)
	require.Equal(t, http.StatusOK, status)
	pq := out["promql"].(map[string]any)
	require.Contains(t, pq["bad"], "search_errors_total")
	require.Contains(t, pq["handWritten"], "increase(search_requests_total")
	require.Equal(t, "search", out["slo"].(map[string]any)["service"])
	require.Equal(t, "native", out["format"])
	require.Contains(t, out["rules"], "alert: SLOErrorBudgetBurn")
	require.Contains(t, out["rules"], "record: nines_slo:sli_error:ratio_rate1h")

	status, out = callResource(t, ds, http.MethodGet, "slos/nope", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, out["error"], `unknown SLO "nope"`)
}

func TestResourceValidate(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	good := `service: a
slos:
  - name: a-ok
    objective: 99
    window: 7d
    indicator:
      ratio: {good: 'x_total{code="200"}', total: x_total}
`
	bad := good + `  - name: a-bad
    objective: 100
    window: 7d
    indicator:
      ratio: {good: 'x_total{code=', total: x_total}
`
	body, _ := json.Marshal(ValidateRequest{YAML: good})
	status, out := callResource(t, ds, http.MethodPost, "validate", body)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, out["valid"])
	require.Equal(t, []any{"a-ok"}, out["slos"])

	body, _ = json.Marshal(ValidateRequest{YAML: bad})
	_, out = callResource(t, ds, http.MethodPost, "validate", body)
	require.Equal(t, false, out["valid"])
	require.Equal(t, []any{"a-ok"}, out["slos"], "the good SLO still loads")
	errs := out["errors"].([]any)
	require.GreaterOrEqual(t, len(errs), 2)
	lines := map[float64]bool{}
	for _, e := range errs {
		em := e.(map[string]any)
		require.Equal(t, "inline", em["file"])
		require.Equal(t, "a-bad", em["slo"])
		lines[em["line"].(float64)] = true
	}
	require.True(t, lines[9], "objective error on line 9: %v", errs)
	require.True(t, lines[12], "PromQL error on line 12: %v", errs)

	body, _ = json.Marshal(ValidateRequest{YAML: "service: a\nslos:\n\t- name: x\n"})
	_, out = callResource(t, ds, http.MethodPost, "validate", body)
	require.Equal(t, false, out["valid"])
	first := out["errors"].([]any)[0].(map[string]any)
	require.Equal(t, float64(3), first["line"], "the tab on line 3")
	require.Contains(t, first["message"], "YAML syntax error")
}

func TestResourceUnknownPath(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	status, out := callResource(t, ds, http.MethodGet, "nothing", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, out["error"], "GET /slos")
}

func TestResourceGetThresholdPromQL(t *testing.T) {
	ds := newTestDatasource(t, "", map[string]any{"definitionPaths": []string{}, "definitions": `service: web
slos:
  - name: probe-up
    objective: 99
    window: 7d
    indicator:
      threshold: {gauge: 'probe_success{job="blackbox"}', op: ">=", value: 1}
`})
	status, out := callResource(t, ds, http.MethodGet, "slos/probe-up", nil)
	require.Equal(t, http.StatusOK, status)
	pq := out["promql"].(map[string]any)
	require.Empty(t, pq["error"])
	require.Contains(t, pq["good"], "probe_success")
	require.Contains(t, pq["total"], "count_over_time")
}

// Hostile resource calls get a clear 4xx, never a redirect, a panic or a gRPC error.
func TestResourceHostilePaths(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	for _, c := range []struct {
		method, path string
		body         []byte
		status       int
		says         string
	}{
		{http.MethodPost, "validate", nil, http.StatusBadRequest, "empty body"},
		{http.MethodPost, "validate", []byte("   \n"), http.StatusBadRequest, "empty body"},
		{http.MethodGet, "slos/../../etc/passwd", nil, http.StatusBadRequest, "bad resource path"},
		{http.MethodGet, "slos/..%2F..%2Fetc%2Fpasswd", nil, http.StatusBadRequest, "bad resource path"},
		{http.MethodGet, "slos/a\x00b", nil, http.StatusBadRequest, "bad resource path"},
		{http.MethodGet, "slos//checkout", nil, http.StatusBadRequest, "bad resource path"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			status, out := callResource(t, ds, c.method, c.path, c.body)
			require.Equal(t, c.status, status, "%v", out)
			require.Contains(t, out["error"], c.says)
		})
	}
}
