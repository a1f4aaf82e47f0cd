package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/promql/parser"
)

// Raw reads: a range query last_over_time(selector[r]) at an hourly step reads every
// sample of its range inside Prometheus (its iterator walks each chunk up to every step)
// only to return one value per step, and the many small queries of a status panel cost
// Prometheus more in evaluation than in samples. Through the remote-read API, Prometheus
// streams the same samples as compressed chunks without evaluating anything, and the
// client finds each step's last sample, or counts the samples of each window, itself:
// the same figures for a fraction of the work. Only the shapes Nines sends for status
// are read raw (last_over_time and max by (…) (count_over_time) as range queries, a bare
// range selector as an instant query), only from a source the growth probe showed to be
// a Prometheus engine, and raw reads stop for good when the source shows it cannot do
// them or after maxRawFailures failures; each failed read is sent as a query instead.

// maxRawFrame bounds one frame of a streamed remote-read answer (Prometheus sends 1 MiB).
const maxRawFrame = 64 << 20

// rawPlan is a query that can be answered from raw samples: last_over_time(sel[r]) or
// max [by (…)] (count_over_time(sel[r])) as range queries, sel[r] as an instant query.
type rawPlan struct {
	matchers []*prompb.LabelMatcher
	rng      int64  // ms
	fn       string // "last_over_time", "count_over_time", or "" for a bare range selector
	by       []string
}

// rawPlanOf returns the raw plan of query, ok false when it has none of the raw shapes.
func rawPlanOf(query string) (rawPlan, bool) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return rawPlan{}, false
	}
	var p rawPlan
	underMax := false
	if agg, ok := e.(*parser.AggregateExpr); ok {
		// max by (…) (count_over_time(sel[r])): the most samples of a group's series.
		if agg.Op != parser.MAX || agg.Without || agg.Param != nil {
			return rawPlan{}, false
		}
		p.by, e, underMax = agg.Grouping, agg.Expr, true
	}
	if call, ok := e.(*parser.Call); ok {
		want := map[bool]string{false: "last_over_time", true: "count_over_time"}[underMax]
		if len(call.Args) != 1 || call.Func.Name != want {
			return rawPlan{}, false
		}
		p.fn, e = call.Func.Name, call.Args[0]
	} else if underMax {
		return rawPlan{}, false
	}
	ms, ok := e.(*parser.MatrixSelector)
	if !ok {
		return rawPlan{}, false
	}
	vs, ok := ms.VectorSelector.(*parser.VectorSelector)
	if !ok || vs.OriginalOffset != 0 || vs.Timestamp != nil || vs.StartOrEnd != 0 || ms.Range <= 0 || ms.Range%time.Millisecond != 0 {
		return rawPlan{}, false
	}
	p.rng = ms.Range.Milliseconds()
	for _, m := range vs.LabelMatchers {
		t, ok := map[labels.MatchType]prompb.LabelMatcher_Type{labels.MatchEqual: prompb.LabelMatcher_EQ,
			labels.MatchNotEqual: prompb.LabelMatcher_NEQ, labels.MatchRegexp: prompb.LabelMatcher_RE,
			labels.MatchNotRegexp: prompb.LabelMatcher_NRE}[m.Type]
		if !ok {
			return rawPlan{}, false
		}
		p.matchers = append(p.matchers, &prompb.LabelMatcher{Type: t, Name: m.Name, Value: m.Value})
	}
	return p, len(p.matchers) > 0
}

// rawState is what the client has learnt about raw reads from its source.
type rawState struct {
	plans   sync.Map // query → rawPlan, or false when the query cannot be read raw
	planned atomic.Int64
	off     atomic.Bool  // the source cannot do raw reads, or they failed maxRawFailures times
	failed  atomic.Int64 // raw reads that failed
	once    sync.Once
	share   rawShare
	// leftOpen is true when the source's range selectors leave out their start
	// (Prometheus 3), false when they hold it (Prometheus 2).
	leftOpen bool
}

