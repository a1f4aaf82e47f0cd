package plugin

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// formatsHistory is three weeks of the demo world (three checkout incidents, one search
// incident) scraped as a real Prometheus would: every 30 s at an offset off the second,
// with jitter, 1 % of scrapes missed and a restart of every counter off the grid.
func formatsHistory() *demo.Samples {
	h := demo.Generate(demo.Config{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Days: 21, Seed: demo.DefaultSeed})
	cfg := demo.ScrapeConfig{Interval: 30 * time.Second, Offset: 17*time.Second + 311*time.Millisecond, Jitter: 50 * time.Millisecond,
		MissRate: 0.01, Restarts: []time.Time{time.Date(2026, 2, 10, 7, 13, 29, 450e6, time.UTC)}, Seed: 4242}
	return &demo.Samples{Truth: h, Series: h.Scrape(cfg, nil, nil)}
}

// statusFigures are the columns of a status row that must not depend on the format.
var statusFigures = []string{"Objective", "SLI", "Budget remaining", "Burn rate 1h", "Burn rate 6h", "Time to exhaustion", "Events", "Status", "Window", "Service"}

// alertFigures are the columns of an alert windows row that must not depend on the format.
var alertFigures = []string{"Severity", "Long burn rate", "Short burn rate", "Factor", "Alert ratio", "State"}

// rowsBy maps each row of f to its cells of cols, by the row's key columns.
func rowsBy(t *testing.T, f *data.Frame, key []string, cols []string) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	for i := 0; i < f.Rows(); i++ {
		k := ""
		for _, c := range key {
			k += fmt.Sprint(cell(t, f, c, i)) + " "
		}
		var vs []any
		for _, c := range cols {
			vs = append(vs, cell(t, f, c, i))
		}
		out[k] = vs
	}
	return out
}

// sameFigure compares two cells: numbers to a relative 1e-9, empty cells and text exactly.
func sameFigure(t *testing.T, want, got any, msg string) {
	t.Helper()
	w, wok := want.(*float64)
	g, gok := got.(*float64)
	if !wok || !gok {
		if wf, ok := want.(float64); ok {
			require.InDelta(t, wf, got, 1e-9*math.Max(1, math.Abs(wf)), msg)
			return
		}
		require.Equal(t, want, got, msg)
		return
	}
	require.Equal(t, w == nil, g == nil, "%s: empty in one and not in the other", msg)
	if w != nil {
		require.InDelta(t, *w, *g, 1e-9*math.Max(1, math.Abs(*w)), msg)
	}
}

// Sloth (prometheus/v1 and the CRD) and Pyrra files give the same figures as the same
// SLOs written in Nines' native format, to 1e-9, on a real Prometheus holding real-looking
// scrapes: status (SLI, budget remaining, burn rates, time to exhaustion, events, state)
// and the alert windows (burn rates of every pair, factor, severity, state).
func TestFormatsGiveNativeFigures(t *testing.T) {
	srv := promtest.StartSamples(t, formatsHistory())
	instants := []time.Time{
		time.Date(2026, 2, 12, 14, 20, 30, 0, time.UTC), // 20 % checkout errors since 13:00
		time.Date(2026, 2, 19, 3, 0, 0, 0, time.UTC),    // 8 % since midnight
		time.Date(2026, 2, 20, 16, 40, 10, 0, time.UTC), // 50 % search errors since 16:00
		time.Date(2026, 2, 21, 23, 59, 0, 0, time.UTC),  // calm, the end of the history
	}
	cases := []struct {
		name, file, native, format string
		slos                       int
	}{
		{"Sloth prometheus/v1", "testdata/formats/sloth.yaml", "testdata/formats/native-sloth.yaml", definitions.FormatSloth, 3},
		{"Sloth PrometheusServiceLevel", "testdata/formats/sloth-crd.yaml", "testdata/formats/native-sloth.yaml", definitions.FormatSloth, 3},
		{"Pyrra ServiceLevelObjective", "testdata/formats/pyrra.yaml", "testdata/formats/native-pyrra.yaml", "pyrra", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := definitions.Load([]string{c.file}, "")
			require.Empty(t, res.Errors)
			require.Len(t, res.SLOs, c.slos)
			for _, s := range res.SLOs {
				require.Equal(t, c.format, s.Format, s.Name)
			}
			native := definitions.Load([]string{c.native}, "")
			require.Empty(t, native.Errors)
			require.Len(t, native.SLOs, c.slos)

			theirs := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{c.file}})
			ours := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{c.native}})
			for _, at := range instants {
				for _, qt := range []struct {
					typ        string
					frame      int
					key, figs  []string
					wantedRows int
				}{
					{QueryStatus, 0, []string{"SLO"}, statusFigures, c.slos},
					{QueryAlerts, 1, []string{"SLO", "Long window", "Short window"}, alertFigures, 4 * c.slos},
				} {
					q := query("A", qt.typ, at.Add(-time.Hour), at, time.Minute, `{}`)
					a, b := run(t, theirs, q).Responses["A"], run(t, ours, q).Responses["A"]
					require.NoError(t, a.Error)
					require.NoError(t, b.Error)
					got := rowsBy(t, a.Frames[qt.frame], qt.key, qt.figs)
					want := rowsBy(t, b.Frames[qt.frame], qt.key, qt.figs)
					require.Len(t, want, qt.wantedRows, "%s at %s", qt.typ, at)
					require.Equal(t, len(want), len(got), "%s at %s: the same rows", qt.typ, at)
					for k, wv := range want {
						gv, ok := got[k]
						require.True(t, ok, "%s at %s: row %q", qt.typ, at, k)
						for i, col := range qt.figs {
							sameFigure(t, wv[i], gv[i], fmt.Sprintf("%s at %s: %s%s", qt.typ, at.Format(time.RFC3339), k, col))
						}
					}
				}
			}
		})
	}
}
