package slo

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validSLO() *SLO {
	return &SLO{
		Name:      "checkout-availability",
		Service:   "checkout",
		Objective: 99.9,
		Window:    Window{Kind: Rolling, Duration: 28 * 24 * time.Hour},
		Budgeting: Budgeting{Method: Occurrences},
		Indicator: Indicator{
			Kind:  Ratio,
			Good:  `http_requests_total{job="checkout",code!~"5.."}`,
			Total: `sum by (job) (http_requests_total{job="checkout"})`,
		},
		Happiness: []Signal{
			{Name: "tickets", Query: `support_tickets_total`, Kind: Counter},
			{Name: "carts", Query: `open_carts`, Kind: Gauge},
		},
		BurnWindow: []BurnWindow{{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4, Severity: "page"}},
		Source:     Location{File: "f.yaml", Line: 7},
	}
}

func TestValidateValid(t *testing.T) {
	for name, mod := range map[string]func(*SLO){
		"ratio":          func(*SLO) {},
		"bad events":     func(s *SLO) { s.Indicator.Good, s.Indicator.Bad = "", `http_requests_total{code=~"5.."}` },
		"calendar":       func(s *SLO) { s.Window = Window{Kind: Calendar, Unit: Month, TimeZone: "Europe/Berlin"} },
		"calendar utc":   func(s *SLO) { s.Window = Window{Kind: Calendar, Unit: Quarter} },
		"empty method":   func(s *SLO) { s.Budgeting = Budgeting{} },
		"timeslices":     func(s *SLO) { s.Budgeting = Budgeting{Method: Timeslices, SliceLength: time.Minute, SliceThreshold: 1} },
		"ratio slices":   func(s *SLO) { s.Budgeting = Budgeting{Method: RatioTimeslices, SliceLength: time.Minute} },
		"latency":        func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Histogram: `h{job="a"}`, Le: 0.3} },
		"latency bucket": func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Histogram: `h_bucket`, Le: 0.3} },
		"threshold":      func(s *SLO) { s.Indicator = Indicator{Kind: Threshold, Gauge: `probe_success`, Op: ">=", Value: 1} },
		"raw":            func(s *SLO) { s.Indicator = Indicator{Kind: Raw, ErrorRatio: `job:slo_errors:ratio_rate5m`} },
		"raw with range": func(s *SLO) { s.Indicator = Indicator{Kind: Raw, ErrorRatio: `sum(rate(e[5m])) / sum(rate(t[5m]))`} },
		"no extras":      func(s *SLO) { s.Happiness, s.BurnWindow = nil, nil },
		"grouping":       func(s *SLO) { s.Grouping = []string{"route", "_region2"} },
	} {
		t.Run(name, func(t *testing.T) {
			s := validSLO()
			mod(s)
			assert.Empty(t, s.Validate())
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*SLO)
		want []string
	}{
		{"empty name", func(s *SLO) { s.Name = "" }, []string{"name is required"}},
		{"bad name", func(s *SLO) { s.Name = "Checkout_SLO" }, []string{`name "Checkout_SLO" must consist of lowercase letters, digits and inner dashes ([a-z0-9-]+)`}},
		{"trailing dash", func(s *SLO) { s.Name = "a-" }, []string{`name "a-" must consist of lowercase letters, digits and inner dashes ([a-z0-9-]+)`}},
		{"no service", func(s *SLO) { s.Service = " " }, []string{"service is required"}},
		{"objective 0", func(s *SLO) { s.Objective = 0 }, []string{"objective 0 must be strictly between 0 and 100 (percent, e.g. 99.9)"}},
		{"objective 100", func(s *SLO) { s.Objective = 100 }, []string{"objective 100 must be strictly between 0 and 100 (percent, e.g. 99.9)"}},
		{"objective NaN", func(s *SLO) { s.Objective = math.NaN() }, []string{"objective NaN must be strictly between 0 and 100 (percent, e.g. 99.9)"}},
		{"no window", func(s *SLO) { s.Window = Window{} }, []string{"window is required (a rolling duration such as 28d, or week, month or quarter)"}},
		{"zero window", func(s *SLO) { s.Window.Duration = 0 }, []string{"rolling window must be longer than 0"}},
		{"rolling zone", func(s *SLO) { s.Window.TimeZone = "UTC" }, []string{`time zone "UTC" applies to calendar windows only`}},
		{"bad kind", func(s *SLO) { s.Window.Kind = "sliding" }, []string{`window kind "sliding" must be rolling or calendar`}},
		{"bad unit", func(s *SLO) { s.Window = Window{Kind: Calendar, Unit: "year"} }, []string{`calendar window "year" must be week, month or quarter`}},
		{"bad zone", func(s *SLO) { s.Window = Window{Kind: Calendar, Unit: Week, TimeZone: "Mars/Olympus"} }, []string{`time zone "Mars/Olympus": unknown time zone Mars/Olympus`}},
		{"bad method", func(s *SLO) { s.Budgeting.Method = "events" }, []string{`budgeting method "events" must be occurrences, timeslices or ratioTimeslices`}},
		{"no slice", func(s *SLO) { s.Budgeting = Budgeting{Method: Timeslices, SliceThreshold: 0.9} }, []string{"timeslices budgeting needs a slice length greater than 0"}},
		{"long slice", func(s *SLO) {
			s.Budgeting = Budgeting{Method: Timeslices, SliceLength: 28 * 24 * time.Hour, SliceThreshold: 0.9}
		}, []string{"slice length 28d must be shorter than the window 28d"}},
		{"long calendar slice", func(s *SLO) {
			s.Window = Window{Kind: Calendar, Unit: Week}
			s.Budgeting = Budgeting{Method: Timeslices, SliceLength: 7 * 24 * time.Hour, SliceThreshold: 0.9}
		}, []string{"slice length 7d must be shorter than the window week"}},
		{"no threshold", func(s *SLO) { s.Budgeting = Budgeting{Method: Timeslices, SliceLength: time.Minute} }, []string{"slice threshold 0 must be in (0, 1]"}},
		{"threshold > 1", func(s *SLO) {
			s.Budgeting = Budgeting{Method: RatioTimeslices, SliceLength: time.Minute, SliceThreshold: 95}
		}, []string{"slice threshold 95 must be in (0, 1]"}},
		{"no indicator", func(s *SLO) { s.Indicator = Indicator{} }, []string{"indicator is required (ratio, latency, threshold or raw)"}},
		{"bad indicator kind", func(s *SLO) { s.Indicator.Kind = "apdex" }, []string{`indicator kind "apdex" must be ratio, latency, threshold or raw`}},
		{"good and bad", func(s *SLO) { s.Indicator.Bad = "errors_total" }, []string{"ratio indicator needs exactly one of good and bad, not both"}},
		{"neither good nor bad", func(s *SLO) { s.Indicator.Good = "" }, []string{"ratio indicator needs good or bad events"}},
		{"no total", func(s *SLO) { s.Indicator.Total = "" }, []string{"ratio indicator needs total events"}},
		{"good does not parse", func(s *SLO) { s.Indicator.Good = "sum(" }, []string{`good: invalid PromQL "sum(": 1:5: parse error: unclosed left parenthesis`}},
		{"good with range", func(s *SLO) { s.Indicator.Good = "rate(ok_total[5m])" }, []string{`good: "rate(ok_total[5m])": ok_total[5m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}},
		{"total subquery", func(s *SLO) { s.Indicator.Total = "max_over_time(t[1h:5m])" }, []string{`total: "max_over_time(t[1h:5m])": t[1h:5m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}},
		{"bad scalar", func(s *SLO) { s.Indicator.Good, s.Indicator.Bad = "", "1" }, []string{`bad: "1" must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}},
		{"no histogram", func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Le: 0.3} }, []string{"latency indicator needs a histogram"}},
		{"histogram expression", func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Histogram: "sum(h)", Le: 0.3} }, []string{`histogram: "sum(h)" must be a plain metric selector such as http_request_duration_seconds{job="api"}`}},
		{"histogram offset", func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Histogram: "h offset 5m", Le: 0.3} }, []string{`histogram: "h offset 5m" must be a plain metric selector such as http_request_duration_seconds{job="api"}`}},
		{"le 0", func(s *SLO) { s.Indicator = Indicator{Kind: Latency, Histogram: "h"} }, []string{"latency threshold 0 must be a bucket bound greater than 0"}},
		{"no gauge", func(s *SLO) { s.Indicator = Indicator{Kind: Threshold, Op: ">=", Value: 1} }, []string{"threshold indicator needs a gauge"}},
		{"gauge range", func(s *SLO) { s.Indicator = Indicator{Kind: Threshold, Gauge: "up[5m]", Op: ">="} }, []string{`gauge: "up[5m]" must yield an instant vector, not a range vector`}},
		{"bad op", func(s *SLO) { s.Indicator = Indicator{Kind: Threshold, Gauge: "up", Op: "=>"} }, []string{`threshold op "=>" must be one of <, <=, >, >=, ==, !=`}},
		{"no error ratio", func(s *SLO) { s.Indicator = Indicator{Kind: Raw} }, []string{"raw indicator needs an errorRatio expression"}},
		{"error ratio parse", func(s *SLO) { s.Indicator = Indicator{Kind: Raw, ErrorRatio: "a +"} }, []string{`errorRatio: invalid PromQL "a +": 1:4: parse error: unexpected end of input`}},
		{"signal no name", func(s *SLO) { s.Happiness[0].Name = "" }, []string{"happiness signal 1 needs a name"}},
		{"signal duplicate", func(s *SLO) { s.Happiness[1].Name = "tickets" }, []string{`duplicate happiness signal "tickets"`}},
		{"signal no query", func(s *SLO) { s.Happiness[1].Query = "" }, []string{`happiness signal "carts" needs a counter or gauge query`}},
		{"signal counter range", func(s *SLO) { s.Happiness[0].Query = "increase(t[1d])" }, []string{`happiness signal "tickets": "increase(t[1d])": t[1d] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`}},
		{"signal gauge parse", func(s *SLO) { s.Happiness[1].Query = "{}" }, []string{`happiness signal "carts": invalid PromQL "{}": 1:1: parse error: vector selector must contain at least one non-empty matcher`}},
		{"signal kind", func(s *SLO) { s.Happiness[1].Kind = "histogram" }, []string{`happiness signal "carts": kind "histogram" must be counter or gauge`}},
		{"signal combine", func(s *SLO) { s.Happiness[0].Combine = "median" }, []string{`happiness signal "tickets": combine "median" must be one of sum, avg, max, min`}},
		{"signal combine ok", func(s *SLO) { s.Happiness[0].Combine = CombineAvg }, nil},
		{"burn short >= long", func(s *SLO) { s.BurnWindow[0].Short = time.Hour }, []string{"burn window short 1h must be shorter than long 1h"}},
		{"burn zero", func(s *SLO) { s.BurnWindow[0].Long, s.BurnWindow[0].Short = 0, 0 }, []string{"burn window long must be longer than 0", "burn window short must be longer than 0"}},
		{"burn factor", func(s *SLO) { s.BurnWindow[0].Factor = 0 }, []string{"burn window factor 0 must be greater than 0"}},
		{"grouping bad label", func(s *SLO) { s.Grouping = []string{"route", "http-route"} }, []string{`grouping label "http-route" must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`}},
		{"grouping name label", func(s *SLO) { s.Grouping = []string{"__name__"} }, []string{`grouping label "__name__" must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`}},
		{"grouping empty", func(s *SLO) { s.Grouping = []string{""} }, []string{`grouping label "" must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`}},
		{"grouping twice", func(s *SLO) { s.Grouping = []string{"route", "code", "route"} }, []string{`grouping label "route" is listed twice`}},
		{"grouping le", func(s *SLO) { s.Grouping = []string{"le"} }, []string{`grouping by "le" would make one SLO per histogram bucket: group by a label that tells requests apart, such as route`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSLO()
			tt.mod(s)
			errs := s.Validate()
			var got []string
			for _, e := range errs {
				got = append(got, e.Message)
				assert.Equal(t, s.Source, e.Location, e.Message)
				assert.Equal(t, s.Name, e.SLO)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValidateFieldsLocations(t *testing.T) {
	s := validSLO()
	s.Objective = 120
	s.Indicator.Good = "rate(x[1m])"
	s.Happiness[1].Name = ""
	s.BurnWindow[0].Factor = -1
	s.Window.Duration = 0
	fields := Fields{
		"objective":      {File: "f.yaml", Line: 9},
		"indicator.good": {File: "sli.yaml", Line: 20},
		"happiness[1]":   {File: "f.yaml", Line: 30},                // parent of happiness[1].name
		"alerting":       {File: "f.yaml", Line: 40},                // grandparent of alerting[0].factor
		"window":         {File: "f.yaml", Line: 3, Reported: true}, // already reported
	}
	got := map[string]Location{}
	for _, e := range s.ValidateFields(fields) {
		got[e.Message] = e.Location
	}
	require.Len(t, got, 4, got)
	assert.Equal(t, Location{File: "f.yaml", Line: 9}, got["objective 120 must be strictly between 0 and 100 (percent, e.g. 99.9)"])
	assert.Equal(t, Location{File: "sli.yaml", Line: 20}, got[`good: "rate(x[1m])": x[1m] is not allowed: must be a counter selector or an expression over instant vector selectors, without range selectors or subqueries (Nines adds the range itself)`])
	assert.Equal(t, Location{File: "f.yaml", Line: 30}, got["happiness signal 2 needs a name"])
	assert.Equal(t, Location{File: "f.yaml", Line: 40}, got["burn window factor -1 must be greater than 0"])
}

func TestValidateAllDuplicates(t *testing.T) {
	a, b, c := validSLO(), validSLO(), validSLO()
	b.Source = Location{File: "g.yaml", Line: 3}
	c.Name, c.Objective = "other", 0
	errs := ValidateAll([]*SLO{a, b, c})
	require.Len(t, errs, 2)
	assert.Equal(t, "g.yaml:3: checkout-availability: duplicate SLO name \"checkout-availability\", first defined at f.yaml:7", errs[0].Error())
	assert.Equal(t, "f.yaml:7: other: objective 0 must be strictly between 0 and 100 (percent, e.g. 99.9)", errs[1].Error())
}

func TestHistogramBase(t *testing.T) {
	for in, want := range map[string]string{
		`http_request_duration_seconds{job="api"}`:        `http_request_duration_seconds{job="api"}`,
		`http_request_duration_seconds_bucket{job="api"}`: `http_request_duration_seconds{job="api"}`,
		`{__name__="h_bucket",job="api"}`:                 `h{job="api"}`,
		`h_bucket`:                                        `h`,
	} {
		got, err := HistogramBase(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := HistogramBase(`rate(h_bucket[5m])`)
	assert.Error(t, err)
}

func TestCheckCounterQuery(t *testing.T) {
	for q, ok := range map[string]bool{
		`a`:                            true,
		`sum by (job) (a{x="1"})`:      true,
		`a{code=~"2.."} + a{code="3"}`: true,
		`a or vector(0)`:               true,
		`rate(a[5m])`:                  false,
		`a[5m]`:                        false,
		`sum(a)[1h:]`:                  false,
		`vector(1)`:                    false,
		`"s"`:                          false,
	} {
		err := CheckCounterQuery(q)
		assert.Equal(t, ok, err == nil, "%s: %v", q, err)
	}
}

func TestNameIsRFC1123Label(t *testing.T) {
	assert.NoError(t, CheckName(strings.Repeat("a", 63)))
	assert.EqualError(t, CheckName(strings.Repeat("a", 64)), `name "`+strings.Repeat("a", 63)+`…" is 64 characters long: names are RFC 1123 labels of at most 63 characters`)
	assert.Error(t, CheckName("Bad_Name"))
	assert.Error(t, CheckName("-a"))
	assert.EqualError(t, CheckName(""), "name is required")
}
