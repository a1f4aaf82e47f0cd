// Package batch coalesces the queries of many SLOs that differ only in label values (one
// SLO per service, per endpoint, per customer) into one grouped query per batch, and
// hands each SLO its own series of the answer.
package batch

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/source"
)

// Defaults of Source.
const (
	// DefaultLinger is how long a batch waits for another query after the last one
	// joined, unless every peer has joined.
	DefaultLinger = 2 * time.Millisecond
	// DefaultMaxWait bounds how long the first query of a batch waits.
	DefaultMaxWait = 20 * time.Millisecond
	// DefaultMaxValues bounds the distinct label-value tuples of one batched query.
	DefaultMaxValues = 100
	// DefaultMaxBytes bounds the length of the values in one batched query.
	DefaultMaxBytes = 8 << 10
)

// Source is an engine.Source that batches the range queries and raw-sample probes of
// concurrent callers that share a query shape. Everything else goes straight through.
// A caller batches only when its context says it has peers (WithPeers).
type Source struct {
	engine.Source
	// Linger, MaxWait, MaxValues and MaxBytes shape the batches; zero means the default.
	Linger, MaxWait     time.Duration
	MaxValues, MaxBytes int

	mu         sync.Mutex
	open       map[string]*pending
	recent     map[string]keptRead              // reads of whole cached batches, for readKeep
	parts      map[string]map[string]*part      // shape → tuple → its part
	families   map[string]map[string][][]string // batch labels → tuple → the tuples of its group
	remembered int

	batches, joined atomic.Int64
	reads           singleflight.Group // reads of whole cached batches, shared
	shapes          sync.Map           // query → its Batchable, or false
	shaped          atomic.Int64       // entries of shapes
}

// answer is a batched range query's answer, read-only.
type answer struct {
	groups []source.Group
	st     source.Stats
	// byTuple holds each value tuple's groups as its queries see them.
	byTuple map[string][]source.Group
	// times is a raw-sample probe's answer.
	times []source.Times
}

// index returns a with its groups filed by the value tuple of b's labels, with the
// labels b's query would have: one pass for all the peers that read it.
func index(a answer, b promql.Batchable, asIs bool) answer {
	a.byTuple = map[string][]source.Group{}
	own := strings.Join(b.Values, "\x00")
	for _, g := range a.groups {
		if asIs {
			a.byTuple[own] = append(a.byTuple[own], g)
			continue
		}
		t, ok := promql.Tuple(b.Labels, g.Labels)
		if !ok {
			continue
		}
		k := strings.Join(t, "\x00")
		a.byTuple[k] = append(a.byTuple[k], source.Group{Labels: ownLabels(b, g.Labels), Series: g.Series})
	}
	return a
}

// readKeep is how long a read of a whole cached batch serves the peers that ask for it
// after it: the SLOs of one query do not all arrive at once.
const readKeep = 2 * time.Second

// maxReads bounds the reads kept: enough for every batch of a 1,000-SLO status refresh.
const maxReads = 1024

// recentRead returns the answer of a read of key made within readKeep.
func (s *Source) recentRead(key string) (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recent[key]
	if !ok || time.Since(r.at) > readKeep {
		return answer{}, false
	}
	r.a.st.Requests, r.a.st.CacheHits = 0, 0
	return r.a, true
}

// keepRead keeps the answer of a read of key for readKeep, dropping older reads now and
// all of them once no read has come for readKeep (an idle plugin holds none).
func (s *Source) keepRead(key string, a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropReads(maxReads)
	if len(s.recent) == 0 {
		time.AfterFunc(readKeep, s.expireReads)
	}
	s.recent[key] = keptRead{a: a, at: time.Now()}
}

// expireReads drops the reads older than readKeep, and comes back while some are left.
func (s *Source) expireReads() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropReads(maxReads + 1)
	if len(s.recent) > 0 {
		time.AfterFunc(readKeep, s.expireReads)
	}
}

