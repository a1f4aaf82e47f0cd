package main

import (
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// -h and --help, at the top and on every command, print the usage to stdout and exit 0.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "nines validate PATH..."},
		{[]string{"-h"}, "nines --version"},
		{[]string{"help"}, "nines COMMAND --help"},
		{[]string{"validate", "--help"}, "usage: nines validate PATH..."},
		{[]string{"validate", "-h"}, "usage: nines validate PATH..."},
		{[]string{"rules", "--help"}, "-out string"},
		{[]string{"rules", "PATH", "-h"}, "usage: nines rules PATH... [--out FILE]"},
		{[]string{"report", "--help"}, "output format: table, json, markdown or html"},
		{[]string{"report", "--demo", "-h"}, "usage: nines report"},
		{[]string{"demo", "--help"}, "usage: nines demo openmetrics --out FILE"},
		{[]string{"demo", "openmetrics", "-h"}, "usage: nines demo openmetrics --out FILE"},
		{[]string{"demo", "serve", "--help"}, "-listen string"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			require.Equal(t, exitOK, code, errs)
			require.Empty(t, errs)
			require.Contains(t, out, tc.want)
		})
	}
}

// A bad flag is a usage error: the error and the usage go to stderr, nothing to stdout.
func TestBadFlag(t *testing.T) {
	for _, args := range [][]string{{"report", "--bogus"}, {"validate", "--nope", "x"}, {"demo", "serve", "--port", "1"}} {
		code, out, errs := runCLI(t, args...)
		require.Equal(t, exitUsage, code, "%q", args)
		require.Empty(t, out)
		require.Regexp(t, `^nines: flag provided but not defined: -\w+\nusage: nines `, errs)
	}
}

// --version names the version and the commit.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, errs := runCLI(t, args...)
		require.Equal(t, exitOK, code)
		require.Empty(t, errs)
		require.Regexp(t, `^nines \S+, commit \S+`, out)
	}
	old := version
	t.Cleanup(func() { version = old })
	version = "v1.2.3"
	_, out, _ := runCLI(t, "--version")
	require.True(t, strings.HasPrefix(out, "nines v1.2.3, commit "), out)
}

func TestDescribeBuild(t *testing.T) {
	vcs := func(rev, modified string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/nines-slo/nines", Version: "(devel)"}}
		bi.Settings = []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
		return bi
	}
	for _, tc := range []struct {
		name, v, c string
		bi         *debug.BuildInfo
		want       string
	}{
		{"nothing known", "", "", nil, "nines devel, commit unknown\n"},
		{"go build in a clone", "", "", vcs("0376fa9abc", "false"), "nines devel, commit 0376fa9abc\n"},
		{"uncommitted changes", "", "", vcs("0376fa9abc", "true"), "nines devel, commit 0376fa9abc (modified)\n"},
		{"ldflags win", "v1.0.0", "feedbeef", vcs("0376fa9abc", "true"), "nines v1.0.0, commit feedbeef\n"},
		{"go install @version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "nines v0.4.0, commit unknown\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, describeBuild(tc.v, tc.c, tc.bi))
		})
	}
}

// Counts agree with their nouns.
func TestPluralForms(t *testing.T) {
	require.Equal(t, "1 error", plural(1, "error", "errors"))
	require.Equal(t, "0 errors", plural(0, "error", "errors"))
	require.Equal(t, "2 SLOs", plural(2, "SLO", "SLOs"))

	code, _, errs := runCLI(t, "validate", "testdata/precise.yaml")
	require.Equal(t, exitOK, code, errs)
	require.Equal(t, "1 SLO valid\n", errs)
	code, _, errs = runCLI(t, "validate", "testdata/bad.yaml")
	require.Equal(t, exitFailed, code)
	require.True(t, strings.HasSuffix(errs, "0 SLOs valid, 2 errors\n"), errs)
	code, _, errs = runCLI(t, "rules", "testdata/bad.yaml")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errs, "nines: 2 errors in the definitions: no rules written\n")
}

// Objectives print with the digits they were written with.
func TestObjectivePrecision(t *testing.T) {
	for in, want := range map[float64]string{0.99995: "99.995 %", 0.999: "99.9 %", 0.95: "95 %", 0.9999: "99.99 %", 0.99999: "99.999 %", 0.5: "50 %"} {
		require.Equal(t, want, objectiveOf(in), "%v", in)
	}
}

// An SLO without data: its objective as written, and "–" (not ∞) for the time to exhaustion.
func TestReportNoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo history")
	}
	code, out, errs := runCLI(t, "report", "--demo", "--quiet", "--definitions", "testdata/precise.yaml")
	require.Equal(t, exitOK, code, errs)
	row := regexp.MustCompile(`(?m)^ledger-writes .*$`).FindString(out)
	require.Regexp(t, `^ledger-writes\s+ledger\s+99\.995 %\s+7d\s+no data\s+no data\s+–\s+–\s+–\s+no data$`, row)
	require.NotContains(t, out, "∞")
	require.NotContains(t, out, "100.00 %")
}
