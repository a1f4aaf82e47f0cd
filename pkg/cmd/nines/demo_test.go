package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// The live workload exposes the demo history's metric names and labels.
func TestWorkloadMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	w := newWorkload(reg)
	start := time.Date(2026, 3, 16, 14, 29, 0, 0, time.UTC)
	for i := 0; i < 600; i++ {
		w.tick(start.Add(time.Duration(i) * time.Second))
	}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"http_requests_total", "http_request_duration_seconds", "search_requests_total", "search_errors_total", "support_tickets_total", "probe_success"} {
		require.True(t, names[n], n)
	}
	var reqs, errs float64
	for _, mf := range mfs {
		if mf.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			reqs += m.GetCounter().GetValue()
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" && l.GetValue() == "500" {
					errs += m.GetCounter().GetValue()
				}
			}
		}
	}
	require.Greater(t, reqs, 1000.0)
	require.Greater(t, errs, 0.0, "the 14:30 incident")
}

func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"demo", "serve", "--listen", "127.0.0.1:0"}, io.Discard, &errb) }()
	var addr string
	require.Eventually(t, func() bool {
		s := errb.String()
		if i := strings.Index(s, "http://"); i >= 0 && strings.Contains(s[i:], "\n") {
			addr = strings.TrimSpace(s[i:])
			return true
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	resp, err := http.Get(addr)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `http_requests_total{code="200",job="checkout"}`)
	require.Contains(t, string(body), `support_tickets_total{product="checkout"}`)
	cancel()
	require.Equal(t, exitOK, <-done)
}

func TestDemoOpenMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 99 MB")
	}
	out := filepath.Join(t.TempDir(), "demo.om")
	code, _, errs := runCLI(t, "demo", "openmetrics", "--out", out)
	require.Equal(t, exitOK, code, errs)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	head := make([]byte, 64)
	_, err = io.ReadFull(f, head)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(head), "# TYPE "), string(head))
	st, err := f.Stat()
	require.NoError(t, err)
	tail := make([]byte, 6)
	_, err = f.ReadAt(tail, st.Size()-6)
	require.NoError(t, err)
	require.Equal(t, "# EOF\n", string(tail))

	code, _, _ = runCLI(t, "demo", "openmetrics", "--out", filepath.Join(t.TempDir(), "no", "such", "dir", "x.om"))
	require.Equal(t, exitFailed, code)
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
