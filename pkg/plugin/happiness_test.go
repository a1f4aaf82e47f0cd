package plugin

import (
	"math"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

func happinessDS(t *testing.T) (*Datasource, *promtest.Server) {
	srv := promtest.Shared(t)
	return newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{"testdata/happiness.yaml"}}), srv
}

func field(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	fl, idx := f.FieldByName(name)
	require.GreaterOrEqual(t, idx, 0, "field %q of %s", name, f.Name)
	return fl
}

// The coefficients equal those computed from the generator's own counts, to 1e-6;
// intervals without traffic (the scrape gap) are left out and counted.
func TestHappinessMatchesTruth(t *testing.T) {
	ds, srv := happinessDS(t)
	h := srv.History
	from := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-availability","signal":"support tickets"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	require.Len(t, dr.Frames, 2)
	sum, aligned := dr.Frames[0], dr.Frames[1]

	// Truth: hourly SLI and tickets from the generator's counts.
	var x, y []float64
	noTraffic := 0
	for t0 := from; t0.Before(to); t0 = t0.Add(time.Hour) {
		t1 := t0.Add(time.Hour)
		total := h.True("http_requests_total", map[string]string{"job": "checkout"}, t0, t1)
		bad := h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, t0, t1)
		if total == 0 {
			x = append(x, math.NaN())
			noTraffic++
		} else {
			x = append(x, 1-bad/total)
		}
		y = append(y, h.True("support_tickets_total", map[string]string{"product": "checkout"}, t0, t1))
	}
	require.Equal(t, 6, noTraffic, "the 6 h scrape gap")
	pr, n, _ := budget.Pearson(x, y)
	sr, _, _ := budget.Spearman(x, y)
	lag, lr, _ := budget.BestLag(x, y, 6)
	t.Logf("truth: Pearson %.6f, Spearman %.6f, best lag %d (r %.6f), %d intervals", pr, sr, lag, lr, n)

	gotP, gotS, gotL := *field(t, sum, "Pearson").At(0).(*float64), *field(t, sum, "Spearman").At(0).(*float64), *field(t, sum, "Pearson at best lag").At(0).(*float64)
	t.Logf("plugin: Pearson %.6f, Spearman %.6f, r at best lag %.6f (differences %.1e, %.1e, %.1e)", gotP, gotS, gotL, math.Abs(gotP-pr), math.Abs(gotS-sr), math.Abs(gotL-lr))
	require.Equal(t, len(x), aligned.Rows())
	require.Equal(t, int64(n), field(t, sum, "Intervals used").At(0))
	require.Equal(t, int64(noTraffic), field(t, sum, "No traffic").At(0))
	require.InDelta(t, pr, *field(t, sum, "Pearson").At(0).(*float64), 1e-6)
	require.InDelta(t, sr, *field(t, sum, "Spearman").At(0).(*float64), 1e-6)
	require.InDelta(t, lr, *field(t, sum, "Pearson at best lag").At(0).(*float64), 1e-6)
	require.Equal(t, 1, lag)
	require.Equal(t, 3600.0, *field(t, sum, "Best lag").At(0).(*float64))
	require.Equal(t, "strong", field(t, sum, "Strength").At(0))
	require.Contains(t, field(t, sum, "Verdict").At(0), "strong: support tickets rises when checkout availability falls (Pearson −0.9")
	for i := 0; i < aligned.Rows(); i++ {
		v := aligned.Fields[1].At(i).(*float64)
		if math.IsNaN(x[i]) {
			require.Nil(t, v)
			continue
		}
		require.InDelta(t, x[i], *v, 1e-9)
		require.InDelta(t, y[i], *aligned.Fields[2].At(i).(*float64), 1e-9)
	}
}

func TestHappinessGolden(t *testing.T) {
	ds, _ := happinessDS(t)
	from := time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 1, 29, 0, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-availability","signal":"support tickets","interval":"2h","maxLag":3}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	experimental.CheckGoldenJSONResponse(t, "testdata/golden", "happiness", &dr, *update)
}

func TestHappinessSignals(t *testing.T) {
	ds, _ := happinessDS(t)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)

	// Several series and no combine: a clear error asking for an aggregation.
	dr := run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-availability","signal":"requests by code"}`)).Responses["A"]
	require.Error(t, dr.Error)
	require.Contains(t, dr.Error.Error(), `happiness signal "requests by code"`)
	require.Contains(t, dr.Error.Error(), "returned 2 series")
	require.Contains(t, dr.Error.Error(), "combine: sum|avg|max|min")

	// combine: sum makes it one series.
	dr = run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-combined"}`)).Responses["A"]
	require.NoError(t, dr.Error)
	require.Len(t, dr.Frames, 2)
	require.Contains(t, dr.Frames[0].Meta.ExecutedQueryString, `sum((last_over_time(http_requests_total{job="checkout"}[1h]) - last_over_time(http_requests_total{job="checkout"}[1h] offset 1h) >= 0`)

	// A gauge signal, and a PromQL expression as the signal.
	dr = run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-availability","signal":"probe"}`)).Responses["A"]
	require.NoError(t, dr.Error)
	require.Contains(t, dr.Frames[0].Meta.ExecutedQueryString, `avg_over_time(probe_success{job="blackbox"}[1h])`)
	dr = run(t, ds, query("A", QueryHappiness, from, to, time.Minute, `{"slo":"checkout-availability","signal":"sum(support_tickets_total)"}`)).Responses["A"]
	require.NoError(t, dr.Error)
	require.Equal(t, "sum(support_tickets_total)", field(t, dr.Frames[0], "Signal").At(0))

	// Too few intervals to judge.
	dr = run(t, ds, query("A", QueryHappiness, from, from.Add(6*time.Hour), time.Minute, `{"slo":"checkout-availability","signal":"support tickets"}`)).Responses["A"]
	require.NoError(t, dr.Error)
	require.Equal(t, string(budget.TooFew), field(t, dr.Frames[0], "Strength").At(0))
	require.Contains(t, field(t, dr.Frames[0], "Verdict").At(0), "too few intervals to judge")

	// Bad options.
	for _, model := range []string{`{"signal":"support tickets","interval":"1x"}`, `{"signal":"support tickets","maxLag":-1}`, `{"slo":"checkout-availability","signal":"sum("}`} {
		dr = run(t, ds, query("A", QueryHappiness, from, to, time.Minute, model)).Responses["A"]
		require.Error(t, dr.Error, model)
	}
}
