package plugin

import (
	"context"
	"errors"
	"slices"

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
