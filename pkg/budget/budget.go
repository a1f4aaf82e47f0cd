// Package budget holds the SLO math on event counts: SLI, error budget, burn
// rate, time to exhaustion, status, historical achievability and correlation
// with happiness signals.
//
// Objectives ("target") are ratios strictly between 0 and 1 (99.9 % is 0.999);
// they are validated where SLOs are loaded, and a target outside (0, 1) gives NaN
// here.
package budget

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nines-slo/nines/pkg/series"
)

// SLI returns the ratio of good to total events; ok is false when there were no events.
//
// It is computed as 1 - Bad/Total, lies in [0, 1], and is never NaN.
func SLI(c series.Counts) (sli float64, ok bool) {
	bf, ok := BadFraction(c)
	if !ok {
		return 0, false
	}
	return 1 - bf, true
}

// BadFraction returns the ratio of bad to total events; ok is false when there were no events.
func BadFraction(c series.Counts) (float64, bool) {
	if !(c.Total > 0) || math.IsInf(c.Total, 0) || math.IsNaN(c.Good) {
		return 0, false
	}
	bf := c.Bad() / c.Total
	if bf > 1 {
		bf = 1
	}
	return bf, true
}

// Remaining returns the share of the error budget left, 1 - (1-sli)/(1-target); negative when overspent.
func Remaining(sli, target float64) float64 {
	return 1 - BurnRate(sli, target)
}

// BurnRate returns how fast the budget is spent, (1-sli)/(1-target); 1 spends exactly the budget over the SLO window.
func BurnRate(sli, target float64) float64 {
	if !(target > 0 && target < 1) {
		return math.NaN()
	}
	return (1 - sli) / (1 - target)
}

// TimeToExhaustion returns when the remaining budget runs out at the given burn rate, in the SLO window's time.
//
// It is remaining*window/burn; 0 when remaining <= 0 (already spent); ok is
// false when the budget never runs out (burn <= 0) or not within the range of
// time.Duration (about 292 years), and for NaN inputs.
func TimeToExhaustion(remaining, burn float64, window time.Duration) (time.Duration, bool) {
	if math.IsNaN(remaining) || math.IsNaN(burn) {
		return 0, false
	}
	if remaining <= 0 {
		return 0, true
	}
	if burn <= 0 || window <= 0 {
		return 0, false
	}
	d := remaining * float64(window) / burn
	if d >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(d), true
}

// State is the status of an SLO.
type State string

// The states of an SLO.
const (
	StateOK       State = "ok"
	StateAtRisk   State = "at risk"
	StateBreached State = "breached"
	StateNoData   State = "no data"
)

// AtRiskRemaining is the share of budget remaining below which an SLO is at risk.
const AtRiskRemaining = 0.25

// Alert is one multiwindow burn-rate alert: the burn rates over its long and short windows and its factor.
//
// LongOK and ShortOK say whether the windows had data.
type Alert struct {
	LongBurn, ShortBurn, Factor float64
	LongOK, ShortOK             bool
}

// Fires reports whether both windows have data and burn at or above the factor.
func (a Alert) Fires() bool {
	return a.LongOK && a.ShortOK && a.Factor > 0 &&
		a.LongBurn >= a.Factor && a.ShortBurn >= a.Factor
}

// Status returns the state of an SLO from its budget remaining and burn-rate alerts.
//
// No data when there is no SLI (or remaining is NaN); breached when remaining
// < 0; at risk when remaining < AtRiskRemaining or any alert fires; else ok.
func Status(remaining float64, haveSLI bool, alerts []Alert) State {
	switch {
	case !haveSLI || math.IsNaN(remaining):
		return StateNoData
	case remaining < 0:
		return StateBreached
	case remaining < AtRiskRemaining:
		return StateAtRisk
	}
	for _, a := range alerts {
		if a.Fires() {
			return StateAtRisk
		}
	}
	return StateOK
}

// Nines returns the number of nines of an SLI, -log10(1-sli); +Inf for sli >= 1.
func Nines(sli float64) float64 {
	if sli >= 1 {
		return math.Inf(1)
	}
	return -math.Log10(1 - sli)
}

// Percent writes a ratio as a percent with up to three decimals: 0.999 → "99.9 %".
func Percent(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " %"
}
