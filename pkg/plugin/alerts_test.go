package plugin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// alertsFaultSLOs are a working SLO and one that fails on its own at query time (its
// latency threshold is not a bucket bound of the histogram).
const alertsFaultSLOs = `service: checkout
slos:
  - name: works
    objective: 99.9
    window: 7d
    indicator:
      ratio:
        bad: http_requests_total{job="checkout",code="500"}
        total: http_requests_total{job="checkout"}
  - name: fails
    objective: 99
    window: 7d
    indicator:
      latency:
        histogram: http_request_duration_seconds{job="checkout"}
        threshold: 0.3
`

// One SLO failing keeps the other's alert instances and says why in a notice and in
// error rows of the table; all failing is the query's error (the rule's error state);
// no SLO is an empty numeric table, which Grafana reads as no data.
func TestAlertsQueryFaults(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitions": alertsFaultSLOs, "definitionPaths": []string{}})
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	resp := run(t, ds,
		query("some", QueryAlerts, at.Add(-10*time.Minute), at, time.Minute, `{}`),
		query("all", QueryAlerts, at.Add(-10*time.Minute), at, time.Minute, `{"slo":"fails"}`),
		query("none", QueryAlerts, at.Add(-10*time.Minute), at, time.Minute, `{"service":"nothing"}`))

	some := resp.Responses["some"]
	require.NoError(t, some.Error)
	vs, err := sseRead(some.Frames)
	require.NoError(t, err)
	require.Len(t, vs, 4, "the working SLO's four pairs")
	for _, v := range vs {
		require.Equal(t, "works", v.labels["slo"])
	}
	require.Len(t, some.Frames[0].Meta.Notices, 1)
	require.Contains(t, some.Frames[0].Meta.Notices[0].Text, "fails")
	tbl := some.Frames[1]
	require.Equal(t, 8, tbl.Rows())
	errorRows := 0
	for i := 0; i < tbl.Rows(); i++ {
		if cell(t, tbl, "SLO", i) == "fails" {
			errorRows++
			require.Equal(t, alertError, cell(t, tbl, "State", i))
			require.NotEmpty(t, cell(t, tbl, "Message", i))
			require.Nil(t, cell(t, tbl, "Long burn rate", i))
		}
	}
	require.Equal(t, 4, errorRows)

	require.Error(t, resp.Responses["all"].Error)
	require.Contains(t, resp.Responses["all"].Error.Error(), "fails")

	none := resp.Responses["none"]
	require.NoError(t, none.Error)
	vs, err = sseRead(none.Frames)
	require.NoError(t, err)
	require.Empty(t, vs)
	require.Equal(t, 0, none.Frames[0].Rows())
}
