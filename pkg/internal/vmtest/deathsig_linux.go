package vmtest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill victoria-metrics if the test process dies first.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
