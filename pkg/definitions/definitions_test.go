package definitions

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

const day = 24 * time.Hour

func errorStrings(errs []*slo.Error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestParseNative(t *testing.T) {
	file := filepath.Join("testdata", "native", "checkout.yaml")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	res := Parse(file, data)
	require.Empty(t, errorStrings(res.Errors))
	want := []*slo.SLO{
		{
			Name:        "checkout-availability",
			DisplayName: "Checkout availability",
			Description: "Share of checkout requests that succeed.",
			UserStory:   "As a shopper, I want to pay without errors, so that I get my order.",
			Service:     "checkout",
			Owner:       "team-payments",
			Labels:      map[string]string{"tier": "1", "journey": "purchase"},
			Objective:   99.9,
			Window:      slo.Window{Kind: slo.Rolling, Duration: 28 * day},
			Budgeting:   slo.Budgeting{Method: slo.Occurrences},
			Indicator: slo.Indicator{Kind: slo.Ratio,
				Good:  `http_requests_total{job="checkout",code!~"5.."}`,
				Total: `http_requests_total{job="checkout"}`},
			Happiness: []slo.Signal{
				{Name: "support tickets", Query: `support_tickets_total{product="checkout"}`, Kind: slo.Counter},
				{Name: "open carts", Query: `sum(open_carts)`, Kind: slo.Gauge},
			},
			BurnWindow: []slo.BurnWindow{{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4, Severity: "page"}},
			Source:     slo.Location{File: file, Line: 6},
			Format:     FormatNative,
		},
		{
			Name:      "checkout-latency",
			Service:   "checkout",
			Owner:     "team-latency",
			Labels:    map[string]string{"tier": "1"},
			Objective: 99,
			Window:    slo.Window{Kind: slo.Rolling, Duration: 7 * day},
			Budgeting: slo.Budgeting{Method: slo.Occurrences},
			Indicator: slo.Indicator{Kind: slo.Latency, Histogram: `http_request_duration_seconds{job="checkout"}`, Le: 0.3},
			Source:    slo.Location{File: file, Line: 26},
			Format:    FormatNative,
		},
		{
			Name:      "search-probe",
			Service:   "search",
			Objective: 99.5,
			Window:    slo.Window{Kind: slo.Rolling, Duration: 30 * day},
			Budgeting: slo.Budgeting{Method: slo.Occurrences},
			Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success{job="blackbox"}`, Op: ">=", Value: 1},
			Source:    slo.Location{File: file, Line: 37},
			Format:    FormatNative,
		},
		{
			Name:      "search-errors",
			Service:   "search",
			Objective: 99,
			Window:    slo.Window{Kind: slo.Rolling, Duration: 7 * day},
			Budgeting: slo.Budgeting{Method: slo.Occurrences},
			Indicator: slo.Indicator{Kind: slo.Raw, ErrorRatio: `job:slo_errors:ratio_rate5m{job="search"}`},
			Source:    slo.Location{File: file, Line: 42},
			Format:    FormatNative,
		},
	}
	assert.Equal(t, want, res.SLOs)
}

func TestLoadOpenSLOFolder(t *testing.T) {
	dir := filepath.Join("testdata", "openslo")
	res := Load([]string{dir}, "")
	require.Empty(t, errorStrings(res.Errors))
	file := filepath.Join(dir, "slos.yaml")
	probe := func(name, display string, objective float64, line int) *slo.SLO {
		return &slo.SLO{
			Name:        name,
			DisplayName: display,
			Service:     "api",
			Objective:   objective,
			Window:      slo.Window{Kind: slo.Rolling, Duration: 28 * day},
			Budgeting:   slo.Budgeting{Method: slo.Occurrences},
			Indicator:   slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success{job="api"}`, Op: ">=", Value: 1},
			Source:      slo.Location{File: file, Line: line},
			Format:      FormatOpenSLO,
		}
	}
	want := []*slo.SLO{
		{
			Name:        "api-availability",
			DisplayName: "API availability",
			Description: "Non-5xx share of API requests.",
			UserStory:   "As a developer, I want the API to answer, so that my app works.",
			Service:     "api",
			Owner:       "team-core",
			Labels:      map[string]string{"team": "core,platform", "tier": "1"},
			Objective:   99.9,
			Window:      slo.Window{Kind: slo.Rolling, Duration: 30 * day},
			Budgeting:   slo.Budgeting{Method: slo.Occurrences},
			Indicator: slo.Indicator{Kind: slo.Ratio,
				Bad:   `sum(http_requests_total{job="api",code=~"5.."})`,
				Total: `sum(http_requests_total{job="api"})`},
			Source: slo.Location{File: file, Line: 17},
			Format: FormatOpenSLO,
		},
		probe("api-probe-1", "Up", 99.5, 40),
		probe("api-probe-2", "Mostly up", 99, 40),
	}
	assert.Equal(t, want, res.SLOs)

	// Alone, slos.yaml cannot resolve its indicatorRef.
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	res = Parse(file, data)
	assert.Equal(t, []string{file + `:31: api-availability: indicatorRef "api-errors": no SLI of that name is defined`}, errorStrings(res.Errors))
	assert.Len(t, res.SLOs, 2)
}

