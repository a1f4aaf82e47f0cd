package plugin

import (
	"math"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/words"
)

func thresholds(steps ...data.Threshold) *data.ThresholdsConfig {
	return &data.ThresholdsConfig{Mode: data.ThresholdsModeAbsolute, Steps: steps}
}

// objectiveThresholds colour an SLI red below the objective and green at or above it.
func objectiveThresholds(target float64) *data.ThresholdsConfig {
	return thresholds(data.NewThreshold(math.Inf(-1), "red", ""), data.NewThreshold(target, "green", ""))
}

// budgetThresholds colour budget remaining: red when overspent, orange under 25 %, green above.
func budgetThresholds() *data.ThresholdsConfig {
	return thresholds(data.NewThreshold(math.Inf(-1), "red", ""), data.NewThreshold(0, "orange", ""), data.NewThreshold(0.25, "green", ""))
}

// burnThresholds colour a burn rate green under 1, orange up to the alert factor, red above.
func burnThresholds(factor float64) *data.ThresholdsConfig {
	steps := []data.Threshold{data.NewThreshold(math.Inf(-1), "green", ""), data.NewThreshold(1, "orange", "")}
	if factor > 1 {
		steps = append(steps, data.NewThreshold(factor, "red", ""))
	}
	return thresholds(steps...)
}

func lineThresholds(fc *data.FieldConfig) *data.FieldConfig {
	fc.Custom = map[string]any{"thresholdsStyle": map[string]any{"mode": "line+area"}}
	return fc
}

func ptr[T any](v T) *T { return &v }

// sloLabels are the labels of an SLO's series: slo and service, and the labels of its
// group (a grouping label named service tells the group's service; slo stays the SLO's).
func sloLabels(s *slo.SLO) data.Labels {
	ls := data.Labels{"service": s.Service}
	for k, v := range s.Group {
		ls[k] = v
	}
	ls["slo"] = s.Name
	return ls
}

// pointsFrame builds a time series frame of one figure of one SLO.
func pointsFrame(name string, s *slo.SLO, pts []engine.Point, display string, fc *data.FieldConfig, executed []string) *data.Frame {
	times := make([]time.Time, len(pts))
	vals := make([]*float64, len(pts))
	for i, p := range pts {
		times[i] = p.Time
		if p.OK {
			vals[i] = ptr(p.Value)
		}
	}
	fc.DisplayNameFromDS = display
	value := data.NewField(name, sloLabels(s), vals).SetConfig(fc)
	f := data.NewFrame(name, data.NewField("Time", nil, times), value)
	f.Meta = &data.FrameMeta{
		Type:                data.FrameTypeTimeSeriesMulti,
		TypeVersion:         data.FrameTypeVersion{0, 1},
		ExecutedQueryString: executedString(executed),
	}
	return f
}

func addNotice(f *data.Frame, sev data.NoticeSeverity, text string) {
	if f.Meta == nil {
		f.Meta = &data.FrameMeta{}
	}
	f.Meta.Notices = append(f.Meta.Notices, data.Notice{Severity: sev, Text: text})
}

// maxExecuted bounds the queries an answer lists as executed: a 1,000-SLO panel runs
// tens of thousands, and Grafana's query inspector needs a sample, not megabytes.
const maxExecuted = 200

// executedString is the executed queries for a frame's meta: each distinct query once,
// in the order first run, at most maxExecuted of them and then how many more ran.
func executedString(executed []string) string {
	seen := make(map[string]bool, len(executed))
	var out []string
	more := 0
	for _, q := range executed {
		if seen[q] {
			continue
		}
		seen[q] = true
		if len(out) == maxExecuted {
			more++
			continue
		}
		out = append(out, q)
	}
	if more > 0 {
		out = append(out, "… and "+words.Count(more, "more distinct query", "more distinct queries"))
	}
	return strings.Join(out, "\n")
}
