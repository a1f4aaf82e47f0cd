package scalebench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run of the benchmark.
type Config struct {
	History    History
	CacheDir   string        // where generated blocks are kept between runs
	Prometheus string        // the prometheus binary
	Exe        string        // this program, started again in "serve" mode for the plugin
	Viewers    int           // concurrent viewers
	Calls      int           // status calls the viewers make in all
	ViewerSLOs int           // SLOs on the viewers' status panel
	HandConc   int           // hand-written queries in flight at once (as the plugin's maxConcurrency)
	Timeout    time.Duration // the plugin's query timeout (setting "timeout")
	Only       []string      // phases to run ("status", "budget", "viewers"); empty means all
	Refreshes  int           // status refreshes after the cold one; the last is reported (0 means 1)
	Log        io.Writer     // progress
}

// bench holds what every phase of a run shares.
type bench struct {
	cfg   Config
	work  string
	proxy *Proxy
	prom  promClient
	// promProc is the Prometheus process, for its CPU time.
	promProc *Prometheus
	inst     *instances
	from     time.Time // the dashboard's range: 30 days up to the end of the history
	to       time.Time
	res      Results
}

// Run generates (or finds) the history, starts Prometheus, the proxy and the plugin, and
// measures everything of issue 10 in one go.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	b := &bench{cfg: cfg, to: cfg.History.End, from: cfg.History.End.Add(-30 * 24 * time.Hour)}
	b.res = Results{History: cfg.History, CPUs: runtime.NumCPU(), Date: time.Now().UTC()}
	if _, err := exec.LookPath(cfg.Prometheus); err != nil {
		return nil, fmt.Errorf("prometheus not found at %s (Debian: apt-get install -y prometheus): %w", cfg.Prometheus, err)
	}
	t0 := time.Now()
	blocks, generated, err := cfg.History.Blocks(cfg.CacheDir, runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	b.res.Blocks, b.res.Generated, b.res.Generation = blocks, generated, time.Since(t0)
	debug.FreeOSMemory() // the block writer's head is garbage now
	b.logf("history: %s (%s)", blocks, map[bool]string{true: "generated in " + b.res.Generation.Round(time.Second).String(), false: "cached"}[generated])
	if b.work, err = os.MkdirTemp("", "nines-benchscale-run-*"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.work)
	t1 := time.Now()
	prom, err := StartPrometheus(cfg.Prometheus, blocks)
	if err != nil {
		return nil, err
	}
	defer prom.Stop()
	b.promProc = prom
	b.res.Startup = time.Since(t1)
	if b.proxy, err = StartProxy(prom.URL); err != nil {
		return nil, err
	}
	defer b.proxy.Stop()
	b.prom = promClient{base: b.proxy.URL, client: &http.Client{Timeout: 10 * time.Minute}}
	defs, err := writeDefinitions(b.work, cfg.History.Services)
	if err != nil {
		return nil, err
	}
	b.inst = &instances{url: b.proxy.URL, defs: defs, timeout: cfg.Timeout}
	b.logf("prometheus: %s, ready in %s; warming its page cache with the floor query", prom.URL, b.res.Startup.Round(time.Millisecond))
	if _, _, err := b.prom.runAll(ctx, []handQuery{floor(b.from, b.to, 30*24*time.Hour)}, 1); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	b.res.LoadBefore = loadAverage()
	for _, phase := range []struct {
		name string
		run  func(context.Context) error
	}{{"status", b.status}, {"budget", b.budget}, {"viewers", b.viewers}} {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, phase.name) {
			continue
		}
		if err := phase.run(ctx); err != nil {
			return &b.res, err
		}
	}
	b.res.LoadAfter = loadAverage()
	return &b.res, nil
}

func (b *bench) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		fmt.Fprintf(b.cfg.Log, "benchscale: "+format+"\n", args...)
	}
}

// startPlugin starts a fresh plugin process.
func (b *bench) startPlugin(name string) (*Plugin, error) {
	return StartPlugin(b.cfg.Exe, filepath.Join(b.work, name+".log"))
}

