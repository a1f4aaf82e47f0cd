// Package embedded runs an in-process metrics source: the Prometheus module's own TSDB and
// PromQL engine behind the parts of the Prometheus HTTP API that Nines (and a curious user)
// needs, on 127.0.0.1. It lets `nines report --demo` and the tests work with no server.
//
// Range selectors follow Prometheus 2.x: they include the sample at the range's start
// ([t-r, t], not (t-r, t] as in Prometheus 3), so that increase() over buckets on a
// sampled grid is exact and the numbers equal those of a real Prometheus 2.x. To do so the
// server rewrites each query's AST before it runs: rate, increase and delta read their
// range with the engine's "anchored" modifier (the sample at or before the start, no
// extrapolation), and every other range selector is widened by one millisecond.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/nines-slo/nines/pkg/demo"
)

// LookbackDelta is the instant-vector lookback, as in Prometheus (5m, start included).
const LookbackDelta = 5*time.Minute + time.Millisecond

// QueryTimeout bounds the evaluation of one query.
const QueryTimeout = 2 * time.Minute

// Server is a running embedded metrics source.
type Server struct {
	// URL is the base URL of the HTTP API (without /api/v1).
	URL string

	dir    string
	raw    bool // no rewrite: Prometheus 3's own left-open ranges
	db     *tsdb.DB
	engine *promql.Engine
	http   *http.Server
	ln     net.Listener
	done   chan struct{}
}

// Start loads h into a fresh TSDB in a temporary directory and serves the HTTP API on
// 127.0.0.1 at a free port. Close stops it and removes the directory.
func Start(ctx context.Context, h *demo.History) (*Server, error) {
	return start(ctx, h, false)
}

// StartPrometheus3 is Start without the query rewrite: ranges are left-open, as in
// Prometheus 3, so that Nines' handling of such sources can be tested in-process.
func StartPrometheus3(ctx context.Context, h *demo.History) (*Server, error) {
	return start(ctx, h, true)
}

func start(ctx context.Context, h *demo.History, raw bool) (*Server, error) {
	dir, err := os.MkdirTemp("", "nines-embedded-")
	if err != nil {
		return nil, fmt.Errorf("embedded source: temporary directory: %w", err)
	}
	s := &Server{dir: dir, raw: raw, done: make(chan struct{})}
	if err := s.open(ctx, h); err != nil {
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

// open creates the TSDB and appends the history, time by time.
func (s *Server) open(ctx context.Context, h *demo.History) error {
	span := h.End().Sub(h.Start)
	block := int64(4*span/time.Millisecond) + int64(24*time.Hour/time.Millisecond)
	opts := tsdb.DefaultOptions()
	// One head that spans the whole history: its appendable window is half a block.
	opts.MinBlockDuration, opts.MaxBlockDuration = block, block
	opts.RetentionDuration = 0
	opts.WALSegmentSize = -1 // no write-ahead log: the data is rebuilt on every start
	db, err := tsdb.Open(s.dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return fmt.Errorf("embedded source: open TSDB: %w", err)
	}
	db.DisableCompactions()
	s.db = db
	if err := Load(ctx, db, h); err != nil {
		return err
	}
	s.engine = promql.NewEngine(promql.EngineOpts{
		Logger:               slog.New(slog.DiscardHandler),
		MaxSamples:           50_000_000,
		Timeout:              QueryTimeout,
		LookbackDelta:        LookbackDelta,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})
	return nil
}

// Load appends every sample of h to db in time order, committing every few thousand samples.
func Load(ctx context.Context, db *tsdb.DB, h *demo.History) error {
	lsets := make([]labels.Labels, len(h.Series))
	for i, ser := range h.Series {
		m := map[string]string{labels.MetricName: ser.Metric}
		for k, v := range ser.Labels {
			m[k] = v
		}
		lsets[i] = labels.FromMap(m)
	}
	app := db.Appender(ctx)
	pending := 0
	for t := 0; t < h.Len; t++ {
		ts := h.Time(t).UnixMilli()
		for i, ser := range h.Series {
			v := ser.Values[t]
			if math.IsNaN(v) {
				continue
			}
			if _, err := app.Append(0, lsets[i], ts, v); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("embedded source: append %s at %s: %w", lsets[i], h.Time(t).Format(time.RFC3339), err)
			}
			pending++
		}
		if pending >= 20000 {
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

// Version is the version the server reports in /api/v1/status/buildinfo: the Prometheus
// module's version with an "embedded" suffix.
func Version() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/prometheus/prometheus" {
				v = d.Version
			}
		}
	}
	return v + "-embedded"
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
