// Package source is the client of the Prometheus-compatible metrics source: range and
// instant queries, label values and version, with chunking, bounded concurrency,
// per-request timeouts, bounded retries, a cap on the size of answers and a cache of
// chunks that lie wholly in the past. Answers are decoded as a stream by its own decoder
// of the Prometheus API, which ignores fields it does not know.
package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults and limits of Config.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxConcurrency = 4
	DefaultMaxPoints      = 10000
	// DefaultMaxBodyBytes is the largest answer read by default: 64 MiB.
	DefaultMaxBodyBytes = 64 << 20
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
	// Timeout bounds each request, including the reading of its answer and its retries
	// (429, 502, 503, 504 are sent again at most twice, honouring Retry-After); default 30s.
	Timeout time.Duration
	// MaxConcurrency bounds the requests in flight, per Range call and overall; default 4.
	MaxConcurrency int
	// MaxPoints is the number of points per series per request; default 10000, at most 11000.
	MaxPoints int
	// SplitPoints, when above zero, splits a range into chunks of at least this many points
	// (rounded up to a power of two, so boundaries stay put across refreshes) so that up to
	// MaxConcurrency of them run at once; 0 splits only at MaxPoints.
	SplitPoints int
	// MaxBodyBytes bounds the size of one answer read from the source; a larger answer fails
	// its query with an error instead of exhausting memory. 0 means DefaultMaxBodyBytes (64 MiB).
	MaxBodyBytes int64
	// CacheBytes bounds the memory of the LRU cache of past chunks, in bytes; 0 disables
	// the cache unless CacheEntries is set.
	CacheBytes int64
	// CacheEntries is the former, entry-counted size of the cache, kept for old callers:
	// above zero with CacheBytes unset, it means a cache of DefaultCacheBytes.
	CacheEntries int
	// MaxQueryLength, when above zero, bounds the span (end-start) of every range request:
	// longer ranges are split into pieces no longer than it, and instant queries whose range
	// selectors are longer fail with an error naming it. Mimir, Cortex and Thanos refuse
	// longer queries (their max_query_length); 0 leaves the span unbounded.
	MaxQueryLength time.Duration
	// RawReads lets the queries of the shapes a status panel sends (last_over_time and
	// max by (…) (count_over_time) range queries, bare range selectors at an instant) be
	// answered from raw samples through the remote-read API, when the source is a
	// Prometheus engine that offers it; see rawread.go.
	RawReads bool
	// Metrics, when set, counts requests, cache use and shared requests.
	Metrics *Metrics
	// Now is the clock, for tests; default time.Now.
	Now func() time.Time
}

