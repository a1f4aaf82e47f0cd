package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestRulesCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rules.yaml")
	code, stdout, stderr := runCLI(t, "rules", "../../definitions/testdata/sloth/payments.yaml", "../../definitions/testdata/pyrra/shop.yaml", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "rules for 8 SLOs")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var f struct {
		Groups []struct {
			Name string `yaml:"name"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(data, &f))
	assert.Len(t, f.Groups, 8)
	if pt, err := exec.LookPath("promtool"); err == nil {
		o, err := exec.Command(pt, "check", "rules", out).CombinedOutput()
		require.NoError(t, err, "%s", o)
	}

	// To standard output.
	code, stdout, _ = runCLI(t, "rules", "../../definitions/testdata/native/checkout.yaml")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "nines_slo:sli_error:ratio_rate5m")
}

func TestRulesCommandErrors(t *testing.T) {
	code, _, stderr := runCLI(t, "rules")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "at least one definitions file")

	code, stdout, stderr := runCLI(t, "rules", "../../definitions/testdata/sloth/bad/bad.yaml")
	assert.Equal(t, exitFailed, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "../../definitions/testdata/sloth/bad/bad.yaml:13: raw: sli.raw is not supported")
	assert.Contains(t, stderr, "no rules written")
}
