// Package testproc runs a server binary for tests: on a free port of 127.0.0.1, with
// its output in a log file, killed with the test process, waited for until a URL
// answers 200, and stopped gracefully.
package testproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Missing reports that a binary a test needs is not installed.
type Missing struct{ Msg string }

// Error returns the message.
func (m Missing) Error() string { return m.Msg }

// Fail skips the test on a Missing binary (unless CI=true, where tests must not skip)
// and fails it on any other error.
func Fail(tb testing.TB, err error) {
	tb.Helper()
	var miss Missing
	if errors.As(err, &miss) && os.Getenv("CI") != "true" {
		tb.Skip(err.Error())
	}
	tb.Fatal(err)
}

// Proc is a running server process.
type Proc struct {
	// URL is http://127.0.0.1:<port>.
	URL string

	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
}

// Start runs bin with the arguments args returns for its listen address (host:port),
// writing its output to logPath, and waits up to timeout until GET URL+ready answers
// 200. name names the server in errors. A free port can be taken by someone else
// before the server binds it, so it tries three times.
func Start(name, bin string, args func(addr string) []string, logPath, ready string, timeout time.Duration) (*Proc, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var p *Proc
		if p, err = start(name, bin, args, logPath, ready, timeout); err == nil {
			return p, nil
		}
	}
	return nil, err
}

// start is one attempt of Start.
func start(name, bin string, args func(addr string) []string, logPath, ready string, timeout time.Duration) (*Proc, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, args(addr)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Proc{URL: "http://" + addr, name: name, cmd: cmd, done: make(chan struct{}), logPath: logPath}
	go func() { _ = cmd.Wait(); close(p.done) }()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready:\n%s", name, p.Log())
		default:
		}
		resp, err := client.Get(p.URL + ready)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-p.done
	return nil, fmt.Errorf("%s not ready after %v:\n%s", name, timeout, p.Log())
}

// Stop interrupts the process and kills it if it has not ended within 10 s.
func (p *Proc) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Log returns the last 4,000 bytes of the process's output.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Pid is the process's id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }
