package promql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestForThreshold(t *testing.T) {
	s := &slo.SLO{Name: "p", Indicator: slo.Indicator{Kind: slo.Threshold, Gauge: `probe_success{job="blackbox"}`, Op: ">=", Value: 1}}
	q, err := ForThreshold(s, time.Hour, time.Minute)
	require.NoError(t, err)
	require.Equal(t, `sum(sum_over_time((probe_success{job="blackbox"} >= bool 1 and count_over_time(probe_success{job="blackbox"}[59s999ms]))[59m59s999ms:1m]))`, q.Good)
	require.Equal(t, `sum(count_over_time((probe_success{job="blackbox"} >= bool 1 and count_over_time(probe_success{job="blackbox"}[59s999ms]))[59m59s999ms:1m]))`, q.Total)
	for _, e := range []string{q.Good, q.Total} {
		_, err := parse(e)
		require.NoError(t, err, e)
	}

	// An expression gauge keeps its precedence and is judged with the lookback.
	s.Indicator.Gauge = `avg(up{job="a"}) * 2`
	s.Indicator.Op = "<"
	q, err = ForThreshold(s, 5*time.Minute, time.Minute)
	require.NoError(t, err)
	require.Equal(t, `sum(sum_over_time(((avg(up{job="a"}) * 2) < bool 1)[4m59s999ms:1m]))`, q.Good)

	// A hostile label value stays a label value.
	s.Indicator.Gauge = `probe_success{job="x\"} or vector(1) #"}`
	s.Indicator.Op = "=="
	q, err = ForThreshold(s, time.Minute, time.Minute)
	require.NoError(t, err)
	_, err = parse(q.Good)
	require.NoError(t, err)

	_, err = ForThreshold(s, 90*time.Second, time.Minute)
	require.ErrorContains(t, err, "not a multiple")
	s.Indicator.Op = "=~"
	_, err = ForThreshold(s, time.Minute, time.Minute)
	require.Error(t, err)
	_, err = ForThreshold(&slo.SLO{Name: "r", Indicator: slo.Indicator{Kind: slo.Ratio}}, time.Minute, time.Minute)
	require.Error(t, err)
}
