package series

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func min1(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func TestCounts(t *testing.T) {
	tests := []struct {
		name string
		c    Counts
		bad  float64
	}{
		{"some bad", Counts{Good: 9, Total: 10}, 1},
		{"all good", Counts{Good: 10, Total: 10}, 0},
		{"good above total clamps", Counts{Good: 11, Total: 10}, 0},
		{"empty", Counts{}, 0},
	}
	for _, tt := range tests {
		if got := tt.c.Bad(); got != tt.bad {
			t.Errorf("%s: Bad() = %v, want %v", tt.name, got, tt.bad)
		}
	}
	if got := (Counts{1, 2}).Add(Counts{3, 5}); got != (Counts{4, 7}) {
		t.Errorf("Add = %v, want {4 7}", got)
	}
}

func TestBucketGeometry(t *testing.T) {
	b := New(t0, time.Minute, 5)
	if b.Len() != 5 || len(b.Good) != 5 || len(b.Total) != 5 {
		t.Fatalf("Len = %d", b.Len())
	}
	if !b.End().Equal(min1(5)) {
		t.Errorf("End = %v, want %v", b.End(), min1(5))
	}
	if !b.BucketEnd(0).Equal(min1(1)) || !b.BucketEnd(4).Equal(min1(5)) {
		t.Errorf("BucketEnd(0), (4) = %v, %v", b.BucketEnd(0), b.BucketEnd(4))
	}
	if New(t0, time.Minute, -1).Len() != 0 {
		t.Error("negative n should give no buckets")
	}
}

func TestAlign(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name string
		t    time.Time
		step time.Duration
		want time.Time
	}{
		{"5m", time.Date(2024, 3, 10, 10, 7, 30, 0, time.UTC), 5 * time.Minute, time.Date(2024, 3, 10, 10, 5, 0, 0, time.UTC)},
		{"on grid stays", time.Date(2024, 3, 10, 10, 5, 0, 0, time.UTC), 5 * time.Minute, time.Date(2024, 3, 10, 10, 5, 0, 0, time.UTC)},
		// The epoch was a Thursday, so 7d steps start on Thursdays (not on
		// Mondays, as time.Truncate's year-1 origin would give).
		{"7d from epoch", time.Date(2024, 3, 10, 15, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, time.Date(2024, 3, 7, 0, 0, 0, 0, time.UTC)},
		{"before epoch floors down", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Hour, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"sub-second", time.Unix(1, 700_000_000), 500 * time.Millisecond, time.Unix(1, 500_000_000)},
		{"nanoseconds dropped", time.Unix(60, 999), time.Minute, time.Unix(60, 0)},
		// A 1d step aligns to UTC midnight, which is 01:00 in Berlin winter.
		{"zone irrelevant", time.Date(2024, 1, 15, 0, 30, 0, 0, berlin), 24 * time.Hour, time.Date(2024, 1, 14, 0, 0, 0, 0, time.UTC)},
		{"zero step unchanged", time.Unix(61, 5), 0, time.Unix(61, 5)},
	}
	for _, tt := range tests {
		if got := Align(tt.t, tt.step); !got.Equal(tt.want) {
			t.Errorf("%s: Align(%v, %v) = %v, want %v", tt.name, tt.t, tt.step, got.UTC(), tt.want.UTC())
		}
	}
}

func TestGrid(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2024, 3, 10, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		from, to time.Time
		step     time.Duration
		want     []time.Time
	}{
		{"off-grid from rounds up", at(10, 2), at(10, 20), 5 * time.Minute, []time.Time{at(10, 5), at(10, 10), at(10, 15), at(10, 20)}},
		{"inclusive both ends", at(10, 0), at(10, 10), 5 * time.Minute, []time.Time{at(10, 0), at(10, 5), at(10, 10)}},
		{"off-grid to rounds down", at(10, 0), at(10, 9), 5 * time.Minute, []time.Time{at(10, 0), at(10, 5)}},
		{"single point", at(10, 5), at(10, 5), 5 * time.Minute, []time.Time{at(10, 5)}},
		{"no aligned point", at(10, 1), at(10, 4), 5 * time.Minute, nil},
		{"reversed", at(11, 0), at(10, 0), 5 * time.Minute, nil},
		{"zero step", at(10, 0), at(11, 0), 0, nil},
	}
	for _, tt := range tests {
		got := Grid(tt.from, tt.to, tt.step)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Grid = %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("%s: Grid[%d] = %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

// sample: bucket i ends at t0+(i+1)m.
func sample() *Buckets {
	return &Buckets{Start: t0, Step: time.Minute,
		Good:  []float64{9, 8, 10, 0, 5},
		Total: []float64{10, 10, 10, 0, 10}}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name    string
		end     time.Time
		w       time.Duration
		want    Counts
		covered time.Duration
	}{
		{"all buckets", min1(5), 5 * time.Minute, Counts{32, 40}, 5 * time.Minute},
		// Exactly two buckets (ending at 2m and 3m); a [2m:1m] subquery would
		// also take the bucket ending at 1m and give {27 30}.
		{"tiles, no extra bucket", min1(3), 2 * time.Minute, Counts{18, 20}, 2 * time.Minute},
		{"one bucket", min1(1), time.Minute, Counts{9, 10}, time.Minute},
		{"clipped before start", min1(2), 5 * time.Minute, Counts{17, 20}, 2 * time.Minute},
		{"clipped after end", min1(7), 3 * time.Minute, Counts{5, 10}, time.Minute},
		{"empty bucket is covered", min1(4), time.Minute, Counts{0, 0}, time.Minute},
		{"ends at start", t0, time.Minute, Counts{}, 0},
		{"wholly after data", min1(10), 2 * time.Minute, Counts{}, 0},
		{"wholly before data", t0.Add(-time.Hour), 2 * time.Minute, Counts{}, 0},
	}
	for _, tt := range tests {
		got, cov, err := sample().Window(tt.end, tt.w)
		if err != nil {
			t.Errorf("%s: unexpected error %v", tt.name, err)
			continue
		}
		if got != tt.want || cov != tt.covered {
			t.Errorf("%s: Window = %v covered %v, want %v covered %v", tt.name, got, cov, tt.want, tt.covered)
		}
	}
}

func TestWindowErrors(t *testing.T) {
	tests := []struct {
		name    string
		b       *Buckets
		end     time.Time
		w       time.Duration
		mention []string
	}{
		{"off-grid end", sample(), t0.Add(90 * time.Second), time.Minute, []string{"2024-03-01T00:01:30Z", "not on the bucket grid", "1m0s"}},
		{"window not a multiple", sample(), min1(3), 90 * time.Second, []string{"1m30s", "1m0s"}},
		{"zero window", sample(), min1(3), 0, []string{"window 0s"}},
		{"negative window", sample(), min1(3), -time.Minute, []string{"-1m0s"}},
		{"zero step", &Buckets{Start: t0, Good: []float64{1}, Total: []float64{1}}, t0, time.Minute, []string{"step"}},
	}
	for _, tt := range tests {
		_, _, err := tt.b.Window(tt.end, tt.w)
		if err == nil {
			t.Errorf("%s: expected an error", tt.name)
			continue
		}
		for _, m := range tt.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", tt.name, err, m)
			}
		}
	}
}

