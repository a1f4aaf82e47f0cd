// Package source is the client of the Prometheus-compatible metrics source: range and
// instant queries, label values and version, with chunking, bounded concurrency,
// per-request timeouts and a cache of chunks that lie wholly in the past.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Defaults and limits of Config.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxConcurrency = 4
	DefaultMaxPoints      = 10000
	// SplitForParallel is the SplitPoints the plugin and the command line use: ranges of
	// more than about 512 points per request in flight are split to run concurrently.
	SplitForParallel = 512
	// PrometheusMaxPoints is the most points per series Prometheus returns for one range query.
	PrometheusMaxPoints = 11000
	// MaxRangePoints bounds the points one Range call may ask for, to keep bad input from exhausting memory.
	MaxRangePoints = 5_000_000
)

// ErrDownstream marks errors caused by the metrics source (unreachable, slow, 4xx/5xx, garbage).
var ErrDownstream = errors.New("metrics source error")

// Config configures a Client.
type Config struct {
	// URL is the base URL of the Prometheus HTTP API (without /api/v1).
	URL string
	// HTTPClient carries Grafana's auth and TLS settings; nil means a plain client.
	HTTPClient *http.Client
	// Timeout bounds each request; default 30s.
	Timeout time.Duration
	// MaxConcurrency bounds the requests in flight, per Range call and overall; default 4.
	MaxConcurrency int
	// MaxPoints is the number of points per series per request; default 10000, at most 11000.
	MaxPoints int
	// SplitPoints, when above zero, splits a range into chunks of at least this many points
	// (rounded up to a power of two, so boundaries stay put across refreshes) so that up to
	// MaxConcurrency of them run at once; 0 splits only at MaxPoints.
	SplitPoints int
	// CacheEntries is the size of the LRU cache of past chunks; 0 disables the cache.
	CacheEntries int
	// Now is the clock, for tests; default time.Now.
	Now func() time.Time
}

// Client talks to one metrics source. It is safe for concurrent use.
type Client struct {
	api       v1.API
	url       string // redacted, for messages
	timeout   time.Duration
	maxPoints int
	split     int
	sem       chan struct{}
	cache     *lru
	now       func() time.Time
}

// New returns a client for the metrics source at cfg.URL.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("metrics source URL is invalid: %s", redact(err.Error()))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("metrics source URL must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, errors.New("metrics source URL has no host")
	}
	if cfg.Timeout < 0 || cfg.MaxConcurrency < 0 || cfg.MaxPoints < 0 || cfg.CacheEntries < 0 || cfg.SplitPoints < 0 {
		return nil, errors.New("metrics source: timeout, concurrency, points and cache size must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.MaxPoints == 0 {
		cfg.MaxPoints = DefaultMaxPoints
	}
	if cfg.MaxPoints > PrometheusMaxPoints {
		return nil, fmt.Errorf("metrics source: max points %d is above Prometheus's limit of %d", cfg.MaxPoints, PrometheusMaxPoints)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.Transport = lockedBodies{next: hc.Transport}
	ac, err := api.NewClient(api.Config{Address: u.String(), Client: hc})
	if err != nil {
		return nil, fmt.Errorf("metrics source client: %s", redact(err.Error()))
	}
	shown := *u
	shown.User = nil
	c := &Client{
		api:       v1.NewAPI(statusClient{ac}),
		url:       shown.Redacted(),
		timeout:   cfg.Timeout,
		maxPoints: cfg.MaxPoints,
		split:     cfg.SplitPoints,
		sem:       make(chan struct{}, cfg.MaxConcurrency),
		now:       cfg.Now,
	}
	if cfg.CacheEntries > 0 {
		c.cache = newLRU(cfg.CacheEntries)
	}
	return c, nil
}

// lockedBodies wraps each response body so that Read and Close never run at once: the
// Prometheus client closes the body from another goroutine when the context ends while
// its reader still reads, and the body readers of Grafana's HTTP client middlewares are
// not safe for that.
type lockedBodies struct{ next http.RoundTripper }

// RoundTrip sends the request and wraps the response body.
func (l lockedBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	next := l.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &lockedBody{rc: resp.Body}
	}
	return resp, err
}

// lockedBody serialises Read and Close of a response body.
type lockedBody struct {
	mu sync.Mutex
	rc io.ReadCloser
}

// Read reads under the lock.
func (b *lockedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rc.Read(p)
}

// Close closes under the lock.
func (b *lockedBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rc.Close()
}

// Now returns the client's clock (time.Now unless a test set one).
func (c *Client) Now() time.Time { return c.now() }

// URL returns the source's base URL without credentials, for display.
func (c *Client) URL() string { return c.url }

// statusKey is the context key under which statusClient records the HTTP status.
type statusKey struct{}

// statusClient records the HTTP status code of each response in the request's context.
type statusClient struct{ api.Client }

// Do runs the request and records its status code.
func (s statusClient) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := s.Client.Do(ctx, req)
	if p, ok := ctx.Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, body, err
}

// call runs one request under the concurrency bound and the per-request timeout; op names it in errors.
func (c *Client) call(ctx context.Context, op string, f func(ctx context.Context) error) (status int, err error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, c.wrap(ctx, op, 0, ctx.Err())
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	rctx = context.WithValue(rctx, statusKey{}, &status)
	if err := f(rctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			op = fmt.Sprintf("%s: no answer within %v", op, c.timeout)
		}
		return status, c.wrap(ctx, op, status, err)
	}
	return status, nil
}

