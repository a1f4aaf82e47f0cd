// Package embedded runs an in-process metrics source: the Prometheus module's own TSDB and
// PromQL engine behind the parts of the Prometheus HTTP API that Nines (and a curious user)
// needs, on 127.0.0.1. It lets `nines report --demo` and the tests work with no server.
//
// The source serves one of three semantics (Mode). In Prometheus2 mode, the one of Start
// and `nines report --demo`, range selectors follow Prometheus 2.x: they include the
// sample at the range's start ([t-r, t], not (t-r, t] as in Prometheus 3), so that
// increase() over buckets on a sampled grid is exact and the numbers equal those of a
// real Prometheus 2.x. To do so the server rewrites each query's AST before it runs: rate,
// increase and delta read their range with the engine's "anchored" modifier (the sample
// at or before the start, no extrapolation), and every other range selector is widened by
// one millisecond. On a grid whose samples fall on the range ends this equals 2.x's
// extrapolated rate; off the grid 2.x would extrapolate and this mode does not. The
// Prometheus3 modes run queries as the engine parses them, with or without the extended
// range selectors (anchored, smoothed).
//
// Queries may carry the lookback_delta parameter (a duration or float seconds), as in the
// Prometheus API.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/nines-slo/nines/pkg/demo"
)

// LookbackDelta is the instant-vector lookback of the Prometheus2 mode, as in Prometheus
// 2.x (5m, start included). The other modes look back 5m with the start excluded, as
// Prometheus 3 does.
const LookbackDelta = 5*time.Minute + time.Millisecond

// QueryTimeout bounds the evaluation of one query.
const QueryTimeout = 2 * time.Minute

// Mode picks the PromQL semantics the embedded source serves.
type Mode int

