package scalebench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/nines-slo/nines/pkg/internal/testproc"
)

// Prometheus is a running Prometheus serving a copy of the blocks.
type Prometheus struct {
	// URL is its HTTP API's base URL.
	URL  string
	proc *testproc.Proc
	dir  string
}

// StartPrometheus starts bin (the prometheus binary) on a free port of 127.0.0.1 with the
// blocks in a fresh data folder (hard links, or copies where links fail), a retention of
// 100 years and room for the hand-written queries' samples.
func StartPrometheus(bin, blocks string) (*Prometheus, error) {
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("prometheus not found at %s (Debian: apt-get install -y prometheus): %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "nines-benchscale-prom-*")
	if err != nil {
		return nil, err
	}
	p := &Prometheus{dir: dir}
	data := filepath.Join(dir, "data")
	if err := testproc.CopyTree(blocks, data, true); err != nil {
		p.Stop()
		return nil, fmt.Errorf("data folder from %s: %w", blocks, err)
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n"), 0o644); err != nil {
		p.Stop()
		return nil, err
	}
	args := func(addr string) []string {
		return []string{"--config.file=" + config, "--storage.tsdb.path=" + data, "--storage.tsdb.retention.time=100y",
			"--web.listen-address=" + addr, "--query.max-samples=500000000", "--log.level=warn"}
	}
	p.proc, err = testproc.Start("benchscale: prometheus", bin, args, filepath.Join(dir, "prometheus.log"), "/-/ready", 3*time.Minute)
	if err != nil {
		p.Stop()
		return nil, err
	}
	p.URL = p.proc.URL
	return p, nil
}

// CPU is the CPU time Prometheus has used so far.
func (p *Prometheus) CPU() (time.Duration, error) { return cpuTime(p.proc.Pid()) }

// Stop stops Prometheus and removes its data folder.
func (p *Prometheus) Stop() {
	if p.proc != nil {
		p.proc.Stop()
	}
	_ = os.RemoveAll(p.dir)
}

// Proxy is a reverse proxy in front of the metrics source that counts the requests it
// passes on and the distinct ones among them (same path and the same parameters, from
// the URL or a form body).
type Proxy struct {
	// URL is the proxy's base URL.
	URL string

	srv      *http.Server
	mu       sync.Mutex
	requests int
	distinct map[string]int
	log      *os.File
}

// Counts are the requests a proxy passed on since its last Reset.
type Counts struct {
	Requests int
	Distinct int
}

// StartProxy starts a counting reverse proxy to upstream on a free port of 127.0.0.1.
func StartProxy(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("proxy upstream %q: %w", upstream, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), distinct: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := p.count(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t0 := time.Now()
		rp.ServeHTTP(w, r)
		if p.log != nil {
			// BENCHSCALE_QUERYLOG: each request's time, for finding where the time goes.
			p.mu.Lock()
			fmt.Fprintf(p.log, "%.3f\t%s\t%s\n", time.Since(t0).Seconds(), r.URL.Path, r.Form.Encode())
			p.mu.Unlock()
		}
	}), ReadHeaderTimeout: 10 * time.Second}
	if path := os.Getenv("BENCHSCALE_QUERYLOG"); path != "" {
		if p.log, err = os.Create(path); err != nil {
			return nil, fmt.Errorf("query log: %w", err)
		}
	}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// count records r under its path and parameters, leaving its body readable.
func (p *Proxy) count(r *http.Request) error {
	params := r.URL.Query()
	if r.Body != nil && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("proxy: read request body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return fmt.Errorf("proxy: request body is not a form: %w", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
		r.Form = form
	}
	key := r.URL.Path + "?" + params.Encode()
	if r.Body != nil && r.Header.Get("Content-Type") == "application/x-protobuf" {
		// A remote read: its question is the body.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("proxy: read request body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		key += "#" + hex.EncodeToString(sum[:])
	}
	p.mu.Lock()
	p.requests++
	p.distinct[key]++
	p.mu.Unlock()
	return nil
}

// Reset returns the counts so far and starts counting afresh.
func (p *Proxy) Reset() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := Counts{Requests: p.requests, Distinct: len(p.distinct)}
	p.requests, p.distinct = 0, map[string]int{}
	return c
}

// Stop closes the proxy.
func (p *Proxy) Stop() { _ = p.srv.Close() }
