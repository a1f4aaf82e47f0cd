package main

import (
	"context"
	"errors"
	"flag"
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
	"github.com/nines-slo/nines/pkg/source"
)

// demoDefinitions is where the example definitions live, relative to the repository root.
const demoDefinitions = "provisioning/slos"

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// cmdReport prints the report of every SLO.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	promURL := fs.String("prometheus", "", "base URL of the Prometheus-compatible source")
	var defs listFlag
	fs.Var(&defs, "definitions", "definitions file or folder (repeatable)")
	atFlag := fs.String("at", "", "report time (RFC 3339 or YYYY-MM-DD; default now, or the end of the demo history)")
	format := fs.String("format", "table", "output format: table, json or markdown")
	useDemo := fs.Bool("demo", false, "use an embedded source loaded with the demo history and the example definitions")
	timeout := fs.Duration("timeout", source.DefaultTimeout, "timeout of each request to the source")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%sreport takes no arguments, got %q\n", errorPrefix, fs.Args())
		return exitUsage
	}
	render, ok := renderers[*format]
	if !ok {
		fmt.Fprintf(stderr, "%sunknown format %q: use table, json or markdown\n", errorPrefix, *format)
		return exitUsage
	}
	progress := func(msg string) {
		if !*quiet {
			fmt.Fprintf(stderr, "… %s\n", msg)
		}
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, errorPrefix+format+"\n", args...)
		return exitFailed
	}
	var at time.Time
	if *atFlag != "" {
		t, err := parseAt(*atFlag)
		if err != nil {
			fmt.Fprintf(stderr, "%s--at: %v\n", errorPrefix, err)
			return exitUsage
		}
		at = t
	}
	switch {
	case *useDemo && *promURL != "":
		fmt.Fprintf(stderr, "%s--demo and --prometheus cannot be used together\n", errorPrefix)
		return exitUsage
	case *useDemo:
		if len(defs) == 0 {
			dir, err := findUp(demoDefinitions)
			if err != nil {
				return fail("%v", err)
			}
			defs = listFlag{dir}
		}
		h := demo.Generate(demo.Default())
		if at.IsZero() {
			at = h.End()
		}
		progress(fmt.Sprintf("loading the demo history (%d series, %s to %s) into an embedded source", len(h.Series), h.Start.Format(time.DateOnly), h.End().Format(time.DateOnly)))
		srv, err := embedded.Start(ctx, h)
		if err != nil {
			return fail("%v", err)
		}
		defer srv.Close()
		*promURL = srv.URL
	case *promURL == "":
		fmt.Fprintf(stderr, "%sreport needs --prometheus URL (or --demo)\n", errorPrefix)
		return exitUsage
	}
	if len(defs) == 0 {
		fmt.Fprintf(stderr, "%sreport needs --definitions PATH\n", errorPrefix)
		return exitUsage
	}
	for _, p := range defs {
		if _, err := os.Stat(p); err != nil {
			return fail("definitions path %s: %v", p, unwrapPathErr(err))
		}
	}
	res := definitions.Load(defs, "")
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "%s\n", e.Error())
	}
	if len(res.SLOs) == 0 {
		return fail("no valid SLO definitions in %s", strings.Join(defs, ", "))
	}
	if at.IsZero() {
		at = time.Now()
	}
	src, err := source.New(source.Config{URL: *promURL, Timeout: *timeout, CacheEntries: 256, SplitPoints: source.SplitForParallel})
	if err != nil {
		return fail("%v", err)
	}
	version, err := src.Version(ctx)
	if err != nil {
		return fail("metrics source %s does not answer: %v", src.URL(), err)
	}
	progress(fmt.Sprintf("source %s (version %s), %d SLOs at %s", src.URL(), version, len(res.SLOs), at.UTC().Format(time.RFC3339)))
	rep := engine.New(src).Report(ctx, res.SLOs, at, engine.ReportOptions{Progress: progress})
	out := buildOutput(rep, src.URL(), version, *useDemo)
	if err := render(stdout, out); err != nil {
		return fail("write report: %v", err)
	}
	failed := len(res.Errors)
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
		fmt.Fprintf(stderr, "%d SLOs reported, %d problems (see above)\n", len(out.SLOs), failed)
		return exitFailed
	}
	return exitOK
}

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
