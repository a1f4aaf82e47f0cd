package source

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLeftOpenRanges(t *testing.T) {
	cases := []struct {
		name, value string
		open        bool
		err         string
	}{
		{"prometheus 2", "3", false, ""},
		{"prometheus 3", "2", true, ""},
		{"odd", "7", false, "want 2 or 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				require.Equal(t, rangeProbe, r.Form.Get("query"))
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
					"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{1, c.value}}}}})
			}))
			defer srv.Close()
			cl, err := New(Config{URL: srv.URL})
			require.NoError(t, err)
			open, err := cl.LeftOpenRanges(context.Background())
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.open, open)
		})
	}
}
