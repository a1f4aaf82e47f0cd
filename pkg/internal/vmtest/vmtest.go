// Package vmtest runs a real single-node VictoriaMetrics holding demo samples, for tests.
//
// Each server gets its own data directory and a free port on 127.0.0.1. The samples are
// streamed to POST /api/v1/import/prometheus (timestamps in milliseconds), flushed with
// GET /internal/force_flush, and Start returns once a query counts every sample. When
// victoria-metrics is missing the tests are skipped, unless CI=true, where that is a
// failure.
//
// Flags: -retentionPeriod=100y keeps backfilled history (the default is one month),
// -search.disableCache keeps freshly imported samples from hiding behind cached answers,
// and -search.latencyOffset=0s makes queries near the present see the newest samples
// (the default 30s moves an instant query's time back). The other defaults fit the
// tests: -search.maxPointsPerTimeseries is 30000 (Prometheus' 11,000 fit) and
// -dedup.minScrapeInterval is 0 (no deduplication).
package vmtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/testproc"
)

// Server is a running VictoriaMetrics holding a sample set.
type Server struct {
	// URL is the base URL of the HTTP API, e.g. http://127.0.0.1:40123.
	URL string
	// Samples is the sample set the server holds.
	Samples *demo.Samples
	// Startup is how long it took until the server answered with every sample: start,
	// import, flush and the check.
	Startup time.Duration
	// Import is the part of Startup spent importing, flushing and checking.
	Import time.Duration

	proc *testproc.Proc
	dir  string
	once sync.Once
}

// Start runs victoria-metrics on a free local port in a fresh data dir, imports samples and
// stops it in tb.Cleanup.
func Start(tb testing.TB, samples *demo.Samples) *Server {
	tb.Helper()
	s, err := start(samples)
	if err != nil {
		testproc.Fail(tb, err)
	}
	tb.Cleanup(s.Stop)
	tb.Logf("vmtest: %s (startup %v, of which import %v)", s.URL, s.Startup.Round(time.Millisecond), s.Import.Round(time.Millisecond))
	return s
}

// Stop stops the server and removes its data directory; it is safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.proc.Stop()
		_ = os.RemoveAll(s.dir)
	})
}

func start(samples *demo.Samples) (*Server, error) {
	bin, err := exec.LookPath("victoria-metrics")
	if err != nil {
		return nil, testproc.Missing{Msg: "vmtest: victoria-metrics must be on PATH for this test (Debian: apt-get install -y victoria-metrics)"}
	}
	t0 := time.Now()
	s := &Server{Samples: samples}
	s.dir, err = os.MkdirTemp("", "nines-victoriametrics-*")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	args := func(addr string) []string {
		return []string{"-storageDataPath=" + data, "-httpListenAddr=" + addr, "-retentionPeriod=100y",
			"-search.disableCache", "-search.latencyOffset=0s", "-loggerLevel=WARN"}
	}
	s.proc, err = testproc.Start("vmtest: victoria-metrics", bin, args, filepath.Join(s.dir, "victoria-metrics.log"), "/health", 60*time.Second)
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.URL = s.proc.URL
	t1 := time.Now()
	if err := s.load(); err != nil {
		s.Stop()
		return nil, err
	}
	s.Import = time.Since(t1)
	s.Startup = time.Since(t0)
	return s, nil
}

// load streams the samples to the import API, flushes, and waits until a query counts
// every series and every sample.
func (s *Server) load() error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(s.Samples.WritePrometheusText(pw)) }()
	resp, err := http.Post(s.URL+"/api/v1/import/prometheus", "text/plain", pr)
	pr.CloseWithError(errors.New("vmtest: import request ended")) // unblocks the writer on failure
	if err != nil {
		return fmt.Errorf("vmtest: import: %w", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("vmtest: import: %s: %s", resp.Status, msg)
	}

	wantSeries, wantSamples := 0, 0
	for _, ss := range s.Samples.Series {
		if len(ss.T) > 0 {
			wantSeries++
			wantSamples += len(ss.T)
		}
	}
	first, last := s.Samples.Span()
	if wantSamples == 0 {
		return s.flush()
	}
	// count_over_time's window is left-open, (t-w, t]: reach a second before the first sample.
	window := (last-first)/1000 + 2
	q := url.Values{
		"query": {fmt.Sprintf(`count_over_time({__name__=~".+"}[%ds]) keep_metric_names`, window)},
		"time":  {strconv.FormatFloat(float64(last)/1000, 'f', 3, 64)},
	}.Encode()
	deadline := time.Now().Add(60 * time.Second)
	var series, samples int
	for {
		if err := s.flush(); err != nil {
			return err
		}
		series, samples, err = s.count(q)
		if err != nil {
			return err
		}
		if series == wantSeries && samples == wantSamples {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("vmtest: after 60s victoria-metrics shows %d series and %d samples, want %d and %d:\n%s",
		series, samples, wantSeries, wantSamples, s.log())
}

// flush makes recently imported samples searchable.
func (s *Server) flush() error {
	resp, err := http.Get(s.URL + "/internal/force_flush")
	if err != nil {
		return fmt.Errorf("vmtest: force_flush: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("vmtest: force_flush: %s", resp.Status)
	}
	return nil
}

// count runs the counting query and returns the number of series and their sum.
func (s *Server) count(query string) (series, samples int, err error) {
	resp, err := http.Get(s.URL + "/api/v1/query?" + query)
	if err != nil {
		return 0, 0, fmt.Errorf("vmtest: counting samples: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, 0, fmt.Errorf("vmtest: counting samples: %s: %w", resp.Status, err)
	}
	if body.Status != "success" {
		return 0, 0, fmt.Errorf("vmtest: counting samples: %s", body.Error)
	}
	for _, r := range body.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil || math.IsNaN(v) {
			return 0, 0, fmt.Errorf("vmtest: counting samples: value %q", str)
		}
		series++
		samples += int(v)
	}
	return series, samples, nil
}

func (s *Server) log() string { return s.proc.Log() }
