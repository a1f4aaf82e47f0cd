package source

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the figures of the clients that share them: requests to the metrics source
// by outcome and their durations, cache hits, misses, bytes and entries, shared requests
// and split retries. They carry no per-query, per-URL or per-user labels. A nil *Metrics
// counts nothing.
type Metrics struct {
	requests     *prometheus.CounterVec
	duration     prometheus.Histogram
	cacheHits    prometheus.Counter
	cacheMisses  prometheus.Counter
	cacheBytes   prometheus.Gauge
	cacheEntries prometheus.Gauge
	shared       prometheus.Counter
	splits       prometheus.Counter
}

// Outcomes of a request, the values of the outcome label of nines_source_requests_total.
var outcomes = []string{"success", "http_4xx", "http_429", "http_5xx", "api_error", "bad_answer", "too_large", "timeout", "cancelled", "connection_error"}

// NewMetrics returns a set of metrics, not yet registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nines_source_requests_total",
			Help: "HTTP requests sent to the metrics source (retries included), by outcome: " +
				"success, http_4xx, http_429, http_5xx, api_error, bad_answer, too_large, timeout, cancelled or connection_error.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nines_source_request_duration_seconds",
			Help:    "Time from sending a request to the metrics source to having read its answer.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nines_cache_hits_total",
			Help: "Chunks of past data served from the cache instead of the metrics source.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nines_cache_misses_total",
			Help: "Chunks looked up in the cache and not found there (fetched from the metrics source).",
		}),
		cacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nines_cache_bytes",
			Help: "Estimated memory held by the caches of past chunks, in bytes (bounded by cacheMB per data source).",
		}),
		cacheEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nines_cache_entries",
			Help: "Chunks held by the caches of past chunks.",
		}),
		shared: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nines_source_shared_requests_total",
			Help: "Chunks a caller got by waiting for the same request of another caller already in flight, instead of sending its own.",
		}),
		splits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nines_source_split_retries_total",
			Help: "Range requests the metrics source refused as longer than its query length limit, split and sent again.",
		}),
	}
	for _, o := range outcomes {
		m.requests.WithLabelValues(o) // every outcome shows, at 0
	}
	return m
}

// Collectors returns the metrics, for registering them.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.cacheHits, m.cacheMisses, m.cacheBytes, m.cacheEntries, m.shared, m.splits}
}

// request counts one request and its duration.
func (m *Metrics) request(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(outcome).Inc()
	m.duration.Observe(d.Seconds())
}

// cacheLookup counts a chunk found in the cache or not.
func (m *Metrics) cacheLookup(hit bool) {
	switch {
	case m == nil:
	case hit:
		m.cacheHits.Inc()
	default:
		m.cacheMisses.Inc()
	}
}

// cacheChanged adds to the cache's bytes and entries.
func (m *Metrics) cacheChanged(bytes int64, entries int) {
	if m == nil {
		return
	}
	m.cacheBytes.Add(float64(bytes))
	if entries != 0 {
		m.cacheEntries.Add(float64(entries))
	}
}

// sharedRequest counts a caller that waited for another's request.
func (m *Metrics) sharedRequest() {
	if m != nil {
		m.shared.Inc()
	}
}

// splitRetry counts a range split after the source refused it as too long.
func (m *Metrics) splitRetry() {
	if m != nil {
		m.splits.Inc()
	}
}

// outcome names how a request ended, for nines_source_requests_total. ctx is the caller's
// context and rctx the request's, with its timeout.
func outcome(ctx, rctx context.Context, e *answerError) string {
	if e == nil {
		return "success"
	}
	switch e.kind {
	case kindStatus:
		switch {
		case e.status == http.StatusTooManyRequests:
			return "http_429"
		case e.status >= 500:
			return "http_5xx"
		}
		return "http_4xx"
	case kindAPIError:
		return "api_error"
	case kindWebPage, kindGarbage:
		return "bad_answer"
	case kindTooLarge:
		return "too_large"
	}
	switch {
	case ctx.Err() != nil && errors.Is(e.cause, context.Canceled):
		return "cancelled"
	case rctx.Err() != nil || errors.Is(e.cause, context.DeadlineExceeded) || isTimeout(e.cause):
		return "timeout"
	}
	return "connection_error"
}