func TestLoadFolderAndInline(t *testing.T) {
	inline := "service: inl\nslos:\n  - name: inline-one\n    objective: 99\n    window: 28d\n    indicator: {ratio: {bad: e_total, total: t_total}}\n"
	missing := filepath.Join("testdata", "nope")
	res := Load([]string{"testdata", missing, filepath.Join("testdata", "mixed.yaml")}, inline)
	// The Sloth and Pyrra testdata have tests of their own.
	other := func(file string) bool {
		return strings.HasPrefix(file, filepath.Join("testdata", "sloth")) || strings.HasPrefix(file, filepath.Join("testdata", "pyrra"))
	}
	var names []string
	for _, s := range res.SLOs {
		if !other(s.Source.File) {
			names = append(names, s.Name)
		}
	}
	res.Errors = slices.DeleteFunc(res.Errors, func(e *slo.Error) bool { return other(e.File) })
	// mixed.yaml is listed twice (in the folder and by name) but read once.
	assert.Equal(t, []string{"shop-good", "checkout-availability", "checkout-latency", "search-probe", "search-errors",
		"api-availability", "api-probe-1", "api-probe-2", "inline-one"}, names)
	assert.Equal(t, []string{
		"testdata/mixed.yaml:13: shop-bad: good: \"rate(ok_total[5m])\": ok_total[5m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)",
		"testdata/nope: definitions path: no such file or directory",
	}, errorStrings(res.Errors))
	assert.Equal(t, "inline", res.SLOs[len(res.SLOs)-1].Source.File)
}

func TestOneBadSLOKeepsTheOther(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "mixed.yaml"))
	require.NoError(t, err)
	res := Parse("mixed.yaml", data)
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, "shop-good", res.SLOs[0].Name)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, 13, res.Errors[0].Line)
	assert.Equal(t, "shop-bad", res.Errors[0].SLO)
}

func TestUnsupported(t *testing.T) {
	src := `service: s
slos:
  - name: monthly
    objective: 99
    window: month
    timeZone: Europe/Berlin
    indicator: {ratio: {good: g, total: t}}
  - name: sliced
    objective: 99
    window: 28d
    budgeting: {method: timeslices, sliceLength: 1m, sliceThreshold: 0.95}
    indicator: {ratio: {good: g, total: t}}
  - name: kept
    objective: 99
    window: 28d
    indicator: {ratio: {good: g, total: t}}
`
	// Calendar windows and time slices are supported now; only raw time slices are not.
	res := Parse("u.yaml", []byte(src))
	require.Len(t, res.SLOs, 3)
	assert.Empty(t, res.Errors)
	assert.Error(t, Unsupported(&slo.SLO{Budgeting: slo.Budgeting{Method: slo.RatioTimeslices}, Indicator: slo.Indicator{Kind: slo.Raw}}))
	assert.NoError(t, Unsupported(&slo.SLO{Budgeting: slo.Budgeting{Method: slo.RatioTimeslices}, Indicator: slo.Indicator{Kind: slo.Ratio}}))
	assert.NoError(t, Unsupported(&slo.SLO{Window: slo.Window{Kind: slo.Rolling}, Budgeting: slo.Budgeting{Method: slo.Occurrences}}))
}

