package plugin

import (
	"math"
	"sort"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

var historyDefs = map[string]any{"definitionPaths": []string{"testdata/history.yaml"}}

// histEnd is the end of the demo history: March 2026 is still running there.
var histEnd = time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)

func newYork(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	return loc
}

func fieldNamed(t testing.TB, f *data.Frame, name string) *data.Field {
	t.Helper()
	fld, idx := f.FieldByName(name)
	require.GreaterOrEqual(t, idx, 0, "column %s", name)
	return fld
}

// rows returns the row indexes of one SLO in a frame with an SLO column.
func rows(t testing.TB, f *data.Frame, slo string) []int {
	var out []int
	c := fieldNamed(t, f, "SLO")
	for i := 0; i < f.Rows(); i++ {
		if c.At(i).(string) == slo {
			out = append(out, i)
		}
	}
	return out
}

func checkBad(t *testing.T, got, wantBad, wantTotal float64, msg string, args ...any) {
	t.Helper()
	if wantBad == 0 {
		require.InDelta(t, 0, got, 1e-12, append([]any{msg}, args...)...)
		return
	}
	require.LessOrEqual(t, relErr(got, wantBad/wantTotal), 1e-6, append([]any{msg + ": bad fraction got %g want %g"}, append(args, got, wantBad/wantTotal)...)...)
}

// Monthly periods in America/New_York (local midnights, across the 2026-03-08 DST
// change), the partial first and running last month, and February's bad month, against
// the generator's counts.
func TestHistoryCalendarMatchesTruth(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	truth := truths(srv.History)["checkout-availability"]
	ny := newYork(t)
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -6, 0), histEnd, time.Hour, `{"slo":"checkout-monthly","periods":4}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	require.Len(t, dr.Frames, 3)
	f := dr.Frames[0]
	require.Equal(t, 4, f.Rows())
	wantStarts := []time.Time{
		time.Date(2025, 12, 1, 0, 0, 0, 0, ny), time.Date(2026, 1, 1, 0, 0, 0, 0, ny),
		time.Date(2026, 2, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 4, 1, 0, 0, 0, 0, ny),
	}
	// Local midnight is 05:00 UTC in winter and 04:00 UTC after the DST change.
	require.Equal(t, time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), wantStarts[3].UTC())
	require.Equal(t, time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC), wantStarts[4].UTC())
	wantPartial := []bool{true, false, false, true}
	wantMet := []string{"met", "missed", "missed", "met"}
	var slis []float64
	for i := 0; i < 4; i++ {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), fieldNamed(t, f, "End").At(i).(time.Time)
		require.True(t, wantStarts[i].Equal(start), "period %d start %s", i, start)
		require.True(t, wantStarts[i+1].Equal(end), "period %d end %s", i, end)
		to := end
		if to.After(histEnd) {
			to = histEnd
		}
		bad, total := truth(start, to)
		sli := fieldNamed(t, f, "SLI").At(i).(*float64)
		require.NotNil(t, sli)
		checkBad(t, 1-*sli, bad, total, "period %d", i)
		require.Equal(t, total, fieldNamed(t, f, "Events").At(i).(float64), "period %d events", i)
		require.Equal(t, wantPartial[i], fieldNamed(t, f, "Partial").At(i).(bool), "period %d partial", i)
		require.Equal(t, wantMet[i], fieldNamed(t, f, "Met").At(i).(string), "period %d", i)
		used := fieldNamed(t, f, "Budget used").At(i).(*float64)
		require.LessOrEqual(t, relErr(*used, (bad/total)/0.001), 1e-6)
		slis = append(slis, 1-bad/total)
		t.Logf("%s: SLI %.5f %% (truth %.5f %%), events %.0f", fieldNamed(t, f, "Period").At(i), *sli*100, 100-100*bad/total, total)
	}
	require.Equal(t, "data starts mid-period", fieldNamed(t, f, "Note").At(0))
	require.Equal(t, "period still running", fieldNamed(t, f, "Note").At(3))
	// February badly misses: more than five times its budget.
	require.Greater(t, *fieldNamed(t, f, "Budget used").At(2).(*float64), 5.0)

	// Summary: 2 of 4 met; at 90 % of 4 periods the 4th best SLI is achievable.
	sm := dr.Frames[1]
	require.Equal(t, 1, sm.Rows())
	require.Equal(t, int64(2), fieldNamed(t, sm, "Met").At(0))
	require.InDelta(t, 0.5, *fieldNamed(t, sm, "Share met").At(0).(*float64), 1e-12)
	sorted := append([]float64(nil), slis...)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	ach := *fieldNamed(t, sm, "Achievable").At(0).(*float64)
	require.LessOrEqual(t, relErr(1-ach, 1-sorted[3]), 1e-6)
	require.InDelta(t, -math.Log10(1-sorted[3]), *fieldNamed(t, sm, "Achievable nines").At(0).(*float64), 1e-6)
	require.Equal(t, 0.99, *fieldNamed(t, sm, "Recommended").At(0).(*float64))
	notices := dr.Frames[0].Meta.Notices
	require.Contains(t, noticeTexts(notices), "checkout-monthly: 99.9 % was met in 2 of the last 4 months (2 partial); 99 % would have been met in all 4")

	// What-if: the default ladder; 99.5 % is met in 3 of 4 months (February misses it).
	wi := dr.Frames[2]
	for _, i := range rows(t, wi, "checkout-monthly") {
		obj := fieldNamed(t, wi, "Objective").At(i).(float64)
		met := 0
		used := 0.0
		for _, s := range slis {
			if s >= obj {
				met++
			}
			used += (1 - s) / (1 - obj)
		}
		require.Equal(t, int64(met), fieldNamed(t, wi, "Periods met").At(i), "objective %v", obj)
		require.LessOrEqual(t, relErr(*fieldNamed(t, wi, "Mean budget used").At(i).(*float64), used/4), 1e-6, "objective %v", obj)
	}
}

func noticeTexts(ns []data.Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Text)
	}
	return out
}

// The demo's documented UTC monthly totals, through a timeZone override of the query.
func TestHistoryUTCMonthsMatchDocumentedTotals(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -6, 0), histEnd, time.Hour,
		`{"slo":"checkout-monthly","periods":3,"timeZone":"UTC","share":1,"objectives":"99, 99.5, 99.9"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	want := []struct{ total, bad float64 }{{133916473, 292676}, {120969262, 664341}, {63718892, 31913}}
	for i, w := range want {
		require.Equal(t, w.total, fieldNamed(t, f, "Events").At(i))
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), w.bad, w.total, "month %d", i)
	}
	// share 1: the worst month (February, 0.549 % errors) decides: 99 % is recommended.
	sm := dr.Frames[1]
	require.LessOrEqual(t, relErr(1-*fieldNamed(t, sm, "Achievable").At(0).(*float64), 664341.0/120969262), 1e-6)
	require.Equal(t, 0.99, *fieldNamed(t, sm, "Recommended").At(0).(*float64))
	require.Equal(t, 3, dr.Frames[2].Rows())
}

