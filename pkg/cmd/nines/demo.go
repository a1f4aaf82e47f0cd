package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nines-slo/nines/pkg/demo"
)

// cmdDemo runs "demo openmetrics" and "demo serve".
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "%sdemo needs a subcommand: openmetrics or serve\n", errorPrefix)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(stdout, "usage: %s\n       %s\n", synDemoOpenMetrics, synDemoServe)
		return exitOK
	case "openmetrics":
		fs := newFlags("demo openmetrics")
		out := fs.String("out", "", "file to write (- for stdout)")
		if code, ok := parse(fs, synDemoOpenMetrics, args[1:], stdout, stderr); !ok {
			return code
		}
		if *out == "" {
			fmt.Fprintf(stderr, "%sdemo openmetrics needs --out FILE\n", errorPrefix)
			return exitUsage
		}
		if err := writeOpenMetrics(*out, stdout); err != nil {
			fmt.Fprintf(stderr, "%s%v\n", errorPrefix, err)
			return exitFailed
		}
		return exitOK
	case "serve":
		fs := newFlags("demo serve")
		listen := fs.String("listen", ":9100", "address to serve /metrics on")
		if code, ok := parse(fs, synDemoServe, args[1:], stdout, stderr); !ok {
			return code
		}
		if err := serve(ctx, *listen, stderr); err != nil {
			fmt.Fprintf(stderr, "%s%v\n", errorPrefix, err)
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "%sunknown demo subcommand %q: use openmetrics or serve\n", errorPrefix, args[0])
	return exitUsage
}

func writeOpenMetrics(path string, stdout io.Writer) error {
	h := demo.Generate(demo.Default())
	if path == "-" {
		return h.WriteOpenMetrics(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo openmetrics: %w", err)
	}
	if err := h.WriteOpenMetrics(f); err != nil {
		f.Close()
		return fmt.Errorf("demo openmetrics: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("demo openmetrics: close %s: %w", path, err)
	}
	return nil
}

// workload holds the live demo metrics: the demo history's names and labels, at the
// current time, with a small workload (about a tenth of the history's traffic).
type workload struct {
	reqs              *prometheus.CounterVec
	dur               *prometheus.HistogramVec
	sreq, serr        prometheus.Counter
	tickets           prometheus.Counter
	probe             prometheus.Gauge
	rng               *rand.Rand
	pendingErrs, errs float64
}

func newWorkload(reg prometheus.Registerer) *workload {
	w := &workload{
		reqs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Checkout requests.", ConstLabels: prometheus.Labels{"job": "checkout"}}, []string{"code"}),
		dur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Checkout request duration.",
			ConstLabels: prometheus.Labels{"job": "checkout"}, Buckets: []float64{0.1, 0.25, 0.5, 1}}, nil),
		sreq:    prometheus.NewCounter(prometheus.CounterOpts{Name: "search_requests_total", Help: "Search requests.", ConstLabels: prometheus.Labels{"job": "search"}}),
		serr:    prometheus.NewCounter(prometheus.CounterOpts{Name: "search_errors_total", Help: "Search errors.", ConstLabels: prometheus.Labels{"job": "search"}}),
		tickets: prometheus.NewCounter(prometheus.CounterOpts{Name: "support_tickets_total", Help: "Support tickets.", ConstLabels: prometheus.Labels{"product": "checkout"}}),
		probe:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "probe_success", Help: "Checkout probe.", ConstLabels: prometheus.Labels{"job": "blackbox", "instance": "checkout"}}),
		rng:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)),
	}
	reg.MustRegister(w.reqs, w.dur, w.sreq, w.serr, w.tickets, w.probe)
	w.reqs.WithLabelValues("200")
	w.reqs.WithLabelValues("500")
	w.probe.Set(1)
	return w
}

func (w *workload) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*w.rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= w.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// tick adds one second of traffic at t: a daily cycle, a baseline error ratio of 0.05 %,
// and, for 5 minutes of every hour, an incident at 10 %.
func (w *workload) tick(t time.Time) {
	h := float64(t.Hour()) + float64(t.Minute())/60
	perSec := (2 + 6*(1+math.Cos(2*math.Pi*(h-15)/24))/2) // 2–8 req/s
	ratio := 0.0005
	if t.Minute() >= 30 && t.Minute() < 35 {
		ratio = 0.10
	}
	n := w.poisson(perSec)
	for i := 0; i < n; i++ {
		code := "200"
		slow := ratio > 0.01
		if w.rng.Float64() < ratio {
			code = "500"
			w.errs++
		}
		w.reqs.WithLabelValues(code).Inc()
		d := 0.03 + w.rng.ExpFloat64()*0.05
		if slow {
			d *= 6
		}
		w.dur.WithLabelValues().Observe(d)
	}
	sn := w.poisson(perSec / 4)
	w.sreq.Add(float64(sn))
	for i := 0; i < sn; i++ {
		if w.rng.Float64() < 0.001 {
			w.serr.Inc()
		}
	}
	// Tickets: about 2 per hour plus 2 % of the checkout errors, a minute later.
	if w.rng.Float64() < 2.0/3600 {
		w.tickets.Inc()
	}
	if t.Second() == 0 {
		w.tickets.Add(math.Round(0.02 * w.pendingErrs))
		w.pendingErrs, w.errs = w.errs, 0
	}
	if ratio > 0.01 && w.rng.Float64() < 0.2 {
		w.probe.Set(0)
	} else {
		w.probe.Set(1)
	}
}

func serve(ctx context.Context, listen string, stderr io.Writer) error {
	reg := prometheus.NewRegistry()
	w := newWorkload(reg)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("demo serve: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "serving demo metrics on http://%s/metrics\n", ln.Addr())
	go func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = srv.Shutdown(shut)
				cancel()
				return
			case t := <-tk.C:
				w.tick(t.UTC())
			}
		}
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demo serve: %w", err)
	}
	return nil
}
