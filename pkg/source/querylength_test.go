package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mimir answers as Mimir does with a query length limit: its query-frontend refuses a
// range query whose end-start exceeds max_total_query_length with HTTP 400 bad_data; its
// querier refuses a query whose time range, range selectors included, exceeds
// max_partial_query_length with HTTP 422 execution. Accepted range queries get one
// series with a point at every step, valued at the time in seconds.
type mimir struct {
	limit   time.Duration
	querier bool // the querier's check (422, range selectors count) instead of the frontend's
	always  bool // refuse every query, whatever its length
	mu      sync.Mutex
	spans   []time.Duration // end-start of each range request
	refused int
}

// Mimir's messages (pkg/util/validation and pkg/frontend/querymiddleware).
const (
	mimirTotalTooLong   = "the total query time range exceeds the limit (query length: %s, limit: %s) (err-mimir-max-total-query-length). To adjust the related per-tenant limit, configure -query-frontend.max-total-query-length, or contact your service administrator."
	mimirPartialTooLong = "expanding series: the query time range exceeds the limit (query length: %s, limit: %s) (err-mimir-max-query-length). To adjust the related per-tenant limit, configure -querier.max-partial-query-length, or contact your service administrator."
)

var selectorRE = regexp.MustCompile(`\[(\w+)\]`)

func (m *mimir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	seconds := func(k string) time.Time {
		f, _ := strconv.ParseFloat(r.Form.Get(k), 64)
		return time.UnixMilli(int64(f*1000 + 0.5))
	}
	var length time.Duration
	if r.URL.Path == "/api/v1/query_range" {
		length = seconds("end").Sub(seconds("start"))
		m.mu.Lock()
		m.spans = append(m.spans, length)
		m.mu.Unlock()
	}
	if m.querier {
		for _, s := range selectorRE.FindAllStringSubmatch(r.Form.Get("query"), -1) {
			d, _ := model.ParseDuration(s[1])
			length += time.Duration(d)
		}
	}
	if length > m.limit || m.always {
		m.mu.Lock()
		m.refused++
		m.mu.Unlock()
		status, errType, format := http.StatusBadRequest, "bad_data", mimirTotalTooLong
		if m.querier {
			status, errType, format = http.StatusUnprocessableEntity, "execution", mimirPartialTooLong
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		writeJSON(w, map[string]string{"status": "error", "errorType": errType, "error": fmt.Sprintf(format, length, m.limit)})
		return
	}
	if r.URL.Path == "/api/v1/query" {
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{
			"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{1, "1"}}}}})
		return
	}
	step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
	var values []any
	for ts := seconds("start"); !ts.After(seconds("end")); ts = ts.Add(time.Duration(step * float64(time.Second))) {
		values = append(values, []any{float64(ts.Unix()), strconv.FormatInt(ts.Unix(), 10)})
	}
	writeJSON(w, map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix",
		"result": []any{map[string]any{"metric": map[string]string{"service": "checkout"}, "values": values}}}})
}

func (m *mimir) requests() ([]time.Duration, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Duration(nil), m.spans...), m.refused
}

// alignedStart lies on a boundary of the client's default chunks of 10,000 one-minute
// points, so that a range of a few days after it is one chunk.
var alignedStart = time.UnixMilli(2900 * 600_000_000).UTC()

func startMimir(t *testing.T, m *mimir, cfg Config) *Client {
	t.Helper()
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

// requireWhole checks that s has every point of its grid, valued at its time.
func requireWhole(t *testing.T, s Series, points int) {
	t.Helper()
	require.Equal(t, points, s.Len())
	for i := range s.Values {
		require.True(t, s.Present[i], "point %d", i)
		require.Equal(t, float64(s.At(i).Unix()), s.Values[i], "point %d", i)
	}
}

func TestMaxQueryLengthSplitsRanges(t *testing.T) {
	m := &mimir{limit: 24 * time.Hour}
	c := startMimir(t, m, Config{MaxQueryLength: 24 * time.Hour})
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s, stats, err := c.Range(context.Background(), "sum(rate(x[5m]))", start, start.Add(72*time.Hour), time.Minute)
	require.NoError(t, err)
	requireWhole(t, s, 72*60+1)
	spans, refused := m.requests()
	assert.Zero(t, refused)
	assert.GreaterOrEqual(t, len(spans), 3)
	assert.Equal(t, len(spans), stats.Requests)
	for _, d := range spans {
		assert.LessOrEqual(t, d, 24*time.Hour)
	}
}

func TestTooLongIsSplitAndRetried(t *testing.T) {
	tests := []struct {
		name    string
		querier bool
		query   string
	}{
		{"query-frontend, HTTP 400", false, "sum(rate(x[5m]))"},
		{"querier with a range selector, HTTP 422", true, "sum(increase(x[2h]))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &mimir{limit: 24 * time.Hour, querier: tt.querier}
			metrics := NewMetrics()
			c := startMimir(t, m, Config{Metrics: metrics})
			start := alignedStart
			s, stats, err := c.Range(context.Background(), tt.query, start, start.Add(36*time.Hour), time.Minute)
			require.NoError(t, err)
			requireWhole(t, s, 36*60+1)
			spans, refused := m.requests()
			assert.Equal(t, 1, refused, "only the first request is refused")
			assert.Equal(t, len(spans), stats.Requests, "the refused request counts")
			assert.Len(t, spans, 3, "36h in two pieces after the refusal")
			assert.Equal(t, 1.0, testutil.ToFloat64(metrics.splits))
			assert.Equal(t, 1.0, testutil.ToFloat64(metrics.requests.WithLabelValues("http_4xx")))
			assert.Equal(t, 2.0, testutil.ToFloat64(metrics.requests.WithLabelValues("success")))

			// The client keeps the limit the source named: the next long range is split to
			// it first. The querier counts the range selector too, beyond the split: one
			// piece is refused and split again.
			s, _, err = c.Range(context.Background(), tt.query+" * 2", start, start.Add(47*time.Hour), time.Minute)
			require.NoError(t, err)
			requireWhole(t, s, 47*60+1)
			_, refused = m.requests()
			want := 1
			if tt.querier {
				want = 2
			}
			assert.Equal(t, want, refused)
		})
	}
}

