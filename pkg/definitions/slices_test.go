package definitions

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestCalendarAndSlicesLoad(t *testing.T) {
	src := `service: s
slos:
  - name: monthly
    objective: 99
    window: month
    timeZone: America/New_York
    budgeting: {method: timeslices, sliceLength: 5m, sliceThreshold: 0.99, emptySlices: bad}
    indicator: {ratio: {good: g, total: t}}
  - name: probe
    objective: 99
    window: quarter
    budgeting: {method: timeslices, sliceLength: 1m, sliceThreshold: 1}
    indicator: {threshold: {gauge: probe_success, op: ">=", value: 1}}
  - name: empty-typo
    objective: 99
    window: week
    budgeting: {method: timeslices, sliceLength: 1m, sliceThreshold: 1, emptySlices: maybe}
    indicator: {ratio: {good: g, total: t}}
  - name: raw-slices
    objective: 99
    window: 28d
    budgeting: {method: timeslices, sliceLength: 1m, sliceThreshold: 1}
    indicator: {raw: {errorRatio: r}}
`
	res := Parse("c.yaml", []byte(src))
	require.Len(t, res.SLOs, 2)
	m := res.SLOs[0]
	assert.Equal(t, slo.Window{Kind: slo.Calendar, Unit: slo.Month, TimeZone: "America/New_York"}, m.Window)
	assert.Equal(t, slo.Budgeting{Method: slo.Timeslices, SliceLength: 5 * time.Minute, SliceThreshold: 0.99, EmptySlices: slo.EmptyBad}, m.Budgeting)
	assert.Equal(t, slo.EmptySkip, res.SLOs[1].Budgeting.EmptySlices)
	assert.Equal(t, []string{
		`c.yaml:17: empty-typo: emptySlices "maybe" must be skip, good or bad`,
		`c.yaml:22: raw-slices: budgeting method "timeslices" is not supported for raw indicators`,
	}, errorStrings(res.Errors))
}
