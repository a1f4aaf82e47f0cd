package scalebench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTableVerdicts checks each target's verdict on both sides of its bound.
func TestTableVerdicts(t *testing.T) {
	base := func() *Results {
		return &Results{
			History:    History{Services: 1000, Days: 35, End: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)},
			StatusHand: Measure{Took: 6 * time.Second},
			StatusCold: Measure{Took: 2 * time.Second, PeakRSS: 200 << 20},
			StatusWarm: Measure{Took: 100 * time.Millisecond, PeakRSS: 210 << 20},
			Budget: []BudgetRow{
				{SLOs: 1, Nines: Measure{Took: time.Second}, Hand: Measure{Took: time.Second}},
				{SLOs: 1000, Nines: Measure{Took: 9 * time.Second}, Hand: Measure{Took: 100 * time.Second}},
			},
			Floor:   Measure{Took: 8 * time.Second},
			Viewers: ViewerResult{Viewers: 50, Calls: 300, SLOs: 10, Counts: Counts{Requests: 70, Distinct: 70}, P99: 900 * time.Millisecond},
		}
	}
	tests := []struct {
		name   string
		change func(*Results)
		failed string // the row that fails, "" for none
	}{
		{"all met", func(*Results) {}, ""},
		{"status only 1.5× faster", func(r *Results) { r.StatusHand.Took = 3 * time.Second }, "`status`, all 1000 SLOs, cold"},
		{"slow refresh", func(r *Results) { r.StatusWarm.Took = 300 * time.Millisecond }, "the same, refreshed"},
		{"budget 5× faster than by hand", func(r *Results) { r.Budget[1].Hand.Took = 45 * time.Second }, "`budget` 30d range and window, 1000 SLOs"},
		{"budget 1.5× the floor", func(r *Results) { r.Floor.Took = 6 * time.Second }, "against the floor"},
		{"duplicate requests", func(r *Results) { r.Viewers.Counts.Requests = 71 }, "upstream requests"},
		{"slow p99", func(r *Results) { r.Viewers.P99 = time.Second }, "after the first wave"},
		{"cold RSS", func(r *Results) { r.StatusCold.PeakRSS = 251 << 20 }, "peak RSS, `status`"},
		{"warm RSS", func(r *Results) { r.StatusWarm.PeakRSS = 600 << 20 }, "peak RSS, the same refreshed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			var out bytes.Buffer
			r.Table(&out)
			var failed []string
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasSuffix(line, "| FAIL |") {
					failed = append(failed, line)
				}
			}
			if tc.failed == "" {
				require.Empty(t, failed, out.String())
				require.Zero(t, r.Failed())
				return
			}
			require.Len(t, failed, 1, out.String())
			require.Contains(t, failed[0], tc.failed)
			require.Equal(t, 1, r.Failed())
		})
	}
}

// TestProxyCountsDistinctRequests sends the same form twice and another once through the
// proxy: three requests, two distinct, and the upstream still gets every body.
func TestProxyCountsDistinctRequests(t *testing.T) {
	var bodies []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		bodies = append(bodies, r.PostForm.Get("query"))
	}))
	defer up.Close()
	p, err := StartProxy(up.URL)
	require.NoError(t, err)
	defer p.Stop()
	for _, q := range []string{"up", "up", "sum(up)"} {
		resp, err := http.PostForm(p.URL+"/api/v1/query", url.Values{"query": {q}, "time": {"1"}})
		require.NoError(t, err)
		resp.Body.Close()
	}
	require.Equal(t, Counts{Requests: 3, Distinct: 2}, p.Reset())
	require.Equal(t, []string{"up", "up", "sum(up)"}, bodies)
	require.Equal(t, Counts{}, p.Reset(), "counting starts afresh")
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 250; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 125*time.Millisecond, percentile(d, 0.50))
	require.Equal(t, 248*time.Millisecond, percentile(d, 0.99))
	require.Equal(t, time.Duration(0), percentile(nil, 0.99))
}
