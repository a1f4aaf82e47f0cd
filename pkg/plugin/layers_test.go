package plugin

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The plugin is the Grafana edge: it never builds PromQL (pkg/promql) itself; the engine
// does, and only the engine calls the source.
func TestPluginDoesNotBuildPromQL(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			require.NotEqual(t, "github.com/nines-slo/nines/pkg/promql", path, "%s imports pkg/promql", name)
		}
	}
}