// Weeks start on Monday at local midnight in New York, also across the DST change; the
// week of the change is one hour short.
func TestHistoryWeeksAcrossDST(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	truth := truths(srv.History)["checkout-availability"]
	ny := newYork(t)
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -1, 0), histEnd, time.Hour, `{"slo":"checkout-weekly","periods":4}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	require.Equal(t, 4, f.Rows())
	for i := 0; i < 4; i++ {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), fieldNamed(t, f, "End").At(i).(time.Time)
		ls := start.In(ny)
		require.Equal(t, time.Monday, ls.Weekday())
		require.Equal(t, 0, ls.Hour())
		require.True(t, time.Date(ls.Year(), ls.Month(), ls.Day()+7, 0, 0, 0, 0, ny).Equal(end))
		bad, total := truth(start, minTime(end, histEnd))
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), bad, total, "week %d", i)
	}
	// Week 10 of 2026 holds the DST change (Sunday 2026-03-08): 167 hours.
	require.Equal(t, "2026-W10", fieldNamed(t, f, "Period").At(2))
	require.Equal(t, 167*time.Hour, fieldNamed(t, f, "End").At(2).(time.Time).Sub(fieldNamed(t, f, "Start").At(2).(time.Time)))
	require.True(t, fieldNamed(t, f, "Partial").At(3).(bool))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Back-to-back rolling windows end at the end of the dashboard range.
func TestHistoryRollingMatchesTruth(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	truth := truths(srv.History)["checkout-availability"]
	end := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryHistory, end.AddDate(0, -1, 0), end, time.Hour, `{"slo":"checkout-30d","periods":3}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	require.Equal(t, 3, f.Rows())
	for i := 0; i < 3; i++ {
		start, e := fieldNamed(t, f, "Start").At(i).(time.Time), fieldNamed(t, f, "End").At(i).(time.Time)
		require.Equal(t, end.Add(-time.Duration(2-i)*30*24*time.Hour), e)
		require.Equal(t, 30*24*time.Hour, e.Sub(start))
		bad, total := truth(start, e)
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), bad, total, "window %d", i)
	}
	// The first window starts 2025-12-15 12:00, before the data.
	require.True(t, fieldNamed(t, f, "Partial").At(0).(bool))
	require.False(t, fieldNamed(t, f, "Partial").At(1).(bool))
}

