package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// A source that fails the growth probe gets no further request from that query: the
// query fails with the source's error after one wait, not two.
func TestFailedProbeSendsNothingMore(t *testing.T) {
	s := &slo.SLO{Name: "a", Objective: 99, Window: slo.Window{Kind: slo.Rolling, Duration: time.Hour},
		Indicator: slo.Indicator{Kind: slo.Ratio, Good: `x_total{code="200"}`, Total: `x_total`}}
	cases := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request)
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"internal","error":"boom"}`))
		}},
		{"hangs past the timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				c.handler(w, r)
			}))
			defer srv.Close()
			src, err := source.New(source.Config{URL: srv.URL, Timeout: 200 * time.Millisecond})
			require.NoError(t, err)
			e := New(src)
			to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			_, err = e.Buckets(context.Background(), s, to.Add(-time.Hour), to, time.Minute)
			require.Error(t, err)
			require.True(t, errors.Is(err, source.ErrDownstream), "%v", err)
			require.Contains(t, err.Error(), "probe how the source computes increase")
			require.Equal(t, int32(1), requests.Load(), "only the probe was sent")
		})
	}
}
