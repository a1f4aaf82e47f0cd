package plugin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
)

func init() {
	register(QueryStatus, (*Datasource).queryStatus, true)
	register(QuerySLI, (*Datasource).querySLI, true)
	register(QueryBudget, (*Datasource).queryBudget, true)
	register(QueryBurnRate, (*Datasource).queryBurnRate, true)
	register(QueryCatalog, (*Datasource).queryCatalog, false)
}

// statusMappings colour the status column.
var statusMappings = data.ValueMappings{data.ValueMapper{
	string(budget.StateOK):       {Color: "green", Index: 0},
	string(budget.StateAtRisk):   {Color: "orange", Index: 1},
	string(budget.StateBreached): {Color: "red", Index: 2},
	string(budget.StateNoData):   {Color: "text", Index: 3},
	"error":                      {Color: "purple", Index: 4},
}}

// statusRow is one SLO of a status table: its figures, or the error that stopped them.
type statusRow struct {
	s   *slo.SLO
	st  *engine.Status
	err error
}

// when returns &v() when ok, else nil (an empty cell); v is called only when ok.
func when[V any](ok bool, v func() V) *V {
	if !ok {
		return nil
	}
	x := v()
	return &x
}

func (r statusRow) ok() bool       { return r.st != nil }
func (r statusRow) hasData() bool  { return r.st != nil && r.st.HasData }
func (r statusRow) calendar() bool { return r.st != nil && r.s.Window.Kind == slo.Calendar }

// burn is the i-th status burn rate, nil without data.
func (r statusRow) burn(i int) *float64 {
	if r.st == nil {
		return nil
	}
	v, ok := r.st.BurnRate(i)
	return when(ok, func() float64 { return v })
}

// statusColumns are the columns of the status table.
var statusColumns = []column[statusRow]{
	col("SLO", func(r statusRow) string { return r.s.Name }),
	col("Name", func(r statusRow) string { return r.s.Title() }),
	col("Service", func(r statusRow) string { return r.s.Service }),
	col("Objective", func(r statusRow) float64 { return r.s.Target() }).with(percentCfg(3)),
	col("Window", func(r statusRow) string { return r.s.Window.String() }),
	col("Period start", func(r statusRow) *time.Time {
		return when(r.calendar(), func() time.Time { return r.st.PeriodStart })
	}),
	col("Elapsed", func(r statusRow) *float64 { return when(r.calendar(), func() float64 { return r.st.Elapsed }) }).
		with(percentCfg(1)),
	col("SLI", func(r statusRow) *float64 { return when(r.hasData(), func() float64 { return r.st.SLI }) }).
		with(percentCfg(3)),
	col("Budget remaining", func(r statusRow) *float64 { return when(r.hasData(), func() float64 { return r.st.Remaining }) }).
		with(&data.FieldConfig{Unit: "percentunit", Thresholds: budgetThresholds()}),
	col("Burn rate 1h", func(r statusRow) *float64 { return r.burn(0) }).
		with((&data.FieldConfig{Unit: "x", Thresholds: burnThresholds(14.4)}).SetDecimals(2)),
	col("Burn rate 6h", func(r statusRow) *float64 { return r.burn(1) }).
		with((&data.FieldConfig{Unit: "x", Thresholds: burnThresholds(6)}).SetDecimals(2)),
	col("Time to exhaustion", func(r statusRow) *float64 {
		return when(r.hasData() && r.st.Exhausts, func() float64 { return r.st.Exhaustion.Seconds() })
	}).with(&data.FieldConfig{Unit: "s", NoValue: "∞"}),
	col("Status", func(r statusRow) string {
		if r.err != nil {
			return "error"
		}
		return string(r.st.State)
	}).with(&data.FieldConfig{Mappings: statusMappings}),
	col("Events", func(r statusRow) *float64 { return when(r.ok(), func() float64 { return r.st.Counts.Total }) }).
		with(&data.FieldConfig{Unit: "short"}),
	col("Empty slices", func(r statusRow) *float64 {
		return when(r.ok() && r.st.Fetched.Empty != nil, func() float64 { return r.st.EmptySlices })
	}).with(&data.FieldConfig{Unit: "short"}),
	col("Owner", func(r statusRow) string { return r.s.Owner }),
	col("User story", func(r statusRow) string { return r.s.UserStory }),
	col("Message", func(r statusRow) string {
		if r.err != nil {
			return r.err.Error()
		}
		return r.st.NoData()
	}),
}

// queryStatus answers "status": one row per SLO with its current figures.
func (d *Datasource) queryStatus(ctx context.Context, r *request) backend.DataResponse {
	at := r.q.TimeRange.To
	rows := make([]statusRow, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		st, err := d.engine.Status(ctx, s, at)
		rows[i] = statusRow{s: s, st: st}
		return err
	})
	if err := allFailed(r.slos, errs); err != nil {
		return queryError(err)
	}
	var executed []string
	var notices []data.Notice
	for i := range rows {
		row := &rows[i]
		if errs[i] != nil {
			row.st, row.err = nil, errs[i]
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityError, Text: errs[i].Error()})
			continue
		}
		executed = append(executed, row.st.Fetched.Queries...)
		notices = append(notices, warnings(row.s, row.st.Fetched)...)
		if b := row.st.Breach(); b != "" {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: b})
		}
	}
	if len(rows) == 0 {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: "no SLO matches this query"})
	}
	cols := withGroupColumns(statusColumns, 3, func(r statusRow) *slo.SLO { return r.s }, groupLabels(r.slos))
	f := tableFrame("status", rows, cols...)
	f.Meta.ExecutedQueryString = executedString(executed)
	f.Meta.Notices = notices
	return backend.DataResponse{Frames: data.Frames{f}}
}

