// Package scalebench is the scale benchmark of issue 10: a large synthetic history written
// straight into TSDB blocks, served by a real Prometheus behind a counting proxy, and the
// plugin run as a separate process and called over gRPC as Grafana calls it.
package scalebench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// generatorVersion changes the cache key when the generated history changes.
const generatorVersion = "1"

// History describes the synthetic history: Services services, each with
// http_requests_total{service="svc-NNNN",code="200"|"500"} scraped once a minute for Days
// days ending at End.
type History struct {
	Services int
	Days     int
	End      time.Time
	Seed     uint64
}

// Start is the time of the first scrape window.
func (h History) Start() time.Time { return h.End.Add(-time.Duration(h.Days) * 24 * time.Hour) }

// Service returns the name of service i.
func Service(i int) string { return fmt.Sprintf("svc-%04d", i) }

// key names the cached blocks of this history.
func (h History) key() string {
	d := sha256.Sum256(fmt.Appendf(nil, "nines-benchscale %s %d %d %d %d", generatorVersion, h.Services, h.Days, h.End.UnixMilli(), h.Seed))
	return hex.EncodeToString(d[:])[:16]
}

// profile is how one service behaves: its traffic, its error ratio and its scrapes.
type profile struct {
	perMinute float64 // mean requests per minute
	errRatio  float64 // share of requests answered 500, outside incidents
	phase     int64   // scrape offset inside the minute, ms
	// incident: from incStart to the end of the history the error ratio is incRatio.
	incStart time.Time
	incRatio float64
	// restart, when not zero, is the minute of a process restart (both counters reset).
	restart time.Time
	missed  float64 // chance that a scrape is missed
}

// profileOf draws service i's behaviour from its own random stream.
func (h History) profileOf(i int, rng *rand.Rand) profile {
	p := profile{
		perMinute: 20 * math.Exp(rng.Float64()*math.Log(100)), // 20 to 2,000 a minute
		errRatio:  0.00005 + rng.Float64()*0.0006,             // well inside a 99.9 % objective
		phase:     1000 + rng.Int64N(58000),                   // off the minute grid
		missed:    0.001 + rng.Float64()*0.004,
	}
	switch {
	case i%97 == 13: // slow burn over the last days: the budget runs out
		p.incStart = h.End.Add(-time.Duration(2+rng.IntN(5)) * 24 * time.Hour)
		p.incRatio = 0.004 + rng.Float64()*0.01
	case i%89 == 7: // a fast burn in the last hours: pages
		p.incStart = h.End.Add(-time.Duration(30+rng.IntN(240)) * time.Minute)
		p.incRatio = 0.02 + rng.Float64()*0.05
	}
	if i%151 == 3 {
		p.restart = h.Start().Add(time.Duration(1+rng.IntN(h.Days*1440-2)) * time.Minute)
	}
	return p
}

// scrapes calls emit for each sample of service i: its timestamp (ms) and the two counters.
func (h History) scrapes(i int, emit func(t int64, ok, bad float64) error) error {
	rng := newRand(h.Seed, i)
	p := h.profileOf(i, rng)
	ok := math.Floor(rng.Float64() * 1e6) // the process has been up for a while
	bad := math.Floor(rng.Float64() * 1e3)
	start := h.Start()
	minutes := h.Days * 1440
	dayPhase := rng.Float64() * 2 * math.Pi
	for m := 0; m < minutes; m++ {
		at := start.Add(time.Duration(m) * time.Minute)
		if !p.restart.IsZero() && at.Equal(p.restart) {
			ok, bad = 0, 0
		}
		daily := 1 + 0.4*math.Sin(2*math.Pi*float64(at.Unix()%86400)/86400+dayPhase)
		n := stochasticRound(p.perMinute*daily*(0.9+0.2*rng.Float64()), rng)
		ratio := p.errRatio
		if !p.incStart.IsZero() && !at.Before(p.incStart) {
			ratio = p.incRatio
		}
		e := math.Min(n, stochasticRound(n*ratio, rng))
		ok += n - e
		bad += e
		if rng.Float64() < p.missed {
			continue // the scrape was missed; the traffic goes on
		}
		t := at.UnixMilli() + p.phase + rng.Int64N(101) - 50 // ±50 ms jitter
		if err := emit(t, ok, bad); err != nil {
			return err
		}
	}
	return nil
}

