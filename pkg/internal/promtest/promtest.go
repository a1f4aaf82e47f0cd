// Package promtest runs a real Prometheus server holding backfilled demo samples, for tests.
//
// Blocks are built once per machine and sample set with `promtool tsdb create-blocks-from
// openmetrics` and cached under os.TempDir()/nines-promtest-<hash>; each server gets a
// copy in its own data directory. Samples may sit at any millisecond: promtool reads the
// OpenMetrics seconds with three decimals back to the exact millisecond. When prometheus or promtool is missing the tests are
// skipped, unless CI=true, where that is a failure.
package promtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/testproc"
)

// cacheVersion changes the cache key when the block layout or this harness changes.
const cacheVersion = "2"

// Server is a running Prometheus with backfilled history.
type Server struct {
	// URL is the base URL of the HTTP API, e.g. http://127.0.0.1:40123.
	URL string
	// History is the history whose events are the truth of Samples (Samples.Truth).
	History *demo.History
	// Samples is the sample set the server holds.
	Samples *demo.Samples
	// Backfill is how long it took to get the blocks (near zero when cached).
	Backfill time.Duration
	// Startup is how long prometheus took to become ready.
	Startup time.Duration

	proc *testproc.Proc
	dir  string
	once sync.Once
}

// tools returns the paths of prometheus and promtool.
func tools() (prom, tool string, err error) {
	prom, err1 := exec.LookPath("prometheus")
	tool, err2 := exec.LookPath("promtool")
	if err1 != nil || err2 != nil {
		return "", "", testproc.Missing{Msg: "promtest: prometheus and promtool must be on PATH for this test (Debian: apt-get install -y prometheus)"}
	}
	return prom, tool, nil
}

// Start backfills h's own samples (h.Sampled()) into a fresh data dir, starts prometheus on
// a free local port and stops it in tb.Cleanup.
func Start(tb testing.TB, h *demo.History) *Server {
	tb.Helper()
	return StartSamples(tb, h.Sampled())
}

// StartSamples backfills the sample set s (samples at any millisecond) into a fresh data
// dir, starts prometheus on a free local port and stops it in tb.Cleanup.
func StartSamples(tb testing.TB, samples *demo.Samples) *Server {
	tb.Helper()
	s, err := start(samples)
	if err != nil {
		testproc.Fail(tb, err)
	}
	tb.Cleanup(s.Stop)
	tb.Logf("promtest: %s (backfill %v, startup %v)", s.URL, s.Backfill.Round(time.Millisecond), s.Startup.Round(time.Millisecond))
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one server per test process for the default history; call Main from TestMain to stop it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = start(demo.Generate(demo.Default()).Sampled())
		if shared.err == nil {
			tb.Logf("promtest: shared server %s (backfill %v, startup %v)", shared.srv.URL, shared.srv.Backfill.Round(time.Millisecond), shared.srv.Startup.Round(time.Millisecond))
		}
	})
	if shared.err != nil {
		testproc.Fail(tb, shared.err)
	}
	return shared.srv
}

// Main runs the tests and then stops the shared server; use it as TestMain's body.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	os.Exit(code)
}

// Stop stops the server and removes its data directory; it is safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.proc.Stop()
		_ = os.RemoveAll(s.dir)
	})
}

func start(samples *demo.Samples) (*Server, error) {
	prom, tool, err := tools()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	blocks, err := cachedBlocks(tool, samples)
	if err != nil {
		return nil, err
	}
	s := &Server{History: samples.Truth, Samples: samples, Backfill: time.Since(t0)}
	s.dir, err = os.MkdirTemp("", "nines-prometheus-*")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	if err := testproc.CopyTree(blocks, data, false); err != nil {
		s.Stop()
		return nil, fmt.Errorf("promtest: copying blocks: %w", err)
	}
	config := filepath.Join(s.dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n"), 0o644); err != nil {
		s.Stop()
		return nil, err
	}
	args := func(addr string) []string {
		return []string{"--config.file=" + config, "--storage.tsdb.path=" + data, "--storage.tsdb.retention.time=100y",
			"--web.listen-address=" + addr, "--query.max-samples=500000000", "--log.level=warn"}
	}
	t1 := time.Now()
	s.proc, err = testproc.Start("promtest: prometheus", prom, args, filepath.Join(s.dir, "prometheus.log"), "/-/ready", 90*time.Second)
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.URL = s.proc.URL
	s.Startup = time.Since(t1)
	return s, nil
}

