package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPartialAnswers checks what reaches Stats from answers that are partial: the
// source's warnings and infos, VictoriaMetrics's isPartial, and a chunk without data.
func TestPartialAnswers(t *testing.T) {
	// Chunks of 10 points; the chunk starting at 10 minutes answers no data, the one at 20
	// minutes is partial, with a warning and an info.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		w.Header().Set("Content-Type", "application/json")
		switch start {
		case 600:
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
		case 1200:
			_, _ = w.Write([]byte(`{"status":"success","isPartial":true,"warnings":["storage node down"],"infos":["info 1"],
				"data":{"resultType":"matrix","result":[{"metric":{},"values":[[1200,"1"]]}]}}`))
		default:
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[` +
				strconv.FormatFloat(start, 'f', -1, 64) + `,"1"]]}]}}`))
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, MaxPoints: 10})
	require.NoError(t, err)
	s, st, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(29*time.Minute), time.Minute)
	require.NoError(t, err, "a chunk without data is not an error")
	assert.Equal(t, 3, st.Requests)
	assert.True(t, s.Present[0])
	assert.False(t, s.Present[10], "the chunk without data")
	assert.True(t, s.Present[20])
	assert.Equal(t, []string{"storage node down", "the metrics source answered a partial response (isPartial): some of its data may be missing"}, st.Warnings)
	assert.Equal(t, []string{"info 1"}, st.Infos)
}