// The classic trap: a quiet bucket with a high error ratio and a busy one with a
// low error ratio. The window's SLI is summed good over summed total, not the
// mean of the two ratios.
func TestWindowSumsCountsNotRatios(t *testing.T) {
	b := &Buckets{Start: t0, Step: 5 * time.Minute,
		Good:  []float64{1, 999}, // ratios 0.5 and 0.999
		Total: []float64{2, 1000}}
	c, _, err := b.Window(t0.Add(10*time.Minute), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{1000, 1002}) {
		t.Fatalf("Window = %v, want {1000 1002}", c)
	}
	sli := c.Good / c.Total // 0.998004
	meanOfRatios := (0.5 + 0.999) / 2
	if math.Abs(sli-1000.0/1002.0) > 1e-15 || math.Abs(sli-meanOfRatios) < 0.2 {
		t.Errorf("SLI = %v, want 1000/1002 (not the mean of ratios %v)", sli, meanOfRatios)
	}
}

func TestWindowBadClampedPerWindow(t *testing.T) {
	// Bucket 0 has Good slightly above Total (scrape jitter): -0.5 bad.
	b := &Buckets{Start: t0, Step: time.Minute,
		Good:  []float64{10.5, 9, math.NaN()},
		Total: []float64{10, 10, math.NaN()}}
	tests := []struct {
		end  time.Time
		w    time.Duration
		want Counts
	}{
		{min1(2), 2 * time.Minute, Counts{Good: 19.5, Total: 20}}, // bad -0.5+1 = 0.5
		{min1(1), time.Minute, Counts{Good: 10, Total: 10}},       // bad clamped to 0, Good reported as Total
		{min1(3), time.Minute, Counts{}},                          // NaN bucket counts as no events
		{min1(3), 3 * time.Minute, Counts{Good: 19.5, Total: 20}},
	}
	for _, tt := range tests {
		got, _, err := b.Window(tt.end, tt.w)
		if err != nil || got != tt.want {
			t.Errorf("Window(%v, %v) = %v, %v; want %v", tt.end, tt.w, got, err, tt.want)
		}
	}
}

