package scalebench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nines-slo/nines/pkg/internal/testproc"
	"github.com/nines-slo/nines/pkg/plugin"
)

// Serve runs the plugin's data source over the SDK's gRPC test harness on addr until
// the process gets SIGINT or SIGTERM. It is the body of the benchmark's "serve" mode.
func Serve(addr string) error {
	tp, err := datasourcetest.Manage(plugin.NewDatasource, datasourcetest.ManageOpts{Address: addr})
	if err != nil {
		return fmt.Errorf("serve the plugin on %s: %w", addr, err)
	}
	if path := os.Getenv("BENCHSCALE_CPUPROFILE"); path != "" {
		// Profile the plugin process, for finding where its time goes.
		f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	if path := os.Getenv("BENCHSCALE_HEAPPROFILE"); path != "" {
		// A heap profile on each SIGUSR1 (sent after each status call), for finding
		// what the plugin's memory holds.
		usr := make(chan os.Signal, 1)
		signal.Notify(usr, syscall.SIGUSR1)
		go func() {
			for n := 0; ; n++ {
				<-usr
				runtime.GC()
				if f, err := os.Create(fmt.Sprintf("%s.%d.%d", path, os.Getpid(), n)); err == nil {
					_ = pprof.WriteHeapProfile(f)
					_ = f.Close()
				}
			}
		}()
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return tp.Shutdown()
}

// Plugin is the plugin running in its own process, and a gRPC client to it.
type Plugin struct {
	cmd  *exec.Cmd
	conn *grpc.ClientConn
	data pluginv2.DataClient
	done chan struct{}
}

// StartPlugin starts exe with the arguments "serve --addr <addr>" on a free port of
// 127.0.0.1, its output into logPath, and connects to it.
func StartPlugin(exe, logPath string) (*Plugin, error) {
	port, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "serve", "--addr", addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the plugin process: %w", err)
	}
	p := &Plugin{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("the plugin process exited before it listened on %s (see %s)", addr, logPath)
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("the plugin process did not listen on %s within 30s (see %s)", addr, logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30)))
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("connect to the plugin on %s: %w", addr, err)
	}
	p.data = pluginv2.NewDataClient(p.conn)
	return p, nil
}

// QueryData sends r as Grafana does and decodes the answer.
func (p *Plugin) QueryData(ctx context.Context, r *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp, err := p.data.QueryData(ctx, backend.ToProto().QueryDataRequest(r))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(resp)
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes.
func (p *Plugin) PeakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("peak RSS: VmHWM %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("peak RSS: no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
}

// HeapProfile asks the plugin for a heap profile when BENCHSCALE_HEAPPROFILE is set.
func (p *Plugin) HeapProfile() {
	if os.Getenv("BENCHSCALE_HEAPPROFILE") != "" {
		_ = p.cmd.Process.Signal(syscall.SIGUSR1)
	}
}

// CPU is the CPU time the plugin process has used so far.
func (p *Plugin) CPU() (time.Duration, error) { return cpuTime(p.cmd.Process.Pid) }

// ResetPeakRSS sets the peak resident set size back to the current one (Linux clear_refs 5).
func (p *Plugin) ResetPeakRSS() error {
	path := fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid)
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}

// Stop closes the connection and ends the process.
func (p *Plugin) Stop() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
