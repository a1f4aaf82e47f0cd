package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// req is one range request the fake saw.
type req struct {
	query            string
	start, end, step float64
}

// fake is a Prometheus stand-in whose answers the tests control.
type fake struct {
	t        *testing.T
	mu       sync.Mutex
	reqs     []req
	inFlight atomic.Int32
	maxIn    atomic.Int32
	delay    time.Duration
	// range answers with series (one per label value) holding a point at every grid
	// point whose index (ts/step) is not in gaps; value = ts in seconds.
	series   int
	gaps     map[int64]bool
	warnings []string
	// raw, when set, answers every request with this status and body.
	status int
	body   string
	// hang blocks until the client gives up or the test ends.
	hang    bool
	release chan struct{}
	once    sync.Once
	// buildinfo404 answers 404 on buildinfo.
	buildinfo404 bool
	auth         *string
}

func newFake(t *testing.T) *fake {
	return &fake{t: t, series: 1, release: make(chan struct{})}
}

func (f *fake) requests() []req {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]req(nil), f.reqs...)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if f.auth != nil {
		u, p, _ := r.BasicAuth()
		f.mu.Lock()
		*f.auth = u + ":" + p
		f.mu.Unlock()
	}
	_ = r.ParseForm() // read the body, so that the server notices when the client hangs up
	if f.hang {
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}
	switch r.URL.Path {
	case "/api/v1/status/buildinfo":
		if f.buildinfo404 {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{"version": "3.1.0"}})
	case "/api/v1/query":
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{
			"resultType": "vector", "result": []any{map[string]any{"metric": map[string]string{}, "value": []any{1, "1"}}}}})
	case "/api/v1/label/le/values":
		writeJSON(w, map[string]any{"status": "success", "data": []string{"0.1", "0.3", "+Inf"}})
	case "/api/v1/query_range":
		f.serveRange(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fake) serveRange(w http.ResponseWriter, r *http.Request) {
	parse := func(k string) float64 {
		v, err := strconv.ParseFloat(r.Form.Get(k), 64)
		if err != nil {
			f.t.Errorf("bad %s %q", k, r.Form.Get(k))
		}
		return v
	}
	q := req{query: r.Form.Get("query"), start: parse("start"), end: parse("end"), step: parse("step")}
	f.mu.Lock()
	f.reqs = append(f.reqs, q)
	f.mu.Unlock()
	stepMs := int64(q.step*1000 + 0.5)
	var result []any
	for s := 0; s < f.series; s++ {
		var values []any
		for ts := int64(q.start*1000 + 0.5); ts <= int64(q.end*1000+0.5); ts += stepMs {
			if f.gaps[ts/stepMs] {
				continue
			}
			values = append(values, []any{float64(ts) / 1000, strconv.FormatFloat(float64(ts)/1000, 'f', -1, 64)})
		}
		result = append(result, map[string]any{"metric": map[string]string{"s": strconv.Itoa(s)}, "values": values})
	}
	body := map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": result}}
	if len(f.warnings) > 0 {
		body["warnings"] = f.warnings
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// setup starts the fake and a client on it.
func setup(t *testing.T, f *fake, cfg Config) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { f.once.Do(func() { close(f.release) }) }) // runs before srv.Close
	if cfg.URL == "" {
		cfg.URL = srv.URL
	} else {
		cfg.URL = strings.Replace(cfg.URL, "SERVER", strings.TrimPrefix(srv.URL, "http://"), 1)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

var epoch = time.Unix(0, 0).UTC()

func TestChunks(t *testing.T) {
	tests := []struct {
		name              string
		start, end, step  int64
		max               int
		wantFrom, wantTo  []int64
		wantOffsetsLength int
	}{
		{"aligned 25000 points", 0, 24999 * 60_000, 60_000, 10000,
			[]int64{0, 10000 * 60_000, 20000 * 60_000}, []int64{9999 * 60_000, 19999 * 60_000, 24999 * 60_000}, 3},
		{"single point", 5 * 60_000, 5 * 60_000, 60_000, 10000, []int64{300_000}, []int64{300_000}, 1},
		{"unaligned start", 15 * 1000, 44 * 1000, 1000, 10,
			[]int64{15_000, 20_000, 30_000, 40_000}, []int64{19_000, 29_000, 39_000, 44_000}, 4},
		{"off-phase grid", 1500, 25_500, 1000, 10,
			[]int64{1500, 10_500, 20_500}, []int64{9500, 19_500, 25_500}, 3},
		{"before epoch", -25_000, -6000, 1000, 10,
			[]int64{-25_000, -20_000, -10_000}, []int64{-21_000, -11_000, -6000}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := chunks(tt.start, tt.end, tt.step, tt.max)
			require.Len(t, cs, tt.wantOffsetsLength)
			offset := 0
			for i, c := range cs {
				assert.Equal(t, tt.wantFrom[i], c.from, "from of chunk %d", i)
				assert.Equal(t, tt.wantTo[i], c.to, "to of chunk %d", i)
				assert.Equal(t, offset, c.offset)
				n := int((c.to-c.from)/tt.step) + 1
				assert.LessOrEqual(t, n, tt.max)
				offset += n
			}
			assert.Equal(t, int((tt.end-tt.start)/tt.step)+1, offset)
		})
	}
}

func TestRangeChunking(t *testing.T) {
	f := newFake(t)
	c := setup(t, f, Config{})
	step := time.Minute
	start := epoch.Add(1000 * 10000 * step) // a multiple of MaxPoints*step
	end := start.Add(24999 * step)          // 25,000 points
	s, st, err := c.Range(context.Background(), "sum(x)", start, end, step)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Requests)
	assert.Equal(t, []string{"sum(x)"}, st.Queries)
	reqs := f.requests()
	require.Len(t, reqs, 3)
	got := map[[2]float64]bool{}
	for _, r := range reqs {
		assert.Equal(t, 60.0, r.step)
		got[[2]float64{r.start, r.end}] = true
	}
	base := float64(start.Unix())
	for i := 0; i < 3; i++ {
		from := base + float64(i*10000*60)
		to := from + 9999*60
		if i == 2 {
			to = float64(end.Unix())
		}
		assert.True(t, got[[2]float64{from, to}], "missing request %v..%v in %v", from, to, reqs)
	}
	require.Equal(t, 25000, s.Len())
	for i := range s.Values {
		require.True(t, s.Present[i])
		require.Equal(t, float64(s.At(i).Unix()), s.Values[i], "point %d", i)
	}
}

