package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

var uT = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func mins(m int) time.Time { return uT.Add(time.Duration(m) * time.Minute) }

// scrapeWorld has two instances of a service, each 100 requests and 1 error a minute:
// instance 1 restarts at +30m and misses its scrapes in [+60m, +80m) (shorter than the
// 1h gap bound); instance 2 misses its scrapes in [+30m, +150m) (longer than the bound).
func scrapeWorld(now time.Time) *fakeSource {
	f := newFake(now)
	from, to := mins(-60), mins(200)
	one := traffic{resets: []time.Time{mins(30)}, gaps: [][2]time.Time{{mins(60), mins(80)}}}
	two := traffic{gaps: [][2]time.Time{{mins(30), mins(150)}}}
	for _, c := range []struct {
		series string
		tr     traffic
		n      float64
	}{
		{`web_total{i="1"}`, one, 100}, {`web_errors_total{i="1"}`, one, 1},
		{`web_total{i="2"}`, two, 100}, {`web_errors_total{i="2"}`, two, 1},
	} {
		tr := c.tr
		tr.inc = perMin(c.n)
		f.counter(c.series, from, to, time.Minute, tr)
	}
	return f
}

var scrapeSLO = &slo.SLO{Name: "web", Objective: 99, Window: rolling(time.Hour),
	Indicator: slo.Indicator{Kind: slo.Ratio, Bad: `web_errors_total`, Total: `web_total`}}

// Counter resets are completed, gaps up to the bound are bridged (their events land in
// the bucket where the gap ends), and a longer gap loses its events with a warning, in
// every growth form.
func TestBucketsResetsAndGaps(t *testing.T) {
	// Instance 1: every event of (0, 180m]. Instance 2: the events up to its last sample
	// before the gap (29m) and those after it (150m, 180m].
	wantTotal := 180*100.0 + (29+30)*100.0
	wantBad := 180*1.0 + (29 + 30)
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			f := scrapeWorld(mins(24 * 60))
			f.growth = form.probe
			e := New(f)
			e.Ranges = form.ranges
			fe, err := e.Buckets(context.Background(), scrapeSLO, mins(0), mins(180), 5*time.Minute)
			require.NoError(t, err)
			b := fe.Buckets
			require.Equal(t, 36, b.Len())
			var good, total float64
			for i := range b.Total {
				good += b.Good[i]
				total += b.Total[i]
			}
			near(t, wantTotal, total, "total events")
			near(t, wantTotal-wantBad, good, "good events")
			// The bucket of the restart, (25m, 30m]: 5 minutes of instance 1, none lost to the
			// restart, and 4 of instance 2 (its 30m sample is the first one missing).
			near(t, 500+400, b.Total[5], "total in the restart's bucket")
			c, err := b.Between(mins(100), mins(150))
			require.NoError(t, err)
			near(t, 50*100, c.Total, "instance 1 alone while instance 2 is away")
			if form.ranges == RangesLastSample || form.ranges == RangesClosed || form.probe == source.GrowthExtrapolated {
				require.Len(t, fe.Warnings, 2, "one per counter of instance 2")
				all := strings.Join(fe.Warnings, "\n")
				require.Contains(t, all, `web_total{i="2"} for more than 1h before `+mins(150).Format(time.RFC3339))
				require.Contains(t, all, `web_errors_total{i="2"} for more than 1h before `+mins(150).Format(time.RFC3339))
				require.Contains(t, all, "not counted")
				require.NotContains(t, all, `i="1"`, "a gap within the bound is bridged silently")
				require.Positive(t, f.count("Instant"), "the restart's peak was asked for")
			}
		})
	}
}

// Answers about the past are kept: a second fetch of the same past span sends neither
// the raw-sample probe nor the reset peaks again; about the present they are asked again.
func TestBucketsCacheProbesAndPeaks(t *testing.T) {
	cases := []struct {
		name          string
		now           time.Time
		samplesCached bool
	}{
		{"a day later", mins(24 * 60), true},
		{"right at the end", mins(182), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := scrapeWorld(c.now)
			e := New(f)
			e.Ranges = RangesLastSample
			first, err := e.Buckets(context.Background(), scrapeSLO, mins(0), mins(180), 5*time.Minute)
			require.NoError(t, err)
			peaks, probes := f.count("Instant"), f.count("SampleTimes")
			require.Equal(t, 2, peaks, "one peak per counter at the restart")
			require.Equal(t, 1, probes)
			second, err := e.Buckets(context.Background(), scrapeSLO, mins(0), mins(180), 5*time.Minute)
			require.NoError(t, err)
			require.Equal(t, peaks, f.count("Instant"), "peaks of the past are cached")
			if c.samplesCached {
				require.Equal(t, probes, f.count("SampleTimes"))
			} else {
				require.Equal(t, probes+1, f.count("SampleTimes"))
			}
			require.Equal(t, first.Buckets.Total, second.Buckets.Total, "the cache does not change the figures")
			require.Equal(t, first.Buckets.Good, second.Buckets.Good)
		})
	}
}

