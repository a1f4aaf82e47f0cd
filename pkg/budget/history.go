package budget

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/nines-slo/nines/pkg/series"
)

// metTolerance is the relative slack on the bad fraction when judging whether
// an objective was met, so that e.g. 999 good of 1000 meets 99.9 % despite
// binary rounding.
const metTolerance = 1e-9

// PeriodResult is the outcome of one past window.
//
// SLI and BudgetUsed are 0 when HasData is false. BudgetUsed is
// (1-SLI)/(1-target): 1 means exactly the whole budget was spent.
type PeriodResult struct {
	Start, End time.Time
	Counts     series.Counts
	SLI        float64
	HasData    bool
	Met        bool
	Partial    bool
	BudgetUsed float64
}

// Evaluate judges each period's counts against target.
//
// periods[i] goes with counts[i]; extra elements of the longer slice are
// ignored. A period without events has HasData false and is not met.
func Evaluate(periods []series.Period, counts []series.Counts, target float64) []PeriodResult {
	n := min(len(periods), len(counts))
	out := make([]PeriodResult, n)
	for i := 0; i < n; i++ {
		r := PeriodResult{Start: periods[i].Start, End: periods[i].End, Partial: periods[i].Partial, Counts: counts[i]}
		if sli, ok := SLI(counts[i]); ok {
			r.SLI, r.HasData = sli, true
			r.BudgetUsed = BurnRate(sli, target)
			r.Met = Met(sli, target)
		}
		out[i] = r
	}
	return out
}

// Met reports whether an SLI meets a target: sli >= target, with a relative slack of
// metTolerance on 1-target (the one rule every "met" in Nines uses).
func Met(sli, target float64) bool {
	return 1-sli <= (1-target)*(1+metTolerance)
}

// objectiveTolerance is how close two objectives (ratios) must be to be the same one.
const objectiveTolerance = 1e-12

// SameObjective reports whether two objectives, as ratios, are the same one.
func SameObjective(a, b float64) bool { return math.Abs(a-b) < objectiveTolerance }

// Summary is the achievability of an objective over past periods.
type Summary struct {
	Periods  int // all periods
	WithData int // periods with events
	Met      int // periods with data that met the objective
	// ShareMet is Met/WithData.
	ShareMet float64
	// Achievable is the highest objective met in at least the requested share of the periods with data.
	Achievable float64
	// AchievableNines is Nines(Achievable); +Inf when every period counted was perfect.
	AchievableNines float64
	// Recommended is Recommend(Achievable).
	Recommended float64
}

// ErrNoData is returned by Achievability when no period has events.
var ErrNoData = errors.New("budget: no period has data")

// Achievability summarises how often target was met and which objective would have been met in share of the periods.
//
// Only periods with data count; partial periods are included as they are (the
// caller drops them first to exclude them). share is in (0, 1]: with n periods
// the achievable objective is the ceil(share*n)-th highest SLI. With no period
// with data it returns ErrNoData and a Summary with only Periods set.
func Achievability(results []PeriodResult, target, share float64) (Summary, error) {
	if !(share > 0 && share <= 1) {
		return Summary{}, fmt.Errorf("budget: share %v is not in (0, 1]", share)
	}
	s := Summary{Periods: len(results)}
	var slis []float64
	for _, r := range results {
		if !r.HasData {
			continue
		}
		slis = append(slis, r.SLI)
		if Met(r.SLI, target) {
			s.Met++
		}
	}
	s.WithData = len(slis)
	if s.WithData == 0 {
		return s, ErrNoData
	}
	s.ShareMet = float64(s.Met) / float64(s.WithData)
	sort.Sort(sort.Reverse(sort.Float64Slice(slis)))
	// The slack keeps e.g. 0.07*100 = 7.000000000000001 from becoming 8.
	k := int(math.Ceil(share*float64(len(slis))-1e-9)) - 1
	k = max(0, min(k, len(slis)-1))
	s.Achievable = slis[k]
	s.AchievableNines = Nines(s.Achievable)
	s.Recommended = Recommend(s.Achievable)
	return s, nil
}

// ladder is the sequence of conventional objectives from 90 % up to six nines.
var ladder = []float64{0.999999, 0.999995, 0.99999, 0.99995, 0.9999, 0.9995, 0.999, 0.995, 0.99, 0.95, 0.9}

// Recommend rounds an SLI down to a conventional objective.
//
// At 90 % and above that is the largest of 0.9, 0.95, 0.99, 0.995, 0.999, …,
// 0.999999 not above x; below 90 % it is x rounded down to a whole percent, and
// 0 when x is below 1 % (no sensible objective). NaN gives NaN.
func Recommend(x float64) float64 {
	if math.IsNaN(x) {
		return x
	}
	// A slack of 1e-12 lets an SLI computed as e.g. 1-0.001 meet 0.999.
	for _, v := range ladder {
		if x >= v-1e-12 {
			return v
		}
	}
	p := math.Floor(x*100 + 1e-9)
	if p < 1 {
		return 0
	}
	return p / 100
}