// maxRawFailures is how many raw reads may fail (broken off, timed out, refused with a
// 5xx) before the client stops trying them; each failed read is sent as a query instead.
const maxRawFailures = 3

// errRawUnsupported marks answers that show the source cannot do raw reads at all.
var errRawUnsupported = errors.New("raw reads unsupported")

// rawFailed notes a failed raw read: the source cannot do them, or one too many failed.
func (c *Client) rawFailed(err error) {
	if errors.Is(err, errRawUnsupported) || c.raw.failed.Add(1) >= maxRawFailures {
		c.raw.off.Store(true)
	}
}

// maxRawPlans bounds the remembered plans; queries past it are parsed on every call.
const maxRawPlans = 1 << 14

// rawPlan returns the raw plan of a query (a range query, or an instant one when
// instant is set) when the client reads it raw.
func (c *Client) rawPlan(ctx context.Context, query string, instant bool) (rawPlan, bool) {
	if !c.rawReads || c.raw.off.Load() || !c.pointwise.Load() || c.maxLength > 0 || LookbackDelta(ctx) > 0 {
		return rawPlan{}, false
	}
	p, ok := c.planOf(query)
	if !ok || (p.fn == "") != instant {
		return rawPlan{}, false
	}
	// How the source's range selectors treat their start: 3 points of a 30s subquery
	// over 1m when they hold it (Prometheus 2), 2 when they do not (Prometheus 3). Every
	// caller passes here, so none reads raw before the answer is known.
	c.raw.once.Do(func() {
		v, ok, err := c.Instant(context.WithoutCancel(ctx), "count_over_time(vector(1)[1m:30s])", c.now().Truncate(time.Minute))
		switch {
		case err == nil && ok && v == 3:
		case err == nil && ok && v == 2:
			c.raw.leftOpen = true
		default:
			c.raw.off.Store(true)
		}
	})
	return p, !c.raw.off.Load()
}

// planOf returns the raw plan of query, remembered.
func (c *Client) planOf(query string) (rawPlan, bool) {
	if v, ok := c.raw.plans.Load(query); ok {
		p, ok := v.(rawPlan)
		return p, ok
	}
	p, ok := rawPlanOf(query)
	if c.raw.planned.Add(1) <= maxRawPlans {
		if ok {
			c.raw.plans.Store(query, p)
		} else {
			c.raw.plans.Store(query, false)
		}
	}
	return p, ok
}

// fetchRaw answers the range query of plan from..to (ms) at step from the source's raw
// samples, read through its remote-read API in one request.
// It returns the requests sent: none when a kept read held the samples.
func (c *Client) fetchRaw(ctx context.Context, plan rawPlan, from, to, step int64) (chunkResult, int, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return chunkResult{}, 0, ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	began := time.Now()
	r, sent, err := c.readRaw(rctx, plan, from, to, step)
	if sent > 0 {
		c.metrics.request(rawOutcome(ctx, rctx, err), time.Since(began))
	}
	return r, sent, err
}

// readRaw sends the remote-read request and reduces its streamed chunks to the grid.
func (c *Client) readRaw(ctx context.Context, plan rawPlan, from, to, step int64) (chunkResult, int, error) {
	g := &rawGrid{plan: plan, from: from, to: to, step: step, leftOpen: c.raw.leftOpen, n: int((to-from)/step) + 1}
	sent, err := c.samples(ctx, plan, from-plan.rng, to, step, func() { g.series, g.groups = nil, nil }, g.add)
	if err != nil {
		return chunkResult{}, sent, err
	}
	return g.result(), sent, nil
}

