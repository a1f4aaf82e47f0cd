package reportpage

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/reportdoc"
)

func f(v float64) *float64 { return &v }

func render(t *testing.T, d reportdoc.Document) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, Write(&b, d))
	return b.String()
}

// textOf strips the tags, leaving what a reader sees.
func textOf(page string) string {
	page = regexp.MustCompile(`(?s)<style>.*?</style>|<svg.*?</svg>`).ReplaceAllString(page, "")
	page = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(page, "")
	return strings.Join(strings.Fields(strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(page)), " ")
}

func TestJSONValue(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {true, "true"}, {"28d", "28d"}, {3, "3"}, {0.999, "0.999"},
		{119882701.0, "1.19882701e+08"}, {-1.5817653207529356, "-1.5817653207529356"},
	} {
		require.Equal(t, tc.want, jsonValue(tc.v))
	}
}

func TestObjective(t *testing.T) {
	for in, want := range map[float64]string{0.99995: "99.995 %", 0.999: "99.9 %", 0.95: "95 %", 0.99: "99 %"} {
		require.Equal(t, want, Objective(in))
	}
}

// The time to exhaustion: a duration, exhausted, ∞ when the budget is not spent, – without data.
func TestExhaustion(t *testing.T) {
	for _, tc := range []struct {
		s    reportdoc.SLO
		want string
	}{
		{reportdoc.SLO{Remaining: f(0.3), Exhaustion: f(1249447)}, "14.5 days"},
		{reportdoc.SLO{Remaining: f(0.3), Exhaustion: f(5400)}, "1 h 30 min"},
		{reportdoc.SLO{Remaining: f(-1.5), Exhaustion: f(0)}, "exhausted"},
		{reportdoc.SLO{Remaining: f(0.9)}, "∞"},
		{reportdoc.SLO{}, "–"},
	} {
		require.Equal(t, tc.want, textOf(exhaustion("/x", tc.s)))
	}
}

func TestRecommendation(t *testing.T) {
	base := reportdoc.SLO{Name: "a", Title: "A", Objective: 0.999, Window: "28d", Status: "ok", SLI: f(0.9991), Remaining: f(0.1),
		HistoryPeriod: "week", History: []reportdoc.Period{{Start: time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC), SLI: f(0.9991), Met: true}}}
	for _, tc := range []struct {
		recommended float64
		want        string
	}{
		{0.99, "Recommendation: 99 %. The objective asks for more than the service delivers"},
		{0.999, "Recommendation: keep 99.9 %."},
		{0.9995, "Recommendation: 99.95 %. The service does better than promised"},
	} {
		s := base
		s.Summary = &reportdoc.Summary{WithData: 1, Met: 1, ShareMet: 1, Achievable: 0.9991, Recommended: tc.recommended}
		txt := textOf(render(t, reportdoc.Document{SLOs: []reportdoc.SLO{s}}))
		require.Contains(t, txt, tc.want)
		require.Contains(t, txt, "met in 1 of the last 1 week (100 %)")
		require.Contains(t, txt, "2026-W03")
	}
}

// What the definitions say is text on the page, never markup.
func TestEscapes(t *testing.T) {
	s := reportdoc.SLO{Name: "a", Title: `<b>"A"</b>`, UserStory: `As a <script>alert(1)</script> user`, Owner: "team & co", Objective: 0.99, Window: "7d", Status: "ok"}
	page := render(t, reportdoc.Document{SLOs: []reportdoc.SLO{s}})
	require.NotContains(t, page, "<script>")
	require.NotContains(t, page, "<b>")
	require.Contains(t, textOf(page), `As a <script>alert(1)</script> user`)
	require.Contains(t, textOf(page), "Owner: team & co.")
}

// The scatter pairs each interval's SLI with the signal the best lag later.
func TestHappinessLag(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var pts []reportdoc.SignalPoint
	for i := range 6 {
		pts = append(pts, reportdoc.SignalPoint{Time: t0.Add(time.Duration(i) * time.Hour), SLI: f(0.99 + float64(i)/1000), Value: f(float64(10 - i))})
	}
	pts[2].SLI = nil // no traffic
	for lag, want := range map[int]string{0: `data-points="5"`, 1: `data-points="4"`, -2: `data-points="3"`} {
		h := reportdoc.Signal{Signal: "tickets", Interval: "1h", BestLag: "x", LagIntervals: lag, Points: pts}
		require.Contains(t, HappinessChart(reportdoc.SLO{Name: "a"}, h), want, "lag %d", lag)
	}
}
