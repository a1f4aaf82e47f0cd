package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/nines-slo/nines/pkg/definitions"
)

// cmdValidate loads definition files the way the plugin does and prints every error.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%svalidate needs at least one definitions file or folder\n", errorPrefix)
		return exitUsage
	}
	res := definitions.Load(fs.Args(), "")
	for _, e := range res.Errors {
		fmt.Fprintln(stdout, e.Error())
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(stderr, "%d SLOs valid, %d errors\n", len(res.SLOs), len(res.Errors))
		return exitFailed
	}
	fmt.Fprintf(stderr, "%d SLOs valid\n", len(res.SLOs))
	return exitOK
}
