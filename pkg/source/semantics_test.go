package source

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProbeGrowth checks the probe against fakes of each engine's answers; the real
// engines are probed in the engine's integration tests.
func TestProbeGrowth(t *testing.T) {
	cases := []struct {
		name      string
		increase  string // the answer to the lookbehind probe
		anchored  int    // HTTP status of the anchored probe
		want, err string
	}{
		{"victoriametrics", "120", 200, GrowthLookbehind, ""},
		{"prometheus 3 with extended range selectors", "90", 200, GrowthAnchored, ""},
		{"prometheus 2 or 3", "90", 400, GrowthExtrapolated, ""},
		{"anchored probe fails upstream", "90", 503, "", "anchored modifier"},
		{"source down", "", 500, "", "probe how the source computes increase"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				w.Header().Set("Content-Type", "application/json")
				q := r.Form.Get("query")
				switch {
				case q == lookbehindProbe && c.increase == "":
					w.WriteHeader(500)
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": "internal", "error": "down"})
				case q == lookbehindProbe:
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
						"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{1, c.increase}}}}})
				case q == anchoredProbe && c.anchored != 200:
					w.WriteHeader(c.anchored)
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": "bad_data", "error": "parse error"})
				case q == anchoredProbe:
					_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": []any{}}})
				default:
					t.Errorf("unexpected query %q", q)
				}
			}))
			defer srv.Close()
			cl, err := New(Config{URL: srv.URL, Timeout: 5 * time.Second})
			require.NoError(t, err)
			got, err := cl.ProbeGrowth(context.Background())
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}
