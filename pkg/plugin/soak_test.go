package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// TestSoak runs 50 concurrent callers against the test Prometheus through a fault switch
// for NINES_SOAK (e.g. 10m; skipped when unset): the middle third of the time the
// source answers 503. The cache is off, so that every call reaches the source. It reports errors, goroutines before and after, and peak RSS, and
// checks that every answer outside the fault equals the same query run alone.
//
//	NINES_SOAK=10m go test ./pkg/plugin -run TestSoak -v -timeout 30m
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("NINES_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set NINES_SOAK to a duration to run the soak")
	}
	prom := promtest.Shared(t)
	target, err := url.Parse(prom.URL)
	require.NoError(t, err)
	var fault atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	// Its own connections, not reused: with the shared default transport, some answers
	// broke off between this proxy and Prometheus under load (a direct run had none).
	proxy.Transport = &http.Transport{DisableKeepAlives: true}
	srv := fakeSource(t, func(w http.ResponseWriter, r *http.Request) {
		if fault.Load() {
			http.Error(w, `{"status":"error","errorType":"unavailable","error":"fault switched on"}`, http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	})
	baseline := runtime.NumGoroutine()
	url := srv.URL
	if os.Getenv("SOAK_DIRECT") != "" {
		url = prom.URL
	}
	ds := newTestDatasource(t, url, map[string]any{"cacheEntries": 0}) // default timeout; every call reaches the source
	from, to := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	queries := []backend.DataQuery{
		query("status", QueryStatus, from, to, time.Hour, `{}`),
		query("sli", QuerySLI, from, to, time.Hour, `{}`),
		query("budget", QueryBudget, from, to, 30*time.Minute, `{}`),
		query("burn", QueryBurnRate, to.Add(-24*time.Hour), to, 5*time.Minute, `{"window":"1h"}`),
		query("history", QueryHistory, from, to, time.Hour, `{"period":"month","periods":2}`),
	}
	alone := map[string]string{}
	for _, q := range queries {
		dr := run(t, ds, q).Responses[q.RefID]
		require.NoError(t, dr.Error, q.RefID)
		alone[q.RefID] = framesJSON(t, dr)
	}

	var calls, failed, failedInFault, differ, late atomic.Int64
	var mu sync.Mutex
	outside := map[string]int{} // failures outside the fault, by message
	var peak atomic.Int64
	stop := time.Now().Add(d)
	go func() {
		time.Sleep(d / 3)
		fault.Store(true)
		time.Sleep(d / 3)
		fault.Store(false)
	}()
	var wg sync.WaitGroup
	for w := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(stop); i++ {
				q := queries[i%len(queries)]
				inFault := fault.Load()
				resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{q}})
				calls.Add(1)
				dr := resp.Responses[q.RefID]
				switch {
				case err != nil || dr.Error != nil || hasErrorNotice(dr):
					failed.Add(1)
					if inFault || fault.Load() {
						failedInFault.Add(1)
						break
					}
					msg := failure(err, dr)
					if strings.Contains(msg, "did not finish within the data source's timeout") {
						late.Add(1) // the machine is overloaded: a timeout, said as one
					}
					mu.Lock()
					outside[msg]++
					mu.Unlock()
				case framesJSON(t, dr) != alone[q.RefID]:
					differ.Add(1)
				}
				if rss := peakRSS(); rss > peak.Load() {
					peak.Store(rss)
				}
			}
		}()
	}
	wg.Wait()
	ds.Dispose()
	srv.CloseClientConnections()
	after := runtime.NumGoroutine()
	for i := 0; i < 50 && after > baseline; i++ {
		time.Sleep(100 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	t.Logf("soak %s: %d calls, %d failed (%d while the fault was on or switching, %d timeouts outside it), %d answers different from the query run alone; goroutines %d before, %d after; peak RSS %d MB",
		d, calls.Load(), failed.Load(), failedInFault.Load(), late.Load(), differ.Load(), baseline, after, peak.Load()>>20)
	for msg, n := range outside {
		t.Logf("outside the fault, %d×: %s", n, msg)
	}
	require.Zero(t, differ.Load(), "an answer differs from the same query run alone")
	require.Equal(t, failed.Load()-failedInFault.Load(), late.Load(), "outside the fault, only timeouts of an overloaded machine")
	require.LessOrEqual(t, after, baseline+2, "goroutines return to the baseline")
}

// failure is the text of a failed call: its error, or its first error notice.
func failure(err error, dr backend.DataResponse) string {
	if err != nil {
		return err.Error()
	}
	if dr.Error != nil {
		return dr.Error.Error()
	}
	for _, f := range dr.Frames {
		if f.Meta == nil {
			continue
		}
		for _, n := range f.Meta.Notices {
			if n.Severity == data.NoticeSeverityError {
				return n.Text
			}
		}
	}
	return ""
}

// framesJSON is a response's frames as JSON, for comparing answers.
func framesJSON(t *testing.T, dr backend.DataResponse) string {
	b, err := json.Marshal(dr.Frames)
	if err != nil {
		t.Errorf("frames: %v", err)
	}
	return string(b)
}

// hasErrorNotice reports whether a frame of the response carries an error notice.
func hasErrorNotice(dr backend.DataResponse) bool {
	for _, f := range dr.Frames {
		if f.Meta == nil {
			continue
		}
		for _, n := range f.Meta.Notices {
			if n.Severity == data.NoticeSeverityError {
				return true
			}
		}
	}
	return false
}

// peakRSS is the process's peak resident set size in bytes (VmHWM), 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
