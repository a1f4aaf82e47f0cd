package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorsSayWhoFailed checks that each kind of failure names the metrics source, says
// what went wrong in words, keeps the query as detail and never shows credentials.
func TestErrorsSayWhoFailed(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
		timeout bool
	}{
		{"500 with an API error", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"internal","error":"out of memory"}`))
		}, []string{"the metrics source at HOST answered HTTP 500 (internal: out of memory)", `; range query "sum(x)" from `}, false},
		{"500 with text", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte("boom\n"))
		}, []string{"the metrics source at HOST answered HTTP 500 (server_error: boom)"}, false},
		{"401 with text", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			_, _ = w.Write([]byte("Unauthorized"))
		}, []string{"the metrics source at HOST answered HTTP 401 (client_error: Unauthorized)"}, false},
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm() // read the body, so that the server notices when the client hangs up
			<-r.Context().Done()
		}, []string{"the metrics source at HOST did not answer within 200ms", `; range query "sum(x)"`}, true},
		{"body drips", func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[`))
			for {
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
			}
		}, []string{"the metrics source at HOST did not answer within 200ms"}, true},
		{"not json", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("hello"))
		}, []string{"the metrics source at HOST sent something that is not the Prometheus API: invalid character 'h'"}, false},
		{"json but not the API", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"hello":"world"}`))
		}, []string{"the metrics source at HOST sent something that is not the Prometheus API"}, false},
		{"a web page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<!doctype html><html><body>Grafana</body></html>"))
		}, []string{"the metrics source URL answered with a web page, not the Prometheus API: check the URL and the authentication"}, false},
		{"a web page without a content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("\n  <html><body>hi</body></html>"))
		}, []string{"the metrics source URL answered with a web page"}, false},
		{"a redirect to a login page", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/login" {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><form>password</form></html>"))
				return
			}
			http.Redirect(w, r, "/login?next=x", http.StatusFound)
		}, []string{"the metrics source URL answered with a web page, not the Prometheus API: check the URL and the authentication"}, false},
		{"403 login page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			_, _ = w.Write([]byte("<html>Forbidden</html>"))
		}, []string{"the metrics source URL answered with a web page"}, false},
		{"an error in a 200", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"status":"error","errorType":"execution","error":"too many samples"}`))
		}, []string{"the metrics source at HOST answered an error (execution: too many samples)"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			c, err := New(Config{URL: "http://admin:s3cr3t@" + host + "/?token=t0k3n", Timeout: 200 * time.Millisecond})
			require.NoError(t, err)
			_, _, err = c.Range(context.Background(), "sum(x)", epoch, epoch.Add(time.Hour), time.Minute)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDownstream)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), strings.ReplaceAll(w, "HOST", host))
			}
			if tt.timeout {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
			for _, secret := range []string{"s3cr3t", "admin", "t0k3n"} {
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, c.URL(), secret)
			}
		})
	}
}

func TestConnectionRefusedInWords(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	c, err := New(Config{URL: "http://u:pw@" + host + "/?token=t0k3n", Timeout: 2 * time.Second})
	require.NoError(t, err)
	_, _, err = c.Instant(context.Background(), "up", epoch)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDownstream)
	assert.Contains(t, err.Error(), "could not connect to the metrics source at "+host+": connection refused")
	assert.Contains(t, err.Error(), `; query "up" at 1970-01-01T00:00:00Z`)
	assert.NotContains(t, err.Error(), "pw")
	assert.NotContains(t, err.Error(), "t0k3n")
}

func TestCancelledInWords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, err = c.Instant(ctx, "up", epoch)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled))
	assert.False(t, errors.Is(err, ErrDownstream))
	assert.Contains(t, err.Error(), "the request to the metrics source at "+strings.TrimPrefix(srv.URL, "http://")+" was cancelled")
}
