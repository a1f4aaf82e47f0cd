package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"
)

// browserExchange is one recorded resource call: what the editors send and what the handlers answered.
type browserExchange struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Request  json.RawMessage `json:"request,omitempty"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

const browserFixtures = "testdata/browser/resources.json"

// The editors' browser test (browser/, `npm run test:browser`) answers the page's resource calls
// with these recorded answers of the real handlers, on the provisioned demo definitions. This
// test fails when the handlers answer differently; `go test ./pkg/plugin -run TestBrowserFixtures
// -update` records them again.
func TestBrowserFixtures(t *testing.T) {
	ds := newTestDatasource(t, "", map[string]any{"definitionPaths": []string{"../../provisioning/slos"}})
	calls := []struct{ method, path, yamlFile string }{
		{http.MethodGet, "slos", ""},
		{http.MethodGet, "slos?service=search", ""},
		{http.MethodGet, "slos/checkout-availability", ""},
		{http.MethodGet, "slos/search-availability", ""},
		{http.MethodPost, "validate", "validate-good.yaml"},
		{http.MethodPost, "validate", "validate-bad.yaml"},
	}
	var got []browserExchange
	for _, c := range calls {
		var body []byte
		if c.yamlFile != "" {
			yaml, err := os.ReadFile(filepath.Join("testdata/browser", c.yamlFile))
			require.NoError(t, err)
			// What ConfigEditor posts: the editor's text, named "inline".
			body, err = json.Marshal(ValidateRequest{YAML: string(yaml), Name: "inline"})
			require.NoError(t, err)
		}
		status, resp := rawResource(t, ds, c.method, c.path, body)
		got = append(got, browserExchange{Method: c.method, Path: c.path, Request: body, Status: status, Response: resp})
	}
	out, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	out = append(out, '\n')

	if *update {
		require.NoError(t, os.WriteFile(browserFixtures, out, 0o644))
	}
	want, err := os.ReadFile(browserFixtures)
	require.NoError(t, err, "record the answers with -update")
	require.Equal(t, string(want), string(out), "the resource handlers answer differently from %s: check the change, then record again with -update", browserFixtures)

	// The recording holds what the browser test looks for.
	require.Contains(t, string(out), `"checkout-latency"`)
	require.Contains(t, string(out), `"valid": false`)
	require.Contains(t, string(out), `"valid": true`)
}

// rawResource calls a resource handler and returns its status and its JSON body, indented.
func rawResource(t *testing.T, ds *Datasource, method, path string, body []byte) (int, json.RawMessage) {
	t.Helper()
	var got *backend.CallResourceResponse
	p, _, _ := strings.Cut(path, "?")
	err := ds.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: p,
		URL: "/api/datasources/uid/nines/resources/" + path, Body: body,
		Headers: map[string][]string{"Content-Type": {"application/json"}}},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	require.NoError(t, err)
	require.NotNil(t, got)
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, got.Body, "", "  "), string(got.Body))
	return got.Status, bytes.TrimSpace(buf.Bytes())
}
