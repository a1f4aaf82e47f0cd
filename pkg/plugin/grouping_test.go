package plugin

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// groupRoutes are the routes of the grouping test, each scraped its own way.
var groupRoutes = []struct {
	route string
	cfg   demo.ScrapeConfig
}{
	{"/cart", demo.ScrapeConfig{Interval: 15 * time.Second, Offset: 4*time.Second + 321*time.Millisecond, Jitter: 50 * time.Millisecond, MissRate: 0.01, Seed: 11}},
	{"/pay", demo.ScrapeConfig{Interval: 30 * time.Second, Offset: 17*time.Second + 5*time.Millisecond, Jitter: 50 * time.Millisecond, MissRate: 0.02, Seed: 12}},
	{"/search", demo.ScrapeConfig{Interval: time.Minute, Offset: 41*time.Second + 777*time.Millisecond, Jitter: 50 * time.Millisecond, MissRate: 0.01, Seed: 13}},
}

// groupedDefs holds the grouped SLOs and the same SLO written once per route by hand.
func groupedDefs() string {
	defs := `service: shop
slos:
  - name: api
    displayName: API availability
    objective: 99.5
    window: 7d
    grouping: [route]
    indicator:
      ratio:
        bad: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
  - name: api-by-route-job
    objective: 99.5
    window: 7d
    grouping: [route, job]
    indicator:
      ratio:
        bad: http_requests_total{code=~"5.."}
        total: http_requests_total
`
	for i, r := range groupRoutes {
		defs += fmt.Sprintf(`  - name: by-hand-%d
    objective: 99.5
    window: 7d
    indicator:
      ratio:
        bad: http_requests_total{job="checkout",route=%q,code=~"5.."}
        total: http_requests_total{job="checkout",route=%q}
`, i, r.route, r.route)
	}
	return defs
}

