package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// alertingSLOs are a checkout SLO and a search SLO on the 30-second real-scrape history.
const alertingSLOs = realScrapeSLO + `---
service: search
slos:
  - name: search-30s
    objective: 99.5
    window: 7d
    indicator:
      ratio:
        bad: search_errors_total{job="search",interval="30s"}
        total: search_requests_total{job="search",interval="30s"}
`

// grafanaMaxDataPoints is what Grafana's alerting sends as maxDataPoints unless the rule
// sets it (pkg/services/ngalert/models/alert_query.go, defaultMaxDataPoints); its default
// interval is 1 s (defaultIntervalMS).
const grafanaMaxDataPoints = 43200

// alertingClient runs the plugin over gRPC, as Grafana does, on the real-scrape history.
func alertingClient(t *testing.T) (*datasourcetest.TestPluginClient, backend.PluginContext, *demo.History) {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 40, Seed: demo.DefaultSeed})
	srv := promtest.StartSamples(t, demo.RealScrapes(h, []time.Duration{30 * time.Second}))
	tp := grpcPlugin(t)
	jsonData, err := json.Marshal(map[string]any{"definitions": alertingSLOs, "definitionPaths": []string{}, "timeInterval": "30s"})
	require.NoError(t, err)
	pctx := backend.PluginContext{OrgID: 1, PluginID: PluginID, DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
		ID: 2, UID: "nines-alerting-" + t.Name(), Name: "Nines", URL: srv.URL, JSONData: jsonData, Updated: time.Unix(1, 0)}}
	return tp.Client, pctx, h
}

// alertQueries are the queries of one evaluation as Grafana's alerting sends them: the
// rule's relative range (now-10m to now), its interval, the default maxDataPoints.
func alertQueries(now time.Time, interval time.Duration) []backend.DataQuery {
	tr := backend.TimeRange{From: now.Add(-10 * time.Minute), To: now}
	return []backend.DataQuery{
		{RefID: "A", QueryType: QueryBurnRate, TimeRange: tr, Interval: interval, MaxDataPoints: grafanaMaxDataPoints, JSON: []byte(`{"slo":"checkout-30s"}`)},
		{RefID: "B", QueryType: QueryAlerts, TimeRange: tr, Interval: interval, MaxDataPoints: grafanaMaxDataPoints, JSON: []byte(`{}`)},
	}
}

// evaluation is what an alert rule sees at one instant.
type evaluation struct {
	burn1h       *float64          // reduce(last) of the checkout 1h burnRate series
	burnWindows  map[string]bool   // windows of the burnRate series
	state        map[string]string // alerts: "slo long/short" → Grafana state of threshold(value > 1)
	longBurn     map[string]*float64
	tableState   map[string]string // the "alert windows" table's State
	instanceKeys int
}

// evaluate sends one evaluation and reads the answer as SSE and the alert evaluator would.
func evaluate(t *testing.T, c *datasourcetest.TestPluginClient, pctx backend.PluginContext, now time.Time, interval time.Duration) evaluation {
	t.Helper()
	resp, err := c.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: pctx, Queries: alertQueries(now, interval)})
	require.NoError(t, err)
	ev := evaluation{burnWindows: map[string]bool{}, state: map[string]string{}, longBurn: map[string]*float64{}, tableState: map[string]string{}}

	a := resp.Responses["A"]
	require.NoError(t, a.Error)
	series, err := sseRead(a.Frames)
	require.NoError(t, err, "burnRate frames are what SSE reads")
	require.NoError(t, uniqueInstances(series))
	require.Len(t, series, 4, "one series per alerting window of checkout-30s")
	for _, s := range series {
		require.True(t, s.series)
		require.Equal(t, "checkout-30s", s.labels["slo"])
		require.NotEmpty(t, s.times, "a 10-minute range has points")
		require.False(t, s.times[len(s.times)-1].After(now), "no point after now")
		require.True(t, now.Sub(s.times[len(s.times)-1]) < time.Minute, "the last point is this minute's")
		ev.burnWindows[s.labels["window"]] = true
		if s.labels["window"] == "1h" {
			ev.burn1h = reduceLast(s)
		}
	}

	b := resp.Responses["B"]
	require.NoError(t, b.Error)
	require.Len(t, b.Frames, 2)
	numbers, err := sseRead(b.Frames)
	require.NoError(t, err, "the alerts frame is what SSE reads")
	require.NoError(t, uniqueInstances(numbers))
	ev.instanceKeys = len(numbers)
	for _, n := range numbers {
		require.False(t, n.series)
		require.Equal(t, "value", n.name, "one number per row: the alert ratio")
		require.ElementsMatch(t, []string{"slo", "service", "severity", "long", "short"}, keys(n.labels))
		ev.state[n.labels["slo"]+" "+n.labels["long"]+"/"+n.labels["short"]] = alertState(thresholdAbove(reduceLast(n), 1))
	}
	tbl := b.Frames[1]
	for i := 0; i < tbl.Rows(); i++ {
		k := fmt.Sprintf("%v %v/%v", cell(t, tbl, "SLO", i), cell(t, tbl, "Long window", i), cell(t, tbl, "Short window", i))
		ev.tableState[k] = cell(t, tbl, "State", i).(string)
		ev.longBurn[k] = cell(t, tbl, "Long burn rate", i).(*float64)
	}
	return ev
}

