package plugin

import (
	"context"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// BenchmarkHistory12Months runs a history query of 12 back-to-back 30-day windows
// (360 days, ending at the end of the demo history) without the chunk cache, and
// reports the range requests it costs: one bucketed fetch per SLO (1h buckets, a few
// chunks), never one query per period or per step.
func BenchmarkHistory12Months(b *testing.B) {
	srv := promtest.Shared(b)
	ds := newTestDatasource(b, srv.URL, map[string]any{"cacheEntries": 0, "definitions": benchSLO, "definitionPaths": []string{}})
	end := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	s := ds.defs.Current().SLOs[0]
	h, err := ds.engine.History(context.Background(), s, engine.HistoryOptions{
		Period: engine.RollingPeriod, Window: 30 * 24 * time.Hour, Periods: 12, End: end, Share: 0.9})
	if err != nil {
		b.Fatal(err)
	}
	q := query("A", QueryHistory, end.AddDate(-1, 0, 0), end, time.Hour, `{"slo":"bench-availability","periods":12,"period":"rolling","window":"30d"}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := ds.QueryData(context.Background(), reqOf(q))
		if err != nil || resp.Responses["A"].Error != nil {
			b.Fatal(err, resp.Responses["A"].Error)
		}
	}
	b.ReportMetric(float64(h.Fetched.Requests), "range-requests/op")
	b.ReportMetric(float64(len(h.Fetched.Queries)), "queries/op")
}