func TestRangeAbsentPoints(t *testing.T) {
	f := newFake(t)
	step := time.Minute
	f.gaps = map[int64]bool{2: true, 3: true, 7: true}
	c := setup(t, f, Config{})
	s, _, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(9*step), step)
	require.NoError(t, err)
	require.Equal(t, 10, s.Len())
	for i := range s.Present {
		assert.Equal(t, !f.gaps[int64(i)], s.Present[i], "point %d", i)
		if !s.Present[i] {
			assert.Zero(t, s.Values[i])
		}
	}

	f.series = 0
	s, _, err = c.Range(context.Background(), "sum(none)", epoch, epoch.Add(9*step), step)
	require.NoError(t, err)
	require.Equal(t, 10, s.Len())
	for i := range s.Present {
		assert.False(t, s.Present[i])
	}
}

func TestRangeMultipleSeries(t *testing.T) {
	f := newFake(t)
	f.series = 3
	c := setup(t, f, Config{})
	_, _, err := c.Range(context.Background(), "x", epoch, epoch.Add(time.Hour), time.Minute)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "query returned 3 series; aggregate them, e.g. with sum()")
	assert.False(t, errors.Is(err, ErrDownstream), "a query that needs aggregation is not the server's fault")
}

func TestRangeGroups(t *testing.T) {
	f := newFake(t)
	f.series = 2
	c := setup(t, f, Config{MaxPoints: 100})
	end := epoch.Add(250 * time.Minute)
	groups, stats, err := c.RangeGroups(context.Background(), "x", epoch, end, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 3, stats.Requests, "251 points in chunks of 100")
	require.Len(t, groups, 2)
	for i, g := range groups {
		assert.Equal(t, map[string]string{"s": strconv.Itoa(i)}, g.Labels)
		require.Equal(t, 251, g.Len())
		for j := range g.Values {
			require.True(t, g.Present[j])
			require.Equal(t, float64(g.At(j).Unix()), g.Values[j], "point %d of group %d", j, i)
		}
	}
}

