package budget

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStrengthOf(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		want Strength
	}{
		{1, Strong}, {-0.95, Strong}, {0.7, Strong}, {-0.7, Strong}, {0.6999, Moderate},
		{0.4, Moderate}, {-0.4, Moderate}, {0.3999, Weak}, {0.2, Weak}, {-0.2, Weak},
		{0.1999, NoneS}, {0, NoneS}, {-0.05, NoneS},
	} {
		assert.Equal(t, tc.want, StrengthOf(tc.r), "r=%v", tc.r)
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    float64
		ok   bool
		n    int
		lag  string
		want Judgement
	}{
		{"strong negative", -0.951, true, 100, "1h", Judgement{Strong, "strong: tickets rises when availability falls (Pearson −0.95, best lag 1h)"}},
		{"moderate positive", 0.5, true, 12, "0", Judgement{Moderate, "moderate: tickets rises when availability rises (Pearson 0.50, best lag 0)"}},
		{"weak", -0.25, true, 50, "-2h", Judgement{Weak, "weak: tickets rises when availability falls (Pearson −0.25, best lag -2h)"}},
		{"none", 0.1, true, 50, "3h", Judgement{NoneS, "none: tickets does not move with availability (Pearson 0.10, best lag 3h)"}},
		{"too few", -0.99, true, 11, "1h", Judgement{TooFew, "too few intervals to judge: 11 with traffic and a tickets value, need at least 12"}},
		{"constant", 0, false, 40, "0", Judgement{NoneS, "none: tickets or availability did not vary over 40 intervals, so they cannot be correlated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Judge("availability", "tickets", tc.r, tc.ok, tc.n, tc.lag))
		})
	}
}

func TestFormatR(t *testing.T) {
	assert.Equal(t, "−0.95", FormatR(-0.9512))
	assert.Equal(t, "0.00", FormatR(-0.001))
	assert.Equal(t, "1.00", FormatR(1))
}