// probeTruth counts the probe minutes in (from, to]: samples present and good (≥ 1).
func probeTruth(h *demo.History, from, to time.Time) (good, present float64) {
	s := h.Find("probe_success", map[string]string{"instance": "checkout", "job": "blackbox"})
	for i := 0; i < h.Len; i++ {
		ts := h.Time(i)
		if !ts.After(from) || ts.After(to) || math.IsNaN(s.Values[i]) {
			continue
		}
		present++
		if s.Values[i] >= 1 {
			good++
		}
	}
	return good, present
}

// Time slices of a threshold indicator (1-minute slices of probe_success, and 1-hour
// slices needing 95 % good minutes) and of a ratio indicator (5-minute slices needing
// 99.5 % good requests), against the generator.
func TestHistoryTimeslicesMatchTruth(t *testing.T) {
	srv := promtest.Shared(t)
	h := srv.History
	ds := newTestDatasource(t, srv.URL, historyDefs)
	ny := newYork(t)

	// The whole history: 107,642 probe samples, 107,432 good (pkg/demo).
	good, present := probeTruth(h, h.Start.Add(-time.Minute), h.End())
	require.Equal(t, 107642.0, present)
	require.Equal(t, 107432.0, good)

	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -6, 0), histEnd, time.Hour,
		`{"slo":"probe-minutes|probe-minutes-empty-bad|probe-hours|checkout-slices","periods":4,"period":"month"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	var sumGood, sumSlices, sumEmpty float64
	for _, i := range rows(t, f, "probe-minutes") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		g, p := probeTruth(h, start, end)
		sli := fieldNamed(t, f, "SLI").At(i).(*float64)
		require.NotNil(t, sli)
		checkBad(t, 1-*sli, p-g, p, "probe month %s", start.In(ny))
		require.Equal(t, p, fieldNamed(t, f, "Events").At(i), "slices with data")
		sumGood += *sli * p
		sumSlices += p
		sumEmpty += *fieldNamed(t, f, "Empty slices").At(i).(*float64)
	}
	require.InDelta(t, 107432, sumGood, 1e-6)
	require.Equal(t, 107642.0, sumSlices)
	// The scrape gap: 359 minutes without a sample, left out by default and counted.
	require.Equal(t, 359.0, sumEmpty)
	require.Contains(t, noticeTexts(f.Meta.Notices), "probe-minutes: 359 time slices of 1m had no data (left out)")

	// emptySlices: bad counts the gap's minutes as bad slices (March only).
	for _, i := range rows(t, f, "probe-minutes-empty-bad") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		g, p := probeTruth(h, start, end)
		empty := *fieldNamed(t, f, "Empty slices").At(i).(*float64)
		if start.Month() == time.March {
			require.Equal(t, 359.0, empty)
		}
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), p-g+empty, p+empty, "probe (empty bad) %s", start)
	}

	// 1-hour slices, good when at least 95 % of the minutes with a sample are good.
	probe := h.Find("probe_success", map[string]string{"instance": "checkout", "job": "blackbox"})
	sliceTruth := func(from, to time.Time, slice time.Duration, judge func(i0, i1 int) (ok, has bool)) (goodN, withData float64) {
		for s := from; s.Before(to); s = s.Add(slice) {
			i0 := int(s.Sub(h.Start)/h.Step) + 1 // samples in (s, s+slice]
			i1 := int(s.Add(slice).Sub(h.Start) / h.Step)
			i0, i1 = max(i0, 0), min(i1, h.Len-1)
			if i0 > i1 {
				continue
			}
			if ok, has := judge(i0, i1); has {
				withData++
				if ok {
					goodN++
				}
			}
		}
		return
	}
	for _, i := range rows(t, f, "probe-hours") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		g, n := sliceTruth(start, end, time.Hour, func(i0, i1 int) (bool, bool) {
			var gm, pm float64
			for j := i0; j <= i1; j++ {
				if !math.IsNaN(probe.Values[j]) {
					pm++
					if probe.Values[j] >= 1 {
						gm++
					}
				}
			}
			return pm > 0 && gm/pm >= 0.95, pm > 0
		})
		sli := fieldNamed(t, f, "SLI").At(i).(*float64)
		if n == 0 {
			require.Nil(t, sli)
			continue
		}
		checkBad(t, 1-*sli, n-g, n, "probe hours %s", start)
		require.Equal(t, n, fieldNamed(t, f, "Events").At(i))
	}

	// 5-minute slices of checkout requests, good at 99.5 % or better.
	okS := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "200"})
	badS := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "500"})
	checked := 0
	for _, i := range rows(t, f, "checkout-slices") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		g, n := sliceTruth(start, end, 5*time.Minute, func(i0, i1 int) (bool, bool) {
			var gd, tot float64
			for j := i0; j <= i1; j++ {
				gd += okS.Events[j]
				tot += okS.Events[j] + badS.Events[j]
			}
			return tot > 0 && gd/tot >= 0.995*(1-1e-9), tot > 0
		})
		sli := fieldNamed(t, f, "SLI").At(i).(*float64)
		checkBad(t, 1-*sli, n-g, n, "checkout slices %s", start)
		t.Logf("checkout-slices %s: %v good of %v slices", start.In(ny).Format("2006-01"), g, n)
		checked++
	}
	require.Equal(t, 4, checked)
}

// Calendar windows in status, sli, budget and burnRate: period to date, resetting at
// each boundary, in New York time.
func TestCalendarWindowFigures(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	truth := truths(srv.History)["checkout-availability"]
	ny := newYork(t)
	marchStart := time.Date(2026, 3, 1, 0, 0, 0, 0, ny)
	aprilStart := time.Date(2026, 4, 1, 0, 0, 0, 0, ny)

	at := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryStatus, at.Add(-time.Hour), at, time.Minute, `{"slo":"checkout-monthly|checkout-weekly"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	for i := 0; i < f.Rows(); i++ {
		name := fieldNamed(t, f, "SLO").At(i).(string)
		ps, pe := marchStart, aprilStart
		if name == "checkout-weekly" {
			ps, pe = time.Date(2026, 3, 9, 0, 0, 0, 0, ny), time.Date(2026, 3, 16, 0, 0, 0, 0, ny)
		}
		require.True(t, ps.Equal(*fieldNamed(t, f, "Period start").At(i).(*time.Time)), name)
		require.InDelta(t, float64(at.Sub(ps))/float64(pe.Sub(ps)), *fieldNamed(t, f, "Elapsed").At(i).(*float64), 1e-12, name)
		bad, total := truth(ps, at)
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), bad, total, "status %s", name)
		rem := *fieldNamed(t, f, "Budget remaining").At(i).(*float64)
		require.LessOrEqual(t, relErr(1-rem, (bad/total)/0.001), 1e-6, name)
	}

	// sli and budget across the March boundary: period to date, no data exactly at the
	// boundary (the period has just begun), then the new month only.
	from, to := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	resp = run(t, ds,
		query("sli", QuerySLI, from, to, time.Hour, `{"slo":"checkout-monthly"}`),
		query("budget", QueryBudget, from, to, time.Hour, `{"slo":"checkout-monthly"}`),
		query("burn", QueryBurnRate, from, to, time.Hour, `{"slo":"checkout-monthly","window":"1h"}`))
	checked := 0
	for _, ref := range []string{"sli", "budget"} {
		dr := resp.Responses[ref]
		require.NoError(t, dr.Error, ref)
		f := dr.Frames[0]
		require.Contains(t, f.Fields[1].Config.DisplayNameFromDS, "month to date, America/New_York")
		for i := 0; i < f.Rows(); i++ {
			ts := f.Fields[0].At(i).(time.Time)
			ps := time.Date(2026, 2, 1, 0, 0, 0, 0, ny)
			if !ts.Before(marchStart) {
				ps = marchStart
			}
			bad, total := truth(ps, ts)
			v := f.Fields[1].At(i).(*float64)
			if total == 0 {
				require.Nil(t, v, "%s at %s", ref, ts)
				require.True(t, ts.Equal(marchStart), "only the boundary has no data")
				continue
			}
			got := 1 - *v
			if ref == "budget" {
				got = (1 - *v) * 0.001
			}
			checkBad(t, got, bad, total, "%s at %s", ref, ts)
			checked++
		}
	}
	require.Greater(t, checked, 500)
	require.NoError(t, resp.Responses["burn"].Error)
}