func TestRangeSplitForConcurrency(t *testing.T) {
	cases := []struct {
		name            string
		split, conc     int
		points          int64
		wantChunkPoints int
	}{
		{"off", 0, 4, 1441, 10000},
		{"1441 points over 4", 256, 4, 1441, 512},
		{"at least SplitPoints", 512, 4, 1441, 512},
		{"never above MaxPoints", 256, 2, 40000, 10000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			cl := setup(t, f, Config{SplitPoints: c.split, MaxConcurrency: c.conc})
			require.Equal(t, c.wantChunkPoints, cl.chunkPoints(c.points, time.Minute.Milliseconds()))
		})
	}
	f := newFake(t)
	cl := setup(t, f, Config{SplitPoints: 256, MaxConcurrency: 4})
	end := epoch.Add(1440 * time.Minute)
	s, stats, err := cl.Range(context.Background(), "x", epoch, end, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 3, stats.Requests, "1441 points in epoch-aligned chunks of 512")
	for i := range s.Values {
		require.Equal(t, float64(s.At(i).Unix()), s.Values[i])
	}
}

func TestRangeConcurrencyBound(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		calls int
	}{
		{"one call", 3, 1},
		{"overall across calls", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.delay = 20 * time.Millisecond
			c := setup(t, f, Config{MaxConcurrency: tt.limit, MaxPoints: 10})
			var wg sync.WaitGroup
			for k := 0; k < tt.calls; k++ {
				wg.Go(func() {
					_, st, err := c.Range(context.Background(), fmt.Sprintf("sum(x%d)", k), epoch, epoch.Add(99*time.Second), time.Second)
					assert.NoError(t, err)
					assert.Equal(t, 10, st.Requests)
				})
			}
			wg.Wait()
			assert.LessOrEqual(t, int(f.maxIn.Load()), tt.limit)
			assert.GreaterOrEqual(t, int(f.maxIn.Load()), 2, "chunks should run concurrently")
		})
	}
}

func TestRangeCache(t *testing.T) {
	f := newFake(t)
	step := time.Minute
	start := epoch.Add(500 * 100 * step)
	end := start.Add(249 * step) // 250 points in 3 chunks of 100
	now := end.Add(30 * time.Second)
	c := setup(t, f, Config{MaxPoints: 100, CacheEntries: 10, Now: func() time.Time { return now }})
	c.pointwise.Store(true) // as the growth probe sets it on a Prometheus

	first, st, err := c.Range(context.Background(), "sum(x)", start, end, step)
	require.NoError(t, err)
	assert.Equal(t, Stats{Requests: 3, Queries: []string{"sum(x)"}}, st)

	second, st, err := c.Range(context.Background(), "sum(x)", start, end, step)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Requests, "only the newest points are fetched again")
	assert.Equal(t, 3, st.CacheHits, "two whole chunks, and the newest chunk's points before the cutoff")
	assert.Equal(t, first, second)
	reqs := f.requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, float64(end.Unix()), reqs[3].start, "the refetch starts at the first point after the cutoff (now - step)")

	// A later start inside a cached chunk is served from it.
	later := start.Add(30 * step)
	third, st, err := c.Range(context.Background(), "sum(x)", later, end, step)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Requests)
	assert.Equal(t, 3, st.CacheHits)
	assert.Equal(t, first.Values[30:], third.Values)

	// An earlier start adds the chunk before; the aligned chunks stay cached.
	_, st, err = c.Range(context.Background(), "sum(x)", start.Add(-10*step), end, step)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Requests, "the chunk before and the newest points")
	assert.Equal(t, 3, st.CacheHits)

	// A cached partial chunk does not serve a wider request.
	c2 := setup(t, newFake(t), Config{MaxPoints: 100, CacheEntries: 10, Now: func() time.Time { return now }})
	c2.pointwise.Store(true)
	_, st, err = c2.Range(context.Background(), "sum(x)", later, end, step)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Requests)
	_, st, err = c2.Range(context.Background(), "sum(x)", start, end, step)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Requests, "the widened first chunk and the newest points")
	assert.Equal(t, 2, st.CacheHits)

	// Another query or step never hits.
	_, st, err = c.Range(context.Background(), "sum(y)", start, end, step)
	require.NoError(t, err)
	assert.Zero(t, st.CacheHits)
	_, st, err = c.Range(context.Background(), "sum(x)", start, end, step/2)
	require.NoError(t, err)
	assert.Zero(t, st.CacheHits)
}

