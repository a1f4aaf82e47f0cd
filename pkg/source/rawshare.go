package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// A status panel asks three short questions at each edge of each window, of the same
// series, a few minutes apart: the last sample of each minute, the samples per minute
// and the raw samples just before the edge. Prometheus's cost of a short read is mostly
// per series (it loads each series' chunk list), so they share one remote read: a short
// read of the past reads rawShareMargin more at its start, is kept for rawShareKeep, and
// serves every read it holds.

const (
	// rawShareSpan is the longest span whose samples are shared; longer reads stream.
	rawShareSpan = 6 * time.Hour
	// rawShareMargin is read on both sides of a shared span, for the neighbours' windows.
	rawShareMargin = time.Hour
	// rawShareKeep is how long shared samples are kept.
	rawShareKeep = 5 * time.Second
	// rawShareBytes bounds the memory of the shared samples.
	rawShareBytes = 24 << 20
	// rawShareAge is how far in the past a shared span must end: samples still arriving
	// are never shared.
	rawShareAge = 5 * time.Minute
)

// rawSet is the samples of every series of one short read, read-only once made.
type rawSet struct {
	key      string // the selector's matchers
	from, to int64
	series   []rawSeriesSamples
	bytes    int
	at       time.Time
}

// rawSeriesSamples is one series' labels and samples.
type rawSeriesSamples struct {
	ls map[string]string
	ts []int64
	vs []float64
}

// rawShare keeps the sets of recent short reads.
type rawShare struct {
	mu    sync.Mutex
	locks map[string]*edgeLock // per selector and hour: the reads near one edge, one at a time
	sets  []*rawSet
	bytes int
}

// edgeLock lets the reads near one edge go one at a time; it is dropped with its last user.
type edgeLock struct {
	mu    sync.Mutex
	users int
}

// lock takes the edge lock of k and returns how to give it back.
func (s *rawShare) lock(k string) (unlock func()) {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = map[string]*edgeLock{}
	}
	l := s.locks[k]
	if l == nil {
		l = &edgeLock{}
		s.locks[k] = l
	}
	l.users++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, k)
		}
		s.mu.Unlock()
	}
}

// samples gives each series' samples from..to (ms) to each: from a kept short read that
// holds them, or from a new remote read. Samples outside from..to may come too. begin is
// called before the samples of each attempt come (a read broken off is tried again once,
// and what it gave is to be forgotten). It returns the requests it sent.
func (c *Client) samples(ctx context.Context, plan rawPlan, from, to, step int64, begin func(), each func(ls map[string]string, ts []int64, vs []float64)) (int, error) {
	if to-from > rawShareSpan.Milliseconds() || to > c.now().Add(-rawShareAge).UnixMilli() {
		return c.remoteReadTwice(ctx, plan, from, to, step, begin, each)
	}
	var kb strings.Builder
	for _, m := range plan.matchers {
		fmt.Fprintf(&kb, "%d\x00%s\x00%s\x00", m.Type, m.Name, m.Value)
	}
	key := kb.String()
	s := &c.raw.share
	// The reads near one edge come at once: the first reads, the others wait and then
	// find what it read.
	unlock := s.lock(fmt.Sprintf("%s%d", key, floorDiv(to, time.Hour.Milliseconds())))
	defer unlock()
	if set, ok := s.holding(key, from, to); ok {
		begin()
		give(set, each)
		return 0, nil
	}
	margin := rawShareMargin.Milliseconds()
	from, to = from-margin, min(to+margin, c.now().Add(-rawShareAge).UnixMilli())
	set := &rawSet{key: key, from: from, to: to}
	sent, err := c.remoteReadTwice(ctx, plan, from, to, 0, func() { set.series, set.bytes = nil, 0 },
		func(ls map[string]string, ts []int64, vs []float64) {
			set.series = append(set.series, rawSeriesSamples{ls: ls, ts: slices.Clone(ts), vs: slices.Clone(vs)})
			set.bytes += 16*len(ts) + 64
		})
	if err != nil {
		return sent, err
	}
	s.keep(set)
	begin()
	give(set, each)
	return sent, nil
}

// remoteReadTwice is remoteRead on a connection that may have served other requests,
// and once more on a new connection when that fails for any reason but the source's
// inability: through Go's reverse proxy, a streamed answer on a reused connection broke
// off now and then, and connections are worth keeping (a TLS handshake per read is not).
func (c *Client) remoteReadTwice(ctx context.Context, plan rawPlan, from, to, step int64, begin func(), each func(ls map[string]string, ts []int64, vs []float64)) (int, error) {
	begin()
	err := c.remoteRead(ctx, plan, from, to, step, false, each)
	if err == nil || errors.Is(err, errRawUnsupported) || ctx.Err() != nil {
		return 1, err
	}
	begin()
	return 2, c.remoteRead(ctx, plan, from, to, step, true, each)
}

// give hands every series of set to each.
func give(set *rawSet, each func(ls map[string]string, ts []int64, vs []float64)) {
	for _, sr := range set.series {
		each(sr.ls, sr.ts, sr.vs)
	}
}

// holding returns a recent set of the selector key that holds from..to.
func (s *rawShare) holding(key string, from, to int64) (*rawSet, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, set := range s.sets {
		if set.key == key && set.from <= from && to <= set.to && time.Since(set.at) <= rawShareKeep {
			return set, true
		}
	}
	return nil, false
}

// keep keeps set, dropping expired sets and, past the memory bound, the oldest; once
// none has been kept for rawShareKeep, all are dropped.
func (s *rawShare) keep(set *rawSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sets) == 0 {
		time.AfterFunc(rawShareKeep, s.expire)
	}
	set.at = time.Now()
	s.sets = append(s.sets, set)
	s.bytes += set.bytes
	s.drop()
}

// expire drops the expired sets, and comes back while some are left.
func (s *rawShare) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	if len(s.sets) > 0 {
		time.AfterFunc(rawShareKeep, s.expire)
	}
}

// drop removes the expired sets, then the oldest while they hold more than rawShareBytes.
func (s *rawShare) drop() {
	kept := s.sets[:0]
	for _, set := range s.sets {
		if time.Since(set.at) > rawShareKeep {
			s.bytes -= set.bytes
			continue
		}
		kept = append(kept, set)
	}
	clear(s.sets[len(kept):])
	s.sets = kept
	for s.bytes > rawShareBytes && len(s.sets) > 1 {
		s.bytes -= s.sets[0].bytes
		s.sets[0] = nil
		s.sets = s.sets[1:]
	}
}
