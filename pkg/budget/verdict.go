package budget

import (
	"fmt"
	"math"
	"strings"
)

// Strength is how strongly an SLI and a happiness signal move together.
type Strength string

// Strengths, from the absolute correlation: ≥ 0.7 strong, ≥ 0.4 moderate, ≥ 0.2 weak, else none;
// TooFew when there are fewer than MinIntervals intervals to judge.
const (
	Strong   Strength = "strong"
	Moderate Strength = "moderate"
	Weak     Strength = "weak"
	NoneS    Strength = "none"
	TooFew   Strength = "too few intervals"
)

// MinIntervals is the fewest intervals with both traffic and a signal value that Nines judges.
const MinIntervals = 12

// StrengthOf classifies an absolute correlation.
func StrengthOf(r float64) Strength {
	a := math.Abs(r)
	switch {
	case a >= 0.7:
		return Strong
	case a >= 0.4:
		return Moderate
	case a >= 0.2:
		return Weak
	}
	return NoneS
}

// Judgement is the verdict of a happiness test.
type Judgement struct {
	Strength Strength
	// Text is the plain-words verdict, e.g. "strong: support tickets rises when
	// availability falls (Pearson −0.95, best lag 1h)".
	Text string
}

// Judge gives the verdict for the correlation r between an SLI and a signal at the best
// lag, measured over n intervals. ok is false when no correlation could be computed
// (a constant series). lag is the best lag already rendered ("1h", "0").
func Judge(sli, signal string, r float64, ok bool, n int, lag string) Judgement {
	if n < MinIntervals {
		return Judgement{Strength: TooFew, Text: fmt.Sprintf("too few intervals to judge: %d with traffic and a %s value, need at least %d", n, signal, MinIntervals)}
	}
	if !ok {
		return Judgement{Strength: NoneS, Text: fmt.Sprintf("none: %s or %s did not vary over %d intervals, so they cannot be correlated", signal, sli, n)}
	}
	st := StrengthOf(r)
	if st == NoneS {
		return Judgement{Strength: st, Text: fmt.Sprintf("none: %s does not move with %s (Pearson %s, best lag %s)", signal, sli, FormatR(r), lag)}
	}
	dir := "falls"
	if r > 0 {
		dir = "rises"
	}
	return Judgement{Strength: st, Text: fmt.Sprintf("%s: %s rises when %s %s (Pearson %s, best lag %s)", st, signal, sli, dir, FormatR(r), lag)}
}

// FormatR renders a correlation with two decimals and a true minus sign.
func FormatR(r float64) string {
	s := fmt.Sprintf("%.2f", r)
	if s == "-0.00" {
		s = "0.00"
	}
	return strings.Replace(s, "-", "−", 1)
}