// A dashboard refreshed as time goes on fetches only the points since the last refresh's
// cutoff, and gets what a fresh client gets.
func TestRangeCacheRefreshAsTimeGoesOn(t *testing.T) {
	f := newFake(t)
	f.series = 2
	f.gaps = map[int64]bool{}
	step := time.Minute
	start := epoch.Add(500*100*step + 7*step)
	now := start.Add(180*step + 20*time.Second)
	c := setup(t, f, Config{MaxPoints: 100, CacheEntries: 10, Now: func() time.Time { return now }})
	c.pointwise.Store(true)
	for i := 0; i < 5; i++ {
		end := series(now, step)
		if i == 3 {
			f.gaps[end.Add(-step).Unix()/60] = true // a point missing near the end
		}
		got, st, err := c.RangeGroups(context.Background(), "x", start, end, step)
		require.NoError(t, err)
		reqs := f.requests()
		if i > 0 {
			assert.Equal(t, 1, st.Requests, "refresh %d: one request for the newest points", i)
			assert.Greater(t, reqs[len(reqs)-1].start, float64(end.Add(-4*step).Unix()), "refresh %d asks for a few points only", i)
		}
		fresh := setup(t, f, Config{MaxPoints: 100, Now: func() time.Time { return now }})
		want, _, err := fresh.RangeGroups(context.Background(), "x", start, end, step)
		require.NoError(t, err)
		require.Equal(t, want, got, "refresh %d", i)
		now = now.Add(2*step + 3*time.Second)
	}
}

// A source whose points may depend on where a range starts (VictoriaMetrics: the growth
// probe did not show a Prometheus engine) gets the newest chunk fetched whole.
func TestRangeCacheNewestChunkWholeUnlessPointwise(t *testing.T) {
	f := newFake(t)
	step := time.Minute
	start := epoch.Add(500 * 100 * step)
	end := start.Add(249 * step)
	now := end.Add(30 * time.Second)
	c := setup(t, f, Config{MaxPoints: 100, CacheEntries: 10, Now: func() time.Time { return now }})
	for i := 0; i < 2; i++ {
		_, _, err := c.Range(context.Background(), "sum(x)", start, end, step)
		require.NoError(t, err)
	}
	reqs := f.requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, float64(start.Add(200*step).Unix()), reqs[3].start, "the newest chunk is fetched from its start")
}