// dropReads drops the kept reads older than readKeep, and others while bound or more are kept.
func (s *Source) dropReads(bound int) {
	for k, r := range s.recent {
		if len(s.recent) >= bound || time.Since(r.at) > readKeep {
			delete(s.recent, k)
		}
	}
}

// keptRead is a kept read and when it was made.
type keptRead struct {
	a  answer
	at time.Time
}

// shapeOf returns promql.Batch of query, remembered: the same queries come back on
// every refresh.
func (s *Source) shapeOf(query string) (promql.Batchable, bool) {
	if v, ok := s.shapes.Load(query); ok {
		b, ok := v.(promql.Batchable)
		return b, ok
	}
	b, ok := promql.Batch(query)
	if s.shaped.Add(1) > maxRemembered {
		s.shapes.Clear()
		s.shaped.Store(0)
	}
	if ok {
		s.shapes.Store(query, b)
	} else {
		s.shapes.Store(query, false)
	}
	return b, ok
}

// New returns a batching source over src.
func New(src engine.Source) *Source {
	return &Source{Source: src, open: map[string]*pending{}, parts: map[string]map[string]*part{},
		families: map[string]map[string][][]string{}, recent: map[string]keptRead{}}
}

// peersKey is the context key of WithPeers.
type peersKey struct{}

// WithPeers marks ctx as one of n evaluations running at once, whose queries may batch.
func WithPeers(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, peersKey{}, n)
}

// peers returns the number set by WithPeers, 0 when none.
func peers(ctx context.Context) int {
	n, _ := ctx.Value(peersKey{}).(int)
	return n
}

// Counts returns how many batched queries were sent and how many queries joined them.
func (s *Source) Counts() (batches, joined int64) {
	return s.batches.Load(), s.joined.Load()
}

// call is one caller's query waiting for its share of a batch.
type call struct {
	ctx    context.Context
	b      promql.Batchable
	key    string // b.Values joined
	done   chan struct{}
	groups []source.Group
	times  [][]int64
	stats  source.Stats
	err    error
}

// newCall returns a call for the query b.
func newCall(ctx context.Context, b promql.Batchable) *call {
	return &call{ctx: ctx, b: b, key: strings.Join(b.Values, "\x00"), done: make(chan struct{})}
}

// tuple is the call's values as one string.
func (c *call) tuple() string { return c.key }

// pending is an open batch: the calls that joined it, their distinct values, and how to
// run it; shape is its key without the time range, under which its parts are remembered.
type pending struct {
	shape  string
	calls  []*call
	tuples map[string]bool
	timer  *time.Timer
	first  time.Time
	fired  bool
	run    func(ctx context.Context, query string, asIs bool, calls []*call)
}

// part is a remembered batch: its value tuples, sorted. Later calls with one of them ask
// for all of them again, so that the batched query, and so its cached chunks and the
// requests in flight, are the same on every refresh and for every viewer.
type part struct {
	tuples [][]string
	query  string // the batched query, once it has been built
	asIs   bool
}

// coverer is a source that can tell when its cache holds a whole range query.
type coverer interface {
	Covered(ctx context.Context, query string, start, end time.Time, step time.Duration) bool
}

// maxRemembered bounds the remembered value tuples of all shapes.
const maxRemembered = 100_000

