// Package dashboards holds the provisioned Grafana dashboards as code, built with the
// Grafana Foundation SDK so their schema is checked by types, and every Nines query in
// them by the backend's own query models. provisioning/dashboards/*.json is their output;
// `go test ./pkg/dashboards -update` rewrites it.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// File is one provisioned dashboard: the file name and the function that builds it.
type File struct {
	Name  string
	Build func() (dashboard.Dashboard, error)
}

// Files are the dashboards in provisioning/dashboards, by file name.
var Files = []File{
	{Name: "slo-overview.json", Build: Overview},
	{Name: "slo-detail.json", Build: Detail},
}

// Render builds a dashboard and returns it as the JSON file Grafana provisions:
// two-space indented, HTML characters unescaped, ending in a newline.
func Render(f File) ([]byte, error) {
	d, err := f.Build()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", f.Name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}
