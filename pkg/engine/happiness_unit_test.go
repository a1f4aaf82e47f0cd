package engine

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// happyBad is svc h's bad requests a minute (of 1000) in the hour a sample closes:
// 0, 1, 2, 3, 4, 0, 1, … by the hour of day.
func happyBad(t time.Time) float64 { return float64(t.Add(-time.Minute).Hour() % 5) }

// happyWorld has svc h over 3 days up to uNow, with happiness signals that follow its
// errors: a tickets gauge at 3×bad+2 (in two regions, 1 and 2 a minute above that) and a
// cancellations counter growing by bad a minute. The tickets gauge has no samples in the
// hour (06:00, 07:00] of uNow's day.
func happyWorld() *fakeSource {
	f := newFake(uNow)
	from := uNow.Add(-3 * uDay)
	f.counter(`req_total{svc="h",code="200"}`, from, uNow, time.Minute, traffic{inc: func(t time.Time) float64 { return 1000 - happyBad(t) }})
	f.counter(`req_total{svc="h",code="500"}`, from, uNow, time.Minute, traffic{inc: happyBad})
	gap := [2]time.Time{uNow.Add(-6*time.Hour + time.Minute), uNow.Add(-5*time.Hour + time.Minute)}
	f.gauge(`tickets_open`, from, uNow, time.Minute, func(t time.Time) float64 { return 3*happyBad(t) + 2 }, gap)
	f.gauge(`tickets_region{region="eu"}`, from, uNow, time.Minute, func(t time.Time) float64 { return 3*happyBad(t) + 3 })
	f.gauge(`tickets_region{region="us"}`, from, uNow, time.Minute, func(t time.Time) float64 { return 3*happyBad(t) + 4 })
	f.counter(`cancellations_total`, from, uNow, time.Minute, traffic{inc: happyBad})
	return f
}

func happySLO() *slo.SLO {
	s := ratioSLO("h", "h", 99, rolling(uDay))
	s.DisplayName = "Checkout availability"
	s.Happiness = []slo.Signal{
		{Name: "tickets", Query: `tickets_open`, Kind: slo.Gauge},
		{Name: "cancellations", Query: `cancellations_total`, Kind: slo.Counter},
		{Name: "regions", Query: `tickets_region`, Kind: slo.Gauge, Combine: slo.CombineSum},
	}
	return s
}

func TestHappinessFromTrafficModel(t *testing.T) {
	cases := []struct {
		sig      int
		noSignal int
	}{
		{0, 1}, // the tickets gauge misses one hour
		{1, 0},
		{2, 0},
	}
	for _, form := range growthForms {
		for _, c := range cases {
			s := happySLO()
			sig := s.Happiness[c.sig]
			t.Run(form.name+"/"+sig.Name, func(t *testing.T) {
				f := happyWorld()
				f.growth = form.probe
				e := New(f)
				e.Ranges = form.ranges
				h, err := e.Happiness(context.Background(), s, sig, uNow.Add(-uDay), uNow, time.Hour, 2)
				require.NoError(t, err)
				require.Len(t, h.Times, 24)
				require.Equal(t, uNow, h.Times[23])
				for i, at := range h.Times {
					b := happyBad(at)
					near(t, 1-b/1000, h.SLI[i], "SLI of the hour to %s", at)
					if math.IsNaN(h.Value[i]) {
						continue
					}
					switch sig.Name {
					case "tickets":
						near(t, 3*b+2, h.Value[i], "tickets in the hour to %s", at)
					case "cancellations":
						near(t, 60*b, h.Value[i], "cancellations in the hour to %s", at)
					case "regions":
						near(t, 6*b+7, h.Value[i], "tickets of both regions in the hour to %s", at)
					}
				}
				require.Equal(t, 0, h.NoTraffic)
				require.Equal(t, c.noSignal, h.NoSignal)
				require.Equal(t, 24-c.noSignal, h.Used)
				require.True(t, h.PearsonOK && h.SpearmanOK)
				near(t, -1, h.Pearson, "Pearson: the signal rises exactly as the SLI falls")
				near(t, -1, h.Spearman, "Spearman")
				require.Equal(t, 0, h.Lag)
				require.Zero(t, h.LagDuration())
				require.Contains(t, h.Verdict.Text, "rises when checkout availability falls")
				require.Contains(t, h.Queries[len(h.Queries)-1], sig.Query, "the signal's query is listed")
			})
		}
	}
}

