package testproc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStartFailsClearly(t *testing.T) {
	dir := t.TempDir()
	// A process that exits at once is reported with its output.
	_, err := Start("shell", "/bin/sh", func(string) []string { return []string{"-c", "echo boom; exit 3"} },
		filepath.Join(dir, "log"), "/", 5*time.Second)
	require.Error(t, err)
	require.Contains(t, err.Error(), "shell exited before it was ready")
	require.Contains(t, err.Error(), "boom")
	// A missing binary is an error that names it.
	_, err = Start("nothing", filepath.Join(dir, "no-such-binary"), func(string) []string { return nil }, filepath.Join(dir, "log2"), "/", time.Second)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "starting nothing"))
	require.False(t, errors.As(err, &Missing{}))
	_ = os.Remove(filepath.Join(dir, "log"))
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	require.NoError(t, err)
	require.Greater(t, p, 0)
}