// join adds c to the open batch under key, opening one when there is none, and waits
// for its answer.
func (s *Source) join(shape, key string, c *call, run func(ctx context.Context, query string, asIs bool, calls []*call)) error {
	linger, maxWait := s.Linger, s.MaxWait
	if linger <= 0 {
		linger = DefaultLinger
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	s.mu.Lock()
	p := s.open[key]
	if p == nil {
		p = &pending{shape: shape, first: time.Now(), run: run, tuples: map[string]bool{}}
		s.open[key] = p
		p.timer = time.AfterFunc(linger, func() { s.fire(key, p) })
	} else if time.Since(p.first)+linger < maxWait {
		p.timer.Reset(linger)
	}
	p.calls = append(p.calls, c)
	p.tuples[c.tuple()] = true
	full := len(p.tuples) >= peers(c.ctx)
	s.mu.Unlock()
	if full {
		// Every peer is here: nobody else is coming.
		go s.fire(key, p)
	}
	select {
	case <-c.done:
		return c.err
	case <-c.ctx.Done():
		return context.Cause(c.ctx)
	}
}

// fire closes the batch p and runs it: the calls of remembered parts ask for their part
// again; the others are split into new parts, which are remembered.
func (s *Source) fire(key string, p *pending) {
	s.mu.Lock()
	if p.fired {
		s.mu.Unlock()
		return
	}
	p.fired = true
	if s.open[key] == p {
		delete(s.open, key)
	}
	known := s.parts[p.shape]
	if known == nil {
		known = map[string]*part{}
		s.parts[p.shape] = known
	}
	byPart := map[*part][]*call{}
	var order []*part
	var loose []*call
	for _, c := range p.calls {
		pt := known[c.tuple()]
		if pt == nil {
			loose = append(loose, c)
			continue
		}
		if byPart[pt] == nil {
			order = append(order, pt)
		}
		byPart[pt] = append(byPart[pt], c)
	}
	// Calls whose values another shape of the same labels has grouped already join that
	// group: the queries of one edge of a window then select the same series, and a
	// source can serve them from one read.
	family := s.families[familyOf(p.calls[0].b)]
	if family == nil {
		family = map[string][][]string{}
		s.families[familyOf(p.calls[0].b)] = family
	}
	var rest []*call
	for _, c := range loose {
		if pt := known[c.tuple()]; pt != nil {
			byPart[pt] = append(byPart[pt], c)
			continue
		}
		group, ok := family[c.tuple()]
		if !ok {
			rest = append(rest, c)
			continue
		}
		pt := &part{tuples: group}
		for _, t := range group {
			known[strings.Join(t, "\x00")] = pt
			s.remembered++
		}
		order = append(order, pt)
		byPart[pt] = []*call{c}
	}
	for _, cs := range s.partition(rest) {
		pt := &part{}
		for i, c := range cs {
			if i == 0 || c.tuple() != cs[i-1].tuple() {
				pt.tuples = append(pt.tuples, c.b.Values)
				known[c.tuple()] = pt
				s.remembered++
			}
		}
		for _, t := range pt.tuples {
			family[strings.Join(t, "\x00")] = pt.tuples
		}
		order = append(order, pt)
		byPart[pt] = cs
	}
	if s.remembered > maxRemembered {
		clear(s.parts) // new parts are formed on the next queries
		clear(s.families)
		s.remembered = 0
	}
	s.mu.Unlock()
	for _, pt := range order {
		go s.runPart(p, pt, byPart[pt])
	}
}

// familyOf is the family of a batchable query: the labels its batches group by.
func familyOf(b promql.Batchable) string { return strings.Join(b.Labels, "\x00") }

// known returns the batched query of the remembered part c's values belong to, ok false
// when there is none or it has not run yet.
func (s *Source) known(shape string, c *call) (q string, asIs, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.parts[shape][c.tuple()]
	if pt == nil || pt.query == "" {
		return "", false, false
	}
	return pt.query, pt.asIs, true
}

// partition groups calls by their values, sorted, into parts bounded by MaxValues
// distinct tuples and MaxBytes of values.
func (s *Source) partition(calls []*call) [][]*call {
	maxValues, maxBytes := s.MaxValues, s.MaxBytes
	if maxValues <= 0 {
		maxValues = DefaultMaxValues
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].tuple() < calls[j].tuple() })
	var parts [][]*call
	var cur []*call
	tuples, size := 0, 0
	for i, c := range calls {
		fresh := i == 0 || c.tuple() != calls[i-1].tuple()
		if fresh && len(cur) > 0 && (tuples == maxValues || size+len(c.tuple())+1 > maxBytes) {
			parts = append(parts, cur)
			cur, tuples, size = nil, 0, 0
		}
		if fresh {
			tuples++
			size += len(c.tuple()) + 1
		}
		cur = append(cur, c)
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// runPart sends one batched query for the value tuples of a part and wakes its calls
// with their shares.
func (s *Source) runPart(p *pending, pt *part, calls []*call) {
	q, asIs, err := calls[0].b.Query(pt.tuples)
	if err == nil {
		s.mu.Lock()
		pt.query, pt.asIs = q, asIs
		s.mu.Unlock()
	}
	if err != nil {
		for _, c := range calls {
			c.err = err
			close(c.done)
		}
		return
	}
	s.batches.Add(1)
	s.joined.Add(int64(len(calls)))
	ctx, cancel := detach(calls)
	defer cancel()
	p.run(ctx, q, asIs, calls)
	for _, c := range calls {
		close(c.done)
	}
}

// detach returns a context for a query run on behalf of calls: it keeps the values of the
// first (the lookback delta among them) and ends when every caller has gone.
func detach(calls []*call) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(calls[0].ctx))
	go func() {
		for _, c := range calls {
			select {
			case <-c.ctx.Done():
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	return ctx, cancel
}

// RangeGroups runs a range query, batched with the same-shaped queries of its peers.
func (s *Source) RangeGroups(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]source.Group, source.Stats, error) {
	if peers(ctx) < 2 {
		return s.Source.RangeGroups(ctx, query, start, end, step)
	}
	b, ok := s.shapeOf(query)
	if !ok {
		return s.Source.RangeGroups(ctx, query, start, end, step)
	}
	shape := fmt.Sprintf("range|%s|%d|%d", b.Key, step.Milliseconds(), source.LookbackDelta(ctx).Milliseconds())
	key := fmt.Sprintf("%s|%d|%d", shape, start.UnixMilli(), end.UnixMilli())
	c := newCall(ctx, b)
	run := func(ctx context.Context, q string, asIs bool, calls []*call) {
		groups, st, err := s.Source.RangeGroups(ctx, q, start, end, step)
		a := index(answer{groups: groups, st: st}, calls[0].b, asIs)
		share(calls, st, err, func(c *call) {
			c.groups = slices.Clone(a.byTuple[c.tuple()]) // the caller may fill in its own copy
		})
	}
	if q, asIs, ok := s.known(shape, c); ok {
		// Its batch's query has run before: when the cache holds its answer, read it
		// now instead of waiting for peers (a refresh of past data).
		if cv, ok := s.Source.(coverer); ok && cv.Covered(ctx, q, start, end, step) {
			// Peers reading the same batch at once, or within a moment, share one read.
			key := fmt.Sprintf("%s|%d|%d|%d", q, start.UnixMilli(), end.UnixMilli(), step.Milliseconds())
			v, err, shared := s.reads.Do(key, func() (any, error) {
				if a, ok := s.recentRead(key); ok {
					return a, nil
				}
				g, st, err := s.Source.RangeGroups(context.WithoutCancel(ctx), q, start, end, step)
				if err == nil {
					a := index(answer{groups: g, st: st}, c.b, asIs)
					s.keepRead(key, a)
					return a, nil
				}
				return answer{groups: g, st: st}, err
			})
			a, _ := v.(answer)
			if shared {
				a.st.Requests, a.st.CacheHits = 0, 0
			}
			share([]*call{c}, a.st, err, func(c *call) {
				c.groups = slices.Clone(a.byTuple[c.tuple()]) // the caller may fill in its own copy
			})
			return c.groups, c.stats, c.err
		}
	}
	err := s.join(shape, key, c, run)
	if err != nil {
		return nil, c.stats, err
	}
	return c.groups, c.stats, nil
}

// Range runs a range query that yields at most one series, batched like RangeGroups.
func (s *Source) Range(ctx context.Context, query string, start, end time.Time, step time.Duration) (source.Series, source.Stats, error) {
	if peers(ctx) < 2 {
		return s.Source.Range(ctx, query, start, end, step)
	}
	if _, ok := s.shapeOf(query); !ok {
		return s.Source.Range(ctx, query, start, end, step)
	}
	groups, st, err := s.RangeGroups(ctx, query, start, end, step)
	if err != nil {
		return source.Series{}, st, err
	}
	one, err := source.OneSeries(query, groups, start, end, step)
	return one, st, err
}

// timesSource is a source that can say which series each raw-sample list belongs to.
type timesSource interface {
	SampleTimesGroups(ctx context.Context, query string, t time.Time) ([]source.Times, error)
}

// SampleTimes returns the raw sample times of a range-vector selector at t, batched with
// the same-shaped probes of its peers when the source can label them.
func (s *Source) SampleTimes(ctx context.Context, query string, t time.Time) ([][]int64, error) {
	ts, labelled := s.Source.(timesSource)
	if !labelled || peers(ctx) < 2 {
		return s.Source.SampleTimes(ctx, query, t)
	}
	b, ok := s.shapeOf(query)
	if !ok {
		return s.Source.SampleTimes(ctx, query, t)
	}
	shape := "times|" + b.Key
	key := fmt.Sprintf("%s|%d", shape, t.UnixMilli())
	c := newCall(ctx, b)
	err := s.join(shape, key, c, func(ctx context.Context, q string, asIs bool, calls []*call) {
		got, err := s.keptTimes(ctx, ts, q, t)
		share(calls, source.Stats{}, err, func(c *call) {
			for _, g := range got {
				if mine(c.b, asIs, g.Labels) {
					c.times = append(c.times, g.Times)
				}
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return c.times, nil
}

// keptTimes runs a batched raw-sample probe, or reads its answer when the same probe was
// answered within readKeep: the batches of viewers arriving one after another are the
// same query, and the second would otherwise ask again.
func (s *Source) keptTimes(ctx context.Context, ts timesSource, q string, t time.Time) ([]source.Times, error) {
	key := fmt.Sprintf("times|%s|%d", q, t.UnixMilli())
	// Kept before the shared call returns: a batch coming after it finds the answer.
	v, err, _ := s.reads.Do(key, func() (any, error) {
		if a, ok := s.recentRead(key); ok {
			return a, nil
		}
		got, err := ts.SampleTimesGroups(context.WithoutCancel(ctx), q, t)
		if err == nil {
			s.keepRead(key, answer{times: got})
		}
		return answer{times: got}, err
	})
	a, _ := v.(answer)
	return a.times, err
}

// share gives every call the batch's error or its share of the answer; the requests and
// cache hits are counted once, on the first call, so that they add up.
func share(calls []*call, st source.Stats, err error, give func(c *call)) {
	for i, c := range calls {
		c.stats = source.Stats{Queries: st.Queries, Warnings: st.Warnings, Infos: st.Infos}
		if i == 0 {
			c.stats.Requests, c.stats.CacheHits = st.Requests, st.CacheHits
		}
		if err != nil {
			c.err = err
			continue
		}
		give(c)
	}
}

// mine tells whether a series with labels ls of a batched answer belongs to the query b;
// every series does when the answer is to b's own query (asIs).
func mine(b promql.Batchable, asIs bool, ls map[string]string) bool {
	if asIs {
		return true
	}
	t, ok := promql.Tuple(b.Labels, ls)
	return ok && slices.Equal(t, b.Values)
}

// ownLabels returns ls as b's own query would have them: without the labels the batch
// added to its aggregations.
func ownLabels(b promql.Batchable, ls map[string]string) map[string]string {
	if !b.Widened {
		return ls
	}
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		if !slices.Contains(b.Labels, k) {
			out[k] = v
		}
	}
	return out
}