// newRand returns service i's own random stream.
func newRand(seed uint64, i int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(i))) }

// stochasticRound rounds x down or up with the chance of its fraction, so counts stay integers with the right mean.
func stochasticRound(x float64, rng *rand.Rand) float64 {
	f := math.Floor(x)
	if rng.Float64() < x-f {
		f++
	}
	return f
}

// Blocks returns a folder of TSDB blocks holding the history, generated under cacheDir
// (a folder named by the history's parameters) unless it is there already. generated
// says whether it was written now.
func (h History) Blocks(cacheDir string, workers int) (dir string, generated bool, err error) {
	dir = filepath.Join(cacheDir, "nines-benchscale-"+h.key())
	if ok, _ := hasBlocks(dir); ok {
		return dir, false, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", false, fmt.Errorf("cache folder %s: %w", cacheDir, err)
	}
	work, err := os.MkdirTemp(cacheDir, "nines-benchscale-build-*")
	if err != nil {
		return "", false, fmt.Errorf("cache folder %s: %w", cacheDir, err)
	}
	defer os.RemoveAll(work)
	out := filepath.Join(work, "blocks")
	if err := h.write(out, workers); err != nil {
		return "", false, err
	}
	_ = os.RemoveAll(dir) // a partial leftover without blocks
	if err := os.Rename(out, dir); err != nil {
		return "", false, fmt.Errorf("move blocks to %s: %w", dir, err)
	}
	return dir, true, nil
}

// write appends every sample through the Prometheus module's block writer and flushes one block.
func (h History) write(out string, workers int) error {
	span := int64(h.Days) * int64(24*time.Hour/time.Millisecond)
	// The head refuses samples older than half its chunk range behind its newest sample;
	// services are written one after the other, so the range must exceed twice the span.
	w, err := tsdb.NewBlockWriter(slog.New(slog.DiscardHandler), out, 4*span+int64(time.Hour/time.Millisecond))
	if err != nil {
		return fmt.Errorf("block writer in %s: %w", out, err)
	}
	defer w.Close()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := h.appendService(w, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var failed error
feed:
	for i := 0; i < h.Services; i++ {
		select {
		case next <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed == nil {
		select {
		case failed = <-errs:
		default:
		}
	}
	if failed != nil {
		return failed
	}
	if _, err := w.Flush(context.Background()); err != nil {
		return fmt.Errorf("flush block to %s: %w", out, err)
	}
	return nil
}

// appendService appends the two series of service i and commits them.
func (h History) appendService(w *tsdb.BlockWriter, i int) error {
	svc := Service(i)
	okL := labels.FromStrings("__name__", "http_requests_total", "code", "200", "service", svc)
	badL := labels.FromStrings("__name__", "http_requests_total", "code", "500", "service", svc)
	app := w.Appender(context.Background())
	var okRef, badRef storage.SeriesRef
	n := 0
	err := h.scrapes(i, func(t int64, ok, bad float64) error {
		var err error
		if okRef, err = app.Append(okRef, okL, t, ok); err != nil {
			return fmt.Errorf("append %s at %d: %w", okL, t, err)
		}
		if badRef, err = app.Append(badRef, badL, t, bad); err != nil {
			return fmt.Errorf("append %s at %d: %w", badL, t, err)
		}
		if n++; n%20000 == 0 {
			if err := app.Commit(); err != nil {
				return fmt.Errorf("commit %s: %w", svc, err)
			}
			app = w.Appender(context.Background())
		}
		return nil
	})
	if err != nil {
		_ = app.Rollback()
		return err
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", svc, err)
	}
	return nil
}

func hasBlocks(dir string) (bool, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	return err == nil && len(m) > 0, err
}