func TestOpenSLOCalendarWindow(t *testing.T) {
	src := `apiVersion: openslo/v1
kind: SLO
metadata: {name: cal}
spec:
  service: s
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: g}}}
        total: {metricSource: {type: Prometheus, spec: {query: t}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: Europe/Berlin}
  budgetingMethod: Timeslices
  objectives:
    - target: 0.99
      timeSliceTarget: 0.95
      timeSliceWindow: 1m
`
	b := newBatch()
	b.parse("c.yaml", []byte(src))
	require.Empty(t, b.errs)
	require.Len(t, b.entries, 1)
	s := b.entries[0].s
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	assert.Equal(t, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: "Europe/Berlin",
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, berlin)}, s.Window)
	assert.Equal(t, slo.Budgeting{Method: slo.Timeslices, SliceLength: time.Minute, SliceThreshold: 0.95}, s.Budgeting)
	assert.Empty(t, s.ValidateFields(b.entries[0].fields))

	for dur, unit := range map[string]slo.CalendarUnit{"1w": slo.Week, "1Week": slo.Week, "1Month": slo.Month, "1Q": slo.Quarter, "1Quarter": slo.Quarter} {
		b := newBatch()
		b.parse("c.yaml", []byte(strings.Replace(src, "duration: 1M", "duration: "+dur, 1)))
		require.Empty(t, b.errs, dur)
		assert.Equal(t, unit, b.entries[0].s.Window.Unit, dur)
	}
}

func TestStoreRereadsChangedFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slos.yaml")
	write := func(objective string, mtime time.Time) {
		src := "service: s\nslos:\n  - name: a\n    objective: " + objective + "\n    window: 28d\n    indicator: {ratio: {good: g, total: t}}\n"
		require.NoError(t, os.WriteFile(file, []byte(src), 0o600))
		require.NoError(t, os.Chtimes(file, mtime, mtime))
	}
	t0 := time.Now().Add(-time.Hour)
	write("99.9", t0)
	st := NewStore([]string{dir}, "")
	res := st.Current()
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, 99.9, res.SLOs[0].Objective)
	assert.Same(t, res.SLOs[0], st.Current().SLOs[0], "unchanged files are not re-read")

	write("99.5", t0.Add(time.Minute))
	res = st.Current()
	require.Len(t, res.SLOs, 1)
	assert.Equal(t, 99.5, res.SLOs[0].Objective)

	// A new file is noticed, and so is a removed one.
	extra := filepath.Join(dir, "more.yml")
	require.NoError(t, os.WriteFile(extra, []byte("service: s\nslos:\n  - name: b\n    objective: 99\n    window: 7d\n    indicator: {raw: {errorRatio: r}}\n"), 0o600))
	assert.Len(t, st.Current().SLOs, 2)
	require.NoError(t, os.Remove(extra))
	assert.Len(t, st.Current().SLOs, 1)
}

func TestStoreConcurrent(t *testing.T) {
	st := NewStore([]string{filepath.Join("testdata", "native")}, "")
	done := make(chan int)
	for range 8 {
		go func() { done <- len(st.Current().SLOs) }()
	}
	for range 8 {
		assert.Equal(t, 4, <-done)
	}
}

func TestOpenSLOTargetIsARatio(t *testing.T) {
	for target, want := range map[string]float64{"0.999": 99.9, "0.5": 50, "0.005": 0.5} {
		res := Parse("o.yaml", []byte(openSLO(map[string]string{"target: 0.99": "target: " + target})))
		require.Empty(t, errorStrings(res.Errors), target)
		assert.Equal(t, want, res.SLOs[0].Objective, target)
	}
}

func TestNativeHappinessCombine(t *testing.T) {
	res := Parse("c.yaml", []byte("service: s\nslos:\n  - name: a\n    objective: 99\n    window: 28d\n    indicator: {raw: {errorRatio: r}}\n    happiness:\n      - name: tickets\n        counter: tickets_total\n        combine: SUM\n      - name: carts\n        gauge: carts\n"))
	require.Empty(t, res.Errors)
	require.Len(t, res.SLOs, 1)
	require.Equal(t, []slo.Signal{
		{Name: "tickets", Query: "tickets_total", Kind: slo.Counter, Combine: slo.CombineSum},
		{Name: "carts", Query: "carts", Kind: slo.Gauge},
	}, res.SLOs[0].Happiness)
}
