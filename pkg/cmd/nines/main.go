// Command nines checks SLO definitions and prints SLO reports from a Prometheus-compatible
// source, or from an embedded one holding the demo history, with the same packages as the
// Grafana plugin.
//
//	nines validate PATH...
//	nines rules PATH... [--out FILE]
//	nines report --prometheus URL --definitions PATH [--at TIME] [--format table|json|markdown|html] [--out FILE]
//	nines report --demo [--format ...]
//	nines demo openmetrics --out FILE
//	nines demo serve --listen :9100
//	nines --version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Usage lines of the commands.
const (
	synValidate        = "nines validate PATH..."
	synRules           = "nines rules PATH... [--out FILE]"
	synReport          = "nines report (--prometheus URL --definitions PATH | --demo) [--at TIME] [--format table|json|markdown|html] [--out FILE]"
	synDemoOpenMetrics = "nines demo openmetrics --out FILE"
	synDemoServe       = "nines demo serve [--listen :9100]"
)

const usage = `usage:
  nines validate PATH...
      check SLO definition files or folders; prints file:line: slo: message per error
  nines rules PATH... [--out FILE]
      write Prometheus recording and multiwindow burn-rate alerting rules for the SLOs
      (native, OpenSLO, Sloth or Pyrra definitions)
  nines report --prometheus URL --definitions PATH [--at TIME] [--format table|json|markdown|html] [--out FILE]
      print status, budgets, burn rates, history and the happiness test of every SLO;
      --format html writes one self-contained page with charts
  nines report --demo [--at TIME] [--format ...] [--out FILE]
      the same for the demo history, on an embedded source (no server needed)
  nines demo openmetrics --out FILE
      write the demo history as OpenMetrics text (for promtool tsdb create-blocks-from)
  nines demo serve [--listen :9100]
      serve live demo metrics for Prometheus to scrape
  nines --version
      print the version and the commit of this binary
  nines COMMAND --help
      print the usage of one command
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // invalid definitions, unreachable source, failed SLOs
	exitUsage   = 2
	errorPrefix = "nines: "
)

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "rules":
		return cmdRules(args[1:], stdout, stderr)
	case "report":
		return cmdReport(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprint(stdout, versionLine())
		return exitOK
	}
	fmt.Fprintf(stderr, "%sunknown command %q\n%s", errorPrefix, args[0], usage)
	return exitUsage
}
