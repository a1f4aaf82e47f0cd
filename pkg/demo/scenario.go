package demo

import "time"

// CheckoutIncidents returns the start of every checkout incident of the scenario, in order.
func CheckoutIncidents() []time.Time {
	out := make([]time.Time, len(checkoutIncidents))
	for i, in := range checkoutIncidents {
		out[i] = in.Start
	}
	return out
}
