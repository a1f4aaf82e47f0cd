package plugin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nines-slo/nines/pkg/source"
)

// sourceMetrics are the figures of the metrics-source clients of every data-source
// instance: requests, durations, cache use and shared requests. They are registered with
// the default Prometheus registry, which the SDK serves to Grafana through CollectMetrics.
var sourceMetrics = source.NewMetrics()

func init() {
	for _, c := range sourceMetrics.Collectors() {
		prometheus.MustRegister(c)
	}
}
