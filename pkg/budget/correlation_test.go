package budget

import (
	"math"
	"testing"
)

var nan = math.NaN()

func TestPearson(t *testing.T) {
	tests := []struct {
		name   string
		x, y   []float64
		r      float64
		n      int
		wantOK bool
	}{
		{"perfect", []float64{1, 2, 3, 4, 5}, []float64{2, 4, 6, 8, 10}, 1, 5, true},
		{"perfectly inverse", []float64{1, 2, 3, 4, 5}, []float64{10, 8, 6, 4, 2}, -1, 5, true},
		// dx = dy = -1,0,1 vs -1,1,0: sxy 1, sxx 2, syy 2.
		{"hand computed 0.5", []float64{1, 2, 3}, []float64{1, 3, 2}, 0.5, 3, true},
		// sxy 4, sxx 5, syy 5.
		{"hand computed 0.8", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8, 4, true},
		{"NaN pairs left out", []float64{1, 2, nan, 3, 4}, []float64{1, 3, 5, 2, nan}, 0.5, 3, true},
		{"longer x ignored past y", []float64{1, 2, 3, 100}, []float64{1, 3, 2}, 0.5, 3, true},
		{"two pairs", []float64{1, 2}, []float64{1, 2}, 0, 2, false},
		{"constant x", []float64{3, 3, 3, 3}, []float64{1, 2, 3, 4}, 0, 4, false},
		{"empty", nil, nil, 0, 0, false},
	}
	for _, tt := range tests {
		r, n, ok := Pearson(tt.x, tt.y)
		if ok != tt.wantOK || n != tt.n || !near(r, tt.r, 1e-12) {
			t.Errorf("%s: Pearson = %v, %d, %v; want %v, %d, %v", tt.name, r, n, ok, tt.r, tt.n, tt.wantOK)
		}
	}
}

func TestSpearman(t *testing.T) {
	tests := []struct {
		name   string
		x, y   []float64
		r      float64
		n      int
		wantOK bool
	}{
		{"monotone but not linear", []float64{1, 2, 3, 4, 5}, []float64{1, 4, 9, 16, 100}, 1, 5, true},
		{"reversed", []float64{1, 2, 3, 4, 5}, []float64{50, 40, 3, 2, 1}, -1, 5, true},
		// x ranks 1, 2.5, 2.5, 4 against 1, 2, 3, 4: sxy 4.5, sxx 4.5, syy 5 → 3/√10.
		{"ties get average ranks", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, 3 / math.Sqrt(10), 4, true},
		// ranks 1, 3, 2 against 1, 2, 3 → 0.5, as Pearson on ranks.
		{"hand computed", []float64{10, 30, 20}, []float64{0.1, 0.2, 0.3}, 0.5, 3, true},
		{"NaN pairs left out", []float64{1, nan, 2, 3}, []float64{3, 1, 2, 1}, -1, 3, true},
		{"all tied", []float64{1, 1, 1}, []float64{1, 2, 3}, 0, 3, false},
		{"too short", []float64{1, 2}, []float64{2, 1}, 0, 2, false},
	}
	for _, tt := range tests {
		r, n, ok := Spearman(tt.x, tt.y)
		if ok != tt.wantOK || n != tt.n || !near(r, tt.r, 1e-12) {
			t.Errorf("%s: Spearman = %v, %d, %v; want %v, %d, %v", tt.name, r, n, ok, tt.r, tt.n, tt.wantOK)
		}
	}
	// The monotone case is where the two differ: Pearson is below 1.
	if r, _, _ := Pearson([]float64{1, 2, 3, 4, 5}, []float64{1, 4, 9, 16, 100}); r > 0.95 {
		t.Errorf("Pearson of a convex series = %v, expected well below 1", r)
	}
}

func TestBestLag(t *testing.T) {
	x := []float64{0, 0, 1, 0, 0, 0, 2, 0, 0, 0}
	tests := []struct {
		name   string
		x, y   []float64
		max    int
		lag    int
		r      float64
		wantOK bool
	}{
		// y[i+2] = x[i]: the signal follows the SLI by two intervals.
		{"y lags x by 2", x, []float64{0, 0, 0, 0, 1, 0, 0, 0, 2, 0}, 3, 2, 1, true},
		// y[i-1] = x[i].
		{"y leads x by 1", x, []float64{0, 1, 0, 0, 0, 2, 0, 0, 0, 0}, 3, -1, 1, true},
		// Strong negative correlation wins on |r|.
		{"inverse at lag 1", x, []float64{0, 0, 0, -1, 0, 0, 0, -2, 0, 0}, 2, 1, -1, true},
		// With max 1 the true lag 2 is out of reach. Lag 0: sxy -0.9, sxx = syy
		// 4.1 → -0.2195; lags ±1: sxy -1, sxx = syy 4 → -0.25 each, a tie
		// that goes to the negative lag.
		{"lag outside the range, tie to negative", x, []float64{0, 0, 0, 0, 1, 0, 0, 0, 2, 0}, 1, -1, -0.25, true},
		// Linear series correlate perfectly at every lag: the nearest to zero wins.
		{"tie goes to zero", []float64{1, 2, 3, 4, 5, 6}, []float64{1, 2, 3, 4, 5, 6}, 2, 0, 1, true},
		{"negative max is zero only", []float64{1, 2, 3}, []float64{1, 3, 2}, -4, 0, 0.5, true},
		{"too short", []float64{1, 2}, []float64{1, 2}, 3, 0, 0, false},
	}
	for _, tt := range tests {
		lag, r, ok := BestLag(tt.x, tt.y, tt.max)
		if ok != tt.wantOK || lag != tt.lag || !near(r, tt.r, 1e-12) {
			t.Errorf("%s: BestLag = %d, %v, %v; want %d, %v, %v", tt.name, lag, r, ok, tt.lag, tt.r, tt.wantOK)
		}
	}
}
