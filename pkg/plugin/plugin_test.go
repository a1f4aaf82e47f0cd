package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// fakeSource is a fault-injecting metrics source.
func fakeSource(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestQueryErrorsStayOnTheirRefID(t *testing.T) {
	srv := fakeSource(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	ds := newTestDatasource(t, srv.URL, nil)
	resp := run(t, ds,
		query("unknownType", "nope", t0, t0.Add(time.Hour), time.Minute, `{}`),
		query("badJSON", QueryCatalog, t0, t0.Add(time.Hour), time.Minute, `{"slo": 3`),
		query("unknownSLO", QueryCatalog, t0, t0.Add(time.Hour), time.Minute, `{"slo":"no-such-slo"}`),
		query("badRegex", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{"slo":"(["}`),
		query("badWindow", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{"window":"1M"}`),
		query("down", QueryStatus, t0, t0.Add(time.Hour), time.Minute, `{}`),
		query("ok", QueryCatalog, t0, t0.Add(time.Hour), time.Minute, `{}`),
	)
	cases := map[string]struct {
		msg string
		src backend.ErrorSource
	}{
		"unknownType": {`unknown query type "nope"`, backend.ErrorSourceDownstream},
		"badJSON":     {"bad query JSON", backend.ErrorSourceDownstream},
		"unknownSLO":  {`unknown SLO "no-such-slo"`, backend.ErrorSourceDownstream},
		"badRegex":    {"query field slo", backend.ErrorSourceDownstream},
		"badWindow":   {"query field window", backend.ErrorSourceDownstream},
		// Every SLO failing on the same source error is the query's error, as in
		// Grafana's Prometheus data source: the panel shows it, alert rules go to Error.
		"down": {"SLO checkout-availability: ", backend.ErrorSourceDownstream},
	}
	for ref, c := range cases {
		dr := resp.Responses[ref]
		require.Error(t, dr.Error, ref)
		require.Contains(t, dr.Error.Error(), c.msg, ref)
		require.Equal(t, c.src, dr.ErrorSource, ref)
	}
	require.Contains(t, resp.Responses["down"].Error.Error(), "500")
	require.Equal(t, backend.StatusBadGateway, resp.Responses["down"].Status)
	ok := resp.Responses["ok"]
	require.NoError(t, ok.Error)
	require.Equal(t, 3, ok.Frames[0].Rows())
}

func TestSourceFaultsGiveDownstreamErrors(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	cases := map[string]http.HandlerFunc{
		"5xx": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		},
		"garbage": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>not json")) },
		"hang": func(w http.ResponseWriter, r *http.Request) {
			// Read the form body, so that the server notices when the client gives up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-block:
			case <-r.Context().Done():
			}
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			srv := fakeSource(t, h)
			ds := newTestDatasource(t, srv.URL, map[string]any{"timeout": 1})
			resp := run(t, ds, query("A", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{"slo":"checkout-availability"}`))
			dr := resp.Responses["A"]
			require.Error(t, dr.Error)
			require.Equal(t, backend.ErrorSourceDownstream, dr.ErrorSource)
			require.Contains(t, dr.Error.Error(), "checkout-availability")
		})
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	srv := fakeSource(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	url := strings.Replace(srv.URL, "http://", "http://admin:hunter2-url@", 1)
	raw, _ := json.Marshal(map[string]any{"definitionPaths": []string{"testdata/slos.yaml"}, "httpHeaderName1": "X-Scope-OrgID"})
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		Type: PluginID, URL: url, JSONData: raw, BasicAuthEnabled: true, BasicAuthUser: "admin",
		DecryptedSecureJSONData: map[string]string{"basicAuthPassword": "hunter2-basic", "httpHeaderValue1": "hunter2-header"},
	})
	require.NoError(t, err)
	ds := inst.(*Datasource)
	resp := run(t, ds, query("A", QueryStatus, t0, t0.Add(time.Hour), time.Minute, `{}`), query("B", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{}`))
	health, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	out, _ := json.Marshal(resp)
	all := string(out) + health.Message + string(health.JSONDetails)
	for _, secret := range []string{"hunter2-url", "hunter2-basic", "hunter2-header"} {
		require.NotContains(t, all, secret)
	}
	require.Equal(t, backend.HealthStatusError, health.Status)
}

func TestHealthWhenSourceIsDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	ds := newTestDatasource(t, url, nil)
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Contains(t, res.Message, "not reachable")
}

func TestHealthWithoutURL(t *testing.T) {
	ds := newTestDatasource(t, "", nil)
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Contains(t, res.Message, "no metrics source URL")
	// Definitions still serve the catalog.
	resp := run(t, ds, query("A", QueryCatalog, t0, t0.Add(time.Hour), time.Minute, `{}`))
	require.NoError(t, resp.Responses["A"].Error)
}

func TestSettings(t *testing.T) {
	cases := []struct {
		name, json string
		err        string
		timeout    time.Duration
		conc       int
	}{
		{"defaults", `{}`, "", DefaultTimeout, DefaultMaxConcurrency},
		{"set", `{"timeout": 5, "maxConcurrency": 8}`, "", 5 * time.Second, 8},
		{"negative timeout", `{"timeout": -1}`, "timeout must not be negative", 0, 0},
		{"too many", `{"maxConcurrency": 1000}`, "maxConcurrency must be between", 0, 0},
		{"bad json", `{"timeout": "x"}`, "read data source settings", 0, 0},
		{"range semantics", `{"rangeSemantics": "leftOpen"}`, "", DefaultTimeout, DefaultMaxConcurrency},
		{"bad range semantics", `{"rangeSemantics": "open"}`, "rangeSemantics must be auto, lastSample, anchored or lookbehind", 0, 0},
		{"scrape interval and gap", `{"timeInterval": "30s", "maxGap": "2h"}`, "", DefaultTimeout, DefaultMaxConcurrency},
		{"bad scrape interval", `{"timeInterval": "often"}`, "timeInterval \"often\" is not a duration", 0, 0},
		{"gap too short", `{"maxGap": "10s"}`, "maxGap \"10s\" must be between 1m and 1w", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(c.json)})
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.timeout, s.TimeoutDuration())
			require.Equal(t, c.conc, s.Concurrency())
		})
	}
}