// Two stretches of one chunk asked for apart (a window's first hour and its last) both
// stay cached, and a request within either is served from the cache; one that spans the
// gap between them is fetched.
func TestRangeCacheKeepsStretchesOfOneChunk(t *testing.T) {
	f := newFake(t)
	f.series = 2
	step := time.Minute
	base := epoch.Add(500 * 100 * step)
	now := base.Add(1000 * step)
	c := setup(t, f, Config{MaxPoints: 100, CacheEntries: 10, Now: func() time.Time { return now }})
	ctx := context.Background()
	first := [2]time.Time{base.Add(3 * step), base.Add(20 * step)}
	last := [2]time.Time{base.Add(60 * step), base.Add(90 * step)}
	want := map[[2]time.Time][]Group{}
	for _, r := range [][2]time.Time{first, last} {
		g, st, err := c.RangeGroups(ctx, "x", r[0], r[1], step)
		require.NoError(t, err)
		require.Equal(t, 1, st.Requests)
		want[r] = g
	}
	for _, r := range [][2]time.Time{first, last, {first[0].Add(step), first[1]}, {last[0], last[1].Add(-5 * step)}} {
		g, st, err := c.RangeGroups(ctx, "x", r[0], r[1], step)
		require.NoError(t, err)
		assert.Zero(t, st.Requests, "%v is served from the cache", r)
		fresh := setup(t, f, Config{MaxPoints: 100, Now: func() time.Time { return now }})
		w, _, err := fresh.RangeGroups(ctx, "x", r[0], r[1], step)
		require.NoError(t, err)
		assert.Equal(t, w, g, "%v", r)
	}
	_, st, err := c.RangeGroups(ctx, "x", first[0], last[1], step)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Requests, "the gap between the stretches is not in the cache")
	_, st, err = c.RangeGroups(ctx, "x", first[0], last[1], step)
	require.NoError(t, err)
	assert.Zero(t, st.Requests, "now all of it is")
}

// series returns the last whole step before now.
func series(now time.Time, step time.Duration) time.Time { return now.Truncate(step) }

func TestRangeCacheDisabledAndWarnings(t *testing.T) {
	f := newFake(t)
	step := time.Minute
	c := setup(t, f, Config{MaxPoints: 10, Now: func() time.Time { return epoch.Add(24 * time.Hour) }})
	for i := 0; i < 2; i++ {
		_, st, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(19*step), step)
		require.NoError(t, err)
		assert.Equal(t, 2, st.Requests)
		assert.Zero(t, st.CacheHits)
	}

	f.warnings = []string{"partial response"}
	c = setup(t, f, Config{MaxPoints: 10, CacheEntries: 10, Now: func() time.Time { return epoch.Add(24 * time.Hour) }})
	_, st, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(19*step), step)
	require.NoError(t, err)
	assert.Equal(t, []string{"partial response"}, st.Warnings)
	_, st, err = c.Range(context.Background(), "sum(x)", epoch, epoch.Add(19*step), step)
	require.NoError(t, err)
	assert.Zero(t, st.CacheHits, "chunks with warnings are not cached")
}

func TestRangeBadInput(t *testing.T) {
	c := setup(t, newFake(t), Config{})
	tests := []struct {
		name       string
		query      string
		start, end time.Time
		step       time.Duration
		want       string
	}{
		{"empty query", "", epoch, epoch, time.Minute, "empty query"},
		{"zero step", "x", epoch, epoch, 0, "step"},
		{"end before start", "x", epoch.Add(time.Hour), epoch, time.Minute, "before start"},
		{"off grid", "x", epoch, epoch.Add(90 * time.Second), time.Minute, "grid"},
		{"too many points", "x", epoch, epoch.Add(365 * 24 * time.Hour), time.Second, "larger step"},
		{"sub-ms start", "x", epoch.Add(time.Microsecond), epoch.Add(time.Minute + time.Microsecond), time.Minute, "milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.Range(context.Background(), tt.query, tt.start, tt.end, tt.step)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.False(t, errors.Is(err, ErrDownstream))
		})
	}
}

func TestDownstreamErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		want      []string
		rangeOnly bool // only a range query sees the problem
	}{
		{"500", 500, "boom", []string{"HTTP 500", "server_error", `"sum(x)"`}, false},
		{"503 html", 503, "<html>down</html>", []string{"HTTP 503"}, false},
		{"bad_data", 400, `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`, []string{"HTTP 400", "bad_data", "parse error at char 3"}, false},
		{"garbage json", 200, `{"status":"success","data":{"resultType":"matrix","result":[{`, []string{"not the Prometheus API"}, false},
		{"not json", 200, `hello`, []string{"not the Prometheus API"}, false},
		{"wrong type", 200, `{"status":"success","data":{"resultType":"vector","result":[]}}`, []string{"unexpected result type vector"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.status, f.body = tt.status, tt.body
			c := setup(t, f, Config{})
			_, _, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(time.Hour), time.Minute)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDownstream)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			if tt.rangeOnly {
				return
			}
			_, _, err = c.Instant(context.Background(), "sum(x)", epoch)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrDownstream)
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	c, err := New(Config{URL: addr, Timeout: 2 * time.Second})
	require.NoError(t, err)
	_, _, err = c.Range(context.Background(), "sum(x)", epoch, epoch.Add(time.Hour), time.Minute)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDownstream)
	_, err = c.Version(context.Background())
	assert.ErrorIs(t, err, ErrDownstream)
}

func TestHangPastTimeout(t *testing.T) {
	f := newFake(t)
	f.hang = true
	c := setup(t, f, Config{Timeout: 100 * time.Millisecond, MaxPoints: 10})
	_, _, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(99*time.Second), time.Second)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDownstream)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "did not answer within 100ms")

	_, _, err = c.Instant(context.Background(), "x", epoch)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = c.Version(context.Background())
	assert.ErrorIs(t, err, ErrDownstream)
	_, err = c.LabelValues(context.Background(), "le", "x", epoch, epoch)
	assert.ErrorIs(t, err, ErrDownstream)
}

func TestCallerCancelIsNotDownstream(t *testing.T) {
	f := newFake(t)
	f.hang = true
	c := setup(t, f, Config{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, _, err := c.Range(ctx, "sum(x)", epoch, epoch.Add(time.Hour), time.Minute)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, ErrDownstream))
}