// remoteRead sends one remote-read request for the samples of plan's selector from..to
// (ms, inclusive) and gives each series' samples, in time order, to each; fresh sends it
// on a new connection, closed after it.
func (c *Client) remoteRead(ctx context.Context, plan rawPlan, from, to, step int64, fresh bool, each func(ls map[string]string, ts []int64, vs []float64)) error {
	req := &prompb.ReadRequest{
		Queries: []*prompb.Query{{StartTimestampMs: from, EndTimestampMs: to, Matchers: plan.matchers,
			Hints: &prompb.ReadHints{StartMs: from, EndMs: to, StepMs: step, Func: plan.fn, RangeMs: plan.rng}}},
		AcceptedResponseTypes: []prompb.ReadRequest_ResponseType{prompb.ReadRequest_STREAMED_XOR_CHUNKS},
	}
	body, err := req.Marshal()
	if err != nil {
		return err
	}
	u := *c.base
	u.Path = path.Join("/", u.Path, "api/v1/read")
	u.RawPath = ""
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(snappy.Encode(nil, body)))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/x-protobuf")
	hr.Header.Set("Content-Encoding", "snappy")
	hr.Header.Set("X-Prometheus-Remote-Read-Version", "0.1.0")
	hr.Close = fresh // a new connection, closed after the answer
	resp, err := c.hc.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("remote read: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("remote read: HTTP %d: %w", resp.StatusCode, errRawUnsupported)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-streamed-protobuf") {
		return fmt.Errorf("remote read: answer of type %q, not streamed chunks: %w", ct, errRawUnsupported)
	}
	sr := &seriesReader{each: each}
	if err := readFrames(bufio.NewReaderSize(resp.Body, 1<<16), sr.add); err != nil {
		return err
	}
	sr.flush()
	return nil
}

// readFrames reads the frames of a streamed remote-read answer (a uvarint size, a CRC-32C
// of the frame, the frame) and gives each series part to add, in order.
func readFrames(r *bufio.Reader, add func(*rawPart) error) error {
	table := crc32.MakeTable(crc32.Castagnoli)
	var buf []byte
	for {
		size, err := binary.ReadUvarint(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remote read: frame size: %w", err)
		}
		if size > maxRawFrame {
			return fmt.Errorf("remote read: frame of %d bytes is over %d", size, maxRawFrame)
		}
		var sum [4]byte
		if _, err := io.ReadFull(r, sum[:]); err != nil {
			return fmt.Errorf("remote read: frame checksum: %w", err)
		}
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("remote read: frame: %w", err)
		}
		if crc32.Checksum(buf, table) != binary.BigEndian.Uint32(sum[:]) {
			return errors.New("remote read: frame checksum mismatch")
		}
		if err := parseFrame(buf, add); err != nil {
			return err
		}
	}
}

// seriesReader decodes the chunks of streamed series parts into each series' samples
// (staleness markers left out, as range selectors leave them out).
type seriesReader struct {
	each   func(ls map[string]string, ts []int64, vs []float64)
	key    string
	ls     map[string]string
	ts     []int64
	vs     []float64
	maxT   int64 // the end of the last chunk of the series
	active bool
}

// add reads one part of a series: its chunks continue the current series, or start the next.
func (r *seriesReader) add(p *rawPart) error {
	if key := metricKey(p.labels); !r.active || key != r.key {
		r.flush()
		r.key, r.ls, r.ts, r.vs, r.maxT, r.active = key, p.labels, r.ts[:0], r.vs[:0], math.MinInt64, true
	}
	for _, ch := range p.chunks {
		if ch.enc != int64(prompb.Chunk_XOR) {
			return fmt.Errorf("remote read: chunk of encoding %s, not float samples: %w", prompb.Chunk_Encoding(ch.enc), errRawUnsupported)
		}
		if ch.minT <= r.maxT {
			return fmt.Errorf("remote read: overlapping chunks: %w", errRawUnsupported)
		}
		r.maxT = ch.maxT
		var err error
		if r.ts, r.vs, err = decodeXOR(ch.data, r.ts, r.vs); err != nil {
			return err
		}
	}
	return nil
}

// flush gives the current series to each.
func (r *seriesReader) flush() {
	if r.active {
		r.each(r.ls, r.ts, r.vs)
		r.active = false
	}
}