func keys(l data.Labels) []string {
	var out []string
	for k := range l {
		out = append(out, k)
	}
	return out
}

func cell(t *testing.T, f *data.Frame, name string, row int) any {
	t.Helper()
	fl, _ := f.FieldByName(name)
	require.NotNil(t, fl, "field %s", name)
	return fl.At(row)
}

// A Grafana-managed alert rule on Nines, evaluated every minute across the 30-minute
// checkout outage of the real-scrape history (30-second scrapes off the minute grid,
// with jitter and missed scrapes): the burnRate and alerts frames are what SSE's reduce
// and threshold expressions accept; the page alert of the 1h/5m pair fires within 5
// minutes of the outage's start, resolves once the short window is clean while the long
// one still burns, the 6h/30m pair keeps firing, and nothing fires before the outage or
// for search, which burns below 1 throughout.
func TestAlertRuleEvaluationEveryMinute(t *testing.T) {
	c, pctx, h := alertingClient(t)
	const page1h, page6h = "checkout-30s 1h/5m", "checkout-30s 6h/30m"
	firstFiring := time.Duration(-1)
	for k := -3; k <= 42; k++ {
		// Grafana evaluates at its own offset inside the minute.
		now := demo.Outage.Add(time.Duration(k)*time.Minute + 17*time.Second)
		ev := evaluate(t, c, pctx, now, time.Minute)
		require.Equal(t, map[string]bool{"1h": true, "6h": true, "1d": true, "3d": true}, ev.burnWindows)
		require.Equal(t, 8, ev.instanceKeys, "4 pairs for each of 2 SLOs")
		for key, st := range ev.state {
			want := map[string]string{"Alerting": alertFiring, "Normal": alertOK, "NoData": alertNoData}[st]
			require.Equal(t, want, ev.tableState[key], "%s at %s: the table says what the alert sees", key, now)
		}
		// The alerts frame and the burnRate series agree on the 1h burn rate.
		require.NotNil(t, ev.burn1h)
		require.NotNil(t, ev.longBurn[page1h])
		require.InEpsilon(t, *ev.burn1h, *ev.longBurn[page1h], 1e-9, "1h burn rate at %s", now)
		for _, pair := range []string{"1h/5m", "6h/30m", "1d/2h", "3d/6h"} {
			require.Equal(t, "Normal", ev.state["search-30s "+pair], "search %s at %s", pair, now)
		}
		switch {
		case k < 0:
			for key, st := range ev.state {
				require.Equal(t, "Normal", st, "%s before the outage", key)
			}
			require.Less(t, *ev.burn1h, 14.4)
		case k >= 5 && k < 30:
			require.Equal(t, "Alerting", ev.state[page1h], "1h/5m during the outage, %s", now)
			require.Greater(t, *ev.burn1h, 14.4)
		case k >= 37:
			// The 5-minute window is clean again: the page resolves although the hour still burns.
			require.Equal(t, "Normal", ev.state[page1h], "1h/5m after the outage, %s", now)
			require.Greater(t, *ev.burn1h, 14.4)
			require.Equal(t, "Alerting", ev.state[page6h], "6h/30m still firing, %s", now)
		}
		if firstFiring < 0 && ev.state[page1h] == "Alerting" {
			firstFiring = now.Sub(demo.Outage)
		}
		if k == 10 {
			// Against the events the history really holds in the hour before.
			end := now.Truncate(time.Minute)
			bad := h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, end.Add(-time.Hour), end)
			total := h.True("http_requests_total", map[string]string{"job": "checkout"}, end.Add(-time.Hour), end)
			require.InEpsilon(t, bad/total/0.001, *ev.burn1h, 0.02, "1h burn rate against the truth")
		}
	}
	require.GreaterOrEqual(t, firstFiring, time.Duration(0))
	require.LessOrEqual(t, firstFiring, 5*time.Minute, "a fast burn pages within 5 minutes")
	t.Logf("the 1h/5m page fired %s after the outage started", firstFiring)
}

// Grafana's own defaults (1-second interval, 43,200 points) give the same answers as a
// 1-minute interval: points are never finer than a minute.
func TestAlertRuleDefaultInterval(t *testing.T) {
	c, pctx, _ := alertingClient(t)
	for _, k := range []int{-2, 6, 40} {
		now := demo.Outage.Add(time.Duration(k)*time.Minute + 41*time.Second)
		a, b := evaluate(t, c, pctx, now, time.Second), evaluate(t, c, pctx, now, time.Minute)
		require.Equal(t, b.state, a.state, "at %s", now)
		require.Equal(t, *b.burn1h, *a.burn1h, "at %s", now)
	}
}