func TestSecretsNotInErrors(t *testing.T) {
	var seen string
	f := newFake(t)
	f.auth = &seen
	f.status, f.body = 500, "boom"
	c := setup(t, f, Config{URL: "http://admin:s3cr3t@SERVER/"})
	assert.NotContains(t, c.URL(), "s3cr3t")
	assert.NotContains(t, c.URL(), "admin")
	_, _, err := c.Range(context.Background(), "sum(x)", epoch, epoch.Add(time.Hour), time.Minute)
	require.Error(t, err)
	assert.Equal(t, "admin:s3cr3t", seen, "credentials in the URL are used for basic auth")
	assert.NotContains(t, err.Error(), "s3cr3t")
	assert.NotContains(t, err.Error(), "admin")

	// Transport errors carry the request URL: it must be stripped too.
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	c, err = New(Config{URL: "http://admin:s3cr3t@" + addr, Timeout: time.Second})
	require.NoError(t, err)
	for _, e := range []error{
		func() error { _, _, err := c.Range(context.Background(), "x", epoch, epoch, time.Minute); return err }(),
		func() error { _, _, err := c.Instant(context.Background(), "x", epoch); return err }(),
		func() error { _, err := c.Version(context.Background()); return err }(),
		func() error { _, err := c.LabelValues(context.Background(), "le", "", epoch, epoch); return err }(),
	} {
		require.Error(t, e)
		assert.NotContains(t, e.Error(), "s3cr3t")
		assert.NotContains(t, e.Error(), "admin")
		assert.ErrorIs(t, e, ErrDownstream)
	}

	_, err = New(Config{URL: "http://admin:s3cr3t@host:badport/"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Post "http://u:p@h:9090/api/v1/query": EOF`, `Post "http://h:9090/api/v1/query": EOF`},
		{`https://user@h/x`, `https://h/x`},
		{`no url here`, `no url here`},
		{`http://h/x?a=b@c`, `http://h/x?a=b@c`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact(tt.in))
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{URL: "localhost:9090"}, "http"},
		{"no host", Config{URL: "http://"}, "no host"},
		{"too many points", Config{URL: "http://h", MaxPoints: 20000}, "11000"},
		{"negative", Config{URL: "http://h", Timeout: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	c, err := New(Config{URL: "http://h:9090"})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.timeout)
	assert.Equal(t, DefaultMaxConcurrency, cap(c.sem))
	assert.Equal(t, DefaultMaxPoints, c.maxPoints)
	assert.Nil(t, c.cache)
}

func TestInstant(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		want   float64
		ok     bool
		errHas string
	}{
		{"one", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}`, 0.5, true, ""},
		{"none", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 0, false, ""},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}`, 2, true, ""},
		{"two", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"1"]}]}}`, 0, false, "query returned 2 series"},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, 0, false, "unexpected result type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.status, f.body = 200, tt.body
			c := setup(t, f, Config{})
			v, ok, err := c.Instant(context.Background(), "q", epoch)
			if tt.errHas != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errHas)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, v)
		})
	}
}

func TestVersion(t *testing.T) {
	f := newFake(t)
	c := setup(t, f, Config{})
	v, err := c.Version(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "3.1.0", v)

	f.buildinfo404 = true
	v, err = c.Version(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "unknown", v)

	f2 := newFake(t)
	f2.status, f2.body = 404, "not found"
	c2 := setup(t, f2, Config{})
	_, err = c2.Version(context.Background())
	require.Error(t, err, "the fallback query fails too")
	assert.ErrorIs(t, err, ErrDownstream)
}

func TestLabelValues(t *testing.T) {
	c := setup(t, newFake(t), Config{})
	got, err := c.LabelValues(context.Background(), "le", `h_bucket{job="a"}`, epoch, epoch.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{"0.1", "0.3", "+Inf"}, got)
}

func TestStatsAdd(t *testing.T) {
	s := Stats{Requests: 1, Queries: []string{"a"}, Warnings: []string{"w"}}
	s.Add(Stats{Requests: 2, CacheHits: 3, Queries: []string{"a", "b"}, Warnings: []string{"w", "v"}, Infos: []string{"i"}})
	assert.Equal(t, Stats{Requests: 3, CacheHits: 3, Queries: []string{"a", "b"}, Warnings: []string{"w", "v"}, Infos: []string{"i"}}, s)
}

// Concurrent callers asking for the same chunk share one request: two panels or viewers
// of a dashboard do not each fetch it. Each result is whole and the same.
func TestInFlightRequestsAreShared(t *testing.T) {
	f := newFake(t)
	f.series = 1
	f.delay = 300 * time.Millisecond
	c := setup(t, f, Config{MaxConcurrency: 8})
	start, end := epoch.Add(time.Hour), epoch.Add(2*time.Hour)
	var wg sync.WaitGroup
	results := make([][]Group, 6)
	sent := make([]int, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gs, st, err := c.RangeGroups(context.Background(), "sum(x)", start, end, time.Minute)
			assert.NoError(t, err)
			results[i], sent[i] = gs, st.Requests
		}()
	}
	wg.Wait()
	require.Len(t, f.requests(), 1, "one request for six callers")
	total := 0
	for i := range results {
		require.Equal(t, results[0], results[i])
		total += sent[i]
	}
	require.Equal(t, 1, total, "the request is counted once")
	require.Len(t, results[0], 1)
	require.Len(t, results[0][0].Values, 61)
}

// Callers of one instant query share its request, and each stops waiting at its own
// deadline: a panel with a short timeout is not held by another's request.
func TestSharedInstantQueryOwnDeadline(t *testing.T) {
	f := newFake(t)
	f.hang = true
	c := setup(t, f, Config{Timeout: 10 * time.Second})
	leader := make(chan error, 1)
	go func() {
		_, _, err := c.Instant(context.Background(), "up", epoch)
		leader <- err
	}()
	require.Eventually(t, func() bool { return f.inFlight.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := c.Instant(ctx, "up", epoch)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not answer in time")
	assert.Equal(t, int32(1), f.maxIn.Load(), "the second caller shared the first one's request")
	f.once.Do(func() { close(f.release) })
	require.Error(t, <-leader, "the hung request ends when the server lets go")
}