// window returns the indexes lo..hi (exclusive) of the samples ts (sorted) inside the
// window of rng ms ending at t: from t-rng (left out when leftOpen) to t.
func window(ts []int64, t, rng int64, leftOpen bool) (lo, hi int) {
	hi = sort.Search(len(ts), func(i int) bool { return ts[i] > t })
	lo = sort.Search(hi, func(i int) bool {
		if leftOpen {
			return ts[i] > t-rng
		}
		return ts[i] >= t-rng
	})
	return lo, hi
}

// rawGrid puts the answer of a range query's plan, per series or group, on the grid.
type rawGrid struct {
	plan           rawPlan
	from, to, step int64
	n              int
	leftOpen       bool
	series         []seriesResult
	groups         map[string]int // for max by: the group's index in series
}

// add puts one series' samples on the grid: its last sample in each window
// (last_over_time), or its sample count merged into its group's maximum.
func (g *rawGrid) add(ls map[string]string, ts []int64, vs []float64) {
	sr := seriesResult{values: make([]float64, g.n), present: newBitset(g.n)}
	any := false
	for i := 0; i < g.n; i++ {
		lo, hi := window(ts, g.from+int64(i)*g.step, g.plan.rng, g.leftOpen)
		if lo == hi {
			continue
		}
		any = true
		sr.present.set(i)
		if g.plan.fn == "last_over_time" {
			sr.values[i] = vs[hi-1]
		} else {
			sr.values[i] = float64(hi - lo)
		}
	}
	if !any {
		return
	}
	if g.plan.fn == "last_over_time" {
		sr.labels = &labelSet{key: metricKey(ls), m: ls}
		g.series = append(g.series, sr)
		return
	}
	gl := map[string]string{}
	for _, l := range g.plan.by {
		if v := ls[l]; v != "" {
			gl[l] = v
		}
	}
	key := metricKey(gl)
	if g.groups == nil {
		g.groups = map[string]int{}
	}
	k, ok := g.groups[key]
	if !ok {
		sr.labels = &labelSet{key: key, m: gl}
		g.groups[key] = len(g.series)
		g.series = append(g.series, sr)
		return
	}
	m := g.series[k]
	for i := 0; i < g.n; i++ {
		if sr.present.has(i) && (!m.present.has(i) || sr.values[i] > m.values[i]) {
			m.values[i] = sr.values[i]
			m.present.set(i)
		}
	}
}

// result is the grid of every series or group, in the order of their labels (as
// Prometheus sorts a range query's answer), with full series' presence left implicit.
func (g *rawGrid) result() chunkResult {
	slices.SortStableFunc(g.series, func(a, b seriesResult) int {
		return labels.Compare(labels.FromMap(a.labels.m), labels.FromMap(b.labels.m))
	})
	for i := range g.series {
		if g.series[i].present.count() == g.n {
			g.series[i].present = nil
		}
	}
	return chunkResult{from: g.from, to: g.to, series: g.series}
}

// sampleTimesRaw answers the instant query of plan (a bare range selector) at t from raw
// samples: each series' sample times inside the window, for the series that have some.
func (c *Client) sampleTimesRaw(ctx context.Context, plan rawPlan, t time.Time) ([]Times, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	began := time.Now()
	var out []Times
	at := t.UnixMilli()
	sent, err := c.samples(rctx, plan, at-plan.rng, at, 0, func() { out = out[:0] }, func(ls map[string]string, ts []int64, _ []float64) {
		if lo, hi := window(ts, at, plan.rng, c.raw.leftOpen); lo < hi {
			out = append(out, Times{Labels: ls, Times: slices.Clone(ts[lo:hi])})
		}
	})
	if sent > 0 {
		c.metrics.request(rawOutcome(ctx, rctx, err), time.Since(began))
	}
	return out, err
}

// rawOutcome is the metrics outcome of a raw read.
func rawOutcome(ctx, rctx context.Context, err error) string {
	if err == nil {
		return "success"
	}
	return outcome(ctx, rctx, &answerError{kind: kindTransport, cause: err})
}
