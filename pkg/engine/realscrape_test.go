package engine_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/embedded"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/internal/promtest"
	"github.com/nines-slo/nines/pkg/internal/vmtest"
	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// realHistory is 40 days of demo traffic (incidents, sparse error counters) that the
// real-scrape tests sample the way Prometheus scrapes: every 10 s to 2 min at an odd
// offset with jitter, missed scrapes and a run of them in an incident, a process restart
// and a 25-minute monitoring gap while traffic goes on.
func realHistory() *demo.Samples {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Days: 40, Seed: demo.DefaultSeed})
	return demo.RealScrapes(h, demo.RealScrapeIntervals)
}

// backend is a metrics source holding the real-scrape history, and the growth form the
// engine must find on it with rangeSemantics auto.
type backend struct {
	name string
	url  string
	form promql.Form
}

// TestRealScrapesMatchTruth checks every figure on real-looking scrapes against the
// generator's true events, next to hand-written increase() at the same instant, on a
// real Prometheus 2.42, Prometheus 3's engine (with and without the extended range
// selectors) and a real VictoriaMetrics.
func TestRealScrapesMatchTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	samples := realHistory()
	ctx := context.Background()
	var backends []backend
	prom := promtest.StartSamples(t, samples)
	backends = append(backends, backend{"prometheus 2.42", prom.URL, promql.FormLastSample})
	for _, m := range []struct {
		name string
		mode embedded.Mode
		form promql.Form
	}{
		{"prometheus 3 engine", embedded.Prometheus3, promql.FormLastSample},
		{"prometheus 3 engine, extended range selectors", embedded.Prometheus3Extended, promql.FormAnchored},
	} {
		srv, err := embedded.StartSamples(ctx, samples, m.mode)
		require.NoError(t, err)
		t.Cleanup(func() { _ = srv.Close() })
		backends = append(backends, backend{m.name, srv.URL, m.form})
	}
	vm := vmtest.Start(t, samples)
	backends = append(backends, backend{"victoriametrics", vm.URL, promql.FormIncrease})

	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			src, err := source.New(source.Config{URL: b.url, Timeout: time.Minute, CacheEntries: 1000, SplitPoints: source.SplitForParallel})
			require.NoError(t, err)
			e := engine.New(src)
			form, err := e.Form(ctx)
			require.NoError(t, err)
			require.Equal(t, b.form, form, "the probe picks the growth form")
			for _, iv := range demo.RealScrapeIntervals {
				t.Run(demo.IntervalLabel(iv), func(t *testing.T) {
					checkInterval(t, e, src, samples, iv)
				})
			}
		})
	}
}

// figure is one compared figure: Nines' bad fraction, hand-written increase()'s and the truth's.
type figure struct {
	what               string
	nines, hand, truth float64
	trueBad            float64
	ninesOK, handOK    bool
	ninesErr, handErr  float64
	allowed            float64
}

