package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/slo"
)

// promtool returns the path of promtool; without it the test is skipped, except in CI.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required in CI: %v", err)
		}
		t.Skip("promtool not installed")
	}
	return p
}

// writeRules loads definition paths and writes their rule file into dir.
func writeRules(t *testing.T, dir string, paths ...string) string {
	t.Helper()
	res := definitions.Load(paths, "")
	require.Empty(t, res.Errors)
	require.NotEmpty(t, res.SLOs)
	f, err := Build(res.SLOs, res.Alerts)
	require.NoError(t, err)
	data, err := f.Marshal()
	require.NoError(t, err)
	out := filepath.Join(dir, "rules.yaml")
	require.NoError(t, os.WriteFile(out, data, 0o644))
	return out
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
}

func TestPromtoolCheckRules(t *testing.T) {
	pt := promtool(t)
	for _, paths := range [][]string{
		{"../definitions/testdata/native"},
		{"../definitions/testdata/openslo"},
		{"../definitions/testdata/sloth/payments.yaml", "../definitions/testdata/pyrra/shop.yaml"},
		{"../definitions/testdata/sloth/crd.yaml"},
	} {
		t.Run(filepath.Base(paths[0]), func(t *testing.T) {
			run(t, pt, "check", "rules", writeRules(t, t.TempDir(), paths...))
		})
	}
}

// TestPromtoolBurnScenarios runs testdata/burn.test.yaml: a fast burn pages within
// 5 minutes and resolves, a slow burn opens a ticket only, a blip fires nothing.
func TestPromtoolBurnScenarios(t *testing.T) {
	pt := promtool(t)
	dir := t.TempDir()
	writeRules(t, dir, "testdata/slo.yaml")
	test, err := os.ReadFile("testdata/burn.test.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "burn.test.yaml"), test, 0o644))
	run(t, pt, "check", "rules", filepath.Join(dir, "rules.yaml"))
	run(t, pt, "test", "rules", filepath.Join(dir, "burn.test.yaml"))
}

// A grouped SLO's rules keep the grouping labels: each group gets its own error ratio
// and its own alerts (testdata/grouped.test.yaml: only the burning route alerts).
func TestPromtoolGroupedAlerts(t *testing.T) {
	pt := promtool(t)
	dir := t.TempDir()
	writeRules(t, dir, "testdata/grouped.yaml")
	test, err := os.ReadFile("testdata/grouped.test.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "grouped.test.yaml"), test, 0o644))
	run(t, pt, "check", "rules", filepath.Join(dir, "rules.yaml"))
	run(t, pt, "test", "rules", filepath.Join(dir, "grouped.test.yaml"))
}

func TestBuildDefaultWindows(t *testing.T) {
	res := definitions.Load([]string{"testdata/slo.yaml"}, "")
	require.Empty(t, res.Errors)
	f, err := Build(res.SLOs, nil)
	require.NoError(t, err)
	require.Len(t, f.Groups, 1)
	g := f.Groups[0]
	assert.Equal(t, "nines-api-availability", g.Name)
	var records, alerts []string
	for _, r := range g.Rules {
		if r.Record != "" {
			records = append(records, r.Record)
			assert.Equal(t, map[string]string{"nines_slo": "api-availability", "nines_service": "api", "team": "core"}, r.Labels)
		} else {
			alerts = append(alerts, r.Labels["severity"])
			assert.Equal(t, "https://runbooks.example.org/api", r.Annotations["runbook_url"])
		}
	}
	assert.Equal(t, []string{
		"nines_slo:sli_error:ratio_rate5m", "nines_slo:sli_error:ratio_rate30m", "nines_slo:sli_error:ratio_rate1h",
		"nines_slo:sli_error:ratio_rate2h", "nines_slo:sli_error:ratio_rate6h", "nines_slo:sli_error:ratio_rate1d",
		"nines_slo:sli_error:ratio_rate3d",
	}, records)
	assert.Equal(t, []string{"page", "ticket"}, alerts)
	assert.Equal(t, `sum(rate(http_requests_total{code=~"5..",job="api"}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))`, g.Rules[0].Expr)
	assert.Contains(t, g.Rules[len(g.Rules)-2].Expr, `nines_slo:sli_error:ratio_rate1h{nines_slo="api-availability"} > (14.4 * 0.001) and nines_slo:sli_error:ratio_rate5m{nines_slo="api-availability"} > (14.4 * 0.001)`)
}

func TestDisabledAlertsKeepRecordingRules(t *testing.T) {
	res := definitions.Load([]string{"../definitions/testdata/sloth/payments.yaml"}, "")
	require.Empty(t, res.Errors)
	f, err := Build(res.SLOs, res.Alerts)
	require.NoError(t, err)
	count := map[string][2]int{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			c := count[g.Name]
			if r.Alert != "" {
				c[1]++
			} else {
				c[0]++
			}
			count[g.Name] = c
		}
	}
	assert.Equal(t, map[string][2]int{
		"nines-charge-availability": {7, 2},
		"nines-charge-latency":      {4, 1}, // the ticket alert is disabled
		"nines-refund-availability": {7, 0}, // both are
	}, count)
}

func TestErrorRatioKinds(t *testing.T) {
	w := 5 * time.Minute
	tests := []struct {
		in   slo.Indicator
		want string
	}{
		{slo.Indicator{Kind: slo.Ratio, Good: `ok_total`, Total: `all_total`}, `1 - (sum(rate(ok_total[5m])) / sum(rate(all_total[5m])))`},
		{slo.Indicator{Kind: slo.Latency, Histogram: `h{job="a"}`, Le: 0.25}, `1 - (sum(rate(h_bucket{job="a",le="0.25"}[5m])) / sum(rate(h_count{job="a"}[5m])))`},
		{slo.Indicator{Kind: slo.Threshold, Gauge: `up`, Op: ">=", Value: 1}, `1 - (sum(sum_over_time(((up) >= bool 1)[5m:1m])) / sum(count_over_time(((up) >= bool 1)[5m:1m])))`},
		{slo.Indicator{Kind: slo.Raw, ErrorRatio: `job:errors:ratio`}, `avg_over_time(job:errors:ratio[5m:1m])`},
	}
	for _, tt := range tests {
		got, err := ErrorRatio(&slo.SLO{Name: "x", Indicator: tt.in}, w)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	grouped := []struct {
		in   slo.Indicator
		want string
	}{
		{slo.Indicator{Kind: slo.Ratio, Bad: `e_total`, Total: `sum(all_total)`}, `sum by (route, method) (rate(e_total[5m])) / sum by (route, method) (sum(rate(all_total[5m])))`},
		{slo.Indicator{Kind: slo.Latency, Histogram: `h{job="a"}`, Le: 0.25}, `1 - (sum by (route, method) (rate(h_bucket{job="a",le="0.25"}[5m])) / sum by (route, method) (rate(h_count{job="a"}[5m])))`},
		{slo.Indicator{Kind: slo.Threshold, Gauge: `up`, Op: ">=", Value: 1}, `1 - (sum by (route, method) (sum_over_time(((up) >= bool 1)[5m:1m])) / sum by (route, method) (count_over_time(((up) >= bool 1)[5m:1m])))`},
	}
	for _, tt := range grouped {
		got, err := ErrorRatio(&slo.SLO{Name: "x", Indicator: tt.in, Grouping: []string{"route", "method"}}, w)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	_, err := ErrorRatio(&slo.SLO{Indicator: slo.Indicator{Kind: slo.Ratio, Bad: "rate(x[5m])", Total: "t"}}, w)
	assert.ErrorContains(t, err, "bad:")
}