// Client talks to one metrics source. It is safe for concurrent use.
type Client struct {
	hc        *http.Client
	base      *url.URL // the configured URL, with its credentials, for requests
	url       string   // redacted, for display
	host      string   // host:port, for messages
	timeout   time.Duration
	maxBody   int64
	backoff   time.Duration // before the first retry
	maxPoints int
	split     int
	sem       chan struct{}
	cache     *cache
	now       func() time.Time
	flight    singleflight.Group // range chunks in flight, shared by concurrent callers
	// pointwise is set once the probe has shown a Prometheus engine, whose range query
	// points do not depend on the range's start: then the cached start of the newest
	// chunk is served and only its rest fetched.
	pointwise atomic.Bool
	maxLength time.Duration // MaxQueryLength
	learned   atomic.Int64  // the query length limit a source named in a refusal, ms; 0 when none
	metrics   *Metrics      // nil-safe
	rawReads  bool          // RawReads
	raw       rawState
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
	if cfg.Timeout < 0 || cfg.MaxConcurrency < 0 || cfg.MaxPoints < 0 || cfg.CacheEntries < 0 || cfg.SplitPoints < 0 || cfg.MaxBodyBytes < 0 ||
		cfg.CacheBytes < 0 || cfg.MaxQueryLength < 0 {
		return nil, errors.New("metrics source: timeout, concurrency, points, cache, answer size and query length must not be negative")
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
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Each answer is read and closed by the goroutine that sent its request, never by
	// another (TestConcurrentCancelledRequests): the body readers of Grafana's HTTP client
	// middlewares are not safe for a Close during a Read.
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	shown := *u
	shown.User = nil
	shown.RawQuery = "" // may hold a token
	shown.Fragment = ""
	c := &Client{
		hc:        hc,
		base:      u,
		url:       shown.Redacted(),
		host:      u.Host,
		timeout:   cfg.Timeout,
		maxBody:   cfg.MaxBodyBytes,
		backoff:   defaultBackoff,
		maxPoints: cfg.MaxPoints,
		split:     cfg.SplitPoints,
		sem:       make(chan struct{}, cfg.MaxConcurrency),
		now:       cfg.Now,
		maxLength: cfg.MaxQueryLength,
		metrics:   cfg.Metrics,
		rawReads:  cfg.RawReads,
	}
	if cfg.CacheBytes == 0 && cfg.CacheEntries > 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.CacheBytes > 0 {
		c.cache = newCache(cfg.CacheBytes, cfg.Metrics)
	}
	return c, nil
}

// Close empties the cache, so that its memory and its figures in the metrics go with the
// client. The client still works, with an empty cache.
func (c *Client) Close() {
	if c.cache != nil {
		c.cache.clear()
	}
}

// Now returns the client's clock (time.Now unless a test set one).
func (c *Client) Now() time.Time { return c.now() }

// URL returns the source's base URL without credentials, for display.
func (c *Client) URL() string { return c.url }

// wrap turns a failure outside a request into an error naming the operation, without credentials.
// Only a cancellation by the caller is not a downstream error.
func (c *Client) wrap(ctx context.Context, op string, err error) error {
	msg := op + ": " + errorText(err)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return &sourceError{msg: redact(msg), cause: err}
	}
	return &sourceError{msg: redact(msg), cause: err, downstream: true}
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

// formatTime renders t as the API's seconds since the epoch.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.Unix())+float64(t.Nanosecond())/1e9, 'f', -1, 64)
}

// query runs an instant query at t and returns its result and the operation's name for errors.
func (c *Client) query(ctx context.Context, query string, t time.Time) (apiResult, string, error) {
	var res apiResult
	op := fmt.Sprintf("query %q at %s", query, t.UTC().Format(time.RFC3339))
	if err := c.checkSelectors(query); err != nil {
		return res, op, err
	}
	args := url.Values{"query": {query}, "time": {formatTime(t)}}
	// Concurrent callers asking the same (viewers of one dashboard) share one request;
	// the shared answer is read-only. Each caller stops waiting at its own deadline.
	// The request runs under the first caller's context: when that caller gives up, a
	// caller still waiting sends its own.
	send := func(ctx context.Context) (apiResult, error) {
		var r apiResult
		_, _, _, err := c.do(ctx, op, apiRequest{path: "api/v1/query", args: args, post: true}, decodeResult(&r))
		return r, err
	}
	key := fmt.Sprintf("instant\x00%s\x00%d", query, t.UnixMilli())
	leader := false // set by the one caller whose function runs; read after its answer
	wait := c.flight.DoChan(key, func() (any, error) {
		leader = true
		return send(ctx)
	})
	var err error
	select {
	case <-ctx.Done(): // each caller stops waiting at its own deadline, said as a request's
		return res, op, c.fail(ctx, ctx, op, &answerError{kind: kindTransport, cause: ctx.Err()})
	case got := <-wait:
		res, _ = got.Val.(apiResult)
		err = got.Err
	}
	if !leader {
		c.metrics.sharedRequest()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) {
			res, err = send(ctx)
		}
	}
	if tl, ok := asTooLong(err); ok {
		err = c.tooLongError(err, tl, errors.New("an instant query's range selectors cannot be split here"))
	}
	return res, op, err
}

