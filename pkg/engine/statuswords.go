package engine

import (
	"fmt"

	"github.com/nines-slo/nines/pkg/budget"
	"github.com/nines-slo/nines/pkg/slo"
)

// NoData says why a status has no SLI: "no events in the last 30d", or "no events so
// far this month" for a calendar window; "" when it has one.
func (st *Status) NoData() string {
	if st.HasData {
		return ""
	}
	s := st.SLO
	if s.Window.Kind == slo.Calendar {
		return fmt.Sprintf("no events so far this %s", s.Window.Unit)
	}
	return fmt.Sprintf("no events in the last %s", s.Window)
}

// Breach says that the objective is not met over the window, "" when it is.
func (st *Status) Breach() string {
	if st.State != budget.StateBreached {
		return ""
	}
	s := st.SLO
	if s.Window.Kind == slo.Calendar {
		return fmt.Sprintf("%s: objective %s already missed this %s (SLI %s so far, %s of the %s elapsed)",
			s.Name, budget.Percent(s.Target()), s.Window.Unit, budget.Percent(st.SLI), budget.Percent(st.Elapsed), s.Window.Unit)
	}
	return fmt.Sprintf("%s: objective %s not met over the last %s (SLI %s)", s.Name, budget.Percent(s.Target()), s.Window, budget.Percent(st.SLI))
}

// BurnRate is the i-th burn rate of StatusBurnWindows, ok false when it has no data.
func (st *Status) BurnRate(i int) (float64, bool) {
	if i >= len(st.Burns) || !st.Burns[i].OK {
		return 0, false
	}
	return st.Burns[i].Rate, true
}
