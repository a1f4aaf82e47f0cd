package scalebench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Objective is every SLO's objective, in percent.
const Objective = 99.9

// sloName is the name of the SLO of service i.
func sloName(i int) string { return Service(i) + "-availability" }

// writeDefinitions writes one native SLO per service (objective 99.9, window 30d) into
// one multi-document file in dir and returns its path.
func writeDefinitions(dir string, services int) (string, error) {
	var b strings.Builder
	for i := 0; i < services; i++ {
		s := Service(i)
		fmt.Fprintf(&b, `---
service: %s
owner: team-%s
slos:
  - name: %s
    objective: %g
    window: 30d
    indicator:
      ratio:
        bad: http_requests_total{service="%s",code="500"}
        total: http_requests_total{service="%s"}
`, s, s, sloName(i), Objective, s, s)
	}
	path := filepath.Join(dir, "slos.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write definitions: %w", err)
	}
	return path, nil
}

// instances hands out data-source settings; each fresh one is a new plugin instance
// with an empty cache, as after Grafana saves the data source.
type instances struct {
	url, defs string
	timeout   time.Duration
	n         atomic.Int64
}

// fresh returns the plugin context of a new data-source instance with default settings
// except the definitions path and the query timeout.
func (in *instances) fresh() (backend.PluginContext, error) {
	jsonData, err := json.Marshal(map[string]any{"definitionPaths": []string{in.defs}, "timeout": in.timeout.Seconds()})
	if err != nil {
		return backend.PluginContext{}, err
	}
	n := in.n.Add(1)
	return backend.PluginContext{OrgID: 1, PluginID: "nines-slo-datasource",
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{ID: 1, UID: "nines", Name: "Nines SLO",
			URL: in.url, JSONData: jsonData, Updated: time.Unix(n, 0)}}, nil
}

// selection is the "slo" field the front end sends for the first n of all SLOs: one
// name, several as an alternation, and empty for all of them.
func selection(n, all int) string {
	switch {
	case n >= all:
		return ""
	case n == 1:
		return sloName(0)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = sloName(i)
	}
	return "(" + strings.Join(names, "|") + ")"
}

// panelQuery is one panel's query as Grafana sends it: the front end's JSON model and the
// panel's time range, interval and width.
func panelQuery(queryType, slo, window string, from, to time.Time) backend.DataQuery {
	model := map[string]any{"refId": "A", "queryType": queryType, "slo": slo,
		"datasource": map[string]string{"type": "nines-slo-datasource", "uid": "nines"}}
	if window != "" {
		model["window"] = window
	}
	js, _ := json.Marshal(model)
	return backend.DataQuery{RefID: "A", QueryType: queryType, JSON: js, TimeRange: backend.TimeRange{From: from, To: to},
		Interval: time.Hour, MaxDataPoints: 1000}
}

// outcome is what one answer held.
type outcome struct {
	took   time.Duration
	rows   int // status rows, or series of a time-series answer
	errors int // status rows in state "error"
}

// ask sends one query and checks the answer: no error, and the figures the query type promises.
func ask(ctx context.Context, p *Plugin, pctx backend.PluginContext, q backend.DataQuery) (outcome, error) {
	t0 := time.Now()
	resp, err := p.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{q}})
	out := outcome{took: time.Since(t0)}
	if err != nil {
		return out, fmt.Errorf("%s query: %w", q.QueryType, err)
	}
	r, ok := resp.Responses[q.RefID]
	if !ok {
		return out, fmt.Errorf("%s query: no answer for refId %s", q.QueryType, q.RefID)
	}
	if r.Error != nil {
		return out, fmt.Errorf("%s query: %w", q.QueryType, r.Error)
	}
	if q.QueryType != "status" {
		out.rows = len(r.Frames)
		return out, nil
	}
	if len(r.Frames) == 0 {
		return out, fmt.Errorf("status query: no frame")
	}
	f := r.Frames[0]
	out.rows = f.Rows()
	if i, field := fieldByName(f, "Status"); field != nil {
		for row := 0; row < f.Rows(); row++ {
			if v, ok := f.ConcreteAt(i, row); ok && v == "error" {
				out.errors++
			}
		}
	}
	return out, nil
}

func fieldByName(f *data.Frame, name string) (int, *data.Field) {
	for i, fl := range f.Fields {
		if fl.Name == name {
			return i, fl
		}
	}
	return -1, nil
}
