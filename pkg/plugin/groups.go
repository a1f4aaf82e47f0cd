package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// expand fans the grouped SLOs of a query out into their groups over the query's time
// range and keeps the groups that the query's label filters name (a filter on a
// grouping label picks groups). It returns the notices the response must carry, and an
// error when the lookups failed for every SLO of the query.
func (d *Datasource) expand(ctx context.Context, q backend.DataQuery, slos []*slo.SLO, filter map[string]string) ([]*slo.SLO, []data.Notice, error) {
	grouped := false
	for _, s := range slos {
		grouped = grouped || len(s.Grouping) > 0
	}
	if !grouped {
		return slos, nil, nil
	}
	x := engine.Expand(ctx, d.engine.Source, slos, q.TimeRange.From, q.TimeRange.To)
	if len(x.SLOs) == 0 && len(x.Errors) > 0 {
		return nil, nil, errors.Join(x.Errors...)
	}
	var notices []data.Notice
	for _, w := range x.Warnings {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: w})
	}
	for _, e := range x.Errors {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityError, Text: e.Error()})
	}
	return keepGroups(x.SLOs, filter), notices, nil
}

// keepGroups keeps the SLOs whose group matches every filter on one of its grouping labels.
func keepGroups(slos []*slo.SLO, filter map[string]string) []*slo.SLO {
	if len(filter) == 0 {
		return slos
	}
	out := slos[:0:0]
	for _, s := range slos {
		ok := true
		for k, v := range filter {
			if s.Group != nil && slices.Contains(s.Grouping, k) && s.Group[k] != v {
				ok = false
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// withNotices adds notices to the first frame of a response (none to an error).
func withNotices(dr backend.DataResponse, notices []data.Notice) backend.DataResponse {
	if len(notices) == 0 || dr.Error != nil {
		return dr
	}
	if len(dr.Frames) == 0 {
		dr.Frames = data.Frames{data.NewFrame("empty")}
	}
	for _, n := range notices {
		addNotice(dr.Frames[0], n.Severity, n.Text)
	}
	return dr
}

// groupLabels are the grouping labels of the SLOs' groups, in the order they first appear.
func groupLabels(slos []*slo.SLO) []string {
	var out []string
	for _, s := range slos {
		if s.Group == nil {
			continue
		}
		for _, l := range s.Grouping {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// withGroupColumns inserts, after the first after columns, one string column per
// grouping label of the rows' SLOs, holding each row's group value (empty for SLOs that
// are not grouped by it).
func withGroupColumns[R any](cols []column[R], after int, sloOf func(R) *slo.SLO, ls []string) []column[R] {
	if len(ls) == 0 {
		return cols
	}
	out := slices.Clone(cols[:after])
	for _, l := range ls {
		out = append(out, col(l, func(r R) string { return sloOf(r).Group[l] }))
	}
	return append(out, cols[after:]...)
}

// GroupsResponse is the answer of GET /slos/{name}/groups: the SLO's groups over the
// time range, and the distinct values of the label asked for (for template variables).
type GroupsResponse struct {
	Grouping []string            `json:"grouping"`
	Groups   []map[string]string `json:"groups"`
	Values   []string            `json:"values"`
	Warnings []string            `json:"warnings"`
}

// handleGroups serves GET /slos/{name}/groups?label=&from=&to= (from and to in Unix
// milliseconds; default the last hour): the groups of a grouped SLO, and the distinct
// values of label among them (label defaults to the first grouping label).
func (d *Datasource) handleGroups(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var s *slo.SLO
	for _, x := range d.defs.Current().SLOs {
		if x.Name == name {
			s = x
		}
	}
	if s == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("unknown SLO %q", name)})
		return
	}
	if len(s.Grouping) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("SLO %q has no grouping", name)})
		return
	}
	label := r.URL.Query().Get("label")
	if label == "" {
		label = s.Grouping[0]
	} else if !slices.Contains(s.Grouping, label) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("SLO %q is not grouped by %q (grouping: %s)", name, label, strings.Join(s.Grouping, ", "))})
		return
	}
	from, to, err := msRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"), d.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if d.setupErr != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": d.setupErr.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), d.settings.TimeoutDuration())
	defer cancel()
	x := engine.Expand(ctx, d.engine.Source, []*slo.SLO{s}, from, to)
	if len(x.Errors) > 0 {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": errors.Join(x.Errors...).Error()})
		return
	}
	out := GroupsResponse{Grouping: s.Grouping, Groups: []map[string]string{}, Values: []string{}, Warnings: x.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, g := range x.SLOs {
		if g.Group == nil {
			continue
		}
		out.Groups = append(out.Groups, g.Group)
		if !slices.Contains(out.Values, g.Group[label]) {
			out.Values = append(out.Values, g.Group[label])
		}
	}
	slices.Sort(out.Values)
	writeJSON(w, http.StatusOK, out)
}

// msRange reads a time range in Unix milliseconds; empty means the hour before now.
func msRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	end, start := now, now.Add(-time.Hour)
	for _, p := range []struct {
		name, v string
		t       *time.Time
	}{{"from", from, &start}, {"to", to, &end}} {
		if p.v == "" {
			continue
		}
		ms, err := strconv.ParseInt(p.v, 10, 64)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%s %q: want Unix milliseconds", p.name, p.v)
		}
		*p.t = time.UnixMilli(ms)
	}
	if !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("from %s is not before to %s", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	}
	return start, end, nil
}
