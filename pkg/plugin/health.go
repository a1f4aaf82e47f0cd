package plugin

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/slo"
)

// HealthDetails is the JSON detail of a health check.
type HealthDetails struct {
	Version   string   `json:"version,omitempty"`
	Loaded    int      `json:"loaded"`
	Failed    int      `json:"failed"`
	Errors    []string `json:"errors,omitempty"`
	NoData    []string `json:"noData,omitempty"`
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
	version, err := d.engine.Source.Version(ctx)
	if err != nil {
		return result(backend.HealthStatusError, fmt.Sprintf("metrics source is not reachable: %s", err))
	}
	det.Version = version
	det.NoData = d.noData(ctx, res.SLOs)
	latencyErrs := d.checkLatency(ctx, res.SLOs)
	det.Errors = append(det.Errors, latencyErrs...)
	var b strings.Builder
	fmt.Fprintf(&b, "Metrics source reachable (Prometheus-compatible, version %s). %d SLO(s) loaded", version, len(res.SLOs))
	if len(det.Errors) > 0 {
		fmt.Fprintf(&b, ", %d definition error(s): %s", len(det.Errors), strings.Join(firstN(det.Errors, 3), "; "))
	}
	b.WriteString(".")
	if len(det.NoData) > 0 {
		fmt.Fprintf(&b, " No data in the last hour for: %s.", strings.Join(det.NoData, ", "))
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

// checkLatency reports latency SLOs whose threshold is not a bucket bound on the server.
func (d *Datasource) checkLatency(ctx context.Context, slos []*slo.SLO) []string {
	var mu sync.Mutex
	var out []string
	now := d.Now()
	d.forEach(ctx, slos, func(ctx context.Context, _ int, s *slo.SLO) error {
		if err := d.engine.CheckLatency(ctx, s, now.Add(-s.Window.Duration-time.Hour), now); err != nil {
			mu.Lock()
			out = append(out, fmt.Sprintf("%s: %s", s.Source, err))
			mu.Unlock()
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// noData lists the SLOs whose total events over the last hour are zero or absent (for
// threshold SLOs: the minutes with a sample of the gauge).
func (d *Datasource) noData(ctx context.Context, slos []*slo.SLO) []string {
	var mu sync.Mutex
	var out []string
	now := d.Now()
	d.forEach(ctx, slos, func(ctx context.Context, _ int, s *slo.SLO) error {
		total := ""
		if s.Indicator.Kind == slo.Threshold {
			// Minutes with a sample of the gauge in the last hour.
			if q, err := promql.ForThreshold(s, time.Hour, time.Minute); err == nil {
				total = q.Total
			}
		} else if q, err := promql.ForSLO(s, promql.Tiling{Form: promql.FormIncrease, Step: time.Hour}, fmt.Sprintf("%g", s.Indicator.Le)); err == nil {
			total = q.Total
		}
		if total == "" {
			return nil
		}
		v, ok, err := d.engine.Source.Instant(ctx, total, now)
		if err == nil && (!ok || v == 0) {
			mu.Lock()
			out = append(out, s.Name)
			mu.Unlock()
		}
		return nil
	})
	sort.Strings(out)
	return out
}