// A grouped SLO's figures per group equal those of the same SLO written once per
// route by hand, on a real Prometheus holding off-grid scrapes of several routes (with
// missed scrapes and a restart): status rows with a route column, and series labelled
// with the route.
func TestGroupedSLOEqualsHandWritten(t *testing.T) {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 12, Seed: demo.DefaultSeed})
	samples := &demo.Samples{Truth: h}
	restart := time.Date(2026, 2, 9, 13, 7, 12, 0, time.UTC)
	for _, r := range groupRoutes {
		cfg := r.cfg
		cfg.Restarts = []time.Time{restart}
		samples.Series = append(samples.Series, h.Scrape(cfg, func(s *demo.Series) bool {
			return s.Metric == "http_requests_total" && s.Labels["job"] == "checkout"
		}, map[string]string{"route": r.route})...)
	}
	srv := promtest.StartSamples(t, samples)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitions": groupedDefs(), "definitionPaths": []string{}})
	to := time.Date(2026, 2, 12, 9, 43, 0, 0, time.UTC)
	from := to.Add(-6 * time.Hour)

	t.Run("status", func(t *testing.T) {
		dr := run(t, ds, query("A", QueryStatus, from, to, time.Minute, `{}`)).Responses["A"]
		require.NoError(t, dr.Error)
		f := dr.Frames[0]
		assert.Empty(t, f.Meta.Notices)
		rows := statusRows(t, f)
		require.Len(t, rows, 3+3+3, "three groups of each grouped SLO, and the three by hand")
		for i, r := range groupRoutes {
			by := rows[fmt.Sprintf("by-hand-%d", i)]
			for _, name := range []string{"api " + r.route + " ", "api-by-route-job " + r.route + " checkout"} {
				got, ok := rows[name]
				require.True(t, ok, "row %q in %v", name, rowNames(rows))
				for _, c := range []string{"SLI", "Budget remaining", "Burn rate 1h", "Burn rate 6h", "Events"} {
					require.NotNil(t, by[c], c)
					require.NotNil(t, got[c], c)
					assert.InDelta(t, *by[c], *got[c], 1e-9*math.Max(1, math.Abs(*by[c])), "%s %s", name, c)
				}
			}
		}
	})

	t.Run("sli series", func(t *testing.T) {
		dr := run(t, ds, query("A", QuerySLI, from, to, 5*time.Minute, `{"slo":"api","window":"1h"}`),
			query("B", QuerySLI, from, to, 5*time.Minute, `{"slo":"by-hand-.*","window":"1h"}`))
		got, want := dr.Responses["A"], dr.Responses["B"]
		require.NoError(t, got.Error)
		require.NoError(t, want.Error)
		require.Len(t, got.Frames, 3)
		for i, r := range groupRoutes {
			g, w := got.Frames[i], want.Frames[i]
			assert.Equal(t, data.Labels{"slo": "api", "service": "shop", "route": r.route}, g.Fields[1].Labels)
			assert.Equal(t, fmt.Sprintf(`API availability {route=%q} SLI (1h)`, r.route), g.Fields[1].Config.DisplayNameFromDS)
			require.Equal(t, w.Rows(), g.Rows())
			values := 0
			for j := 0; j < w.Rows(); j++ {
				wv, gv := w.Fields[1].At(j).(*float64), g.Fields[1].At(j).(*float64)
				require.Equal(t, wv == nil, gv == nil, "%s point %d", r.route, j)
				if wv != nil {
					values++
					assert.InDelta(t, *wv, *gv, 1e-9, "%s point %d", r.route, j)
				}
			}
			assert.Greater(t, values, 60, r.route)
		}
	})

	t.Run("groups resource for template variables", func(t *testing.T) {
		window := fmt.Sprintf("from=%d&to=%d", from.UnixMilli(), to.UnixMilli())
		status, body := callResource(t, ds, "GET", "slos/api-by-route-job/groups?label=route&"+window, nil)
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, []any{"/cart", "/pay", "/search"}, body["values"])
		assert.Equal(t, []any{"route", "job"}, body["grouping"])
		assert.Len(t, body["groups"], 3)
		status, body = callResource(t, ds, "GET", "slos?slo=api-by-route-job", nil)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, []any{"route", "job"}, body["slos"].([]any)[0].(map[string]any)["grouping"])
		status, body = callResource(t, ds, "GET", "slos/api/groups?label=job&"+window, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, `SLO "api" is not grouped by "job" (grouping: route)`, body["error"])
		status, body = callResource(t, ds, "GET", "slos/by-hand-0/groups", nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, `SLO "by-hand-0" has no grouping`, body["error"])
		status, body = callResource(t, ds, "GET", "slos/api/groups?from=x", nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, `from "x": want Unix milliseconds`, body["error"])
	})

	t.Run("requests", func(t *testing.T) {
		// Without the cache: a grouped SLO costs one group lookup plus at most what its
		// groups cost as SLOs of their own (fewer where the engine batches them).
		var n atomic.Int64
		target, err := url.Parse(srv.URL)
		require.NoError(t, err)
		proxy := httputil.NewSingleHostReverseProxy(target)
		counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			proxy.ServeHTTP(w, r)
		}))
		defer counting.Close()
		count := func(slo string) int64 {
			// A fresh data source each time: no cache, no answers kept from another query.
			ds := newTestDatasource(t, counting.URL, map[string]any{"definitions": groupedDefs(), "definitionPaths": []string{},
				"cacheEntries": 0, "rangeSemantics": "lastSample"})
			before := n.Load()
			dr := run(t, ds, query("A", QueryStatus, from, to, time.Minute, fmt.Sprintf(`{"slo":%q}`, slo))).Responses["A"]
			require.NoError(t, dr.Error)
			return n.Load() - before
		}
		grouped := count("api")
		var byHand int64
		for i := range groupRoutes {
			byHand += count(fmt.Sprintf("by-hand-%d", i))
		}
		t.Logf("status of a grouped SLO with %d groups: %d requests; the %d SLOs by hand: %d", len(groupRoutes), grouped, len(groupRoutes), byHand)
		assert.LessOrEqual(t, grouped, byHand+1)
	})

	t.Run("a label filter picks a group", func(t *testing.T) {
		dr := run(t, ds, query("A", QueryBurnRate, from, to, 5*time.Minute, `{"slo":"api","labels":{"route":"/pay"},"window":"1h"}`)).Responses["A"]
		require.NoError(t, dr.Error)
		require.Len(t, dr.Frames, 1)
		assert.Equal(t, data.Labels{"slo": "api", "service": "shop", "route": "/pay", "window": "1h"}, dr.Frames[0].Fields[1].Labels)
	})
}

// statusRows maps the status table's rows by SLO and group columns to their numbers.
func statusRows(t *testing.T, f *data.Frame) map[string]map[string]*float64 {
	t.Helper()
	cols := map[string]*data.Field{}
	for _, fl := range f.Fields {
		cols[fl.Name] = fl
	}
	require.Contains(t, cols, "route")
	require.Contains(t, cols, "job")
	out := map[string]map[string]*float64{}
	for i := 0; i < f.Rows(); i++ {
		name := cols["SLO"].At(i).(string)
		if route := cols["route"].At(i).(string); route != "" {
			name += " " + route + " " + cols["job"].At(i).(string)
		}
		require.Equal(t, "ok", cols["Status"].At(i), "%s: %v", name, cols["Message"].At(i))
		row := map[string]*float64{}
		for _, c := range []string{"SLI", "Budget remaining", "Burn rate 1h", "Burn rate 6h", "Events"} {
			row[c] = cols[c].At(i).(*float64)
		}
		out[name] = row
	}
	return out
}

func rowNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