// Hours without traffic are left out, and too few hours give no verdict.
func TestHappinessNoTraffic(t *testing.T) {
	f := happyWorld()
	f.counter(`req_total{svc="idle",code="200"}`, uNow.Add(-uDay), uNow, time.Minute, traffic{inc: perMin(0)})
	s := happySLO()
	s.Indicator = slo.Indicator{Kind: slo.Ratio, Good: `req_total{svc="idle",code="200"}`, Total: `req_total{svc="idle"}`}
	h, err := New(f).Happiness(context.Background(), s, s.Happiness[1], uNow.Add(-uDay), uNow, time.Hour, 2)
	require.NoError(t, err)
	require.Equal(t, 24, h.NoTraffic)
	require.Equal(t, 0, h.Used)
	require.False(t, h.PearsonOK)
	require.Equal(t, budget.TooFew, h.Verdict.Strength)
	for _, v := range h.SLI {
		require.True(t, math.IsNaN(v), "no traffic is no SLI")
	}
}

func TestHappinessErrors(t *testing.T) {
	s := happySLO()
	many := slo.Signal{Name: "regions", Query: `tickets_region`, Kind: slo.Gauge}
	cases := []struct {
		name     string
		sig      slo.Signal
		from     time.Time
		interval time.Duration
		maxLag   int
		fail     func(method, query string) error
		want     []string
		is       error
	}{
		{"several series", many, uNow.Add(-uDay), time.Hour, 2, nil,
			[]string{`SLO h: happiness signal "regions"`, "returned 2 series", "combine: sum|avg|max|min"}, source.ErrManySeries},
		{"interval not whole minutes", s.Happiness[0], uNow.Add(-uDay), 90 * time.Second, 2, nil, []string{"happiness interval 1m30s"}, nil},
		{"lag too long", s.Happiness[0], uNow.Add(-uDay), time.Hour, MaxHappinessLag + 1, nil, []string{"maxLag 1001"}, nil},
		{"range shorter than an interval", s.Happiness[0], uNow.Add(10 * time.Minute), time.Hour, 2, nil, []string{"shorter than one happiness interval (1h)"}, nil},
		{"unknown kind", slo.Signal{Name: "x", Query: `tickets_open`, Kind: "meter"}, uNow.Add(-uDay), time.Hour, 2, nil,
			[]string{`happiness signal "x"`, `kind "meter" must be counter or gauge`}, nil},
		{"unknown combine", slo.Signal{Name: "x", Query: `tickets_open`, Kind: slo.Gauge, Combine: "median"}, uNow.Add(-uDay), time.Hour, 2, nil,
			[]string{`combine "median"`}, nil},
		{"signal query fails", s.Happiness[0], uNow.Add(-uDay), time.Hour, 2, func(_, q string) error {
			if q == "avg_over_time(tickets_open[1h])" {
				return errors.New("bad gateway")
			}
			return nil
		}, []string{`SLO h: happiness signal "tickets": bad gateway`}, nil},
		{"probe fails", s.Happiness[1], uNow.Add(-uDay), time.Hour, 2, func(m, _ string) error {
			if m == "ProbeGrowth" {
				return errors.New("no route to host")
			}
			return nil
		}, []string{"SLO h: no route to host"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := happyWorld()
			f.fail = c.fail
			_, err := New(f).Happiness(context.Background(), s, c.sig, c.from, uNow, c.interval, c.maxLag)
			require.Error(t, err)
			for _, w := range c.want {
				require.ErrorContains(t, err, w)
			}
			if c.is != nil {
				require.ErrorIs(t, err, c.is)
			}
		})
	}
}
