package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigMatrix streams a valid matrix answer of about size bytes, generated as it goes, and
// counts the bytes the client took.
func bigMatrix(size int64, written *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		write := func(s string) bool {
			n, err := w.Write([]byte(s))
			written.Add(int64(n))
			return err == nil
		}
		if !write(`{"status":"success","data":{"resultType":"matrix","result":[`) {
			return
		}
		var line strings.Builder
		for i := 0; int64(i)*100 < size; i++ {
			line.Reset()
			if i > 0 {
				line.WriteByte(',')
			}
			fmt.Fprintf(&line, `{"metric":{"s":"%d"},"values":[[0,"1"],[60,"2"]]}`, i)
			if !write(line.String()) {
				return
			}
		}
		write(`]}}`)
	}
}

func TestLargeAnswer(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(bigMatrix(256<<20, &written))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, MaxBodyBytes: 1 << 20, Timeout: time.Minute})
	require.NoError(t, err)
	_, _, err = c.RangeGroups(context.Background(), "x", epoch, epoch.Add(time.Minute), time.Minute)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDownstream)
	assert.Contains(t, err.Error(), `the metrics source's answer exceeded 1 MB; range query "x" from`)
	srv.CloseClientConnections()
	// The client stopped reading at the cap: the server could write little more than the
	// cap plus what the sockets buffer, far from the 256 MB it offered.
	assert.Less(t, written.Load(), int64(64<<20), "the client read %d bytes", written.Load())

	// Answers within the cap decode.
	written.Store(0)
	small := httptest.NewServer(bigMatrix(100<<10, &written))
	defer small.Close()
	c, err = New(Config{URL: small.URL, MaxBodyBytes: 1 << 20})
	require.NoError(t, err)
	groups, _, err := c.RangeGroups(context.Background(), "x", epoch, epoch.Add(time.Minute), time.Minute)
	require.NoError(t, err)
	assert.Len(t, groups, 1024)

	// The instant query, the label values and an error's body are capped too.
	c, err = New(Config{URL: srv.URL, MaxBodyBytes: 1000})
	require.NoError(t, err)
	_, _, err = c.Instant(context.Background(), "x", epoch)
	assert.ErrorContains(t, err, "the metrics source's answer exceeded 1000 bytes")
}

func TestMaxBodyBytesConfig(t *testing.T) {
	c, err := New(Config{URL: "http://h:9090"})
	require.NoError(t, err)
	assert.Equal(t, int64(DefaultMaxBodyBytes), c.maxBody)
	assert.Equal(t, int64(64<<20), c.maxBody)
	c, err = New(Config{URL: "http://h:9090", MaxBodyBytes: 5 << 20})
	require.NoError(t, err)
	assert.Equal(t, int64(5<<20), c.maxBody)
	_, err = New(Config{URL: "http://h:9090", MaxBodyBytes: -1})
	assert.ErrorContains(t, err, "negative")
	assert.Equal(t, "64 MB", formatBytes(DefaultMaxBodyBytes))
}