func checkInterval(t *testing.T, e *engine.Engine, src *source.Client, samples *demo.Samples, iv time.Duration) {
	ctx := context.Background()
	h := samples.Truth
	label := demo.IntervalLabel(iv)
	s := &slo.SLO{
		Name: "checkout-" + label, Service: "checkout", Objective: 99.9,
		Window: slo.Window{Kind: slo.Rolling, Duration: 30 * 24 * time.Hour},
		Indicator: slo.Indicator{Kind: slo.Ratio,
			Good:  fmt.Sprintf(`http_requests_total{job="checkout",interval=%q,code!~"5.."}`, label),
			Total: fmt.Sprintf(`http_requests_total{job="checkout",interval=%q}`, label)},
	}
	truth := func(from, to time.Time) (bad, total float64) {
		return h.True("http_requests_total", map[string]string{"job": "checkout", "code": "500"}, from, to),
			h.True("http_requests_total", map[string]string{"job": "checkout"}, from, to)
	}
	hand := func(at time.Time, w time.Duration) (float64, bool) {
		sel := fmt.Sprintf(`http_requests_total{job="checkout",interval=%q`, label)
		r := promql.Tiling{Form: promql.FormIncrease, Step: w}
		bq, err := promql.Increase(sel+`,code=~"5.."}`, r)
		require.NoError(t, err)
		tq, err := promql.Increase(sel+`}`, r)
		require.NoError(t, err)
		bad, bok, err := src.Instant(ctx, bq, at)
		require.NoError(t, err)
		tot, tok, err := src.Instant(ctx, tq, at)
		require.NoError(t, err)
		if !tok || tot == 0 {
			return 0, false
		}
		if !bok {
			bad = 0
		}
		return bad / tot, true
	}

	restart, gap, missRun := demo.RealScrapeEvents(h)
	start, end := h.Start, h.End()
	// Instants: spread over the history at odd minutes, plus the edges of the scenario's
	// restart, gap and missed run, and of every incident.
	var ats []time.Time
	for t0 := start.Add(2 * 24 * time.Hour); t0.Before(end); t0 = t0.Add(31*time.Hour + 7*time.Minute) {
		ats = append(ats, t0)
	}
	for _, x := range []time.Time{restart, gap.End, gap.Start, missRun} {
		ats = append(ats, x.Truncate(time.Minute).Add(time.Minute), x.Truncate(time.Minute).Add(5*time.Minute))
	}
	for _, in := range demo.CheckoutIncidents() {
		if in.After(start.Add(time.Hour)) && in.Before(end) {
			ats = append(ats, in.Add(2*time.Minute), in.Add(30*time.Minute))
		}
	}
	sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) })

	var figs []figure
	add := func(what string, at time.Time, w time.Duration, ninesBad float64, ninesOK bool) {
		bad, total := truth(at.Add(-w), at)
		f := figure{what: fmt.Sprintf("%s at %s over %s", what, at.Format(time.RFC3339), slo.FormatDuration(w)), trueBad: bad, nines: ninesBad, ninesOK: ninesOK}
		if total == 0 {
			require.False(t, ninesOK, "%s: no events must be no data", f.what)
			return
		}
		if !ninesOK {
			t.Errorf("%s: events exist (%v of them), so there must be a figure", f.what, total)
			return
		}
		f.truth = bad / total
		f.hand, f.handOK = hand(at, w)
		if bad == 0 {
			f.ninesErr = math.Abs(f.nines)
			f.handErr = math.Abs(f.hand)
			f.allowed = 1e-4
		} else {
			f.ninesErr = math.Abs(f.nines-f.truth) / f.truth
			f.handErr = math.Abs(f.hand-f.truth) / f.truth
			if !f.handOK {
				f.handErr = 1 // hand-written has no figure where events exist
			}
			f.allowed = max(2*f.handErr, 1/bad, 1e-4)
		}
		figs = append(figs, f)
	}

	// sli over 5m, 1h, 6h, 1d and 30d windows, as the sli query computes them.
	windows := []time.Duration{5 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}
	for _, at := range ats {
		var ws []time.Duration
		for _, w := range windows {
			if !at.Add(-w).Before(start) {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			continue
		}
		r, err := e.RollingCounts(ctx, s, at, at, time.Minute, ws)
		require.NoError(t, err)
		require.Equal(t, at, r.Times[len(r.Times)-1])
		for i, w := range ws {
			c := r.Counts[i][len(r.Times)-1]
			add("sli", at, w, 1-safeSLI(c), c.Total > 0)
		}
	}
	// status: the SLI over the SLO window and the 1h and 6h burn rates (budget and
	// burn rate are functions of these counts).
	target := s.Target()
	for _, at := range ats {
		if at.Add(-s.Window.Duration).Before(start) {
			continue
		}
		st, err := e.Status(ctx, s, at)
		require.NoError(t, err)
		add("status sli", at, s.Window.Duration, 1-st.SLI, st.HasData)
		for _, b := range st.Burns {
			add("status burn rate", at, b.Window, b.Rate*(1-target), b.OK)
		}
	}
	// A history month: February 2026 (the restart and the gap lie in it).
	hist, err := e.History(ctx, s, engine.HistoryOptions{Period: "month", Periods: 2, End: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Share: 0.9})
	require.NoError(t, err)
	feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	found := false
	for _, p := range hist.Periods {
		if p.Start.Equal(feb) {
			found = true
			require.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), p.End)
			add("history month", p.End, p.End.Sub(p.Start), 1-p.SLI, p.HasData)
		}
	}
	require.True(t, found, "February is among the periods")

	// Every figure within max(2 × hand-written's error, one bad event's share, 1e-4):
	// at least 95 % of them. The rest are edges where hand-written increase() is right
	// by luck or by construction (a window that ends exactly where an outage ends:
	// extrapolating from inside the window gives 100 %, interpolating between the two
	// samples that straddle the end mixes in the first good requests after it), and
	// sparse error counters whose events between two samples nobody can place.
	var sumN, sumH float64
	over := 0
	for _, f := range figs {
		if f.ninesErr > f.allowed {
			over++
			t.Logf("beyond the bound: %s: bad fraction %.6g, truth %.6g (%v bad events): error %.3g, allowed %.3g; hand-written %.6g",
				f.what, f.nines, f.truth, f.trueBad, f.ninesErr, f.allowed, f.hand)
		}
		sumN += f.ninesErr
		sumH += f.handErr
	}
	n := float64(len(figs))
	t.Logf("%s: %d figures, %d beyond the bound; mean error on the bad fraction: Nines %.3g, hand-written increase() %.3g",
		label, len(figs), over, sumN/n, sumH/n)
	require.LessOrEqual(t, float64(over), 0.05*n, "at most 5 %% of the figures beyond the bound")
	require.LessOrEqual(t, sumN/n, sumH/n, "mean error must be no larger than hand-written increase()'s")
}

// safeSLI is good/total, or 1 when there are no events (callers check Total first).
func safeSLI(c series.Counts) float64 {
	if c.Total == 0 {
		return 1
	}
	return c.Good / c.Total
}