// wrap turns a failed request into an error naming the operation and the status, without credentials.
// Only a cancellation by the caller is not a downstream error.
func (c *Client) wrap(ctx context.Context, op string, status int, err error) error {
	msg := op
	if status != 0 {
		msg += fmt.Sprintf(": HTTP %d", status)
	}
	msg += ": " + errorText(err)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return &sourceError{msg: redact(msg), cause: err, status: status}
	}
	return &sourceError{msg: redact(msg), cause: err, downstream: true, status: status}
}

// errorText renders err, replacing URLs of transport errors by the (credential-free) operation.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// sourceError is an error of the metrics source with a message free of credentials.
type sourceError struct {
	msg        string
	cause      error
	downstream bool
	status     int // the HTTP status of the answer, 0 when there was none
}

// Error returns the redacted message.
func (e *sourceError) Error() string { return e.msg }

// Unwrap returns the cause and, for downstream errors, ErrDownstream.
func (e *sourceError) Unwrap() []error {
	if e.downstream {
		return []error{ErrDownstream, e.cause}
	}
	return []error{e.cause}
}

// userinfo matches the user:pass@ part of URLs in messages.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s"']*@`)

// redact strips user:pass@ from every URL in s.
func redact(s string) string { return userinfo.ReplaceAllString(s, "$1") }

// downstream returns an ErrDownstream error with a redacted message.
func downstream(format string, args ...any) error {
	return &sourceError{msg: redact(fmt.Sprintf(format, args...)), cause: errors.New("unexpected response"), downstream: true}
}

// query runs an instant query at t and returns its value and the operation's name for errors.
func (c *Client) query(ctx context.Context, query string, t time.Time) (model.Value, string, error) {
	var val model.Value
	op := fmt.Sprintf("query %q at %s", query, t.UTC().Format(time.RFC3339))
	_, err := c.call(ctx, op, func(ctx context.Context) error {
		var err error
		val, _, _, err = c.api.Query(ctx, query, t)
		return err
	})
	return val, op, err
}

// Instant runs an instant query at t; it must yield at most one series (ok=false when none).
func (c *Client) Instant(ctx context.Context, query string, t time.Time) (float64, bool, error) {
	val, op, err := c.query(ctx, query, t)
	if err != nil {
		return 0, false, err
	}
	switch v := val.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, false, nil
		case 1:
			if v[0].Histogram != nil {
				return 0, false, fmt.Errorf("%s: native histogram results are not supported", op)
			}
			return float64(v[0].Value), true, nil
		default:
			return 0, false, fmt.Errorf("%s: %w", op, tooMany(len(v)))
		}
	case *model.Scalar:
		return float64(v.Value), true, nil
	default:
		return 0, false, downstream("%s: unexpected result type %s", op, typeOf(val))
	}
}

// typeOf names the type of a query result.
func typeOf(v model.Value) string {
	if v == nil {
		return "none"
	}
	return v.Type().String()
}

// ErrManySeries marks a query that returned more than one series where one was expected.
var ErrManySeries = errors.New("query returned several series")

// ManySeriesError is the error of a query that returned N > 1 series; it matches ErrManySeries.
type ManySeriesError struct{ N int }

// Error asks for an aggregation.
func (e *ManySeriesError) Error() string {
	return fmt.Sprintf("query returned %d series; aggregate them, e.g. with sum()", e.N)
}

// Is makes errors.Is(err, ErrManySeries) true.
func (e *ManySeriesError) Is(target error) bool { return target == ErrManySeries }

// tooMany is the error of a query that returned n > 1 series.
func tooMany(n int) error { return &ManySeriesError{N: n} }

// Version returns the source's version from /api/v1/status/buildinfo, or "unknown" if the
// engine lacks that endpoint but answers a trivial query.
func (c *Client) Version(ctx context.Context) (string, error) {
	var info v1.BuildinfoResult
	status, err := c.call(ctx, "buildinfo", func(ctx context.Context) error {
		var err error
		info, err = c.api.Buildinfo(ctx)
		return err
	})
	if err == nil {
		if info.Version == "" {
			return "unknown", nil
		}
		return info.Version, nil
	}
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed && status != http.StatusNotImplemented {
		return "", err
	}
	if _, _, qerr := c.Instant(ctx, "vector(1)", c.now()); qerr != nil {
		return "", qerr
	}
	return "unknown", nil
}

// LabelValues returns the values of label among the series that match (empty: all) between start and end.
func (c *Client) LabelValues(ctx context.Context, label string, match string, start, end time.Time) ([]string, error) {
	var matches []string
	if match != "" {
		matches = []string{match}
	}
	var vals model.LabelValues
	op := fmt.Sprintf("label values of %q for %q", label, match)
	if _, err := c.call(ctx, op, func(ctx context.Context) error {
		var err error
		vals, _, _, err = c.api.LabelValues(ctx, label, matches, start, end)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out, nil
}

// SampleTimes runs an instant query at t that yields a range vector (e.g. x[10m]) and
// returns the times of the raw samples of each series, in Unix milliseconds.
func (c *Client) SampleTimes(ctx context.Context, query string, t time.Time) ([][]int64, error) {
	val, op, err := c.query(ctx, query, t)
	if err != nil {
		return nil, err
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, downstream("%s: unexpected result type %s, want matrix", op, typeOf(val))
	}
	out := make([][]int64, 0, len(m))
	for _, ss := range m {
		ts := make([]int64, len(ss.Values))
		for i, p := range ss.Values {
			ts[i] = int64(p.Timestamp)
		}
		out = append(out, ts)
	}
	return out, nil
}