// Bad history input gives a clear error on that query only.
func TestHistoryBadInput(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	cases := map[string]string{
		`{"timeZone":"Nowhere/City"}`:        `unknown time zone "Nowhere/City"`,
		`{"periods":0}`:                      "periods: 0 must be between 1 and 120",
		`{"periods":121}`:                    "periods: 121 must be between 1 and 120",
		`{"share":0}`:                        "share: 0 must be in (0, 1]",
		`{"share":1.5}`:                      "share: 1.5 must be in (0, 1]",
		`{"objectives":"99, lots"}`:          `objectives: "lots" is not a percent`,
		`{"objectives":"100"}`:               `objectives: "100" is not a percent`,
		`{"period":"year"}`:                  `period: "year" must be week, month, quarter or rolling`,
		`{"period":"rolling","window":"1M"}`: "window",
	}
	var qs []backend.DataQuery
	i := 0
	refs := map[string]string{}
	for model := range cases {
		ref := string(rune('A' + i))
		refs[ref] = model
		qs = append(qs, query(ref, QueryHistory, histEnd.AddDate(0, -1, 0), histEnd, time.Hour, model))
		i++
	}
	qs = append(qs, query("ok", QueryHistory, histEnd.AddDate(0, -1, 0), histEnd, time.Hour, `{"slo":"checkout-monthly","periods":2}`))
	resp := run(t, ds, qs...)
	for ref, model := range refs {
		dr := resp.Responses[ref]
		require.Error(t, dr.Error, model)
		require.Contains(t, dr.Error.Error(), cases[model], model)
	}
	require.NoError(t, resp.Responses["ok"].Error)
	// A calendar SLO asked for rolling history without a window: an error for that SLO.
	resp = run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -1, 0), histEnd, time.Hour, `{"slo":"checkout-monthly","period":"rolling"}`))
	require.ErrorContains(t, resp.Responses["A"].Error, "needs a window")
}

