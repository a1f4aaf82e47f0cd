package series

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEdgesFrom(t *testing.T) {
	start := time.Unix(6000, 0).UTC()
	ms := func(sec float64) float64 { return float64(start.UnixMilli()) + sec*1000 }
	nan := math.NaN()
	cases := []struct {
		name  string
		good  []float64 // per bucket of 1m
		total []float64
		last  []float64 // seconds after start of the last sample at or before each boundary
		want  []Counts
	}{
		{
			// One sample a minute at +20s: each boundary is 40s after its last sample and
			// 20s before the next, so 2/3 of the next bucket's growth lies before it (at
			// the end of the data, 2/3 of the bucket before).
			name:  "offset scrapes",
			total: []float64{60, 90, 30},
			good:  []float64{60, 60, 30},
			last:  []float64{-40, 20, 80, 140},
			want:  []Counts{{40, 40}, {40, 60}, {20, 20}, {20, 20}},
		},
		{
			name:  "samples on the boundaries need no estimate",
			total: []float64{5, 5},
			good:  []float64{5, 5},
			last:  []float64{0, 60, 120},
			want:  []Counts{{}, {}, {}},
		},
		{
			// A boundary inside a gap longer than the span gets no estimate; its growth
			// stays where the gap ends.
			name:  "gap",
			total: []float64{10, 0, 0, 0, 0, 0, 0, 600},
			good:  []float64{10, 0, 0, 0, 0, 0, 0, 600},
			last:  []float64{-30, 30, 30, 30, 30, 30, 30, 30, 450},
			want:  []Counts{{5, 5}, {}, {}, {}, {}, {}, {}, {}, {}},
		},
		{
			// A gap within the bound: a boundary inside it takes its share of the growth
			// across the gap (the sample times come back NaN from the 5m lookback).
			name:  "bridged gap",
			total: []float64{0, 0, 0, 0, 0, 0, 0, 600},
			good:  []float64{0, 0, 0, 0, 0, 0, 0, 600},
			last:  []float64{-30, -30, -30, -30, -30, -30, nan, nan, 450},
			want:  []Counts{{37.5, 37.5}, {112.5, 112.5}, {187.5, 187.5}, {262.5, 262.5}, {337.5, 337.5}, {412.5, 412.5}, {487.5, 487.5}, {562.5, 562.5}, {37.5, 37.5}},
		},
		{
			name:  "unknown sample times",
			total: []float64{1},
			good:  []float64{1},
			last:  []float64{nan, nan},
			want:  []Counts{{}, {}},
		},
		{
			// Two-minute scrapes over one-minute buckets: the next sample is two
			// boundaries ahead, and the growth of both buckets is interpolated.
			name:  "scrapes sparser than buckets",
			total: []float64{0, 120, 0},
			good:  []float64{0, 120, 0},
			last:  []float64{-30, -30, 90, 90},
			want:  []Counts{{30, 30}, {90, 90}, {30, 30}, {90, 90}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &Buckets{Start: start, Step: time.Minute, Good: c.good, Total: c.total}
			last := make([]float64, len(c.last))
			for i, v := range c.last {
				last[i] = ms(v)
			}
			span := 5 * time.Minute
			if c.name == "bridged gap" {
				span = time.Hour
			}
			got := EdgesFrom(b, last, span)
			require.Len(t, got, len(c.want))
			for i := range got {
				assert.InDelta(t, c.want[i].Good, got[i].Good, 1e-9, "good at boundary %d", i)
				assert.InDelta(t, c.want[i].Total, got[i].Total, 1e-9, "total at boundary %d", i)
			}
		})
	}
}

func TestEdgesTelescope(t *testing.T) {
	// With edges set, a window's sum is the growth between its interpolated ends, and
	// adjacent windows still add up to the window that spans both.
	start := time.Unix(6000, 0).UTC()
	b := &Buckets{Start: start, Step: time.Minute, Total: []float64{60, 90, 30, 60}, Good: []float64{60, 60, 30, 60}}
	last := []float64{-40, 20, 80, 140, 200}
	for i := range last {
		last[i] = float64(start.UnixMilli()) + last[i]*1000
	}
	b.Edges = EdgesFrom(b, last, 5*time.Minute)
	whole, err := b.Between(start, start.Add(4*time.Minute))
	require.NoError(t, err)
	a, err := b.Between(start, start.Add(2*time.Minute))
	require.NoError(t, err)
	c, err := b.Between(start.Add(2*time.Minute), start.Add(4*time.Minute))
	require.NoError(t, err)
	assert.InDelta(t, whole.Total, a.Total+c.Total, 1e-9)
	assert.InDelta(t, whole.Bad(), a.Bad()+c.Bad(), 1e-9)
	// (0, 2m]: 60+90 from the buckets, plus 2/3 of the third bucket (20), minus 40 at
	// the start.
	assert.InDelta(t, 60+90+20-40, a.Total, 1e-9)
	assert.Equal(t, Counts{Good: 40, Total: 60}, b.EdgeAt(start.Add(time.Minute)))
}
