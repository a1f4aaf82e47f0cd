package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/demo"
	"github.com/nines-slo/nines/pkg/embedded"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// demoDefinitions is where the example definitions live, relative to the repository root.
const demoDefinitions = "provisioning/slos"

// listFlag collects a repeatable flag.
type listFlag []string

// String returns the values joined by commas.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds one value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// cmdReport prints the report of every SLO.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	r, code := parseReport(args, stdout, stderr)
	if r == nil {
		return code
	}
	switch {
	case r.demo && r.promURL != "":
		fmt.Fprintf(stderr, "%s--demo and --prometheus cannot be used together\n", errorPrefix)
		return exitUsage
	case r.demo:
		srv, code := r.startDemo(ctx)
		if code != exitOK {
			return code
		}
		defer srv.Close()
		r.promURL = srv.URL
	case r.promURL == "":
		fmt.Fprintf(stderr, "%sreport needs --prometheus URL (or --demo)\n", errorPrefix)
		return exitUsage
	}
	res, code := r.loadDefinitions()
	if code != exitOK {
		return code
	}
	if r.at.IsZero() {
		r.at = time.Now()
	}
	out, code := r.report(ctx, res.SLOs)
	if code != exitOK {
		return code
	}
	if err := r.write(stdout, out); err != nil {
		return r.fail("write report: %v", err)
	}
	return r.exitCode(out, len(res.Errors))
}

// reportRun is one run of nines report: its flags and where it tells of progress and errors.
type reportRun struct {
	promURL string
	defs    listFlag
	at      time.Time // zero: now, or the end of the demo history
	render  func(io.Writer, Output) error
	demo    bool
	timeout time.Duration
	quiet   bool
	out     string // file to write, or "" for stdout
	stderr  io.Writer
}

// parseReport reads the flags of nines report; on a usage error it returns the exit code.
func parseReport(args []string, stdout, stderr io.Writer) (*reportRun, int) {
	fs := newFlags("report")
	r := &reportRun{stderr: stderr}
	fs.StringVar(&r.promURL, "prometheus", "", "base URL of the Prometheus-compatible source")
	fs.Var(&r.defs, "definitions", "definitions file or folder (repeatable)")
	atFlag := fs.String("at", "", "report time (RFC 3339 or YYYY-MM-DD; default now, or the end of the demo history)")
	format := fs.String("format", "table", "output format: table, json, markdown or html")
	fs.StringVar(&r.out, "out", "", "write the report to this file instead of standard output")
	fs.BoolVar(&r.demo, "demo", false, "use an embedded source loaded with the demo history and the example definitions")
	fs.DurationVar(&r.timeout, "timeout", source.DefaultTimeout, "timeout of each request to the source")
	fs.BoolVar(&r.quiet, "quiet", false, "no progress on stderr")
	if code, ok := parse(fs, synReport, args, stdout, stderr); !ok {
		return nil, code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%sreport takes no arguments, got %q\n", errorPrefix, fs.Args())
		return nil, exitUsage
	}
	render, ok := renderers[*format]
	if !ok {
		fmt.Fprintf(stderr, "%sunknown format %q: use table, json, markdown or html\n", errorPrefix, *format)
		return nil, exitUsage
	}
	r.render = render
	if *atFlag != "" {
		t, err := parseAt(*atFlag)
		if err != nil {
			fmt.Fprintf(stderr, "%s--at: %v\n", errorPrefix, err)
			return nil, exitUsage
		}
		r.at = t
	}
	return r, exitOK
}

// write renders the report to stdout, or to the --out file.
func (r *reportRun) write(stdout io.Writer, out Output) error {
	if r.out == "" {
		return r.render(stdout, out)
	}
	f, err := os.Create(r.out)
	if err != nil {
		return err
	}
	if err := r.render(f, out); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", r.out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", r.out, err)
	}
	r.progress("report written to " + r.out)
	return nil
}

// progress tells of a step on stderr unless --quiet.
func (r *reportRun) progress(msg string) {
	if !r.quiet {
		fmt.Fprintf(r.stderr, "… %s\n", msg)
	}
}

