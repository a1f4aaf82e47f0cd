package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// groupedSLO is one SLO over every service's requests, fanned out by grouping.
func groupedSLO(grouping ...string) *slo.SLO {
	return &slo.SLO{Name: "requests", DisplayName: "Requests", Service: "web", Objective: 99, Window: rolling(7 * uDay),
		Grouping:  grouping,
		Indicator: slo.Indicator{Kind: slo.Ratio, Good: `req_total{code="200"}`, Total: `req_total`}}
}

// Each group's figures equal those of the same SLO written by hand for that service,
// with one lookup request per grouped SLO.
func TestExpandOneLabelEqualsHandWritten(t *testing.T) {
	f := webWorld(uNow, 8)
	e := New(f)
	plain := ratioSLO("plain", "a", 99, rolling(7*uDay))
	x := Expand(context.Background(), f, []*slo.SLO{groupedSLO("svc"), plain}, uNow.Add(-time.Hour), uNow)
	require.Empty(t, x.Errors)
	require.Empty(t, x.Warnings)
	assert.Equal(t, 1, x.Requests)
	assert.Equal(t, 1, f.count("LabelValues"))
	require.Len(t, x.SLOs, 5)
	assert.Same(t, plain, x.SLOs[4], "an SLO without grouping passes through untouched")
	for i, svc := range []string{"a", "b", "c", "idle"} {
		g := x.SLOs[i]
		assert.Equal(t, "requests", g.Name)
		assert.Equal(t, map[string]string{"svc": svc}, g.Group)
		assert.Equal(t, fmt.Sprintf(`Requests {svc=%q}`, svc), g.Title())
		got, err := e.Status(context.Background(), g, uNow)
		require.NoError(t, err)
		want, err := e.Status(context.Background(), ratioSLO("by-hand", svc, 99, rolling(7*uDay)), uNow)
		require.NoError(t, err)
		require.Equal(t, want.HasData, got.HasData, svc)
		if !want.HasData {
			continue
		}
		near(t, want.SLI, got.SLI, "SLI of %s", svc)
		near(t, want.Counts.Total, got.Counts.Total, "events of %s", svc)
		for w := range 2 {
			wb, _ := want.BurnRate(w)
			gb, _ := got.BurnRate(w)
			near(t, wb, gb, "burn rate %d of %s", w, svc)
		}
	}
}

// Several grouping labels are found with one instant count by those labels.
func TestExpandSeveralLabels(t *testing.T) {
	f := webWorld(uNow, 8)
	s := groupedSLO("svc", "code")
	s.Indicator = slo.Indicator{Kind: slo.Ratio, Bad: `req_total{code="500"}`, Total: `req_total{svc!="idle"}`}
	x := Expand(context.Background(), f, []*slo.SLO{s}, uNow.Add(-time.Hour), uNow)
	require.Empty(t, x.Errors)
	assert.Equal(t, 1, f.count("RangeGroups"))
	assert.Equal(t, 0, f.count("LabelValues"))
	assert.Equal(t, []string{`count by (svc, code) (last_over_time(req_total{svc!="idle"}[7d1h]))`}, x.Queries)
	var got []string
	for _, g := range x.SLOs {
		got = append(got, GroupText(s.Grouping, g.Group)+" "+g.Indicator.Total)
	}
	assert.Equal(t, []string{
		`{svc="a", code="200"} req_total{code="200",svc!="idle",svc="a"}`,
		`{svc="a", code="500"} req_total{code="500",svc!="idle",svc="a"}`,
		`{svc="b", code="200"} req_total{code="200",svc!="idle",svc="b"}`,
		`{svc="b", code="500"} req_total{code="500",svc!="idle",svc="b"}`,
		`{svc="c", code="200"} req_total{code="200",svc!="idle",svc="c"}`,
		`{svc="c", code="500"} req_total{code="500",svc!="idle",svc="c"}`,
	}, got)
}

// Only the series seen in the window before the query's start count as groups.
func TestExpandLooksBackOneWindow(t *testing.T) {
	f := newFake(uNow)
	f.counter(`req_total{svc="old",code="200"}`, uNow.Add(-30*uDay), uNow.Add(-20*uDay), time.Minute, traffic{inc: perMin(1)})
	f.counter(`req_total{svc="recent",code="200"}`, uNow.Add(-10*uDay), uNow.Add(-6*uDay), time.Minute, traffic{inc: perMin(1)})
	x := Expand(context.Background(), f, []*slo.SLO{groupedSLO("svc")}, uNow.Add(-time.Hour), uNow)
	require.Len(t, x.SLOs, 1)
	assert.Equal(t, map[string]string{"svc": "recent"}, x.SLOs[0].Group)
}

// More than MaxGroups groups: the first MaxGroups are kept and a warning says so.
func TestExpandCapsGroups(t *testing.T) {
	f := newFake(uNow)
	for i := range MaxGroups + 5 {
		f.add(fmt.Sprintf(`req_total{svc="s%04d",code="200"}`, i), []time.Time{uNow.Add(-2 * time.Minute), uNow.Add(-time.Minute)}, []float64{0, 1})
	}
	x := Expand(context.Background(), f, []*slo.SLO{groupedSLO("svc")}, uNow.Add(-time.Hour), uNow)
	require.Len(t, x.SLOs, MaxGroups)
	assert.Equal(t, "s0000", x.SLOs[0].Group["svc"])
	assert.Equal(t, fmt.Sprintf("s%04d", MaxGroups-1), x.SLOs[MaxGroups-1].Group["svc"])
	assert.Equal(t, []string{"requests: 1005 groups by svc, more than the 1000 Nines shows: only the first 1000 are shown; narrow the selectors or the grouping"}, x.Warnings)
}

// A lookup that fails leaves that SLO out with its error; the others stay. A grouped
// SLO without series stays whole, with a warning.
func TestExpandFailuresAndNoSeries(t *testing.T) {
	f := webWorld(uNow, 1)
	f.fail = func(method, query string) error {
		if method == "LabelValues" && query == `req_total{svc="gone"}` {
			return errors.New("HTTP 503")
		}
		return nil
	}
	broken := groupedSLO("code")
	broken.Name, broken.Indicator.Total = "broken", `req_total{svc="gone"}`
	f2 := webWorld(uNow, 1)
	empty := groupedSLO("code")
	empty.Name, empty.Indicator.Total = "empty", `req_total{svc="none"}`
	x := Expand(context.Background(), f, []*slo.SLO{broken, groupedSLO("code")}, uNow.Add(-time.Hour), uNow)
	require.Len(t, x.Errors, 1)
	assert.EqualError(t, x.Errors[0], "SLO broken: list the groups by code: HTTP 503")
	require.Len(t, x.SLOs, 2)
	assert.Equal(t, "200", x.SLOs[0].Group["code"])

	y := Expand(context.Background(), f2, []*slo.SLO{empty}, uNow.Add(-time.Hour), uNow)
	require.Empty(t, y.Errors)
	require.Len(t, y.SLOs, 1)
	assert.Same(t, empty, y.SLOs[0])
	assert.Equal(t, []string{`empty: no series of req_total{svc="none"} in the time range, so no groups by code: shown as one SLO`}, y.Warnings)
}