// allFailed is the query's error when every SLO failed (nil otherwise): the one error
// they share, said once, or all of them. Grafana then shows the panel's error corner,
// and alert rules go to their error state instead of evaluating a table of errors.
func allFailed(slos []*slo.SLO, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	var distinct []error
	seen := map[string]bool{}
	for i, err := range errs {
		if err == nil {
			return nil
		}
		text := strings.TrimPrefix(err.Error(), "SLO "+slos[i].Name+": ")
		if !seen[text] {
			seen[text] = true
			distinct = append(distinct, err)
		}
	}
	if len(distinct) == 1 && len(errs) > 1 {
		return fmt.Errorf("all %d SLOs of this query failed the same way; the first: %w", len(errs), distinct[0])
	}
	return errors.Join(distinct...)
}

// warnings are the source's warnings of a fetch for s, as notices.
func warnings(s *slo.SLO, f *engine.Fetched) []data.Notice {
	var out []data.Notice
	for _, w := range f.Warnings {
		out = append(out, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("%s: %s", s.Name, w)})
	}
	return out
}

// rolling fetches the rolling counts of windows(s) for each SLO and maps them to frames.
func (d *Datasource) rolling(ctx context.Context, r *request, windows func(s *slo.SLO) ([]time.Duration, error),
	frames func(s *slo.SLO, roll *engine.Rolling) data.Frames) backend.DataResponse {
	from, to := r.q.TimeRange.From, r.q.TimeRange.To
	out := make([]data.Frames, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		ws, err := windows(s)
		if err != nil {
			return err
		}
		var roll *engine.Rolling
		if len(ws) == 1 && ws[0] == 0 && s.Window.Kind == slo.Calendar {
			// The SLO's calendar window: period to date, resetting at each boundary.
			roll, err = d.engine.CalendarCounts(ctx, s, from, to, r.interval())
		} else {
			roll, err = d.engine.RollingCounts(ctx, s, from, to, r.interval(), ws)
		}
		if err != nil {
			return err
		}
		out[i] = frames(s, roll)
		for _, w := range roll.Fetched.Warnings {
			for _, f := range out[i] {
				addNotice(f, data.NoticeSeverityWarning, w)
			}
		}
		return nil
	})
	var all data.Frames
	for _, fs := range out {
		all = append(all, fs...)
	}
	return finish(all, errs)
}

func (d *Datasource) sloWindow(r *request) func(s *slo.SLO) ([]time.Duration, error) {
	return func(s *slo.SLO) ([]time.Duration, error) {
		w, err := r.window()
		if err != nil {
			return nil, userErr(err)
		}
		if w == 0 {
			w = s.Window.Duration
		}
		return []time.Duration{w}, nil
	}
}

// window is the window option of sli, budget and burnRate queries, zero when unset.
func (r *request) window() (time.Duration, error) {
	o, err := models.Decode[models.WindowOptions](r.q.JSON)
	if err != nil {
		return 0, err
	}
	return o.Duration()
}

// querySLI answers "sli": the SLI over the SLO window (or the query's window) at each step.
func (d *Datasource) querySLI(ctx context.Context, r *request) backend.DataResponse {
	return d.rolling(ctx, r, d.sloWindow(r), func(s *slo.SLO, roll *engine.Rolling) data.Frames {
		pts := engine.SLIPoints(roll.Times, roll.Counts[0])
		fc := lineThresholds(&data.FieldConfig{Unit: "percentunit", Thresholds: objectiveThresholds(s.Target())})
		fc.SetDecimals(3)
		display := fmt.Sprintf("%s SLI (%s)", s.Title(), windowName(s, roll.Windows[0]))
		f := pointsFrame("sli", s, pts, display, fc, roll.Fetched.Queries)
		noDataNotice(f, s, pts)
		return data.Frames{f}
	})
}

// queryBudget answers "budget": error budget remaining over the SLO window at each step.
func (d *Datasource) queryBudget(ctx context.Context, r *request) backend.DataResponse {
	return d.rolling(ctx, r, d.sloWindow(r), func(s *slo.SLO, roll *engine.Rolling) data.Frames {
		pts := engine.BudgetPoints(roll.Times, roll.Counts[0], s.Target())
		fc := lineThresholds(&data.FieldConfig{Unit: "percentunit", Thresholds: budgetThresholds()})
		fc.SetDecimals(1)
		display := fmt.Sprintf("%s budget remaining (%s)", s.Title(), windowName(s, roll.Windows[0]))
		f := pointsFrame("budget", s, pts, display, fc, roll.Fetched.Queries)
		noDataNotice(f, s, pts)
		if n := len(pts); n > 0 && pts[n-1].OK && pts[n-1].Value < 0 {
			addNotice(f, data.NoticeSeverityWarning, fmt.Sprintf("%s: error budget overspent (%s remaining)", s.Name, budget.Percent(pts[n-1].Value)))
		}
		return data.Frames{f}
	})
}