// status measures the status of every SLO by hand, then cold and refreshed in a fresh
// plugin process, with its peak RSS for each.
func (b *bench) status(ctx context.Context) error {
	b.proxy.Reset()
	took, series, err := b.prom.runAll(ctx, statusByHand(b.to, Objective), b.cfg.HandConc)
	if err != nil {
		return fmt.Errorf("status by hand: %w", err)
	}
	b.res.StatusHand = Measure{Took: took, Requests: b.proxy.Reset().Requests, Items: series}
	b.logf("status by hand: %s", b.res.StatusHand)
	p, err := b.startPlugin("status")
	if err != nil {
		return err
	}
	defer p.Stop()
	pctx, err := b.inst.fresh()
	if err != nil {
		return err
	}
	q := panelQuery("status", "", "", b.from, b.to)
	measures := []*Measure{&b.res.StatusCold}
	for i := 0; i < max(1, b.cfg.Refreshes); i++ {
		measures = append(measures, &b.res.StatusWarm)
	}
	for i, m := range measures {
		if i == 1 {
			if err := p.ResetPeakRSS(); err != nil {
				return err
			}
		}
		promCPU, err1 := b.promProc.CPU()
		plugCPU, err2 := p.CPU()
		o, err := ask(ctx, p, pctx, q)
		if err != nil {
			return err
		}
		promCPU2, err3 := b.promProc.CPU()
		plugCPU2, err4 := p.CPU()
		p.HeapProfile()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return err
		}
		if o.rows != b.cfg.History.Services || o.errors > 0 {
			return fmt.Errorf("status: %d rows (%d in error), want %d without errors", o.rows, o.errors, b.cfg.History.Services)
		}
		*m = Measure{Took: o.took, Requests: b.proxy.Reset().Requests, Items: o.rows, PromCPU: promCPU2 - promCPU, PluginCPU: plugCPU2 - plugCPU}
		if m.PeakRSS, err = p.PeakRSS(); err != nil {
			return err
		}
		b.logf("status %s: %s", map[bool]string{true: "cold", false: "refreshed"}[i == 0], m)
	}
	return nil
}

// budget measures the 30-day budget over 30 days for 1, 100 and all SLOs, each in a new
// plugin instance (an empty cache), against the hand-written per-SLO queries and, for
// all, against the floor.
func (b *bench) budget(ctx context.Context) error {
	p, err := b.startPlugin("budget")
	if err != nil {
		return err
	}
	defer p.Stop()
	all := b.cfg.History.Services
	for _, n := range slices.Compact([]int{min(1, all), min(100, all), all}) {
		pctx, err := b.inst.fresh()
		if err != nil {
			return err
		}
		b.proxy.Reset()
		o, err := ask(ctx, p, pctx, panelQuery("budget", selection(n, all), "30d", b.from, b.to))
		if err != nil {
			return err
		}
		row := BudgetRow{SLOs: n, Nines: Measure{Took: o.took, Requests: b.proxy.Reset().Requests, Items: o.rows}}
		services := make([]string, n)
		for i := range services {
			services[i] = Service(i)
		}
		took, series, err := b.prom.runAll(ctx, budgetByHand(services, b.from, b.to, time.Hour, Objective), b.cfg.HandConc)
		if err != nil {
			return fmt.Errorf("budget by hand, %d SLOs: %w", n, err)
		}
		row.Hand = Measure{Took: took, Requests: b.proxy.Reset().Requests, Items: series}
		b.logf("budget %d SLOs: Nines %s; by hand %s", n, row.Nines, row.Hand)
		b.res.Budget = append(b.res.Budget, row)
	}
	took, series, err := b.prom.runAll(ctx, []handQuery{floor(b.from, b.to, 30*24*time.Hour)}, 1)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	b.res.Floor = Measure{Took: took, Requests: b.proxy.Reset().Requests, Items: series}
	b.logf("floor: %s", b.res.Floor)
	return nil
}

// viewers measures many viewers at once, each asking the status of the same few SLOs
// over and over, in a fresh plugin process: the upstream requests against the distinct
// ones, and the latency of every call after each viewer's first.
func (b *bench) viewers(ctx context.Context) error {
	p, err := b.startPlugin("viewers")
	if err != nil {
		return err
	}
	defer p.Stop()
	pctx, err := b.inst.fresh()
	if err != nil {
		return err
	}
	n := min(b.cfg.ViewerSLOs, b.cfg.History.Services)
	q := panelQuery("status", selection(n, b.cfg.History.Services), "", b.from, b.to)
	b.proxy.Reset()
	var (
		next  atomic.Int64
		mu    sync.Mutex
		later []time.Duration
		first error
		wg    sync.WaitGroup
	)
	t0 := time.Now()
	for v := 0; v < b.cfg.Viewers; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for call := 0; next.Add(1) <= int64(b.cfg.Calls); call++ {
				o, err := ask(ctx, p, pctx, q)
				mu.Lock()
				if err == nil && o.rows != n {
					err = fmt.Errorf("viewers: status of %d SLOs gave %d rows", n, o.rows)
				}
				if err != nil && first == nil {
					first = err
				}
				if call > 0 {
					later = append(later, o.took)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	slices.Sort(later)
	b.res.Viewers = ViewerResult{Viewers: b.cfg.Viewers, Calls: b.cfg.Calls, SLOs: n, Counts: b.proxy.Reset(),
		Took: time.Since(t0), P50: percentile(later, 0.50), P99: percentile(later, 0.99), Later: len(later)}
	b.logf("viewers: %+v", b.res.Viewers)
	return nil
}

// loadAverage returns the machine's 1-minute load average, "?" where it cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// percentile returns the q-quantile of sorted durations (nearest rank), 0 when empty.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*q)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