// Samples off the minute grid (a 15s phase): a window's figures are still the events in
// it, estimated at its edges between samples.
func TestBucketsOffGrid(t *testing.T) {
	f := newFake(mins(24 * 60))
	f.counter(`api_total{code="200"}`, mins(-60), mins(200), time.Minute, traffic{inc: perMin(98), phase: 15 * time.Second})
	f.counter(`api_total{code="500"}`, mins(-60), mins(200), time.Minute, traffic{inc: perMin(2), phase: 15 * time.Second})
	s := ratioSLO("api", "", 99, rolling(time.Hour))
	s.Indicator = slo.Indicator{Kind: slo.Ratio, Good: `api_total{code="200"}`, Total: `api_total`}
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			f.growth = form.probe
			e := New(f)
			e.Ranges = form.ranges
			st, err := e.Status(context.Background(), s, mins(180))
			require.NoError(t, err)
			near(t, 0.98, st.SLI, "SLI")
			require.InDelta(t, 60*100, st.Counts.Total, 1e-6, "an hour of events, its edges interpolated")
		})
	}
}

// latencyWorld has a histogram with bounds written as a Java client does (1.0), 1000
// requests a minute: 900 within 0.25s and 990 within 1s.
func latencyWorld() *fakeSource {
	f := newFake(uNow)
	from := uNow.Add(-2 * uDay)
	for _, b := range []struct {
		le string
		n  float64
	}{{"0.1", 500}, {"0.25", 900}, {"1.0", 990}, {"+Inf", 1000}} {
		f.counter(`rpc_seconds_bucket{job="api",le="`+b.le+`"}`, from, uNow, time.Minute, traffic{inc: perMin(b.n)})
	}
	f.counter(`rpc_seconds_count{job="api"}`, from, uNow, time.Minute, traffic{inc: perMin(1000)})
	return f
}

func latencySLO(le float64) *slo.SLO {
	return &slo.SLO{Name: "rpc-latency", Objective: 99, Window: rolling(uDay),
		Indicator: slo.Indicator{Kind: slo.Latency, Histogram: `rpc_seconds{job="api"}`, Le: le}}
}

func TestLatencySLO(t *testing.T) {
	for _, form := range growthForms {
		t.Run(form.name, func(t *testing.T) {
			for _, c := range []struct {
				le  float64
				sli float64
			}{{0.25, 0.9}, {1, 0.99}} {
				f := latencyWorld()
				f.growth = form.probe
				e := New(f)
				e.Ranges = form.ranges
				st, err := e.Status(context.Background(), latencySLO(c.le), uNow)
				require.NoError(t, err)
				near(t, c.sli, st.SLI, "share within %gs", c.le)
				near(t, 1440*1000, st.Counts.Total, "requests in a day")
				_, err = e.Status(context.Background(), latencySLO(c.le), uNow)
				require.NoError(t, err)
				require.Equal(t, 1, f.count("LabelValues"), "le is looked up once and kept")
				require.True(t, strings.Contains(strings.Join(st.Fetched.Queries, "\n"), `le="`), "the good events are a bucket")
			}
		})
	}
}

