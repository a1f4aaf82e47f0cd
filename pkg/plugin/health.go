package plugin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/words"
)

// HealthDetails is the JSON detail of a health check.
type HealthDetails struct {
	Version   string   `json:"version,omitempty"`
	Loaded    int      `json:"loaded"`
	Failed    int      `json:"failed"`
	Errors    []string `json:"errors,omitempty"`
	NoData    []string `json:"noData,omitempty"`
	Unchecked int      `json:"unchecked,omitempty"`
	CheckedAt string   `json:"checkedAt"`
}

// CheckHealth is "Save & test": the metrics source answers, definitions load, SLOs have data.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	res := d.defs.Current()
	det := HealthDetails{Loaded: len(res.SLOs), Failed: len(res.Errors), CheckedAt: d.Now().UTC().Format(time.RFC3339)}
	for _, e := range res.Errors {
		det.Errors = append(det.Errors, e.Error())
	}
	result := func(status backend.HealthStatus, msg string) (*backend.CheckHealthResult, error) {
		body, _ := jsonMarshal(det)
		return &backend.CheckHealthResult{Status: status, Message: msg, JSONDetails: body}, nil
	}
	if d.setupErr != nil {
		return result(backend.HealthStatusError, d.setupErr.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, d.settings.TimeoutDuration()) // one deadline, as for queries
	defer cancel()
	h, err := d.engine.Health(ctx, res.SLOs, d.Now())
	if err != nil {
		return result(backend.HealthStatusError, fmt.Sprintf("metrics source is not reachable: %s", err))
	}
	version := h.Version
	det.Version = version
	det.NoData, det.Unchecked = h.NoData, h.Unchecked
	det.Errors = append(det.Errors, h.Errors...)
	var b strings.Builder
	fmt.Fprintf(&b, "Metrics source reachable (Prometheus-compatible, version %s). %s loaded", version, words.Count(len(res.SLOs), "SLO", "SLOs"))
	if len(det.Errors) > 0 {
		fmt.Fprintf(&b, ", %s: %s", words.Count(len(det.Errors), "definition error", "definition errors"), strings.Join(firstN(det.Errors, 3), "; "))
	}
	b.WriteString(".")
	if len(det.NoData) > 0 {
		fmt.Fprintf(&b, " No data in the last hour for: %s.", strings.Join(firstN(det.NoData, 20), ", "))
	}
	if det.Unchecked > 0 {
		fmt.Fprintf(&b, " Data not checked for %s: the check covers the first %d, in batches the source answered.", words.Count(det.Unchecked, "SLO", "SLOs"), engine.MaxHealthChecks)
	}
	status := backend.HealthStatusOk
	if len(det.Errors) > 0 || len(res.SLOs) == 0 {
		status = backend.HealthStatusError
		if len(res.SLOs) == 0 && len(res.Errors) == 0 {
			b.WriteString(" No SLO definitions: add inline YAML or definition paths.")
		}
	}
	return result(status, b.String())
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}
