package dashboards

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite provisioning/dashboards/*.json from the generator")

const provisioned = "../../provisioning/dashboards"

const regenerate = "go test ./pkg/dashboards -update"

// The committed dashboards are exactly what the generator writes (compared as parsed
// JSON); with -update the test writes them instead.
func TestCommittedDashboardsMatchGenerator(t *testing.T) {
	for _, f := range Files {
		t.Run(f.Name, func(t *testing.T) {
			want, err := Render(f)
			require.NoError(t, err)
			path := filepath.Join(provisioned, f.Name)
			shown := "provisioning/dashboards/" + f.Name
			if *update {
				require.NoError(t, os.WriteFile(path, want, 0o644))
				return
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err, "the generator has %s; write it with `%s`", f.Name, regenerate)
			if diffs := jsonDiff(t, got, want); len(diffs) > 0 {
				t.Fatalf("%s differs from the generator in pkg/dashboards at %d place(s) (committed → generated):\n  %s\n"+
					"Change the dashboard in pkg/dashboards, not the JSON, then regenerate it with `%s` and review `git diff %s`.",
					shown, len(diffs), strings.Join(diffs, "\n  "), regenerate, shown)
			}
		})
	}
}

// jsonDiff lists where two JSON documents differ, as "path: old → new"; nil when equal.
func jsonDiff(t *testing.T, a, b []byte) []string {
	t.Helper()
	var va, vb any
	require.NoError(t, json.Unmarshal(a, &va), "committed file")
	require.NoError(t, json.Unmarshal(b, &vb), "generated file")
	var out []string
	walkDiff("", va, vb, &out)
	return out
}

func walkDiff(path string, a, b any, out *[]string) {
	const most = 20
	if len(*out) >= most {
		return
	}
	show := func(v any) string {
		if v == nil {
			return "(absent)"
		}
		s, _ := json.Marshal(v)
		if len(s) > 80 {
			return string(s[:77]) + "..."
		}
		return string(s)
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			walkDiff(path+"."+k, x[k], y[k], out)
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		for i := range x {
			walkDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: %s → %s", path, show(a), show(b)))
	}
}

// The diff names the place that changed, so a hand edit of the JSON is easy to find.
func TestJSONDiffNamesThePlace(t *testing.T) {
	a := []byte(`{"panels":[{"id":1,"gridPos":{"w":12}},{"id":2}],"title":"x"}`)
	b := []byte(`{"panels":[{"id":1,"gridPos":{"w":24}},{"id":2,"title":"y"}],"title":"x"}`)
	require.Equal(t, []string{
		`.panels[0].gridPos.w: 12 → 24`,
		`.panels[1].title: (absent) → "y"`,
	}, jsonDiff(t, a, b))
	require.Empty(t, jsonDiff(t, []byte(`{"a":[1,{"b":2}]}`), []byte("{\n  \"a\": [1, {\"b\": 2}]\n}")))
}

// readStrict reads a dashboard as the SDK's typed model, refusing unknown fields, values
// of the wrong type and Nines queries the backend would refuse.
func readStrict(raw []byte) error {
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(VariantConfig())
	var d dashboard.Dashboard
	err := d.UnmarshalJSONStrict(raw)
	if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
		return nil // the SDK returns an empty error list as a non-nil error
	}
	return err
}

// The committed files read back into the SDK's types without a stray or mistyped field.
func TestCommittedDashboardsReadStrictly(t *testing.T) {
	for _, f := range Files {
		raw, err := os.ReadFile(filepath.Join(provisioned, f.Name))
		require.NoError(t, err)
		require.NoError(t, readStrict(raw), f.Name)
	}
}

// A hand edit the schema or the query models reject is caught by the strict read.
func TestStrictReadRejectsHandEdits(t *testing.T) {
	good, err := Render(Files[0])
	require.NoError(t, err)
	require.NoError(t, readStrict(good))
	cases := []struct {
		name, want string
		edit       func(d map[string]any)
	}{
		{"legend calcs as a string", "legend.calcs", func(d map[string]any) {
			panel(d, 1)["options"].(map[string]any)["legend"].(map[string]any)["calcs"] = "min"
		}},
		{"misspelt table option", "showHedaer", func(d map[string]any) {
			panel(d, 0)["options"].(map[string]any)["showHedaer"] = true
		}},
		{"option of another query type", "signal", func(d map[string]any) {
			firstTarget(d, 0)["signal"] = "support tickets"
		}},
		{"bad burn-rate window", "window", func(d map[string]any) {
			firstTarget(d, 2)["window"] = "1hour"
		}},
		{"unknown query type", "errorRate", func(d map[string]any) {
			firstTarget(d, 1)["queryType"] = "errorRate"
		}},
		{"grid position as text", "gridPos", func(d map[string]any) {
			panel(d, 1)["gridPos"].(map[string]any)["w"] = "12"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d map[string]any
			require.NoError(t, json.Unmarshal(good, &d))
			c.edit(d)
			raw, err := json.Marshal(d)
			require.NoError(t, err)
			err = readStrict(raw)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func panel(d map[string]any, i int) map[string]any {
	return d["panels"].([]any)[i].(map[string]any)
}

func firstTarget(d map[string]any, i int) map[string]any {
	return panel(d, i)["targets"].([]any)[0].(map[string]any)
}

// What users and links rely on: the uids (dashboard URLs), titles, the variables and
// panels on a 24-column grid without overlaps, each with one Nines query.
func TestDashboardsAsUsersSeeThem(t *testing.T) {
	cases := []struct {
		build         func() (dashboard.Dashboard, error)
		uid, title    string
		variable      string
		panels, types []string
	}{
		{Overview, "nines-slo-overview", "SLO overview", "service",
			[]string{"SLO status", "Error budget remaining", "Burn rate (1h)", "History: past months"},
			[]string{"status", "budget", "burnRate", "history"}},
		{Detail, "nines-slo-detail", "SLO detail", "slo",
			[]string{"SLI", "Error budget remaining", "Burn rates", "Happiness: SLI against support tickets", "History: past weeks", "Catalog"},
			[]string{"sli", "budget", "burnRate", "happiness", "history", "catalog"}},
	}
	for _, c := range cases {
		t.Run(c.title, func(t *testing.T) {
			d, err := c.build()
			require.NoError(t, err)
			require.Equal(t, c.uid, *d.Uid)
			require.Equal(t, c.title, *d.Title)
			require.Len(t, d.Templating.List, 1)
			require.Equal(t, c.variable, d.Templating.List[0].Name)
			var titles, types []string
			var cells [][24]bool
			for i, p := range d.Panels {
				require.NotNil(t, p.Panel, "panel %d", i)
				require.Equal(t, uint32(i+1), *p.Panel.Id)
				titles = append(titles, *p.Panel.Title)
				require.Len(t, p.Panel.Targets, 1, *p.Panel.Title)
				q := p.Panel.Targets[0].(Query)
				types = append(types, q.QueryType)
				require.Contains(t, []string{"$" + c.variable}, q.SLO+q.Service, *p.Panel.Title)
				g := p.Panel.GridPos
				require.LessOrEqual(t, g.X+g.W, uint32(24), *p.Panel.Title)
				for y := g.Y; y < g.Y+g.H; y++ {
					for len(cells) <= int(y) {
						cells = append(cells, [24]bool{})
					}
					for x := g.X; x < g.X+g.W; x++ {
						require.False(t, cells[y][x], "%s overlaps another panel at x=%d y=%d", *p.Panel.Title, x, y)
						cells[y][x] = true
					}
				}
			}
			require.Equal(t, c.panels, titles)
			require.Equal(t, c.types, types)
		})
	}
}

// A query the backend would refuse stops the build, naming the query and the option.
func TestQueryValidate(t *testing.T) {
	ds := Datasource()
	ok := func(q Query) Query {
		q.RefID, q.Datasource = "A", &ds
		return q
	}
	good := []Query{
		ok(Query{QueryType: "status"}),
		ok(Query{QueryType: "burnRate", Service: "$service", Window: "1h"}),
		ok(Query{QueryType: "history", SLO: "checkout-availability", Period: "week", Periods: cog.ToPtr(8), Share: cog.ToPtr(0.9), Objectives: "99, 99.9"}),
		ok(Query{QueryType: "happiness", SLO: "$slo", Signal: "support tickets", Interval: "1h", MaxLag: cog.ToPtr(6)}),
	}
	for _, q := range good {
		require.NoError(t, q.Validate(), "%+v", q)
	}
	bad := []struct {
		q    Query
		want string
	}{
		{ok(Query{QueryType: "errorRate"}), "unknown query type"},
		{ok(Query{QueryType: "status", Signal: "x"}), "[signal] do not belong to query type status"},
		{ok(Query{QueryType: "catalog", Window: "1h"}), "[window] do not belong to query type catalog"},
		{ok(Query{QueryType: "sli", Window: "fortnight"}), "query field window"},
		{ok(Query{QueryType: "history", Periods: cog.ToPtr(0)}), "query field periods"},
		{ok(Query{QueryType: "history", Share: cog.ToPtr(1.5)}), "query field share"},
		{ok(Query{QueryType: "history", Objectives: "100"}), "query field objectives"},
		{ok(Query{QueryType: "history", Period: "fortnight"}), "query field period"},
		{ok(Query{QueryType: "happiness", MaxLag: cog.ToPtr(-1)}), "query field maxLag"},
		{ok(Query{QueryType: "status", SLO: "(unclosed"}), "query field slo"},
		{Query{QueryType: "status", Datasource: &ds}, "refId is empty"},
		{Query{RefID: "A", QueryType: "status"}, "datasource must be of type nines-slo-datasource"},
	}
	for _, c := range bad {
		err := c.q.Validate()
		require.Error(t, err, "%+v", c.q)
		require.Contains(t, err.Error(), c.want)
		require.Contains(t, err.Error(), "query "+c.q.RefID+" ("+c.q.QueryType+")")
	}
}

// A panel with a bad query fails the dashboard's build instead of writing the file.
func TestBadQueryFailsTheBuild(t *testing.T) {
	_, err := base("x-test", "x", "").
		WithPanel(tablePanel(1, "t", "", pos(0, 0, 24, 4), Query{QueryType: "history", Periods: cog.ToPtr(999)})).
		Build()
	require.Error(t, err)
	require.Contains(t, err.Error(), "query field periods")

	_, err = base("x-test", "x", "").WithVariable(queryOnly{ninesVariable("v", "V", "teams")}).Build()
	require.Error(t, err)
	require.Contains(t, err.Error(), `kind "teams" must be one of [slos services owners]`)
}
