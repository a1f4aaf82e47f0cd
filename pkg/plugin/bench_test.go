package plugin

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nines-slo/nines/pkg/internal/promtest"
	"github.com/nines-slo/nines/pkg/promql"
)

// Benchmark range: 30 days of the demo history with a 30-day rolling window, 1h steps.
var (
	benchTo   = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	benchFrom = benchTo.Add(-30 * 24 * time.Hour)
)

// BenchmarkBudget30d runs one budget query (30-day range, 30-day rolling window, no
// cache) two ways at the steps Grafana picks for a 30-day panel: through the plugin
// (bucketed increases, windows tiled in Go) and as the PromQL a user would write by
// hand (increase(x[30d]) evaluated by Prometheus at every step).
func BenchmarkBudget30d(b *testing.B) {
	srv := promtest.Shared(b)
	ds := newTestDatasource(b, srv.URL, map[string]any{"cacheEntries": 0, "definitions": benchSLO, "definitionPaths": []string{}})
	s := ds.defs.Current().SLOs[0]
	expr, err := promql.HandWritten(s, 30*24*time.Hour, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, step := range []time.Duration{time.Hour, 30 * time.Minute, 10 * time.Minute} {
		b.Run("plugin/step="+step.String(), func(b *testing.B) {
			q := query("A", QueryBudget, benchFrom, benchTo, step, `{"slo":"bench-availability"}`)
			q.MaxDataPoints = int64(benchTo.Sub(benchFrom) / step)
			for i := 0; i < b.N; i++ {
				resp, err := ds.QueryData(ctx, reqOf(q))
				if err != nil || resp.Responses["A"].Error != nil {
					b.Fatal(err, resp.Responses["A"].Error)
				}
			}
		})
		b.Run("handwritten/step="+step.String(), func(b *testing.B) {
			v := url.Values{}
			v.Set("query", expr)
			v.Set("start", strconv.FormatInt(benchFrom.Unix(), 10))
			v.Set("end", strconv.FormatInt(benchTo.Unix(), 10))
			v.Set("step", strconv.FormatInt(int64(step/time.Second), 10))
			for i := 0; i < b.N; i++ {
				resp, err := http.PostForm(srv.URL+"/api/v1/query_range", v)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}

const benchSLO = `service: checkout
slos:
  - name: bench-availability
    objective: 99.9
    window: 30d
    indicator:
      ratio:
        good: http_requests_total{job="checkout",code!~"5.."}
        total: http_requests_total{job="checkout"}
`

// BenchmarkOverviewDashboard loads the provisioned "SLO overview" dashboard (status,
// budget, 1h burn rate and monthly history of the example SLOs over its 60-day range,
// 30-minute steps as on a full-width panel) the way Grafana does: one QueryData per
// panel, all panels at once. "cold" has the cache off; "refresh" is a dashboard refresh
// with the cache on, where every chunk already lies in the past.
func BenchmarkOverviewDashboard(b *testing.B) {
	srv := promtest.Shared(b)
	from := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	panels := []backend.DataQuery{
		query("status", QueryStatus, from, to, 30*time.Minute, `{}`),
		query("budget", QueryBudget, from, to, 30*time.Minute, `{}`),
		query("burn", QueryBurnRate, from, to, 30*time.Minute, `{"window":"1h"}`),
		query("history", QueryHistory, from, to, 30*time.Minute, `{"period":"month","periods":3,"share":0.9,"objectives":"99, 99.5, 99.9"}`),
	}
	for _, c := range []struct {
		name  string
		cache int
	}{{"cold", 0}, {"refresh", DefaultCacheMB}} {
		b.Run(c.name, func(b *testing.B) {
			ds := newTestDatasource(b, srv.URL, map[string]any{"cacheMB": c.cache, "definitionPaths": []string{"../../provisioning/slos"}})
			load := func() {
				var wg sync.WaitGroup
				for _, p := range panels {
					wg.Add(1)
					go func(p backend.DataQuery) {
						defer wg.Done()
						resp, err := ds.QueryData(context.Background(), reqOf(p))
						if err != nil || resp.Responses[p.RefID].Error != nil {
							b.Error(p.RefID, err, resp.Responses[p.RefID].Error)
						}
					}(p)
				}
				wg.Wait()
			}
			load() // warm the cache (and the data source) before timing
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				load()
			}
		})
	}
}