func reqOf(qs ...backend.DataQuery) *backend.QueryDataRequest {
	return &backend.QueryDataRequest{Queries: qs}
}

func TestAllFailed(t *testing.T) {
	slos := []*slo.SLO{{Name: "a"}, {Name: "b"}}
	down := fmt.Errorf("%w: HTTP 503", source.ErrDownstream)
	same := []error{fmt.Errorf("SLO a: %w", down), fmt.Errorf("SLO b: %w", down)}
	err := allFailed(slos, same)
	require.ErrorIs(t, err, source.ErrDownstream)
	require.Equal(t, "all 2 SLOs of this query failed the same way; the first: SLO a: metrics source error: HTTP 503", err.Error())
	require.NoError(t, allFailed(slos, []error{same[0], nil}), "some SLOs answered: rows plus notices")
	require.NoError(t, allFailed(nil, nil))
	err = allFailed(slos, []error{same[0], errors.New("SLO b: other")})
	require.Equal(t, "SLO a: metrics source error: HTTP 503\nSLO b: other", err.Error())
}

// A query has one deadline, the data source's timeout, whatever number of requests it
// needs: here each answer takes 0.6 s, within the 1 s timeout of a request, but the
// probe and the queries after it do not fit in one.
func TestOneDeadlinePerQuery(t *testing.T) {
	srv := fakeSource(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		select {
		case <-time.After(600 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.Form.Get("query"), "anchored"):
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"status":"error","errorType":"bad_data","error":"parse error: unexpected identifier \"anchored\""}`)
		case strings.HasSuffix(r.URL.Path, "/query"):
			_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"90"]}]}}`)
		default:
			_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		}
	})
	ds := newTestDatasource(t, srv.URL, map[string]any{"timeout": 1})
	resp := run(t, ds, query("A", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{"slo":"checkout-availability"}`))
	dr := resp.Responses["A"]
	require.Error(t, dr.Error)
	require.Contains(t, dr.Error.Error(), "the query did not finish within the data source's timeout of 1s")
	require.Equal(t, backend.ErrorSourceDownstream, dr.ErrorSource)
	require.Equal(t, backend.StatusTimeout, dr.Status)
}

// A query naming an SLO of a file that did not load says where the file failed.
func TestUnknownSLONamesTheFailedFile(t *testing.T) {
	res := definitions.Parse("slos/broken.yaml", []byte("service: shop\nslos:\n  - name: checkout\n    objective: [\n"))
	require.NotEmpty(t, res.Errors)
	_, err := Select(res, models.Selection{SLO: "checkout"})
	require.ErrorContains(t, err, `unknown SLO "checkout"`)
	require.ErrorContains(t, err, "slos/broken.yaml:")
}

// The plugin reads definitions only from absolute paths an admin named: an empty or a
// relative path would read from Grafana's working directory.
func TestDefinitionPathsMustBeAbsolute(t *testing.T) {
	relativePathsForTests = false
	t.Cleanup(func() { relativePathsForTests = true })
	for _, p := range []string{"", "testdata/slos.yaml", "/etc/../etc/nines"} {
		ds := newTestDatasource(t, "", map[string]any{"definitionPaths": []string{p}})
		res := ds.defs.Current()
		require.Empty(t, res.SLOs, "%q", p)
		require.NotEmpty(t, res.Errors, "%q", p)
		t.Logf("%q: %s", p, res.Errors[0])
	}
}

// A source answering more than maxResponseMB fails that query with words that say so,
// and the plugin stays up.
func TestLargeAnswerIsRefused(t *testing.T) {
	srv := fakeSource(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/query") && !strings.Contains(r.Form.Get("query"), "anchored") {
			_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"90"]}]}}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"`)
		pad := strings.Repeat("x", 64<<10)
		for range 48 { // 3 MB of one label value
			if _, err := io.WriteString(w, pad); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"},"values":[]}]}}`)
	})
	ds := newTestDatasource(t, srv.URL, map[string]any{"maxResponseMB": 1})
	dr := run(t, ds, query("A", QuerySLI, t0, t0.Add(time.Hour), time.Minute, `{"slo":"checkout-availability"}`)).Responses["A"]
	require.Error(t, dr.Error)
	require.Contains(t, dr.Error.Error(), "exceeded 1 MB")
	require.Equal(t, backend.ErrorSourceDownstream, dr.ErrorSource)

	_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"maxResponseMB": 2048}`)})
	require.ErrorContains(t, err, "maxResponseMB must be between 1 and 1024")
}
