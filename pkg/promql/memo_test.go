package promql

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// The remembered builders answer as building anew does, for every input that differs,
// and a caller changing its answer does not change the next caller's.
func TestRememberedBuildersEqualFreshOnes(t *testing.T) {
	ratio := func(good, total string) *slo.SLO {
		return &slo.SLO{Name: "s", Objective: 99.9, Indicator: slo.Indicator{Kind: slo.Ratio, Good: good, Total: total}}
	}
	slos := []*slo.SLO{
		ratio(`x{service="a",code="200"}`, `x{service="a"}`),
		ratio(`x{service="b",code="200"}`, `x{service="b"}`),
		ratio(`x{service="b",code=~"2.."}`, `x{service="b"}`),
		{Name: "l", Objective: 99, Indicator: slo.Indicator{Kind: slo.Latency, Histogram: `h{job="api"}`, Le: 0.3}},
		ratio(`sum(x{code="200"})`, `x`), // not plain: no grouped query, no plain selectors
	}
	tilings := []Tiling{{Form: FormLastSample, Step: time.Minute}, {Form: FormLastSample, Step: time.Hour}, {Form: FormIncrease, Step: time.Hour}}
	for round := 0; round < 2; round++ { // the second round reads what the first remembered
		for _, s := range slos {
			for _, tl := range tilings {
				want, wantOK := forSLOGrouped(s, tl)
				got, ok := ForSLOGrouped(s, tl)
				require.Equal(t, wantOK, ok)
				require.Equal(t, [3]any{want.Query, want.By, want.Bad}, [3]any{got.Query, got.By, got.Bad})
				require.Equal(t, fmt.Sprint(want.Matchers), fmt.Sprint(got.Matchers)) // compiled regexes differ as values
				if ok {
					got.By[0] = "changed by a caller"
				}
			}
			for _, le := range []string{"", "0.3"} {
				wantP, wantOK := plainSelectors(s, le)
				gotP, ok := PlainSelectors(s, le)
				require.Equal(t, wantOK, ok)
				require.Equal(t, wantP, gotP)
				for _, r := range []time.Duration{time.Minute, time.Hour} {
					wc, wr, werr := sampled(s, le, r, 10*time.Minute)
					gc, gr, gerr := Sampled(s, le, r, 10*time.Minute)
					require.Equal(t, werr, gerr)
					require.Equal(t, [2]string{wc, wr}, [2]string{gc, gr})
				}
			}
		}
		for _, sel := range []string{`x{service="a"}`, `x{service="b"}`, `sum(x)`} {
			for _, gap := range []time.Duration{5 * time.Minute, time.Hour} {
				want, werr := lastValues(sel, gap)
				got, gerr := LastValues(sel, gap)
				require.Equal(t, werr, gerr)
				require.Equal(t, want, got)
			}
		}
	}
	_, _, err := Sampled(&slo.SLO{Name: "broken", Indicator: slo.Indicator{Kind: slo.Ratio, Good: "x", Total: "x{"}}, "", time.Minute, time.Minute)
	require.ErrorContains(t, err, "x{", "an error is built anew, naming what was wrong")
}
