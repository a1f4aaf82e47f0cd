package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/source"
)

func TestGrowthFromLast(t *testing.T) {
	const x = 0 // a value that is absent
	cases := []struct {
		name    string
		values  []float64
		present []bool
		want    lastGrowth
	}{
		{"steady", []float64{10, 12, 12, 20}, []bool{true, true, true, true},
			lastGrowth{Growth: []float64{2, 0, 8}}},
		{"reset: the value since the restart", []float64{100, 130, 5, 9}, []bool{true, true, true, true},
			lastGrowth{Growth: []float64{30, 5, 4}, Resets: []int{1}}},
		{"new series counts from its first value", []float64{x, x, 50, 55}, []bool{false, false, true, true},
			lastGrowth{Growth: []float64{0, 0, 5}}},
		{"gap longer than the bound", []float64{10, x, x, 40, 41}, []bool{true, false, false, true, true},
			lastGrowth{Growth: []float64{0, 0, 0, 1}, Gaps: []int{2}}},
		{"series ends", []float64{10, 11, x}, []bool{true, true, false},
			lastGrowth{Growth: []float64{1, 0}}},
		{"one boundary only", []float64{3}, []bool{true}, lastGrowth{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, growthFromLast(c.values, c.present))
		})
	}
}

func TestSampleTimes(t *testing.T) {
	start := time.Unix(600000, 0).UTC() // on the minute
	b := series.New(start, time.Minute, 6)
	sec := func(s float64) float64 { return float64(start.UnixMilli()) + s*1000 }
	raw := func(iv, phase int64, n int) [][]int64 {
		ts := make([]int64, n)
		for i := range ts {
			ts[i] = start.UnixMilli() + phase + int64(i)*iv
		}
		return [][]int64{ts}
	}
	present := func(counts ...float64) source.Series {
		s := source.Series{Values: counts, Present: make([]bool, len(counts))}
		for i := range counts {
			s.Present[i] = true
		}
		return s
	}
	cases := []struct {
		name   string
		counts source.Series
		raw    [][]int64
		want   []float64 // seconds after start; NaN unknown
	}{
		{"every 15 s at +7 s: the last scrape before each boundary is 8 s before it",
			present(4, 4, 4, 4, 4, 4), raw(15000, 7000, 20),
			[]float64{-8, 52, 112, 172, 232, 292, 352}},
		{"every 2 min at +30 s: buckets without a sample keep the previous time",
			present(1, 0, 1, 0, 1, 0), raw(120000, 30000, 5),
			[]float64{-90, 30, 30, 150, 150, 270, 270}},
		{"a gap: the time stays at the last sample before it",
			present(6, 0, 0, 0, 6, 6), raw(10000, 3000, 30),
			[]float64{-7, 53, 53, 53, 53, 293, 353}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sampleTimes(b, c.counts, c.raw)
			require.Len(t, got, len(c.want))
			for i, w := range c.want {
				assert.Equal(t, sec(w), got[i], "boundary %d", i)
			}
		})
	}
	assert.Nil(t, sampleTimes(b, present(1, 1, 1, 1, 1, 1), [][]int64{{1}}), "too few raw samples to see an interval")
}
