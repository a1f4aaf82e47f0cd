package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/internal/promtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidate(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "../../../provisioning/slos")
	require.Equal(t, exitOK, code)
	require.Empty(t, out)

	code, out, errs := runCLI(t, "validate", "testdata/bad.yaml", "../../../provisioning/slos/checkout.yaml")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "testdata/bad.yaml:3: Bad_Name: ")
	require.Contains(t, out, "objective")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		require.Regexp(t, `^testdata/bad\.yaml:\d+: `, line)
	}
	require.Contains(t, errs, "2 SLOs valid")

	code, out, _ = runCLI(t, "validate", "no/such/file.yaml")
	require.Equal(t, exitFailed, code)
	require.Equal(t, 1, strings.Count(out, "\n"), out)
	require.Contains(t, out, "no/such/file.yaml")

	code, _, _ = runCLI(t, "validate")
	require.Equal(t, exitUsage, code)
}

func TestValidateNoSLOs(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not definitions"), 0o600))
	code, out, errs := runCLI(t, "validate", dir)
	require.Equal(t, exitFailed, code)
	require.Empty(t, out)
	require.Equal(t, "nines: no SLO definitions found in "+dir+"\n0 SLOs valid, 0 errors\n", errs)

	// Each path must hold some.
	code, _, errs = runCLI(t, "validate", "../../../provisioning/slos", dir)
	require.Equal(t, exitFailed, code)
	require.Contains(t, errs, "nines: no SLO definitions found in "+dir+"\n")

	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("# nothing yet\n"), 0o600))
	code, _, errs = runCLI(t, "validate", empty)
	require.Equal(t, exitFailed, code)
	require.Contains(t, errs, "nines: no SLO definitions found in "+empty+"\n")
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"report"}, {"report", "--format", "xml", "--demo"},
		{"report", "--demo", "--prometheus", "http://x"}, {"report", "--prometheus", "http://127.0.0.1:1"},
		{"report", "--at", "yesterday", "--demo"}, {"demo"}, {"demo", "openmetrics"},
	} {
		code, _, _ := runCLI(t, args...)
		require.Equal(t, exitUsage, code, "%q", args)
	}
}

func TestReportBadInput(t *testing.T) {
	code, out, errs := runCLI(t, "report", "--prometheus", "http://127.0.0.1:1", "--definitions", "no/such/dir")
	require.Equal(t, exitFailed, code)
	require.Empty(t, out)
	require.Equal(t, "nines: definitions path no/such/dir: does not exist\n", errs)

	code, out, errs = runCLI(t, "report", "--quiet", "--prometheus", "http://127.0.0.1:1", "--definitions", "../../../provisioning/slos", "--timeout", "2s")
	require.Equal(t, exitFailed, code)
	require.Empty(t, out)
	require.Equal(t, 1, strings.Count(errs, "\n"), errs)
	require.True(t, strings.HasPrefix(errs, "nines: metrics source http://127.0.0.1:1 does not answer: "), errs)
}

// The demo report, in every format, against golden files (go test -update rewrites them).
func TestReportDemoGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo history")
	}
	for _, format := range []string{"table", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			code, out, errs := runCLI(t, "report", "--demo", "--format", format)
			require.Equal(t, exitOK, code, errs)
			require.Contains(t, errs, "loading the demo history", "progress goes to stderr")
			// The embedded source's port changes from run to run.
			golden := filepath.Join("testdata", "demo-report."+map[string]string{"table": "txt", "markdown": "md", "json": "json"}[format])
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), out)
			if format == "json" {
				var o Output
				require.NoError(t, json.Unmarshal([]byte(out), &o))
				require.Len(t, o.SLOs, 3)
				require.Equal(t, "checkout-availability", o.SLOs[0].Name)
				require.Equal(t, "breached", o.SLOs[0].Status)
				require.Equal(t, "strong", o.SLOs[0].Happiness[0].Strength)
				require.Equal(t, "1h", o.SLOs[0].Happiness[0].BestLag)
			}
		})
	}
}

func TestMain(m *testing.M) { promtest.Main(m) }

// The report on the embedded source equals the report on a real Prometheus 2.42 holding
// the same history, figure for figure.
func TestReportEmbeddedEqualsPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and loads the demo history")
	}
	srv := promtest.Shared(t)
	code, real, errs := runCLI(t, "report", "--quiet", "--format", "json", "--prometheus", srv.URL,
		"--definitions", "../../../provisioning/slos", "--at", "2026-03-16T00:00:00Z")
	require.Equal(t, exitOK, code, errs)
	code, emb, errs := runCLI(t, "report", "--quiet", "--format", "json", "--demo")
	require.Equal(t, exitOK, code, errs)
	var a, b Output
	require.NoError(t, json.Unmarshal([]byte(real), &a))
	require.NoError(t, json.Unmarshal([]byte(emb), &b))
	require.NotEqual(t, a.Version, b.Version)
	a.Source, a.Version, b.Source, b.Version = "", "", "", ""
	require.Equal(t, a, b)
}

// A calendar SLO gets its happiness test over 28 days; a signal that yields several
// series is a problem in the report (and exit 1), while the other figures are printed.
func TestReportSignalError(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo history")
	}
	code, out, errs := runCLI(t, "report", "--demo", "--quiet", "--format", "markdown", "--definitions", "testdata/calendar.yaml", "--at", "2026-02-20")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errs, "1 SLO reported, 1 problem (see above)")
	require.Contains(t, out, "| checkout-monthly | checkout | 99.5 % | month | 99.446 % |")
	require.Contains(t, out, "| checkout-monthly | tickets | 672 × 1h |")
	require.Contains(t, out, `returned 2 series`)
	require.Contains(t, out, "set combine: sum|avg|max|min")
}
