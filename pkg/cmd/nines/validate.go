package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nines-slo/nines/pkg/definitions"
)

// cmdValidate loads definition files the way the plugin does and prints every error.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate")
	if code, ok := parse(fs, synValidate, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%svalidate needs at least one definitions file or folder\n", errorPrefix)
		return exitUsage
	}
	res := definitions.Load(fs.Args(), "")
	for _, e := range res.Errors {
		fmt.Fprintln(stdout, e.Error())
	}
	empty := false
	for _, p := range fs.Args() {
		if !found(res, p) {
			fmt.Fprintf(stderr, "%sno SLO definitions found in %s\n", errorPrefix, p)
			empty = true
		}
	}
	if len(res.Errors) > 0 || empty {
		fmt.Fprintf(stderr, "%s valid, %s\n", plural(len(res.SLOs), "SLO", "SLOs"), plural(len(res.Errors), "error", "errors"))
		return exitFailed
	}
	fmt.Fprintf(stderr, "%s valid\n", plural(len(res.SLOs), "SLO", "SLOs"))
	return exitOK
}

// found tells whether the load read an SLO, valid or not, from path p (a file or a folder).
func found(res definitions.Result, p string) bool {
	in := func(file string) bool {
		rel, err := filepath.Rel(filepath.Clean(p), file)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	for _, s := range res.SLOs {
		if in(s.Source.File) {
			return true
		}
	}
	for _, e := range res.Errors {
		if in(e.File) {
			return true
		}
	}
	return false
}
