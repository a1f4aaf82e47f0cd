package plugin

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/require"
)

// What Grafana's server-side expressions (SSE) and its alert evaluator make of a data
// source's frames, written down from Grafana's code (grafana/grafana pkg/expr and
// pkg/services/ngalert/eval, grafana/dataplane sdata) so that tests can hold Nines'
// frames to it:
//
//   - pkg/expr/converter.go, ResultConverter.Convert: frames whose first frame carries a
//     type and a non-zero type version go the "dataplane" way (pkg/expr/dataplane.go,
//     shouldUseDataplane, then reader.CanReadBasedOnMeta of sdata/reader/reader.go:
//     timeseries-multi, timeseries-wide, timeseries-long, numeric-multi, numeric-wide and
//     numeric-long, version 0.1). Nines' frames are always typed, so only that way
//     matters here.
//   - Time series (handleDataplaneTimeseries; sdata/timeseries/multi.go,
//     validateAndGetRefsMulti): the first frame must be timeseries-multi; frames without
//     the type after it are ignored; every typed frame needs fields of equal length, a
//     []time.Time field (not []*time.Time) and a numeric value field, the first of
//     which becomes the series, its labels the series' labels.
//   - Numbers (handleDataplaneNumeric; sdata/numeric/long.go, validateAndGetRefsLong):
//     for numeric-long only the first frame is read; each string column becomes a
//     label, and every numeric column gives one number per row.
//   - Reduce (pkg/expr/commands.go ReduceCommand.Execute, mathexp/reduce.go Last): a
//     series becomes its last value (nil stays nil, an empty series is NaN); a number
//     passes through unchanged.
//   - Threshold (pkg/expr/threshold.go ThresholdCommand.Execute, greaterThanPredicate):
//     1 when the value is strictly above, 0 when not, nil when nil.
//   - The alert (pkg/services/ngalert/eval/eval.go evaluateExecutionResult,
//     buildResult): each result of the condition is one alert instance identified by its
//     labels, which must be unique ("frame cannot uniquely be identified by its labels");
//     nil is NoData, 0 Normal, anything else Alerting.

// sseValue is one value SSE reads from a data source's answer: a series or a number.
type sseValue struct {
	name   string
	labels data.Labels
	times  []time.Time // a series
	values []*float64  // a series' points, or one number
	series bool
}

// sseRead reads frames as SSE does on the dataplane path, or says why it would refuse them.
func sseRead(frames data.Frames) ([]sseValue, error) {
	if len(frames) == 0 {
		return nil, nil // "no-data"
	}
	first := frames[0]
	if first == nil || first.Meta == nil || first.Meta.Type == "" || first.Meta.TypeVersion.IsZero() {
		return nil, fmt.Errorf("first frame has no dataplane type: SSE would fall back to guessing its shape")
	}
	if first.Meta.TypeVersion != (data.FrameTypeVersion{0, 1}) {
		return nil, fmt.Errorf("type version %s is not one the dataplane reader knows (0.1)", first.Meta.TypeVersion)
	}
	switch first.Meta.Type {
	case data.FrameTypeTimeSeriesMulti:
		return sseSeries(frames)
	case data.FrameTypeNumericLong:
		return sseNumbers(first)
	}
	return nil, fmt.Errorf("frame type %q is not one Nines should hand to SSE", first.Meta.Type)
}

func sseSeries(frames data.Frames) ([]sseValue, error) {
	var out []sseValue
	for i, f := range frames {
		if f == nil {
			return nil, fmt.Errorf("frame %d is nil", i)
		}
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti {
			continue // ignored after the first
		}
		if len(f.Fields) == 0 {
			if len(frames) == 1 {
				return nil, nil // the no-data response
			}
			return nil, fmt.Errorf("frame %d has no fields", i)
		}
		if _, err := f.RowLen(); err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		times := f.TypeIndices(data.FieldTypeTime)
		if len(times) == 0 {
			return nil, fmt.Errorf("frame %d has no []time.Time field", i)
		}
		var vi []int
		for j, fl := range f.Fields {
			if fl.Type().Numeric() {
				vi = append(vi, j)
			}
		}
		if len(vi) == 0 {
			return nil, fmt.Errorf("frame %d has no numeric value field", i)
		}
		v := sseValue{name: f.Fields[vi[0]].Name, labels: f.Fields[vi[0]].Labels, series: true}
		for r := 0; r < f.Rows(); r++ {
			v.times = append(v.times, f.Fields[times[0]].At(r).(time.Time))
			x, err := f.Fields[vi[0]].NullableFloatAt(r)
			if err != nil {
				return nil, fmt.Errorf("frame %d row %d: %w", i, r, err)
			}
			v.values = append(v.values, x)
		}
		if !slices.IsSortedFunc(v.times, func(a, b time.Time) int { return a.Compare(b) }) {
			return nil, fmt.Errorf("frame %d: times are not sorted oldest first", i)
		}
		out = append(out, v)
	}
	return out, nil
}