// queryBurnRate answers "burnRate": burn rates over the alerting windows (or the query's window).
func (d *Datasource) queryBurnRate(ctx context.Context, r *request) backend.DataResponse {
	windows := func(s *slo.SLO) ([]time.Duration, error) {
		w, err := r.window()
		if err != nil {
			return nil, userErr(err)
		}
		if w > 0 {
			return []time.Duration{w}, nil
		}
		var ws []time.Duration
		for _, bw := range s.Alerting() {
			ws = append(ws, bw.Long)
		}
		return ws, nil
	}
	return d.rolling(ctx, r, windows, func(s *slo.SLO, roll *engine.Rolling) data.Frames {
		fs := map[time.Duration]float64{}
		for _, bw := range s.Alerting() {
			fs[bw.Long] = bw.Factor
		}
		var out data.Frames
		for j, w := range roll.Windows {
			pts := engine.BurnPoints(roll.Times, roll.Counts[j], s.Target())
			fc := lineThresholds((&data.FieldConfig{Unit: "x", Thresholds: burnThresholds(fs[w])}).SetDecimals(2))
			ws := slo.FormatDuration(w)
			f := pointsFrame("burnRate", s, pts, fmt.Sprintf("%s burn rate %s", s.Title(), ws), fc, roll.Fetched.Queries)
			f.Fields[1].Labels["window"] = ws
			out = append(out, f)
		}
		return out
	})
}

// windowName names a figure's window: a rolling duration, or "month to date (zone)"
// for the SLO's calendar window (window 0).
func windowName(s *slo.SLO, w time.Duration) string {
	if w == 0 && s.Window.Kind == slo.Calendar {
		tz := s.Window.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		return fmt.Sprintf("%s to date, %s", s.Window.Unit, tz)
	}
	return slo.FormatDuration(w)
}

func noDataNotice(f *data.Frame, s *slo.SLO, pts []engine.Point) {
	missing := 0
	for _, p := range pts {
		if !p.OK {
			missing++
		}
	}
	if missing > 0 {
		addNotice(f, data.NoticeSeverityInfo, fmt.Sprintf("%s: no events (no data) at %d of %d points", s.Name, missing, len(pts)))
	}
}

// catalogRow is one SLO of the catalog with the PromQL the engine runs for it and the
// Prometheus rules `nines rules` writes for it.
type catalogRow struct {
	s     *slo.SLO
	gen   engine.GeneratedPromQL
	rules string
}

// catalogColumns are the columns of the catalog table.
var catalogColumns = []column[catalogRow]{
	col("SLO", func(r catalogRow) string { return r.s.Name }),
	col("Name", func(r catalogRow) string { return r.s.Title() }),
	col("Service", func(r catalogRow) string { return r.s.Service }),
	col("Objective", func(r catalogRow) float64 { return r.s.Target() }).with(percentCfg(3)),
	col("Owner", func(r catalogRow) string { return r.s.Owner }),
	col("Description", func(r catalogRow) string { return r.s.Description }),
	col("User story", func(r catalogRow) string { return r.s.UserStory }),
	col("Window", func(r catalogRow) string { return r.s.Window.String() }),
	col("Budgeting", func(r catalogRow) string { return string(r.s.Budgeting.Method) }),
	col("Indicator", func(r catalogRow) string { return string(r.s.Indicator.Kind) }),
	col("Labels", func(r catalogRow) string { return formatLabels(r.s.Labels) }),
	col("SLI PromQL", func(r catalogRow) string { return r.gen.HandWritten }),
	col("Good or bad PromQL", func(r catalogRow) string { return r.gen.GoodOrBad }),
	col("Total PromQL", func(r catalogRow) string { return r.gen.Total }),
	col("Source", func(r catalogRow) string { return r.s.Source.String() }),
	col("Format", func(r catalogRow) string { return r.s.Format }),
	col("Prometheus rules", func(r catalogRow) string { return r.rules }),
}

// queryCatalog answers "catalog": every SLO with its documentation and generated PromQL.
func (d *Datasource) queryCatalog(ctx context.Context, r *request) backend.DataResponse {
	defs := d.defs.Current()
	rows := make([]catalogRow, len(r.slos))
	for i, s := range r.slos {
		rows[i] = catalogRow{s: s, gen: d.engine.Generated(ctx, s, r.q.TimeRange.To), rules: ruleFile(s, defs)}
	}
	f := tableFrame("catalog", rows, catalogColumns...)
	for _, e := range defs.Errors {
		addNotice(f, data.NoticeSeverityError, e.Error())
	}
	return backend.DataResponse{Frames: data.Frames{f}}
}

func formatLabels(l map[string]string) string {
	if len(l) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ", ")
}
