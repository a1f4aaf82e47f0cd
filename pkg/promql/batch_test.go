package promql

import (
	"slices"
	"testing"
)

func TestBatch(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		other   string // a query with other values: same key
		tuples  [][]string
		labels  []string
		want    string
		widened bool
	}{
		{
			name:   "last values of a plain selector",
			query:  `last_over_time(http_requests_total{service="a",code="500"}[1h])`,
			other:  `last_over_time(http_requests_total{service="b",code="500"}[1h])`,
			tuples: [][]string{{"500", "a"}, {"500", "b"}},
			labels: []string{"code", "service"},
			want:   `last_over_time(http_requests_total{code=~"500",service=~"a|b"}[1h])`,
		},
		{
			name:    "a sum keeps the labels",
			query:   `max(count_over_time(x{service="svc.1"}[1m]))`,
			other:   `max(count_over_time(x{service="svc-2"}[1m]))`,
			tuples:  [][]string{{"svc.1"}, {"svc-2"}},
			labels:  []string{"service"},
			want:    `max by (service) (count_over_time(x{service=~"svc-2|svc\\.1"}[1m]))`,
			widened: true,
		},
		{
			name:    "a ratio of sums matches on the labels",
			query:   `sum by (code) (increase(x{job="a"}[5m])) / on () group_left () sum(increase(x{job="a"}[5m]))`,
			other:   `sum by (code) (increase(x{job="b"}[5m])) / on () group_left () sum(increase(x{job="b"}[5m]))`,
			tuples:  [][]string{{"a"}, {"b"}},
			labels:  []string{"job"},
			want:    `sum by (code, job) (increase(x{job=~"a|b"}[5m])) / on (job) group_left () sum by (job) (increase(x{job=~"a|b"}[5m]))`,
			widened: true,
		},
		{
			name:   "one tuple is the query itself",
			query:  `last_over_time(x{service="a"}[1h])`,
			other:  `last_over_time(x{service="z"}[1h])`,
			tuples: [][]string{{"a"}, {"a"}},
			labels: []string{"service"},
			want:   `last_over_time(x{service="a"}[1h])`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := Batch(tt.query)
			if !ok {
				t.Fatalf("Batch(%q) is not batchable", tt.query)
			}
			if !slices.Equal(b.Labels, tt.labels) {
				t.Errorf("labels %v, want %v", b.Labels, tt.labels)
			}
			o, ok := Batch(tt.other)
			if !ok || o.Key != b.Key {
				t.Errorf("keys differ: %q and %q", b.Key, o.Key)
			}
			got, asIs, err := b.Query(tt.tuples)
			if err != nil {
				t.Fatal(err)
			}
			if asIs != (got == tt.query) {
				t.Errorf("asIs %v for %s", asIs, got)
			}
			if got != tt.want {
				t.Errorf("batched\n got %s\nwant %s", got, tt.want)
			}
			if _, err := parse(got); err != nil {
				t.Errorf("batched query does not parse: %v", err)
			}
			if b.Widened != tt.widened {
				t.Errorf("widened %v, want %v", b.Widened, tt.widened)
			}
		})
	}
}

func TestBatchRefuses(t *testing.T) {
	for _, q := range []string{
		`sum(rate(x[5m]))`,                // no equality matcher
		`x{service="a"} / y{service="b"}`, // different values
		`label_replace(x{service="a"}, "s", "$1", "service", "(.*)")`,
		`sum without (service) (x{service="a"})`, // aggregates the label away
		`x{service="a"} / ignoring (service) y{service="a"}`,
		`absent(x{service="a"})`,
		`x{service="a",service="b"}`,
		`x{service=""}`,
		`count_values("v", x{service="a"})`,
		`vector(1)`,
	} {
		if b, ok := Batch(q); ok {
			t.Errorf("Batch(%q) = %+v, want not batchable", q, b)
		}
	}
}

func TestTuple(t *testing.T) {
	got, ok := Tuple([]string{"code", "service"}, map[string]string{"service": "a", "code": "200", "x": "y"})
	if !ok || !slices.Equal(got, []string{"200", "a"}) {
		t.Errorf("Tuple = %v, %v", got, ok)
	}
	if _, ok := Tuple([]string{"code"}, map[string]string{"service": "a"}); ok {
		t.Error("Tuple without the label is ok")
	}
}
