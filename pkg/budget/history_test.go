package budget

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/nines-slo/nines/pkg/series"
)

func month(m time.Month) series.Period {
	return series.Period{Start: time.Date(2024, m, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, m+1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestEvaluate(t *testing.T) {
	partial := month(time.April)
	partial.Partial = true
	periods := []series.Period{month(time.January), month(time.February), month(time.March), partial}
	counts := []series.Counts{
		{Good: 999, Total: 1000},   // exactly 99.9 %: met, whole budget used
		{Good: 995, Total: 1000},   // 99.5 %: budget used 5 times over
		{},                         // no traffic: no data, not met
		{Good: 9998, Total: 10000}, // 99.98 %: a fifth of the budget
		{Good: 1, Total: 1},        // no period for it: ignored
	}
	want := []PeriodResult{
		{SLI: 0.999, HasData: true, Met: true, BudgetUsed: 1},
		{SLI: 0.995, HasData: true, Met: false, BudgetUsed: 5},
		{SLI: 0, HasData: false, Met: false, BudgetUsed: 0},
		{SLI: 0.9998, HasData: true, Met: true, Partial: true, BudgetUsed: 0.2},
	}
	got := Evaluate(periods, counts, 0.999)
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if !g.Start.Equal(periods[i].Start) || !g.End.Equal(periods[i].End) || g.Counts != counts[i] {
			t.Errorf("result %d: period/counts not carried over: %+v", i, g)
		}
		if !near(g.SLI, w.SLI, 1e-12) || g.HasData != w.HasData || g.Met != w.Met ||
			g.Partial != w.Partial || !near(g.BudgetUsed, w.BudgetUsed, 1e-9) {
			t.Errorf("result %d = SLI %v data %v met %v partial %v used %v; want %+v",
				i, g.SLI, g.HasData, g.Met, g.Partial, g.BudgetUsed, w)
		}
	}
	// 514.0377 of 519.23 is exactly 99 %, but 1-bad/total rounds to
	// 0.9899999999999999: still met, and still recommends 0.99.
	edge := Evaluate(periods[:1], []series.Counts{{Good: 514.0377, Total: 519.23}}, 0.99)
	if !edge[0].Met || !near(edge[0].BudgetUsed, 1, 1e-9) || Recommend(edge[0].SLI) != 0.99 {
		t.Errorf("exactly-met fractional counts: %+v, Recommend %v", edge[0], Recommend(edge[0].SLI))
	}
	if len(Evaluate(periods[:2], counts, 0.999)) != 2 {
		t.Error("results should stop at the shorter input")
	}
}

// results builds period results with the given good counts out of 10000
// (negative: a period without data) at target 0.999.
func results(goods ...float64) []PeriodResult {
	var ps []series.Period
	var cs []series.Counts
	for i, g := range goods {
		ps = append(ps, month(time.Month(i%12+1)))
		if g < 0 {
			cs = append(cs, series.Counts{})
		} else {
			cs = append(cs, series.Counts{Good: g, Total: 10000})
		}
	}
	return Evaluate(ps, cs, 0.999)
}

func TestAchievability(t *testing.T) {
	// Ten months with data plus one without; sorted descending the SLIs are
	// 1, .9999, .9999, .9995, .999, .999, .9985, .998, .997, .995.
	ten := results(9999, 9995, 9990, 9990, 9985, 9980, 9999, 9970, 10000, 9950, -1)
	// 100 periods with SLIs .900 .. .999 (as good of 1000 scaled to 10000).
	var hundred []float64
	for i := 0; i < 100; i++ {
		hundred = append(hundred, 9000+10*float64(i))
	}
	tests := []struct {
		name    string
		res     []PeriodResult
		share   float64
		want    Summary
		wantErr error
	}{
		// ceil(0.9*10)-1 = 8: the 9th highest SLI, 0.997, was met in 9 of 10.
		{"90% of ten", ten, 0.9, Summary{Periods: 11, WithData: 10, Met: 6, ShareMet: 0.6,
			Achievable: 0.997, AchievableNines: 2.5228787452803374, Recommended: 0.995}, nil},
		{"all of ten", ten, 1, Summary{Periods: 11, WithData: 10, Met: 6, ShareMet: 0.6,
			Achievable: 0.995, AchievableNines: 2.3010299956639813, Recommended: 0.995}, nil},
		{"half of ten", ten, 0.5, Summary{Periods: 11, WithData: 10, Met: 6, ShareMet: 0.6,
			Achievable: 0.999, AchievableNines: 3, Recommended: 0.999}, nil},
		{"best period is perfect", ten, 0.05, Summary{Periods: 11, WithData: 10, Met: 6, ShareMet: 0.6,
			Achievable: 1, AchievableNines: math.Inf(1), Recommended: 0.999999}, nil},
		// 0.07*100 is 7.000000000000001 in float64: still the 7th highest (.993).
		{"share times n rounding", results(hundred...), 0.07, Summary{Periods: 100, WithData: 100, Met: 1, ShareMet: 0.01,
			Achievable: 0.993, AchievableNines: 2.1549019599857431, Recommended: 0.99}, nil},
		{"no data at all", results(-1, -1), 0.9, Summary{Periods: 2}, ErrNoData},
	}
	for _, tt := range tests {
		got, err := Achievability(tt.res, 0.999, tt.share)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		w := tt.want
		if got.Periods != w.Periods || got.WithData != w.WithData || got.Met != w.Met ||
			!near(got.ShareMet, w.ShareMet, 1e-12) || !near(got.Achievable, w.Achievable, 1e-12) ||
			!near(got.AchievableNines, w.AchievableNines, 1e-9) || got.Recommended != w.Recommended {
			t.Errorf("%s: Achievability = %+v, want %+v", tt.name, got, w)
		}
	}
	for _, share := range []float64{0, -0.5, 1.01, math.NaN()} {
		if _, err := Achievability(ten, 0.999, share); err == nil {
			t.Errorf("share %v: expected an error", share)
		}
	}
}

func TestRecommend(t *testing.T) {
	tests := []struct{ x, want float64 }{
		{1, 0.999999},
		{0.9999999, 0.999999},
		{0.999996, 0.999995},
		{0.99995, 0.99995},
		{0.99994, 0.9999},
		{0.9999, 0.9999},
		{0.9997, 0.9995},
		{1 - 0.001, 0.999}, // 0.9989999999999999... must still give 0.999
		{0.9989, 0.995},
		{0.995, 0.995},
		{0.9949, 0.99},
		{0.99, 0.99},
		{0.97, 0.95},
		{0.949, 0.9},
		{0.9, 0.9},
		{0.8999, 0.89},
		{0.87, 0.87},
		{0.29, 0.29}, // 0.29*100 is 28.999999999999996
		{0.289, 0.28},
		{0.01, 0.01},
		{0.005, 0},
		{0, 0},
	}
	for _, tt := range tests {
		if got := Recommend(tt.x); got != tt.want {
			t.Errorf("Recommend(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
	if !math.IsNaN(Recommend(math.NaN())) {
		t.Error("Recommend(NaN) should be NaN")
	}
}

func TestMetAndSameObjective(t *testing.T) {
	cases := []struct {
		sli, target float64
		met         bool
	}{
		{0.999, 0.999, true},
		{1 - 0.001, 0.999, true}, // computed SLIs round either way
		{0.9989999, 0.999, false},
		{0.99, 0.995, false},
		{1, 0.999999, true},
	}
	for _, c := range cases {
		if got := Met(c.sli, c.target); got != c.met {
			t.Errorf("Met(%v, %v) = %v, want %v", c.sli, c.target, got, c.met)
		}
	}
	if !SameObjective(0.999, 99.9/100) || SameObjective(0.999, 0.9995) {
		t.Error("SameObjective tells 0.999 from 0.9995 and not from 99.9/100")
	}
}
