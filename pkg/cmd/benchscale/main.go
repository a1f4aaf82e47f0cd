// Command benchscale is the scale benchmark of issue 10: 1,000 SLOs over 35 days of
// minute scrapes, served by a real Prometheus, with the plugin in its own process called
// over gRPC as Grafana calls it. It prints one table of figures, ratios and targets.
//
//	go run ./pkg/cmd/benchscale [--slos 1000] [--days 35]
//
// "benchscale serve --addr HOST:PORT" is the plugin process the benchmark starts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/internal/scalebench"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "gRPC listen address")
		_ = fs.Parse(os.Args[2:])
		if err := scalebench.Serve(*addr); err != nil {
			fmt.Fprintln(os.Stderr, "benchscale serve:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg scalebench.Config
	end := flag.String("end", "2026-03-16T00:00:00Z", "the end of the history (RFC 3339); the dashboards look at the 30 days before it")
	flag.IntVar(&cfg.History.Services, "slos", 1000, "SLOs, one per service (2 series each)")
	flag.IntVar(&cfg.History.Days, "days", 35, "days of history at 1-minute scrapes")
	flag.Uint64Var(&cfg.History.Seed, "seed", 1, "seed of the synthetic traffic")
	flag.StringVar(&cfg.CacheDir, "cache", os.TempDir(), "folder that keeps the generated blocks between runs")
	flag.StringVar(&cfg.Prometheus, "prometheus", "/usr/bin/prometheus", "the prometheus binary (2.x)")
	flag.IntVar(&cfg.Viewers, "viewers", 50, "concurrent viewers")
	flag.IntVar(&cfg.Calls, "calls", 300, "status calls of the viewers in all")
	flag.IntVar(&cfg.ViewerSLOs, "viewer-slos", 10, "SLOs on the viewers' status panel")
	flag.IntVar(&cfg.HandConc, "hand-concurrency", 4, "hand-written queries in flight at once (the plugin's default maxConcurrency is 4)")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "the plugin's query timeout (its only setting changed from the defaults, so slow runs finish)")
	only := flag.String("only", "", "comma-separated phases to run (status, budget, viewers); empty runs all")
	flag.IntVar(&cfg.Refreshes, "refreshes", 1, "status refreshes after the cold one (for profiling the refresh); the last is reported")
	flag.Parse()
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	if cfg.History.Services < 1 || cfg.History.Days < 31 {
		return fmt.Errorf("--slos must be at least 1 and --days at least 31 (the SLO window is 30 days), got %d and %d", cfg.History.Services, cfg.History.Days)
	}
	if cfg.Viewers < 1 || cfg.Calls < cfg.Viewers {
		return fmt.Errorf("--viewers must be at least 1 and --calls at least --viewers, got %d and %d", cfg.Viewers, cfg.Calls)
	}
	t, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		return fmt.Errorf("--end %q: %w", *end, err)
	}
	cfg.History.End = t.UTC().Truncate(time.Minute)
	if cfg.Exe, err = os.Executable(); err != nil {
		return fmt.Errorf("find this program to start the plugin process: %w", err)
	}
	cfg.Log = os.Stderr
	res, err := scalebench.Run(context.Background(), cfg)
	if res != nil && err == nil {
		res.Table(os.Stdout)
		if n := res.Failed(); n > 0 {
			fmt.Printf("\n%d of the targets of issue 10 missed.\n", n)
		}
	}
	if err != nil {
		return err
	}
	return nil
}
