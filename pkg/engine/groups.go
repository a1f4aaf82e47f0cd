package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nines-slo/nines/pkg/promql"
	"github.com/nines-slo/nines/pkg/slo"
)

// MaxGroups is the most groups one grouped SLO fans out into; beyond it the first
// MaxGroups, in the order of their label values, are kept and a warning says so.
const MaxGroups = 1000

// groupConcurrency bounds the grouped SLOs whose groups are looked up at once.
const groupConcurrency = 4

// Expansion is a query's SLOs with every grouped SLO fanned out into its groups.
type Expansion struct {
	// SLOs are the SLOs without grouping, as they were, and one SLO per group of each
	// grouped SLO (slo.SLO.Group set), in the order of the input.
	SLOs []*slo.SLO
	// Warnings say where a grouped SLO had more than MaxGroups groups, or none.
	Warnings []string
	// Errors are the grouped SLOs whose groups could not be listed; they are left out.
	Errors []error
	// Queries are the group lookups that ran; Requests counts them.
	Queries  []string
	Requests int
}

// Expand fans every grouped SLO out into one SLO per group: the distinct values of its
// grouping labels among the series of its events (promql.TotalSelectors) with a sample
// between start minus the SLO's window and end. One request per grouped SLO: the label
// values of one grouping label, or an instant count by the grouping labels. A grouped
// SLO without any series in that span stays as it is (its figures are "no data").
func Expand(ctx context.Context, src Source, slos []*slo.SLO, start, end time.Time) Expansion {
	per := make([][]*slo.SLO, len(slos))
	warns := make([]string, len(slos))
	errs := make([]error, len(slos))
	queries := make([]string, len(slos))
	sem := make(chan struct{}, groupConcurrency)
	var wg sync.WaitGroup
	for i, s := range slos {
		if len(s.Grouping) == 0 || s.Group != nil {
			per[i] = []*slo.SLO{s}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			per[i], warns[i], queries[i], errs[i] = expandOne(ctx, src, s, start, end)
		}()
	}
	wg.Wait()
	var x Expansion
	for i := range slos {
		x.SLOs = append(x.SLOs, per[i]...)
		if warns[i] != "" {
			x.Warnings = append(x.Warnings, warns[i])
		}
		if errs[i] != nil {
			x.Errors = append(x.Errors, errs[i])
		}
		if queries[i] != "" {
			x.Queries = append(x.Queries, queries[i])
			x.Requests++
		}
	}
	return x
}

// expandOne lists the groups of one grouped SLO and builds their SLOs.
func expandOne(ctx context.Context, src Source, s *slo.SLO, start, end time.Time) ([]*slo.SLO, string, string, error) {
	if src == nil {
		return nil, "", "", fmt.Errorf("SLO %s: %w", s.Name, errNoSource)
	}
	groups, query, err := findGroups(ctx, src, s, start, end)
	if err != nil {
		return nil, "", query, fmt.Errorf("SLO %s: list the groups by %s: %w", s.Name, strings.Join(s.Grouping, ", "), err)
	}
	if len(groups) == 0 {
		sels, _ := promql.TotalSelectors(s) // they were read by findGroups
		return []*slo.SLO{s}, fmt.Sprintf("%s: no series of %s in the time range, so no groups by %s: shown as one SLO",
			s.Name, strings.Join(sels, " or "), strings.Join(s.Grouping, ", ")), query, nil
	}
	warn := ""
	if len(groups) > MaxGroups {
		warn = fmt.Sprintf("%s: %d groups by %s, more than the %d Nines shows: only the first %d are shown; narrow the selectors or the grouping",
			s.Name, len(groups), strings.Join(s.Grouping, ", "), MaxGroups, MaxGroups)
		groups = groups[:MaxGroups]
	}
	out := make([]*slo.SLO, 0, len(groups))
	for _, g := range groups {
		c, err := promql.ForGroup(s, g)
		if err != nil {
			return nil, "", query, err
		}
		c.DisplayName = s.Title() + " " + GroupText(s.Grouping, g)
		out = append(out, c)
	}
	return out, warn, query, nil
}

// GroupText renders a group's labels in grouping order: {route="/cart", method="GET"}.
func GroupText(grouping []string, group map[string]string) string {
	parts := make([]string, 0, len(grouping))
	for _, l := range grouping {
		parts = append(parts, fmt.Sprintf("%s=%q", l, group[l]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// findGroups asks the source for the groups of s, sorted by their label values in
// grouping order, and returns the query it sent.
func findGroups(ctx context.Context, src Source, s *slo.SLO, start, end time.Time) ([]map[string]string, string, error) {
	// Whole minutes, so that the lookup of a past range is the same request each time.
	to := end.Truncate(time.Minute)
	if to.Before(end) {
		to = to.Add(time.Minute)
	}
	from := start.Add(-groupLookback(s)).Truncate(time.Minute)
	if !from.Before(to) {
		from = to.Add(-time.Minute)
	}
	sels, err := promql.TotalSelectors(s)
	if err != nil {
		return nil, "", err
	}
	var groups []map[string]string
	query := ""
	if len(s.Grouping) == 1 && len(sels) == 1 {
		label := s.Grouping[0]
		query = fmt.Sprintf("label values of %s on %s", label, sels[0])
		vals, err := src.LabelValues(ctx, label, sels[0], from, to)
		if err != nil {
			return nil, query, err
		}
		for _, v := range vals {
			groups = append(groups, map[string]string{label: v})
		}
	} else {
		if query, err = promql.GroupsQuery(s, to.Sub(from)); err != nil {
			return nil, "", err
		}
		found, _, err := src.RangeGroups(ctx, query, to, to, time.Minute)
		if err != nil {
			return nil, query, err
		}
		for _, f := range found {
			g := make(map[string]string, len(s.Grouping))
			for _, l := range s.Grouping {
				g[l] = f.Labels[l]
			}
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b map[string]string) int {
		for _, l := range s.Grouping {
			if c := strings.Compare(a[l], b[l]); c != 0 {
				return c
			}
		}
		return 0
	})
	return slices.CompactFunc(groups, func(a, b map[string]string) bool { return GroupText(s.Grouping, a) == GroupText(s.Grouping, b) }), query, nil
}

// groupLookback is how far before a query's start a group's series may have been seen
// to count: the SLO's window (the longest quarter for calendar windows).
func groupLookback(s *slo.SLO) time.Duration {
	if s.Window.Kind == slo.Calendar {
		return 92 * 24 * time.Hour
	}
	return s.Window.Duration
}