// fail prints an error and returns the exit code of a failed run.
func (r *reportRun) fail(format string, args ...any) int {
	fmt.Fprintf(r.stderr, errorPrefix+format+"\n", args...)
	return exitFailed
}

// startDemo starts an embedded source with the demo history, defaulting the definitions to
// the examples and the report time to the history's end. On failure it returns the exit code.
func (r *reportRun) startDemo(ctx context.Context) (*embedded.Server, int) {
	if len(r.defs) == 0 {
		dir, err := findUp(demoDefinitions)
		if err != nil {
			return nil, r.fail("%v", err)
		}
		r.defs = listFlag{dir}
	}
	h := demo.Generate(demo.Default())
	if r.at.IsZero() {
		r.at = h.End()
	}
	r.progress(fmt.Sprintf("loading the demo history (%d series, %s to %s) into an embedded source", len(h.Series), h.Start.Format(time.DateOnly), h.End().Format(time.DateOnly)))
	srv, err := embedded.Start(ctx, h)
	if err != nil {
		return nil, r.fail("%v", err)
	}
	return srv, exitOK
}

// loadDefinitions loads the definitions and prints their errors; it fails when none is valid.
func (r *reportRun) loadDefinitions() (definitions.Result, int) {
	if len(r.defs) == 0 {
		fmt.Fprintf(r.stderr, "%sreport needs --definitions PATH\n", errorPrefix)
		return definitions.Result{}, exitUsage
	}
	for _, p := range r.defs {
		if _, err := os.Stat(p); err != nil {
			return definitions.Result{}, r.fail("definitions path %s: %v", p, unwrapPathErr(err))
		}
	}
	res := definitions.Load(r.defs, "")
	for _, e := range res.Errors {
		fmt.Fprintf(r.stderr, "%s\n", e.Error())
	}
	if len(res.SLOs) == 0 {
		return res, r.fail("no valid SLO definitions in %s", strings.Join(r.defs, ", "))
	}
	return res, exitOK
}

// report asks the source for the report of the SLOs at r.at and maps it to the printed figures.
func (r *reportRun) report(ctx context.Context, slos []*slo.SLO) (Output, int) {
	src, err := source.New(source.Config{URL: r.promURL, Timeout: r.timeout, CacheEntries: 256, SplitPoints: source.SplitForParallel})
	if err != nil {
		return Output{}, r.fail("%v", err)
	}
	version, err := src.Version(ctx)
	if err != nil {
		return Output{}, r.fail("metrics source %s does not answer: %v", src.URL(), err)
	}
	r.progress(fmt.Sprintf("source %s (version %s), %s at %s", src.URL(), version, plural(len(slos), "SLO", "SLOs"), r.at.UTC().Format(time.RFC3339)))
	rep := engine.New(src).Report(ctx, slos, r.at, engine.ReportOptions{Progress: r.progress})
	return buildOutput(rep, src.URL(), version, r.demo), exitOK
}

// exitCode counts the problems (invalid definitions, failed SLOs and happiness tests), says
// how many on stderr, and returns the exit code.
func (r *reportRun) exitCode(out Output, invalid int) int {
	failed := invalid
	for _, s := range out.SLOs {
		if s.Error != "" {
			failed++
		}
		for _, h := range s.Happiness {
			if h.Error != "" {
				failed++
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(r.stderr, "%s reported, %s (see above)\n", plural(len(out.SLOs), "SLO", "SLOs"), plural(failed, "problem", "problems"))
		return exitFailed
	}
	return exitOK
}

// unwrapPathErr says why a path failed without repeating the path.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, os.ErrNotExist) {
			return errors.New("does not exist")
		}
		return pe.Err
	}
	return err
}

// parseAt reads RFC 3339 or a date (midnight UTC).
func parseAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-03-16T00:00:00Z) nor a date (2026-03-16)", s)
}

// findUp looks for rel in the working directory and its parents.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find %s in this folder or its parents: run from the Nines repository or give --definitions", rel)
		}
		dir = parent
	}
}