// Golden frames of the history query type.
func TestIntegrationGoldenHistory(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -6, 0), histEnd, time.Hour,
		`{"slo":"checkout-monthly|probe-minutes","periods":4,"objectives":"99, 99.5, 99.9"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	experimental.CheckGoldenJSONResponse(t, "testdata/golden", "history", &dr, *update)
}

// OpenSLO calendar windows (with start time and time zone), RatioTimeslices and
// Timeslices of a thresholdMetric.
func TestHistoryOpenSLO(t *testing.T) {
	srv := promtest.Shared(t)
	h := srv.History
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{"testdata/history-openslo.yaml"}})
	require.Empty(t, ds.defs.Current().Errors)
	require.Len(t, ds.defs.Current().SLOs, 3)
	truth := truths(h)["checkout-availability"]
	ny := newYork(t)
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -6, 0), histEnd, time.Hour, `{"periods":2}`),
		query("S", QueryStatus, histEnd.Add(-time.Hour), histEnd, time.Minute, `{}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	// Monthly occurrences: February and March in New York.
	for k, i := range rows(t, f, "checkout-openslo-monthly") {
		start := fieldNamed(t, f, "Start").At(i).(time.Time)
		require.True(t, time.Date(2026, time.Month(2+k), 1, 0, 0, 0, 0, ny).Equal(start))
		bad, total := truth(start, minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd))
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), bad, total, "openslo month %d", k)
	}
	// RatioTimeslices: the mean of the 1-hour ratios in each quarter.
	okS := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "200"})
	badS := h.Find("http_requests_total", map[string]string{"job": "checkout", "code": "500"})
	for _, i := range rows(t, f, "checkout-openslo-ratio-slices") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		var sum, n float64
		for s := start; s.Before(end); s = s.Add(time.Hour) {
			var g, tot float64
			for j := max(int(s.Sub(h.Start)/h.Step)+1, 0); j <= min(int(s.Add(time.Hour).Sub(h.Start)/h.Step), h.Len-1); j++ {
				g += okS.Events[j]
				tot += okS.Events[j] + badS.Events[j]
			}
			if tot > 0 {
				sum += g / tot
				n++
			}
		}
		sli := fieldNamed(t, f, "SLI").At(i).(*float64)
		if n == 0 {
			require.Nil(t, sli)
			continue
		}
		require.LessOrEqual(t, relErr(1-*sli, 1-sum/n), 1e-6, "ratio slices %s", start)
		require.Equal(t, n, fieldNamed(t, f, "Events").At(i))
	}
	// Weekly Timeslices of probe_success: weeks start Monday 00:00 New York.
	for _, i := range rows(t, f, "probe-openslo-slices") {
		start, end := fieldNamed(t, f, "Start").At(i).(time.Time), minTime(fieldNamed(t, f, "End").At(i).(time.Time), histEnd)
		require.Equal(t, time.Monday, start.In(ny).Weekday())
		g, p := probeTruth(h, start, end)
		checkBad(t, 1-*fieldNamed(t, f, "SLI").At(i).(*float64), p-g, p, "probe week %s", start)
	}
	require.NoError(t, resp.Responses["S"].Error)
	require.Equal(t, 3, resp.Responses["S"].Frames[0].Rows())
}

