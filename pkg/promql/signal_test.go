package promql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/slo"
)

func TestSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  slo.Signal
		want string
		err  string
	}{
		{"counter", slo.Signal{Name: "t", Kind: slo.Counter, Query: `support_tickets_total{product="checkout"}`},
			`increase(support_tickets_total{product="checkout"}[1h])`, ""},
		{"counter sum", slo.Signal{Name: "t", Kind: slo.Counter, Query: `tickets_total`, Combine: slo.CombineSum},
			`sum(increase(tickets_total[1h]))`, ""},
		{"counter expression", slo.Signal{Name: "t", Kind: slo.Counter, Query: `sum by (product) (a_total) + b_total`},
			`sum by (product) (increase(a_total[1h])) + increase(b_total[1h])`, ""},
		{"gauge max", slo.Signal{Name: "g", Kind: slo.Gauge, Query: `carts{shop="x"}`, Combine: slo.CombineMax},
			`max(avg_over_time(carts{shop="x"}[1h]))`, ""},
		{"gauge min avg", slo.Signal{Name: "g", Kind: slo.Gauge, Query: `carts`, Combine: slo.CombineMin},
			`min(avg_over_time(carts[1h]))`, ""},
		{"escaping stays in the matcher", slo.Signal{Name: "t", Kind: slo.Counter, Query: `t_total{a="x\"} or vector(1)"}`},
			`increase(t_total{a="x\"} or vector(1)"}[1h])`, ""},
		{"range refused", slo.Signal{Name: "t", Kind: slo.Counter, Query: `rate(t_total[5m])`}, "", "range selector"},
		{"bad combine", slo.Signal{Name: "t", Kind: slo.Counter, Query: `t_total`, Combine: "median"}, "", `combine "median"`},
		{"bad kind", slo.Signal{Name: "t", Kind: "histogram", Query: `t_total`}, "", `kind "histogram"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Signal(tc.sig, inc(time.Hour))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