func sseNumbers(f *data.Frame) ([]sseValue, error) {
	if _, err := f.RowLen(); err != nil {
		return nil, err
	}
	var out []sseValue
	for r := 0; r < f.Rows(); r++ {
		l := data.Labels{}
		for _, fl := range f.Fields {
			if t := fl.Type(); t == data.FieldTypeString || t == data.FieldTypeNullableString {
				s, _ := f.ConcreteAt(slices.Index(f.Fields, fl), r)
				l[fl.Name] = s.(string)
			}
		}
		for _, fl := range f.Fields {
			if fl.Type().Numeric() {
				x, err := fl.NullableFloatAt(r)
				if err != nil {
					return nil, err
				}
				out = append(out, sseValue{name: fl.Name, labels: l, values: []*float64{x}})
			}
		}
	}
	return out, nil
}

// reduceLast is SSE's reduce "last": a series' last value; a number as it is.
func reduceLast(v sseValue) *float64 {
	if !v.series {
		return v.values[0]
	}
	if len(v.values) == 0 {
		nan := math.NaN() // as mathexp.Last gives
		return &nan
	}
	return v.values[len(v.values)-1]
}

// thresholdAbove is SSE's threshold "gt".
func thresholdAbove(x *float64, limit float64) *float64 {
	if x == nil {
		return nil
	}
	r := 0.0
	if *x > limit {
		r = 1
	}
	return &r
}

// alertState is the alert evaluator's state of one condition result.
func alertState(x *float64) string {
	switch {
	case x == nil:
		return "NoData"
	case *x == 0:
		return "Normal"
	}
	return "Alerting"
}

// uniqueInstances fails when two values share a label set: the alert evaluator refuses
// the whole result then.
func uniqueInstances(vs []sseValue) error {
	seen := map[string]bool{}
	for _, v := range vs {
		k := v.labels.String()
		if seen[k] {
			return fmt.Errorf("frame cannot uniquely be identified by its labels: has duplicate results with labels {%s}", k)
		}
		seen[k] = true
	}
	return nil
}

// The acceptance rule itself refuses what Grafana refuses.
func TestSSEAcceptanceRule(t *testing.T) {
	typed := func(ty data.FrameType, fs ...*data.Field) *data.Frame {
		return data.NewFrame("", fs...).SetMeta(&data.FrameMeta{Type: ty, TypeVersion: data.FrameTypeVersion{0, 1}})
	}
	t0 := time.Unix(0, 0)
	one := 1.0
	cases := []struct {
		name   string
		frames data.Frames
		err    string // "" = accepted
		unique bool
	}{
		{"untyped table", data.Frames{data.NewFrame("", data.NewField("v", nil, []float64{1}))}, "no dataplane type", true},
		{"series with nullable times", data.Frames{typed(data.FrameTypeTimeSeriesMulti,
			data.NewField("Time", nil, []*time.Time{&t0}), data.NewField("v", nil, []*float64{&one}))}, "no []time.Time field", true},
		{"series without numbers", data.Frames{typed(data.FrameTypeTimeSeriesMulti,
			data.NewField("Time", nil, []time.Time{t0}), data.NewField("v", nil, []string{"x"}))}, "no numeric value field", true},
		{"series", data.Frames{typed(data.FrameTypeTimeSeriesMulti,
			data.NewField("Time", nil, []time.Time{t0}), data.NewField("v", data.Labels{"a": "1"}, []*float64{&one}))}, "", true},
		{"numbers, one column", data.Frames{typed(data.FrameTypeNumericLong,
			data.NewField("slo", nil, []string{"a", "b"}), data.NewField("value", nil, []float64{1, 2}))}, "", true},
		{"numbers, two columns: the same labels twice", data.Frames{typed(data.FrameTypeNumericLong,
			data.NewField("slo", nil, []string{"a"}), data.NewField("long", nil, []float64{1}), data.NewField("short", nil, []float64{2}))}, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs, err := sseRead(c.frames)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, vs)
			require.Equal(t, c.unique, uniqueInstances(vs) == nil)
		})
	}
}