// key hashes the sample set's content and the cache version.
func key(samples *demo.Samples) string {
	d := sha256.New()
	fmt.Fprintf(d, "nines-promtest %s %d\n", cacheVersion, len(samples.Series))
	series := append([]*demo.Sampled(nil), samples.Series...)
	names := make([]string, len(series))
	for i, s := range series {
		pairs := make([]string, 0, len(s.Labels))
		for k, v := range s.Labels {
			pairs = append(pairs, strconv.Quote(k)+"="+strconv.Quote(v))
		}
		sort.Strings(pairs)
		names[i] = fmt.Sprintf("%s %s {%s}", s.Metric, s.Kind, strings.Join(pairs, ","))
	}
	idx := make([]int, len(series))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
	buf := make([]byte, 0, 1<<16)
	for _, i := range idx {
		s := series[i]
		fmt.Fprintf(d, "%s %d\n", names[i], len(s.T))
		for j := range s.T {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(s.T[j]))
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.V[j]))
			if len(buf) >= 1<<16-16 {
				d.Write(buf)
				buf = buf[:0]
			}
		}
		d.Write(buf)
		buf = buf[:0]
	}
	return hex.EncodeToString(d.Sum(nil))[:16]
}

// blockDuration is the span of the samples rounded up to whole days, plus a day, for
// --max-block-duration.
func blockDuration(samples *demo.Samples) string {
	first, last := samples.Span()
	days := 1
	if last > first {
		const day = int64(24 * time.Hour / time.Millisecond)
		days += int((last - first + day - 1) / day)
	}
	return fmt.Sprintf("%dh", days*24)
}

// cachedBlocks returns a directory of TSDB blocks for the samples, building it with promtool if not cached.
func cachedBlocks(tool string, samples *demo.Samples) (string, error) {
	dir := filepath.Join(os.TempDir(), "nines-promtest-"+key(samples))
	if ok, _ := hasBlocks(dir); ok {
		return dir, nil
	}
	// One builder at a time per machine; others wait for its result (or take over a stale lock).
	lock := dir + ".lock"
	deadline := time.Now().Add(5 * time.Minute)
	for {
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			defer os.Remove(lock)
			break
		}
		if ok, _ := hasBlocks(dir); ok {
			return dir, nil
		}
		if st, err := os.Stat(lock); err == nil && time.Since(st.ModTime()) > 3*time.Minute {
			_ = os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("promtest: timed out waiting for %s", lock)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ok, _ := hasBlocks(dir); ok {
		return dir, nil
	}
	work, err := os.MkdirTemp(os.TempDir(), "nines-promtest-build-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	file := filepath.Join(work, "samples.om")
	f, err := os.Create(file)
	if err != nil {
		return "", err
	}
	if err := samples.WriteOpenMetrics(f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	out := filepath.Join(work, "blocks")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration="+blockDuration(samples), file, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("promtest: promtool backfill: %v\n%s", err, msg)
	}
	if ok, err := hasBlocks(out); !ok {
		return "", fmt.Errorf("promtest: promtool wrote no blocks (%v)", err)
	}
	_ = os.RemoveAll(dir) // a partial leftover without blocks
	if err := os.Rename(out, dir); err != nil {
		if ok, _ := hasBlocks(dir); ok {
			return dir, nil // another process won the race
		}
		return "", err
	}
	return dir, nil
}

func hasBlocks(dir string) (bool, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	return err == nil && len(m) > 0, err
}