func TestTooLongAfterSplitNamesTheLimit(t *testing.T) {
	m := &mimir{limit: time.Hour, always: true}
	c := startMimir(t, m, Config{})
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	_, stats, err := c.Range(context.Background(), "sum(rate(x[5m]))", start, start.Add(3*time.Hour), time.Minute)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrDownstream))
	msg := err.Error()
	assert.Contains(t, msg, "refuses queries longer than its limit of 1h")
	assert.Contains(t, msg, "split and tried once more, and refused again")
	assert.Contains(t, msg, "set maxQueryLength in the data source settings")
	assert.Contains(t, msg, "HTTP 400", "the source's own answer follows")
	spans, _ := m.requests()
	assert.Len(t, spans, 2, "the refused request and the first piece, no more")
	assert.Equal(t, 2, stats.Requests)

	// A range of one point cannot be split.
	_, _, err = c.Range(context.Background(), "sum(rate(x[5m]))", start, start, time.Minute)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not be split: a single point cannot be split")
}

func TestInstantQueryLongerThanTheLimit(t *testing.T) {
	m := &mimir{limit: 720 * time.Hour, querier: true}
	c := startMimir(t, m, Config{MaxQueryLength: 720 * time.Hour})
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	_, _, err := c.Instant(context.Background(), "sum(increase(x[90d]))", at)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `reads 90d at once, more than the data source's maxQueryLength of 30d`)
	_, _, err = c.Instant(context.Background(), "max_over_time(sum(rate(x[5m]))[31d:1h])", at)
	require.Error(t, err, "a subquery's range counts too")
	_, refused := m.requests()
	assert.Zero(t, refused, "refused before sending")

	_, ok, err := c.Instant(context.Background(), "sum(increase(x[30d]))", at)
	require.NoError(t, err)
	assert.True(t, ok)

	// Without maxQueryLength the source's refusal names its limit and the setting.
	c = startMimir(t, m, Config{})
	_, _, err = c.Instant(context.Background(), "sum(increase(x[90d]))", at)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refuses queries longer than its limit of 30d")
	assert.Contains(t, err.Error(), "maxQueryLength")
	assert.Contains(t, err.Error(), "HTTP 422")
}

func TestTooLongPieces(t *testing.T) {
	const minute = int64(60_000)
	tests := []struct {
		name  string
		tl    tooLong
		to    int64
		want  [][2]int64
		error string
	}{
		{"halves when no limit is named", tooLong{}, 9 * minute, [][2]int64{{0, 4 * minute}, {5 * minute, 9 * minute}}, ""},
		{"by the named limit", tooLong{length: 9 * time.Minute, limit: 3 * time.Minute}, 9 * minute,
			[][2]int64{{0, 3 * minute}, {4 * minute, 7 * minute}, {8 * minute, 9 * minute}}, ""},
		{"less the selector's reach", tooLong{length: 11 * time.Minute, limit: 5 * time.Minute}, 9 * minute,
			[][2]int64{{0, 3 * minute}, {4 * minute, 7 * minute}, {8 * minute, 9 * minute}}, ""},
		{"a selector longer than the limit", tooLong{length: 20 * time.Minute, limit: 5 * time.Minute}, 9 * minute, nil,
			"the query reaches 11m0s beyond its range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tl.pieces(0, tt.to, minute)
			if tt.error != "" {
				require.ErrorContains(t, err, tt.error)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
