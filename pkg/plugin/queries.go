package plugin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// statusMappings colour the status column.
var statusMappings = data.ValueMappings{data.ValueMapper{
	string(budget.StateOK):       {Color: "green", Index: 0},
	string(budget.StateAtRisk):   {Color: "orange", Index: 1},
	string(budget.StateBreached): {Color: "red", Index: 2},
	string(budget.StateNoData):   {Color: "text", Index: 3},
	"error":                      {Color: "purple", Index: 4},
}}

// queryStatus answers "status": one row per SLO with its current figures.
func (d *Datasource) queryStatus(ctx context.Context, r *request) backend.DataResponse {
	at := r.q.TimeRange.To
	sts := make([]*engine.Status, len(r.slos))
	errs := d.forEach(ctx, r.slos, func(ctx context.Context, i int, s *slo.SLO) error {
		st, err := d.engine.Status(ctx, s, at)
		sts[i] = st
		return err
	})
	n := len(r.slos)
	var (
		names, displays, services, windows, states, owners, stories, messages = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		objectives                                                            = make([]float64, n)
		slis, remaining, burn1h, burn6h, tte, events                          = make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
		periodStarts                                                          = make([]*time.Time, n)
		elapsed, emptySlices                                                  = make([]*float64, n), make([]*float64, n)
	)
	var executed []string
	var notices []data.Notice
	for i, s := range r.slos {
		names[i], displays[i], services[i], windows[i] = s.Name, s.Title(), s.Service, s.Window.String()
		owners[i], stories[i], objectives[i] = s.Owner, s.UserStory, s.Target()
		if errs[i] != nil {
			states[i], messages[i] = "error", errs[i].Error()
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityError, Text: errs[i].Error()})
			continue
		}
		st := sts[i]
		executed = append(executed, st.Fetched.Queries...)
		for _, w := range st.Fetched.Warnings {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("%s: %s", s.Name, w)})
		}
		states[i] = string(st.State)
		events[i] = ptr(st.Counts.Total)
		if s.Window.Kind == slo.Calendar {
			periodStarts[i], elapsed[i] = ptr(st.PeriodStart), ptr(st.Elapsed)
		}
		if st.Fetched.Empty != nil {
			emptySlices[i] = ptr(st.EmptySlices)
		}
		if st.HasData {
			slis[i], remaining[i] = ptr(st.SLI), ptr(st.Remaining)
			if st.Exhausts {
				tte[i] = ptr(st.Exhaustion.Seconds())
			}
		} else {
			messages[i] = fmt.Sprintf("no events in the last %s", s.Window)
			if s.Window.Kind == slo.Calendar {
				messages[i] = fmt.Sprintf("no events so far this %s", s.Window.Unit)
			}
		}
		for j, b := range st.Burns {
			if !b.OK {
				continue
			}
			switch j {
			case 0:
				burn1h[i] = ptr(b.Rate)
			case 1:
				burn6h[i] = ptr(b.Rate)
			}
		}
		if st.State == budget.StateBreached {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s: objective %s not met over the last %s (SLI %s)", s.Name, pct(s.Target()), s.Window, pct(st.SLI))})
			if s.Window.Kind == slo.Calendar {
				notices[len(notices)-1].Text = fmt.Sprintf("%s: objective %s already missed this %s (SLI %s so far, %s of the %s elapsed)",
					s.Name, pct(s.Target()), s.Window.Unit, pct(st.SLI), pct(st.Elapsed), s.Window.Unit)
			}
		}
	}
	pctCfg := func() *data.FieldConfig { return (&data.FieldConfig{Unit: "percentunit"}).SetDecimals(3) }
	f := data.NewFrame("status",
		data.NewField("SLO", nil, names),
		data.NewField("Name", nil, displays),
		data.NewField("Service", nil, services),
		data.NewField("Objective", nil, objectives).SetConfig(pctCfg()),
		data.NewField("Window", nil, windows),
		data.NewField("Period start", nil, periodStarts),
		data.NewField("Elapsed", nil, elapsed).SetConfig((&data.FieldConfig{Unit: "percentunit"}).SetDecimals(1)),
		data.NewField("SLI", nil, slis).SetConfig(pctCfg()),
		data.NewField("Budget remaining", nil, remaining).SetConfig(&data.FieldConfig{Unit: "percentunit", Thresholds: budgetThresholds()}),
		data.NewField("Burn rate 1h", nil, burn1h).SetConfig((&data.FieldConfig{Unit: "x", Thresholds: burnThresholds(14.4)}).SetDecimals(2)),
		data.NewField("Burn rate 6h", nil, burn6h).SetConfig((&data.FieldConfig{Unit: "x", Thresholds: burnThresholds(6)}).SetDecimals(2)),
		data.NewField("Time to exhaustion", nil, tte).SetConfig(&data.FieldConfig{Unit: "s", NoValue: "∞"}),
		data.NewField("Status", nil, states).SetConfig(&data.FieldConfig{Mappings: statusMappings}),
		data.NewField("Events", nil, events).SetConfig(&data.FieldConfig{Unit: "short"}),
		data.NewField("Empty slices", nil, emptySlices).SetConfig(&data.FieldConfig{Unit: "short"}),
		data.NewField("Owner", nil, owners),
		data.NewField("User story", nil, stories),
		data.NewField("Message", nil, messages),
	)
	if n == 0 {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: "no SLO matches this query"})
	}
	f.Meta = &data.FrameMeta{
		Type:                   data.FrameTypeTable,
		PreferredVisualization: data.VisTypeTable,
		ExecutedQueryString:    strings.Join(executed, "\n"),
		Notices:                notices,
	}
	return backend.DataResponse{Frames: data.Frames{f}}
}

