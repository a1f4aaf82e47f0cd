package plugin

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/words"
)

// Query types, as the models package names them.
const (
	QueryStatus    = models.TypeStatus
	QuerySLI       = models.TypeSLI
	QueryBudget    = models.TypeBudget
	QueryBurnRate  = models.TypeBurnRate
	QueryHistory   = models.TypeHistory
	QueryHappiness = models.TypeHappiness
	QueryCatalog   = models.TypeCatalog
	QueryAlerts    = models.TypeAlerts
)

// Select returns the loaded SLOs the query names, sorted by service and name. A literal
// name that does not exist, or that failed to load, is an error.
func Select(res definitions.Result, q models.Selection) ([]*slo.SLO, error) {
	nameM, err := models.NewPattern("slo", q.SLO)
	if err != nil {
		return nil, err
	}
	svcM, err := models.NewPattern("service", q.Service)
	if err != nil {
		return nil, err
	}
	var out []*slo.SLO
	for _, s := range res.SLOs {
		if !nameM.Match(s.Name) || !svcM.Match(s.Service) {
			continue
		}
		ok := true
		for k, v := range q.Labels {
			// A filter on a grouping label picks groups, after they are found.
			if s.Labels[k] != v && !slices.Contains(s.Grouping, k) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	if name, ok := nameM.Name(); ok && len(out) == 0 {
		for _, e := range res.Errors {
			if e.SLO == name {
				return nil, fmt.Errorf("SLO %q did not load: %s", name, e.Error())
			}
		}
		var failed []string
		for _, e := range res.Errors {
			if e.SLO == "" {
				failed = append(failed, e.Error())
			}
		}
		if len(failed) > 0 {
			// The SLO may be in a file that did not load: say where.
			return nil, fmt.Errorf("unknown SLO %q: no loaded definition has that name, and %s may hide it: %s",
				name, words.Count(len(failed), "definition error", "definition errors"), strings.Join(firstN(failed, 3), "; "))
		}
		return nil, fmt.Errorf("unknown SLO %q: no loaded definition has that name", name)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
