package source

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer starts a server answering every request with status and body.
func answer(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

func TestUnknownFieldsIgnored(t *testing.T) {
	rangeTests := []struct {
		name, body string
		want       []float64
		warnings   []string
	}{
		{"exemplars on a series", `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"a":"1"},"values":[[0,"1"],[60,"2"]],"exemplars":[{"labels":{"trace_id":"x"},"value":"1","timestamp":1}]}]}}`,
			[]float64{1, 2}, nil},
		{"extras everywhere", `{"status":"success","isPartial":false,"stats":{"seriesFetched":"1"},"data":{"stats":{"timings":{}},"result":[
			{"metric":{"a":"1"},"values":[[0,"1"],[60,"2"]],"shard":7}],"resultType":"matrix","analysis":{}},"traceID":"abc"}`,
			[]float64{1, 2}, nil},
		{"warnings and infos", `{"status":"success","warnings":["w1"],"infos":["i1"],"data":{"resultType":"matrix","result":[
			{"metric":{},"values":[[0,"3"],[60,"4"]]}]}}`,
			[]float64{3, 4}, []string{"w1"}},
		{"null result", `{"status":"success","data":{"resultType":"matrix","result":null}}`, []float64{0, 0}, nil},
		{"empty result", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, []float64{0, 0}, nil},
	}
	for _, tt := range rangeTests {
		t.Run(tt.name, func(t *testing.T) {
			c := answer(t, 200, tt.body)
			s, st, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(time.Minute), time.Minute)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Values)
			assert.Equal(t, tt.warnings, st.Warnings)
		})
	}

	instantTests := []struct {
		name, body string
		want       float64
		ok         bool
	}{
		{"vector with exemplars", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"],"exemplars":[]}]}}`, 0.5, true},
		{"vector with extras", `{"status":"success","data":{"result":[{"metric":{},"value":[1,"2"],"x":{"y":[1,2]}}],"resultType":"vector"},"extra":1}`, 2, true},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1,"7"]}}`, 7, true},
		{"null vector", `{"status":"success","data":{"resultType":"vector","result":null}}`, 0, false},
	}
	for _, tt := range instantTests {
		t.Run(tt.name, func(t *testing.T) {
			c := answer(t, 200, tt.body)
			v, ok, err := c.Instant(context.Background(), "x", epoch)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, v)
		})
	}

	c := answer(t, 200, `{"status":"success","data":{"version":"2.53.0","revision":"r","goVersion":"go1.22","features":{"x":true}}}`)
	v, err := c.Version(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "2.53.0", v)

	c = answer(t, 200, `{"status":"success","data":["a","b"],"warnings":[],"extra":{}}`)
	vals, err := c.LabelValues(context.Background(), "le", "", epoch, epoch)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, vals)
}

func TestWrongResultShapes(t *testing.T) {
	tests := []struct {
		name, body string
		instant    bool
		want       string
	}{
		{"scalar for range", `{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}`, false, "unexpected result type scalar, want matrix"},
		{"string for range", `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`, false, "unexpected result type string, want matrix"},
		{"no data", `{"status":"success"}`, false, "unexpected result type none, want matrix"},
		{"null data", `{"status":"success","data":null}`, false, "unexpected result type none, want matrix"},
		{"string for instant", `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`, true, "unexpected result type string"},
		{"matrix for instant", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, true, "unexpected result type matrix"},
		{"bad value", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"one"]]}]}}`, false, "not the Prometheus API"},
		{"bad point", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0]]}]}}`, false, "not the Prometheus API"},
		{"truncated", `{"status":"success","data":{"resultType":"matrix","result":[{`, false, "not the Prometheus API"},
		{"empty body", ``, false, "not the Prometheus API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := answer(t, 200, tt.body)
			var err error
			if tt.instant {
				_, _, err = c.Instant(context.Background(), "x", epoch)
			} else {
				_, _, err = c.Range(context.Background(), "x", epoch, epoch.Add(time.Minute), time.Minute)
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDownstream)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// A range answer is decoded series by series as it arrives: the first series is taken
// before the rest of the answer has been sent.
func TestRangeAnswerIsDecodedAsAStream(t *testing.T) {
	pr, pw := io.Pipe()
	taken := make(chan string, 2)
	res := apiResult{each: func(s *apiSeries) { taken <- s.Metric["s"] }}
	done := make(chan error, 1)
	go func() {
		_, err := decodeEnvelope(json.NewDecoder(pr), decodeResult(&res))
		done <- err
	}()
	_, err := io.WriteString(pw, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"s":"first"},"values":[[1,"1"]]},`)
	require.NoError(t, err)
	select {
	case s := <-taken:
		assert.Equal(t, "first", s)
	case <-time.After(10 * time.Second):
		t.Fatal("the first series was not taken before the rest of the answer came")
	}
	_, err = io.WriteString(pw, `{"metric":{"s":"second"},"values":[[1,"2"]]}]}}`)
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
	assert.Equal(t, "second", <-taken)
	assert.Empty(t, res.series, "nothing is kept beside what each took")
}
