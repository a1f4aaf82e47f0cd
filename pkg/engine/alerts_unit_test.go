package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

// The alert pairs of SLOs with known error rates: burn rates by hand, and "firing" only
// when both windows burn faster than the factor (strictly, as the Prometheus rules
// compare), over the SRE workbook's default windows.
func TestAlertsFromTrafficModel(t *testing.T) {
	// svc c: 1 bad a minute, 500 a minute in the last 30 minutes, 1000 requests a minute.
	cBurn := func(minutes float64) float64 {
		bad := max(minutes-30, 0)*1 + min(minutes, 30)*500
		return bad / (minutes * 1000) / 0.001
	}
	type want struct{ long, short float64 }
	cases := []struct {
		name   string
		s      *slo.SLO
		burns  []want // per default window pair: page 1h/5m, page 6h/30m, ticket 1d/2h, ticket 3d/6h
		firing []bool
	}{
		{"1 % errors against 99.9: burns 10 everywhere", ratioSLO("a", "a", 99.9, rolling(28*uDay)),
			[]want{{10, 10}, {10, 10}, {10, 10}, {10, 10}}, []bool{false, true, true, true}},
		{"0.1 % errors against 99.9: burns exactly 1, which does not exceed the 3d factor 1", ratioSLO("b", "b", 99.9, rolling(28*uDay)),
			[]want{{1, 1}, {1, 1}, {1, 1}, {1, 1}}, []bool{false, false, false, false}},
		{"an incident of the last 30 minutes fires every pair", ratioSLO("c", "c", 99.9, rolling(28*uDay)),
			[]want{{cBurn(60), cBurn(5)}, {cBurn(360), cBurn(30)}, {cBurn(1440), cBurn(120)}, {cBurn(4320), cBurn(360)}},
			[]bool{true, true, true, true}},
	}
	for _, form := range growthForms {
		for _, c := range cases {
			t.Run(form.name+"/"+c.name, func(t *testing.T) {
				f := webWorld(uNow, 4)
				f.growth = form.probe
				e := New(f)
				e.Ranges = form.ranges
				a, err := e.Alerts(context.Background(), c.s, uNow.Add(17*time.Second))
				require.NoError(t, err)
				require.Equal(t, uNow, a.At, "the windows end on the bucket grid")
				require.Len(t, a.Pairs, len(slo.DefaultBurnWindows))
				for i, p := range a.Pairs {
					require.Equal(t, slo.DefaultBurnWindows[i], p.BurnWindow)
					require.True(t, p.LongBurn.OK && p.ShortBurn.OK)
					require.Equal(t, p.Long, p.LongBurn.Window)
					require.Equal(t, p.Short, p.ShortBurn.Window)
					near(t, c.burns[i].long, p.LongBurn.Rate, "pair %d long burn", i)
					near(t, c.burns[i].short, p.ShortBurn.Rate, "pair %d short burn", i)
					v, ok := p.Ratio()
					require.True(t, ok)
					near(t, min(c.burns[i].long, c.burns[i].short)/p.Factor, v, "pair %d ratio", i)
					require.Equal(t, c.firing[i], p.Firing(), "pair %d (%s/%s ×%g) firing", i, p.Long, p.Short, p.Factor)
				}
				require.NotEmpty(t, a.Fetched.Queries)
			})
		}
	}
}

// Alerts' burn rates are status's: the same buckets, the same windows.
func TestAlertsAgreeWithStatus(t *testing.T) {
	f := webWorld(uNow, 4)
	e := New(f)
	s := ratioSLO("c", "c", 99.5, rolling(2*uDay))
	st, err := e.Status(context.Background(), s, uNow)
	require.NoError(t, err)
	a, err := e.Alerts(context.Background(), s, uNow)
	require.NoError(t, err)
	require.Equal(t, st.Burns[0], a.Pairs[0].LongBurn, "1h")
	require.Equal(t, st.Burns[1], a.Pairs[1].LongBurn, "6h")
}

// No traffic cannot fire: a window without events has no burn rate, and the pair has no
// ratio; an SLO's own alerting windows replace the defaults.
func TestAlertsNoDataAndOwnWindows(t *testing.T) {
	f := webWorld(uNow, 2)
	e := New(f)
	idle := ratioSLO("idle", "idle", 99.9, rolling(7*uDay))
	a, err := e.Alerts(context.Background(), idle, uNow)
	require.NoError(t, err)
	for _, p := range a.Pairs {
		_, ok := p.Ratio()
		require.False(t, ok)
		require.False(t, p.Firing())
	}

	own := ratioSLO("a", "a", 99, rolling(7*uDay))
	own.BurnWindow = []slo.BurnWindow{{Long: 30 * time.Minute, Short: 2 * time.Minute, Factor: 0.5, Severity: "critical"}}
	a, err = e.Alerts(context.Background(), own, uNow)
	require.NoError(t, err)
	require.Len(t, a.Pairs, 1)
	near(t, 1, a.Pairs[0].LongBurn.Rate, "1 % errors against 99")
	v, _ := a.Pairs[0].Ratio()
	near(t, 2, v, "burn 1 over factor 0.5")
	require.True(t, a.Pairs[0].Firing())
	require.Equal(t, "critical", a.Pairs[0].Severity)
}