// Instant runs an instant query at t; it must yield at most one series (ok=false when none).
func (c *Client) Instant(ctx context.Context, query string, t time.Time) (float64, bool, error) {
	res, op, err := c.query(ctx, query, t)
	if err != nil {
		return 0, false, err
	}
	switch res.resultType {
	case "vector":
		switch len(res.series) {
		case 0:
			return 0, false, nil
		case 1:
			v := res.series[0]
			if v.histogram() {
				return 0, false, fmt.Errorf("%s: native histogram results are not supported", op)
			}
			if v.Value == nil {
				return 0, false, c.garbage(op, errors.New("a vector's sample has no value"))
			}
			return v.Value.v, true, nil
		default:
			return 0, false, fmt.Errorf("%s: %w", op, tooMany(len(res.series)))
		}
	case "scalar":
		v, err := res.scalar()
		if err != nil {
			return 0, false, c.garbage(op, err)
		}
		return v, true, nil
	default:
		return 0, false, downstream("%s: unexpected result type %s", op, res.typeName())
	}
}

// garbage is the error of an answer that does not have the API's shape.
func (c *Client) garbage(op string, err error) error {
	return &sourceError{msg: redact(fmt.Sprintf("the metrics source at %s sent something that is not the Prometheus API: %s; %s", c.host, clip(err.Error()), op)),
		cause: err, downstream: true}
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
	var info struct {
		Version string `json:"version"`
	}
	_, status, _, err := c.do(ctx, "buildinfo request", apiRequest{path: "api/v1/status/buildinfo"}, func(dec *json.Decoder) error {
		return dec.Decode(&info)
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
	args := url.Values{}
	if match != "" {
		args.Set("match[]", match)
	}
	if !start.IsZero() {
		args.Set("start", formatTime(start))
	}
	if !end.IsZero() {
		args.Set("end", formatTime(end))
	}
	var vals []string
	op := fmt.Sprintf("label values of %q for %q", label, match)
	if _, _, _, err := c.do(ctx, op, apiRequest{path: "api/v1/label/" + label + "/values", args: args}, func(dec *json.Decoder) error {
		return dec.Decode(&vals)
	}); err != nil {
		return nil, err
	}
	if vals == nil {
		vals = []string{}
	}
	return vals, nil
}

// SampleTimes runs an instant query at t that yields a range vector (e.g. x[10m]) and
// returns the times of the raw samples of each series, in Unix milliseconds.
func (c *Client) SampleTimes(ctx context.Context, query string, t time.Time) ([][]int64, error) {
	got, err := c.SampleTimesGroups(ctx, query, t)
	if err != nil {
		return nil, err
	}
	out := make([][]int64, len(got))
	for i, g := range got {
		out[i] = g.Times
	}
	return out, nil
}

// Times are the raw sample times of one series, in Unix milliseconds, with its labels.
type Times struct {
	Labels map[string]string
	Times  []int64
}

// SampleTimesGroups is SampleTimes with the labels of each series.
func (c *Client) SampleTimesGroups(ctx context.Context, query string, t time.Time) ([]Times, error) {
	if plan, ok := c.rawPlan(ctx, query, true); ok {
		got, err := c.sampleTimesRaw(ctx, plan, t)
		if err == nil {
			return got, nil
		}
		if ctx.Err() != nil {
			return nil, c.wrap(ctx, fmt.Sprintf("query %q", query), ctx.Err())
		}
		c.rawFailed(err) // this one, and maybe all from now on, by query
	}
	res, op, err := c.query(ctx, query, t)
	if err != nil {
		return nil, err
	}
	if res.resultType != "matrix" {
		return nil, downstream("%s: unexpected result type %s, want matrix", op, res.typeName())
	}
	out := make([]Times, 0, len(res.series))
	for _, ss := range res.series {
		ts := make([]int64, len(ss.Values))
		for i, p := range ss.Values {
			ts[i] = p.t
		}
		out = append(out, Times{Labels: ss.Metric, Times: ts})
	}
	return out, nil
}