func TestLatencyThresholdNotABucketBound(t *testing.T) {
	f := latencyWorld()
	e := New(f)
	_, err := e.Status(context.Background(), latencySLO(0.3), uNow)
	require.ErrorContains(t, err, "SLO rpc-latency: latency threshold 0.3s is not a bucket bound of rpc_seconds_bucket")
	require.ErrorContains(t, err, "1.0")
	require.ErrorContains(t, e.CheckLatency(context.Background(), latencySLO(0.3), uNow.Add(-time.Hour), uNow), "(bounds: +Inf, 0.1, 0.25, 1.0)")
	require.NoError(t, e.CheckLatency(context.Background(), latencySLO(1), uNow.Add(-time.Hour), uNow))
	require.NoError(t, e.CheckLatency(context.Background(), scrapeSLO, uNow.Add(-time.Hour), uNow), "not a latency SLO")
	// A histogram without series then is no data for the check, but the query says why it has nothing.
	gone := latencySLO(1)
	gone.Indicator.Histogram = `rpc_seconds{job="gone"}`
	require.NoError(t, e.CheckLatency(context.Background(), gone, uNow.Add(-time.Hour), uNow))
	// A histogram without data in the window is "no data", as for ratio SLOs.
	st, err := e.Status(context.Background(), gone, uNow)
	require.NoError(t, err)
	require.False(t, st.HasData)
	require.Equal(t, budget.StateNoData, st.State)
	// A failing lookup names what failed.
	f.fail = func(method, _ string) error {
		if method == "LabelValues" {
			return errors.New("timeout")
		}
		return nil
	}
	_, err = New(f).Status(context.Background(), latencySLO(1), uNow)
	require.ErrorContains(t, err, `SLO rpc-latency: bucket bounds of rpc_seconds_bucket{job="api"}: timeout`)
}

// probeWorld has a probe gauge sampled every minute: 0 at every tenth minute, 1 else,
// and no samples at all in the hour [10:00, 11:00) of uNow's day.
func probeWorld() *fakeSource {
	f := newFake(uNow)
	f.gauge(`probe_success{target="shop"}`, uNow.Add(-2*uDay), uNow, time.Minute, func(t time.Time) float64 {
		if t.Minute()%10 == 0 {
			return 0
		}
		return 1
	}, [2]time.Time{uNow.Add(-2 * time.Hour), uNow.Add(-time.Hour)})
	return f
}

func TestThresholdSLO(t *testing.T) {
	s := &slo.SLO{Name: "shop-up", Objective: 95, Window: rolling(6 * time.Hour),
		Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success{target="shop"}`, Op: ">=", Value: 1}}
	f := probeWorld()
	e := New(f)
	st, err := e.Status(context.Background(), s, uNow)
	require.NoError(t, err)
	// 6 hours of minutes less the hour without samples: 300 judged, 30 of them at 0.
	near(t, 300, st.Counts.Total, "judged minutes")
	near(t, 0.9, st.SLI, "share of good minutes")
	near(t, -1, st.Remaining, "budget remaining: twice the budget spent")
	require.True(t, st.Burns[0].OK)
	near(t, 2, st.Burns[0].Rate, "1h burn: 6 of 60 minutes bad against 5 %")
}

// Time slices: svc t has 10 % errors in one 5-minute slice of every 20 minutes.
func TestTimeslices(t *testing.T) {
	f := newFake(uNow)
	from := uNow.Add(-2 * uDay)
	badSlice := func(t time.Time) bool { return (t.Minute()+59)%20 < 5 } // samples :01..:05, :21..:25, :41..:45
	f.counter(`req_total{svc="t",code="200"}`, from, uNow, time.Minute, traffic{inc: func(t time.Time) float64 {
		if badSlice(t) {
			return 900
		}
		return 1000
	}})
	f.counter(`req_total{svc="t",code="500"}`, from, uNow, time.Minute, traffic{inc: func(t time.Time) float64 {
		if badSlice(t) {
			return 100
		}
		return 0
	}})
	cases := []struct {
		name   string
		b      slo.Budgeting
		sli    float64
		slices float64
	}{
		{"timeslices", slo.Budgeting{Method: slo.Timeslices, SliceLength: 5 * time.Minute, SliceThreshold: 0.95}, 0.75, 72},
		{"timeslices, lenient threshold", slo.Budgeting{Method: slo.Timeslices, SliceLength: 5 * time.Minute, SliceThreshold: 0.9}, 1, 72},
		{"ratio timeslices", slo.Budgeting{Method: slo.RatioTimeslices, SliceLength: 5 * time.Minute}, (3 + 0.9) / 4, 72},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ratioSLO("t", "t", 90, rolling(6*time.Hour))
			s.Budgeting = c.b
			st, err := New(f).Status(context.Background(), s, uNow)
			require.NoError(t, err)
			near(t, c.slices, st.Counts.Total, "slices in 6h")
			near(t, c.sli, st.SLI, "SLI")
			require.Zero(t, st.EmptySlices)
		})
	}
}
