package plugin

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// realScrapeSLO is a 30-second-scrape checkout SLO of the real-scrape history.
const realScrapeSLO = `service: checkout
slos:
  - name: checkout-30s
    objective: 99.9
    window: 30d
    indicator:
      ratio:
        good: http_requests_total{job="checkout",interval="30s",code!~"5.."}
        total: http_requests_total{job="checkout",interval="30s"}
`

// Through the plugin's own data path, on real-looking 30-second scrapes of a real
// Prometheus: a 5-minute SLI series across the 25-minute monitoring gap has a value
// wherever events happened, and maxGap decides whether the gap is bridged: at 1h it is,
// silently; at 10m a notice says that the events in it were not counted.
func TestPluginOnRealScrapes(t *testing.T) {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 40, Seed: demo.DefaultSeed})
	samples := demo.RealScrapes(h, []time.Duration{30 * time.Second})
	srv := promtest.StartSamples(t, samples)
	_, gap, _ := demo.RealScrapeEvents(h)
	from := gap.Start.Truncate(time.Hour).Add(-time.Hour)
	to := gap.End.Truncate(time.Hour).Add(2 * time.Hour)

	for _, c := range []struct {
		maxGap string
		notice bool
	}{{"1h", false}, {"10m", true}} {
		t.Run("maxGap "+c.maxGap, func(t *testing.T) {
			ds := newTestDatasource(t, srv.URL, map[string]any{"definitions": realScrapeSLO, "definitionPaths": []string{},
				"timeInterval": "30s", "maxGap": c.maxGap})
			dr := run(t, ds, query("A", QuerySLI, from, to, time.Minute, `{"window":"5m"}`)).Responses["A"]
			require.NoError(t, dr.Error)
			require.Len(t, dr.Frames, 1)
			f := dr.Frames[0]
			require.Contains(t, f.Meta.ExecutedQueryString, `last_over_time(http_requests_total{interval="30s",job="checkout"}[`+c.maxGap+`])`)
			var texts []string
			for _, n := range f.Meta.Notices {
				texts = append(texts, n.Text)
			}
			gapNotice := strings.Contains(strings.Join(texts, "\n"), "any events in that gap are not counted")
			require.Equal(t, c.notice, gapNotice, "notices: %q", texts)
			for i := 0; i < f.Rows(); i++ {
				ts := f.Fields[0].At(i).(time.Time)
				v := f.Fields[1].At(i).(*float64)
				total := h.True("http_requests_total", map[string]string{"job": "checkout"}, ts.Add(-5*time.Minute), ts)
				bad := h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, ts.Add(-5*time.Minute), ts)
				inGap := ts.After(gap.Start) && !ts.After(gap.End.Add(5*time.Minute))
				if c.notice && inGap {
					continue // beyond the bound: the gap's events are not counted, as the notice says
				}
				require.NotNil(t, v, "%s: %v events in the 5 minutes before, so the SLI has a value", ts, total)
				if total > 0 && !inGap && bad > 20 {
					// During the incident, far from the gap: within a few percent of the truth.
					require.InEpsilon(t, bad/total, 1-*v, 0.05, "%s", ts)
				}
			}
		})
	}
}
