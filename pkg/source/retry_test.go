package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky answers the first len(statuses) requests with those statuses (and Retry-After
// headers), then with a one-point matrix; it records when each request came.
type flaky struct {
	mu         sync.Mutex
	statuses   []int
	retryAfter []string
	times      []time.Time
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	n := len(f.times)
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if n < len(f.statuses) {
		if n < len(f.retryAfter) && f.retryAfter[n] != "" {
			w.Header().Set("Retry-After", f.retryAfter[n])
		}
		w.WriteHeader(f.statuses[n])
		_, _ = w.Write([]byte(`{"status":"error","errorType":"unavailable","error":"try again"}`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"]]}]}}`))
}

func (f *flaky) requests() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.times...)
}

func TestRetry(t *testing.T) {
	always := func(s int) []int { return []int{s, s, s, s, s, s} }
	tests := []struct {
		name       string
		statuses   []int
		retryAfter []string
		timeout    time.Duration
		requests   int
		ok         bool
		wantErr    string
	}{
		{"503 always: three requests, no storm", always(503), nil, 0, 3, false, "answered HTTP 503 (unavailable: try again)"},
		{"502 then 504 then fine", []int{502, 504}, nil, 0, 3, true, ""},
		{"429 then fine", []int{429}, nil, 0, 2, true, ""},
		{"400 is never retried", always(400), nil, 0, 1, false, "HTTP 400"},
		{"404 is never retried", always(404), nil, 0, 1, false, "HTTP 404"},
		{"500 is an answer, not retried", always(500), nil, 0, 1, false, "HTTP 500"},
		{"422 is never retried", always(422), nil, 0, 1, false, "HTTP 422"},
		{"Retry-After past the deadline: no wait", always(503), []string{"60"}, 2 * time.Second, 1, false, "HTTP 503"},
		{"Retry-After date past the deadline", always(429), []string{time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, 2 * time.Second, 1, false, "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &flaky{statuses: tt.statuses, retryAfter: tt.retryAfter}
			srv := httptest.NewServer(f)
			defer srv.Close()
			c, err := New(Config{URL: srv.URL, Timeout: tt.timeout})
			require.NoError(t, err)
			c.backoff = time.Millisecond
			s, st, err := c.Range(context.Background(), "x", epoch, epoch, time.Minute)
			assert.Len(t, f.requests(), tt.requests)
			assert.Equal(t, tt.requests, st.Requests, "Stats.Requests counts the retries")
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, []float64{1}, s.Values)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDownstream)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestRetryAfterIsWaited(t *testing.T) {
	for _, ra := range []func() string{
		func() string { return "1" },
		func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, // whole seconds: 1 to 2s
	} {
		t.Run("", func(t *testing.T) {
			ra := ra()
			f := &flaky{statuses: []int{503}, retryAfter: []string{ra}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			c, err := New(Config{URL: srv.URL, Timeout: 10 * time.Second})
			require.NoError(t, err)
			c.backoff = time.Millisecond
			_, _, err = c.Range(context.Background(), "x", epoch, epoch, time.Minute)
			require.NoError(t, err)
			times := f.requests()
			require.Len(t, times, 2)
			assert.GreaterOrEqual(t, times[1].Sub(times[0]), 900*time.Millisecond, "Retry-After %s was waited", ra)
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