// One SLO failing (a raw indicator cannot be bucketed) never hides the others' history.
func TestHistoryErrorIsolation(t *testing.T) {
	srv := promtest.Shared(t)
	defs := `service: checkout
slos:
  - name: monthly
    objective: 99.9
    window: month
    timeZone: America/New_York
    indicator:
      ratio:
        good: http_requests_total{job="checkout",code!~"5.."}
        total: http_requests_total{job="checkout"}
  - name: raw
    objective: 99
    window: 28d
    indicator:
      raw:
        errorRatio: rate(x[5m])
`
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitions": defs, "definitionPaths": []string{}})
	resp := run(t, ds, query("A", QueryHistory, histEnd.AddDate(0, -3, 0), histEnd, time.Hour, `{"periods":2}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	require.Len(t, dr.Frames, 3)
	require.Len(t, rows(t, dr.Frames[0], "monthly"), 2)
	var errs []string
	for _, n := range dr.Frames[0].Meta.Notices {
		if n.Severity == data.NoticeSeverityError {
			errs = append(errs, n.Text)
		}
	}
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "raw")
}

// The sli series of a time-slice SLO on a calendar window, across the probe's scrape gap.
func TestTimeslicesSLISeries(t *testing.T) {
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, historyDefs)
	ny := newYork(t)
	from, to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QuerySLI, from, to, time.Hour, `{"slo":"probe-minutes"}`),
		query("B", QueryStatus, to.Add(-time.Hour), to, time.Minute, `{"slo":"probe-minutes"}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	require.Greater(t, f.Rows(), 40)
	ms := time.Date(2026, 3, 1, 0, 0, 0, 0, ny)
	for i := 0; i < f.Rows(); i++ {
		ts := f.Fields[0].At(i).(time.Time)
		g, p := probeTruth(srv.History, ms, ts)
		checkBad(t, 1-*f.Fields[1].At(i).(*float64), p-g, p, "probe sli at %s", ts)
	}
	st := resp.Responses["B"].Frames[0]
	g, p := probeTruth(srv.History, ms, to)
	checkBad(t, 1-*fieldNamed(t, st, "SLI").At(0).(*float64), p-g, p, "probe status")
	require.Equal(t, 359.0, *fieldNamed(t, st, "Empty slices").At(0).(*float64))
	require.Equal(t, p, *fieldNamed(t, st, "Events").At(0).(*float64))
}