func pct(r float64) string {
	s := fmt.Sprintf("%.3f", r*100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " %"
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
		w, err := r.m.WindowDuration()
		if err != nil {
			return nil, userErr(err)
		}
		if w == 0 {
			w = s.Window.Duration
		}
		return []time.Duration{w}, nil
	}
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
			addNotice(f, data.NoticeSeverityWarning, fmt.Sprintf("%s: error budget overspent (%s remaining)", s.Name, pct(pts[n-1].Value)))
		}
		return data.Frames{f}
	})
}

// queryBurnRate answers "burnRate": burn rates over the alerting windows (or the query's window).
func (d *Datasource) queryBurnRate(ctx context.Context, r *request) backend.DataResponse {
	windows := func(s *slo.SLO) ([]time.Duration, error) {
		w, err := r.m.WindowDuration()
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

// queryCatalog answers "catalog": every SLO with its documentation and generated PromQL.
func (d *Datasource) queryCatalog(ctx context.Context, r *request) backend.DataResponse {
	n := len(r.slos)
	cols := map[string][]string{}
	order := []string{"SLO", "Name", "Service", "Owner", "Description", "User story", "Window", "Budgeting", "Indicator", "Labels", "SLI PromQL", "Good or bad PromQL", "Total PromQL", "Source", "Format"}
	for _, c := range order {
		cols[c] = make([]string, n)
	}
	objectives := make([]float64, n)
	for i, s := range r.slos {
		gen := d.engine.Generated(ctx, s, r.q.TimeRange.To)
		set := func(c, v string) { cols[c][i] = v }
		set("SLO", s.Name)
		set("Name", s.Title())
		set("Service", s.Service)
		set("Owner", s.Owner)
		set("Description", s.Description)
		set("User story", s.UserStory)
		set("Window", s.Window.String())
		set("Budgeting", string(s.Budgeting.Method))
		set("Indicator", string(s.Indicator.Kind))
		set("Labels", formatLabels(s.Labels))
		set("SLI PromQL", gen.HandWritten)
		set("Good or bad PromQL", gen.GoodOrBad)
		set("Total PromQL", gen.Total)
		set("Source", s.Source.String())
		set("Format", s.Format)
		objectives[i] = s.Target()
	}
	fields := []*data.Field{}
	for _, c := range order {
		fields = append(fields, data.NewField(c, nil, cols[c]))
		if c == "Service" {
			fields = append(fields, data.NewField("Objective", nil, objectives).SetConfig((&data.FieldConfig{Unit: "percentunit"}).SetDecimals(3)))
		}
	}
	f := data.NewFrame("catalog", fields...)
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}
	for _, e := range d.defs.Current().Errors {
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
