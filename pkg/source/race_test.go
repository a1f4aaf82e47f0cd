package source

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// racyBody is a response body like those of some HTTP client middlewares: Read and Close
// share state without a lock, so the race detector sees any Close that runs during a Read.
type racyBody struct {
	rc    io.ReadCloser
	reads int
	done  bool
}

func (b *racyBody) Read(p []byte) (int, error) {
	b.reads++
	if b.done {
		return 0, io.ErrClosedPipe
	}
	return b.rc.Read(p)
}

func (b *racyBody) Close() error {
	b.done = true
	_ = b.reads
	return b.rc.Close()
}

// racyTransport wraps each response body in a racyBody.
type racyTransport struct{ next http.RoundTripper }

func (t racyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		resp.Body = &racyBody{rc: resp.Body}
	}
	return resp, err
}

// TestConcurrentCancelledRequests runs many range queries whose answers drip slowly and
// cancels them at random moments: under -race, no body may be read and closed at once,
// and every call must end.
func TestConcurrentCancelledRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[`))
		for i := 0; ; i++ {
			sep := ","
			if i == 0 {
				sep = ""
			}
			if _, err := w.Write([]byte(sep + `[0,"1"]`)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, HTTPClient: &http.Client{Transport: racyTransport{next: http.DefaultTransport}},
		Timeout: 300 * time.Millisecond, MaxPoints: 10, MaxConcurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(100))*time.Millisecond)
			defer cancel()
			_, _, err := c.Range(ctx, "sum(x)", epoch, epoch.Add(99*time.Second), time.Second)
			if err == nil {
				t.Error("an endless answer cannot succeed")
			}
		})
	}
	wg.Wait()
}
