package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
