package plugin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The executed queries of a frame list each distinct query once, in the order first
// run, and past maxExecuted say how many more there were.
func TestExecutedString(t *testing.T) {
	many := make([]string, 0, 2*(maxExecuted+3))
	for i := range maxExecuted + 3 {
		q := fmt.Sprintf("q%d", i)
		many = append(many, q, q)
	}
	lines := strings.Split(executedString(many), "\n")
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, []string{""}},
		{"repeats once", []string{"a", "b", "a", "c", "b"}, []string{"a", "b", "c"}},
		{"past the bound", many, append(append([]string{}, lines[:maxExecuted]...), "… and 3 more distinct queries")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, strings.Split(executedString(tt.in), "\n"))
		})
	}
	require.Equal(t, "q0", lines[0])
	require.Equal(t, fmt.Sprintf("q%d", maxExecuted-1), lines[maxExecuted-1])
}
