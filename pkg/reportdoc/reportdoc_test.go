package reportdoc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEngineVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v0.316.0-embedded": "Prometheus engine v0.316.0",
		"3.16.0-embedded":   "Prometheus engine 3.16.0",
		"2.42.0":            "2.42.0",
		"":                  "",
	} {
		require.Equal(t, want, EngineVersion(in), in)
	}
}