const (
	// Prometheus2 is Prometheus 2.x: closed ranges and lookback (each query is rewritten,
	// see the package comment); the anchored and smoothed modifiers are parse errors, as
	// 2.x does not know them.
	Prometheus2 Mode = iota
	// Prometheus3 is Prometheus 3 as released: the engine's own left-open ranges and
	// lookback; queries using the anchored or smoothed modifiers are refused with a parse
	// error (HTTP 400 bad_data), as without --enable-feature=promql-extended-range-selectors.
	Prometheus3
	// Prometheus3Extended is Prometheus 3 with the extended range selectors: the anchored
	// and smoothed modifiers are accepted.
	Prometheus3Extended
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Prometheus2:
		return "prometheus2"
	case Prometheus3:
		return "prometheus3"
	case Prometheus3Extended:
		return "prometheus3-extended"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// lookback returns the engine lookback for a requested one (0: the default).
func (m Mode) lookback(d time.Duration) time.Duration {
	if d <= 0 {
		d = 5 * time.Minute
	}
	if m == Prometheus2 {
		return d + time.Millisecond // Prometheus 2.x includes the sample at t-d
	}
	return d
}

// Server is a running embedded metrics source.
type Server struct {
	// URL is the base URL of the HTTP API (without /api/v1).
	URL string

	dir    string
	mode   Mode
	db     *tsdb.DB
	engine *promql.Engine
	http   *http.Server
	ln     net.Listener
	done   chan struct{}
}

// Start loads h's samples into a fresh TSDB in a temporary directory and serves the HTTP
// API on 127.0.0.1 at a free port, with Prometheus 2.x semantics. Close stops it and
// removes the directory.
func Start(ctx context.Context, h *demo.History) (*Server, error) {
	return StartSamples(ctx, h.Sampled(), Prometheus2)
}

// StartPrometheus3 is Start without the query rewrite: ranges are left-open, as in
// Prometheus 3, so that Nines' handling of such sources can be tested in-process.
func StartPrometheus3(ctx context.Context, h *demo.History) (*Server, error) {
	return StartSamples(ctx, h.Sampled(), Prometheus3)
}

// StartSamples loads the sample set (samples at any millisecond) into a fresh TSDB in a
// temporary directory and serves the HTTP API on 127.0.0.1 at a free port, with the
// semantics of mode. Close stops it and removes the directory.
func StartSamples(ctx context.Context, samples *demo.Samples, mode Mode) (*Server, error) {
	if mode < Prometheus2 || mode > Prometheus3Extended {
		return nil, fmt.Errorf("embedded source: unknown mode %d", int(mode))
	}
	dir, err := os.MkdirTemp("", "nines-embedded-")
	if err != nil {
		return nil, fmt.Errorf("embedded source: temporary directory: %w", err)
	}
	s := &Server{dir: dir, mode: mode, done: make(chan struct{})}
	if err := s.open(ctx, samples); err != nil {
		s.cleanup()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("embedded source: listen: %w", err)
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// Mode returns the semantics the server serves.
func (s *Server) Mode() Mode { return s.mode }

// open creates the TSDB and appends the samples.
func (s *Server) open(ctx context.Context, samples *demo.Samples) error {
	first, last := samples.Span()
	span := int64(0)
	if last > first {
		span = last - first
	}
	block := 4*span + int64(24*time.Hour/time.Millisecond)
	opts := tsdb.DefaultOptions()
	// One head that spans the whole set: its appendable window is half a block, so each
	// series can be appended from its start after the others are in.
	opts.MinBlockDuration, opts.MaxBlockDuration = block, block
	opts.RetentionDuration = 0
	opts.WALSegmentSize = -1 // no write-ahead log: the data is rebuilt on every start
	db, err := tsdb.Open(s.dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return fmt.Errorf("embedded source: open TSDB: %w", err)
	}
	db.DisableCompactions()
	s.db = db
	if err := LoadSamples(ctx, db, samples); err != nil {
		return err
	}
	s.engine = promql.NewEngine(promql.EngineOpts{
		Logger:               slog.New(slog.DiscardHandler),
		MaxSamples:           50_000_000,
		Timeout:              QueryTimeout,
		LookbackDelta:        s.mode.lookback(0),
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})
	return nil
}

// Load appends every sample of h to db (see LoadSamples).
func Load(ctx context.Context, db *tsdb.DB, h *demo.History) error {
	return LoadSamples(ctx, db, h.Sampled())
}

// LoadSamples appends every sample of the set to db, series by series, committing every
// few thousand samples. Each series' times must increase; db must accept the whole span
// (out-of-order samples are not needed).
func LoadSamples(ctx context.Context, db *tsdb.DB, samples *demo.Samples) error {
	app := db.Appender(ctx)
	pending := 0
	for _, ser := range samples.Series {
		m := map[string]string{labels.MetricName: ser.Metric}
		for k, v := range ser.Labels {
			m[k] = v
		}
		lset := labels.FromMap(m)
		var ref storage.SeriesRef
		for i, ts := range ser.T {
			var err error
			if ref, err = app.Append(ref, lset, ts, ser.V[i]); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("embedded source: append %s at %s: %w", lset, time.UnixMilli(ts).UTC().Format(time.RFC3339Nano), err)
			}
			if pending++; pending >= 20000 {
				if err := app.Commit(); err != nil {
					return fmt.Errorf("embedded source: commit: %w", err)
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("embedded source: load: %w", err)
				}
				app = db.Appender(ctx)
				pending = 0
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("embedded source: commit: %w", err)
	}
	return nil
}

// Close stops the server and removes its data.
func (s *Server) Close() error {
	var err error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.http.Shutdown(ctx)
		cancel()
		<-s.done
	}
	return errors.Join(err, s.cleanup())
}

func (s *Server) cleanup() error {
	var err error
	if s.engine != nil {
		err = s.engine.Close()
	}
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Version is the version the Prometheus2 mode reports in /api/v1/status/buildinfo: the
// Prometheus module's version with an "embedded" suffix, e.g. v0.316.0-embedded.
func Version() string {
	return moduleVersion() + "-embedded"
}

// Version is the version the mode reports in /api/v1/status/buildinfo: Version() for
// Prometheus2, and for the Prometheus 3 modes the Prometheus release of the module
// (v0.316.0 is Prometheus 3.16.0) with an "embedded" suffix, e.g. 3.16.0-embedded.
func (m Mode) Version() string {
	if m == Prometheus2 {
		return Version()
	}
	v := moduleVersion()
	var minor, patch int
	if n, _ := fmt.Sscanf(v, "v0.3%d.%d", &minor, &patch); n == 2 {
		return fmt.Sprintf("3.%d.%d-embedded", minor, patch)
	}
	return "3.x-embedded" // the module version is unknown (test binaries carry none)
}

// moduleVersion is the version of the Prometheus module this binary was built with.
func moduleVersion() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/prometheus/prometheus" {
				v = d.Version
			}
		}
	}
	return v
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
