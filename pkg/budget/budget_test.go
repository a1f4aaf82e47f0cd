package budget

import (
	"math"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/series"
)

func near(a, b, tol float64) bool {
	if math.IsInf(b, 0) || math.IsNaN(b) {
		return a == b || (math.IsNaN(a) && math.IsNaN(b))
	}
	return math.Abs(a-b) <= tol
}

func TestSLIAndBadFraction(t *testing.T) {
	tests := []struct {
		name   string
		c      series.Counts
		sli    float64
		bad    float64
		wantOK bool
	}{
		{"three nines", series.Counts{Good: 999, Total: 1000}, 0.999, 0.001, true},
		{"one percent bad", series.Counts{Good: 990, Total: 1000}, 0.99, 0.01, true},
		{"all good", series.Counts{Good: 10, Total: 10}, 1, 0, true},
		{"all bad is a real 0%", series.Counts{Good: 0, Total: 10}, 0, 1, true},
		{"good above total", series.Counts{Good: 11, Total: 10}, 1, 0, true},
		{"no events is no data", series.Counts{}, 0, 0, false},
		{"negative total", series.Counts{Good: 0, Total: -1}, 0, 0, false},
		{"NaN total", series.Counts{Good: 1, Total: math.NaN()}, 0, 0, false},
		{"NaN good", series.Counts{Good: math.NaN(), Total: 1}, 0, 0, false},
	}
	for _, tt := range tests {
		sli, ok := SLI(tt.c)
		if ok != tt.wantOK || !near(sli, tt.sli, 1e-15) || math.IsNaN(sli) {
			t.Errorf("%s: SLI = %v, %v; want %v, %v", tt.name, sli, ok, tt.sli, tt.wantOK)
		}
		bf, ok := BadFraction(tt.c)
		if ok != tt.wantOK || !near(bf, tt.bad, 1e-15) || math.IsNaN(bf) {
			t.Errorf("%s: BadFraction = %v, %v; want %v, %v", tt.name, bf, ok, tt.bad, tt.wantOK)
		}
	}
}

func TestRemainingAndBurnRate(t *testing.T) {
	tests := []struct {
		name            string
		sli, target     float64
		remaining, burn float64
	}{
		{"half spent", 0.9995, 0.999, 0.5, 0.5},
		{"exactly spent", 0.999, 0.999, 0, 1},
		{"overspent twice", 0.997, 0.999, -2, 3},
		{"perfect", 1, 0.999, 1, 0},
		{"burn 10", 0.99, 0.999, -9, 10},
		{"burn 2 at 99.93", 0.9986, 0.9993, -1, 2},
		{"all bad", 0, 0.99, -99, 100},
		{"target 1 invalid", 0.99, 1, math.NaN(), math.NaN()},
		{"target 0 invalid", 0.99, 0, math.NaN(), math.NaN()},
		{"target as percent invalid", 0.99, 99.9, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		if got := Remaining(tt.sli, tt.target); !near(got, tt.remaining, 1e-9) {
			t.Errorf("%s: Remaining = %v, want %v", tt.name, got, tt.remaining)
		}
		if got := BurnRate(tt.sli, tt.target); !near(got, tt.burn, 1e-9) {
			t.Errorf("%s: BurnRate = %v, want %v", tt.name, got, tt.burn)
		}
	}
}

func TestTimeToExhaustion(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name      string
		remaining float64
		burn      float64
		window    time.Duration
		want      time.Duration
		wantOK    bool
	}{
		{"half left at burn 2 over 30d", 0.5, 2, 30 * day, 180 * time.Hour, true},
		{"full budget at burn 1", 1, 1, 28 * day, 28 * day, true},
		{"burn 14.4 over 30d", 1, 14.4, 30 * day, 50 * time.Hour, true},
		{"already spent", 0, 3, 30 * day, 0, true},
		{"overspent, even with no burn", -0.3, 0, 30 * day, 0, true},
		{"no burn never exhausts", 0.5, 0, 30 * day, 0, false},
		{"negative burn never exhausts", 0.5, -1, 30 * day, 0, false},
		{"beyond time.Duration", 1, 1e-20, 30 * day, 0, false},
		{"NaN remaining", math.NaN(), 1, 30 * day, 0, false},
		{"NaN burn", 0.5, math.NaN(), 30 * day, 0, false},
	}
	for _, tt := range tests {
		got, ok := TimeToExhaustion(tt.remaining, tt.burn, tt.window)
		if ok != tt.wantOK || (got-tt.want).Abs() > time.Millisecond {
			t.Errorf("%s: TimeToExhaustion = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStatus(t *testing.T) {
	fast := Alert{LongBurn: 15, ShortBurn: 16, Factor: 14.4, LongOK: true, ShortOK: true}
	tests := []struct {
		name      string
		remaining float64
		haveSLI   bool
		alerts    []Alert
		want      State
	}{
		{"no SLI", 0.9, false, nil, StateNoData},
		{"no SLI beats negative remaining", -1, false, []Alert{fast}, StateNoData},
		{"NaN remaining", math.NaN(), true, nil, StateNoData},
		{"overspent", -0.01, true, nil, StateBreached},
		{"overspent and burning", -0.5, true, []Alert{fast}, StateBreached},
		{"little left", 0.1, true, nil, StateAtRisk},
		{"just below threshold", 0.2499, true, nil, StateAtRisk},
		{"at threshold is ok", 0.25, true, nil, StateOK},
		{"exactly spent is not breached", 0, true, nil, StateAtRisk},
		{"healthy", 0.9, true, nil, StateOK},
		{"alert fires", 0.9, true, []Alert{fast}, StateAtRisk},
		{"alert at exactly the factor fires", 0.9, true, []Alert{{LongBurn: 6, ShortBurn: 6, Factor: 6, LongOK: true, ShortOK: true}}, StateAtRisk},
		{"second alert fires", 0.9, true, []Alert{{LongBurn: 1, ShortBurn: 1, Factor: 14.4, LongOK: true, ShortOK: true}, fast}, StateAtRisk},
		{"short window recovered", 0.9, true, []Alert{{LongBurn: 20, ShortBurn: 5, Factor: 14.4, LongOK: true, ShortOK: true}}, StateOK},
		{"long window below", 0.9, true, []Alert{{LongBurn: 5, ShortBurn: 20, Factor: 14.4, LongOK: true, ShortOK: true}}, StateOK},
		{"short window has no data", 0.9, true, []Alert{{LongBurn: 20, ShortBurn: 20, Factor: 14.4, LongOK: true}}, StateOK},
		{"unset factor never fires", 0.9, true, []Alert{{LongBurn: 1, ShortBurn: 1, LongOK: true, ShortOK: true}}, StateOK},
	}
	for _, tt := range tests {
		if got := Status(tt.remaining, tt.haveSLI, tt.alerts); got != tt.want {
			t.Errorf("%s: Status = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNines(t *testing.T) {
	tests := []struct{ sli, want float64 }{
		{0.9, 1},
		{0.99, 2},
		{0.999, 3},
		{0.9995, 3.3010299956639813}, // -log10(0.0005)
		{0.99999, 5},
		{0.5, 0.3010299956639812}, // log10(2)
		{0, 0},
		{1, math.Inf(1)},
		{1.2, math.Inf(1)},
	}
	for _, tt := range tests {
		if got := Nines(tt.sli); !near(got, tt.want, 1e-9) {
			t.Errorf("Nines(%v) = %v, want %v", tt.sli, got, tt.want)
		}
	}
}