func TestRolling(t *testing.T) {
	b := sample()
	ends := []time.Time{min1(1), min1(2), min1(3), min1(4), min1(5), min1(6)}
	got, cov, err := b.Rolling(ends, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []Counts{{9, 10}, {17, 20}, {18, 20}, {10, 10}, {5, 10}, {5, 10}}
	wantCov := []time.Duration{time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute, time.Minute}
	for i := range want {
		if got[i] != want[i] || cov[i] != wantCov[i] {
			t.Errorf("Rolling[%d] = %v covered %v, want %v covered %v", i, got[i], cov[i], want[i], wantCov[i])
		}
		w, c, _ := b.Window(ends[i], 2*time.Minute)
		if w != got[i] || c != cov[i] {
			t.Errorf("Rolling[%d] = %v differs from Window %v", i, got[i], w)
		}
	}
	if _, _, err := b.Rolling([]time.Time{min1(1), t0.Add(30 * time.Second)}, time.Minute); err == nil ||
		!strings.Contains(err.Error(), "00:00:30Z") {
		t.Errorf("off-grid end: err = %v", err)
	}
	if _, _, err := b.Rolling(ends, 0); err == nil {
		t.Error("zero window: expected an error")
	}
	if got, _, err := b.Rolling(nil, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("no ends: %v, %v", got, err)
	}
}

func TestPrefixRebuiltWhenSlicesReplaced(t *testing.T) {
	b := sample()
	if c, _, _ := b.Window(min1(5), 5*time.Minute); c != (Counts{32, 40}) {
		t.Fatalf("first Window = %v", c)
	}
	b.Good = []float64{1, 1, 1, 1, 1, 1}
	b.Total = []float64{2, 2, 2, 2, 2, 2}
	if c, _, _ := b.Window(min1(6), 6*time.Minute); c != (Counts{6, 12}) {
		t.Errorf("after replacing slices Window = %v, want {6 12}", c)
	}
}

func TestBetween(t *testing.T) {
	b := sample()
	tests := []struct {
		name     string
		from, to time.Time
		want     Counts
		wantErr  string
	}{
		{"middle", min1(1), min1(4), Counts{18, 20}, ""},
		{"empty range", min1(2), min1(2), Counts{}, ""},
		{"reaching before start", t0.Add(-2 * time.Minute), min1(1), Counts{9, 10}, ""},
		{"reaching past end", min1(3), min1(9), Counts{5, 10}, ""},
		{"reversed", min1(4), min1(1), Counts{}, "before its start"},
		{"off-grid from", t0.Add(10 * time.Second), min1(2), Counts{}, "00:00:10Z"},
		{"off-grid to", min1(1), t0.Add(130 * time.Second), Counts{}, "00:02:10Z"},
	}
	for _, tt := range tests {
		got, err := b.Between(tt.from, tt.to)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: Between = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// TestLargeCountPrecision sums windows over 1e5 buckets of ~1e9 events with a
// long, very bad incident early on, and demands the bad fraction of later,
// healthy windows to 1e-9 relative to an exact (big.Float) reference.
func TestLargeCountPrecision(t *testing.T) {
	const n = 100_000
	b := New(t0, 5*time.Minute, n)
	for i := 0; i < n; i++ {
		total := 1e9 + 0.37*float64(i%1000) + 1.0/3
		bad := 1000 + 0.013*float64(i%97) // 1e-6 bad fraction
		if i >= 10_000 && i < 60_000 {
			bad = 3e8 + 0.7*float64(i%13) // incident: 30 % bad
		}
		b.Total[i] = total
		b.Good[i] = total - bad
	}
	exact := func(i, j int) (bad, tot *big.Float) {
		bad, tot = new(big.Float).SetPrec(300), new(big.Float).SetPrec(300)
		for k := i; k < j; k++ {
			g := new(big.Float).SetPrec(300).SetFloat64(b.Good[k])
			tk := new(big.Float).SetPrec(300).SetFloat64(b.Total[k])
			tot.Add(tot, tk)
			bad.Add(bad, tk.Sub(tk, g))
		}
		return bad, tot
	}
	// Naive float64 prefix sums of Good and Total, to show the case is hard.
	pg, pt := make([]float64, n+1), make([]float64, n+1)
	for i := 0; i < n; i++ {
		pg[i+1], pt[i+1] = pg[i]+b.Good[i], pt[i]+b.Total[i]
	}
	windows := []struct {
		name string
		k    int // buckets
	}{{"1h", 12}, {"6h", 72}, {"1d", 288}, {"28d", 8064}, {"all", n}}
	naiveFails := false
	for _, w := range windows {
		c, cov, err := b.Window(b.End(), time.Duration(w.k)*b.Step)
		if err != nil || cov != time.Duration(w.k)*b.Step {
			t.Fatalf("%s: %v covered %v", w.name, err, cov)
		}
		eb, et := exact(n-w.k, n)
		want, _ := new(big.Float).Quo(eb, et).Float64()
		got := c.Bad() / c.Total
		if rel := math.Abs(got-want) / want; rel > 1e-9 {
			t.Errorf("%s: bad fraction %.15g, want %.15g (relative error %.2g)", w.name, got, want, rel)
		}
		naive := ((pt[n] - pt[n-w.k]) - (pg[n] - pg[n-w.k])) / (pt[n] - pt[n-w.k])
		if math.Abs(naive-want)/want > 1e-9 {
			naiveFails = true
		}
	}
	if !naiveFails {
		t.Error("test data too easy: naive prefix sums also meet 1e-9")
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// TestConcurrentUse runs the lazy prefix build from several goroutines (run
// with -race).
func TestConcurrentUse(t *testing.T) {
	b := sample()
	done := make(chan Counts)
	for i := 0; i < 8; i++ {
		go func() {
			c, _, _ := b.Window(min1(5), 5*time.Minute)
			done <- c
		}()
	}
	for i := 0; i < 8; i++ {
		if c := <-done; c != (Counts{32, 40}) {
			t.Errorf("concurrent Window = %v, want {32 40}", c)
		}
	}
}

func BenchmarkRolling(b *testing.B) {
	const n = 100_000 // ~347 days of 5m buckets
	bk := New(t0, 5*time.Minute, n)
	for i := range bk.Total {
		bk.Total[i], bk.Good[i] = 1000, 999
	}
	ends := make([]time.Time, 0, n)
	for i := 0; i < n; i++ {
		ends = append(ends, bk.BucketEnd(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bk.pre = nil // include the prefix build
		if _, _, err := bk.Rolling(ends, 30*24*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
