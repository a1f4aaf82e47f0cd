package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/internal/promtest"
	"github.com/nines-slo/nines/pkg/models"
)

// alertRulesFile is Grafana's alerting provisioning file of the demo SLOs.
const alertRulesFile = "../../provisioning/alerting/nines-slo-alerts.yaml"

// The parts of Grafana's alerting provisioning format (apiVersion 1) the file uses;
// decoding refuses any other key, so that a misspelt one does not pass unseen.
type grafanaRuleFile struct {
	APIVersion int                `yaml:"apiVersion"`
	Groups     []grafanaRuleGroup `yaml:"groups"`
}

type grafanaRuleGroup struct {
	OrgID    int           `yaml:"orgId"`
	Name     string        `yaml:"name"`
	Folder   string        `yaml:"folder"`
	Interval string        `yaml:"interval"`
	Rules    []grafanaRule `yaml:"rules"`
}

type grafanaRule struct {
	UID          string             `yaml:"uid"`
	Title        string             `yaml:"title"`
	Condition    string             `yaml:"condition"`
	Data         []grafanaRuleQuery `yaml:"data"`
	NoDataState  string             `yaml:"noDataState"`
	ExecErrState string             `yaml:"execErrState"`
	For          string             `yaml:"for"`
	Labels       map[string]string  `yaml:"labels"`
	Annotations  map[string]string  `yaml:"annotations"`
	IsPaused     bool               `yaml:"isPaused"`
}

type grafanaRuleQuery struct {
	RefID             string                   `yaml:"refId"`
	RelativeTimeRange struct{ From, To int64 } `yaml:"relativeTimeRange"`
	DatasourceUID     string                   `yaml:"datasourceUid"`
	Model             map[string]any           `yaml:"model"`
}

// exprUID is the data source uid of Grafana's server-side expressions.
const exprUID = "__expr__"

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v), path)
}

// ninesUID is the uid of the Nines data source in provisioning/datasources/nines.yaml.
func ninesUID(t *testing.T) string {
	var f struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	raw, err := os.ReadFile("../../provisioning/datasources/nines.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, &f))
	for _, d := range f.Datasources {
		if d.Type == PluginID {
			return d.UID
		}
	}
	t.Fatal("no Nines data source in provisioning/datasources/nines.yaml")
	return ""
}

// checkRule checks one rule: its states and duration, each query's data source, query
// type and SLO, each expression's input, and the chain from the condition to a query.
func checkRule(t *testing.T, r grafanaRule, uid string, slos map[string]bool) {
	t.Helper()
	require.NotEmpty(t, r.Title)
	require.Regexp(t, `^[a-zA-Z0-9_-]{1,40}$`, r.UID, "Grafana's rule uid: at most 40 letters, digits, - and _")
	require.Contains(t, []string{"OK", "NoData", "Alerting", "KeepLast"}, r.NoDataState)
	require.Contains(t, []string{"Error", "Alerting", "OK", "KeepLast"}, r.ExecErrState)
	_, err := time.ParseDuration(r.For)
	require.NoError(t, err, "for: %q", r.For)
	byRef := map[string]grafanaRuleQuery{}
	for _, q := range r.Data {
		require.NotContains(t, byRef, q.RefID, "refIds are unique")
		require.Equal(t, q.RefID, q.Model["refId"], "the model's refId is its query's")
		byRef[q.RefID] = q
		switch q.DatasourceUID {
		case uid:
			qt, _ := q.Model["queryType"].(string)
			require.Contains(t, models.Names(), qt, "%s: a query type Nines answers", q.RefID)
			name, _ := q.Model["slo"].(string)
			require.True(t, slos[name], "%s: SLO %q is one of provisioning/slos", q.RefID, name)
			require.Greater(t, q.RelativeTimeRange.From, q.RelativeTimeRange.To, "%s: a time range", q.RefID)
			model, _ := json.Marshal(q.Model)
			_, err := models.Decode[models.Selection](model)
			require.NoError(t, err, "%s: the model decodes as a query", q.RefID)
		case exprUID:
			ty, _ := q.Model["type"].(string)
			require.Contains(t, []string{"threshold", "reduce", "math"}, ty, "%s: an expression type", q.RefID)
			in, _ := q.Model["expression"].(string)
			require.Contains(t, byRef, in, "%s reads %q, defined before it", q.RefID, in)
		default:
			t.Fatalf("%s: data source uid %q is neither Nines' (%q) nor expressions'", q.RefID, q.DatasourceUID, uid)
		}
	}
	// The condition is an expression whose chain of inputs ends at a Nines query.
	cond, ok := byRef[r.Condition]
	require.True(t, ok, "condition %q is one of the rule's refIds", r.Condition)
	require.Equal(t, exprUID, cond.DatasourceUID, "the condition is an expression")
	for q, seen := cond, 0; ; seen++ {
		require.Less(t, seen, len(r.Data), "the chain from %s has no cycle", r.Condition)
		if q.DatasourceUID == uid {
			break
		}
		q = byRef[q.Model["expression"].(string)]
	}
}

// The provisioned alert rules refer to the Nines data source, real SLOs and query types,
// and each chain of expressions ends in the rule's condition; every demo SLO has one.
func TestProvisionedAlertRules(t *testing.T) {
	var f grafanaRuleFile
	readYAML(t, alertRulesFile, &f)
	require.Equal(t, 1, f.APIVersion)
	res := definitions.Load([]string{"../../provisioning/slos"}, "")
	require.Empty(t, res.Errors)
	slos := map[string]bool{}
	for _, s := range res.SLOs {
		slos[s.Name] = true
	}
	uid := ninesUID(t)
	covered := map[string]bool{}
	uids := map[string]bool{}
	require.NotEmpty(t, f.Groups)
	for _, g := range f.Groups {
		require.NotEmpty(t, g.Name)
		require.NotEmpty(t, g.Folder)
		_, err := time.ParseDuration(g.Interval)
		require.NoError(t, err)
		for _, r := range g.Rules {
			t.Run(r.UID, func(t *testing.T) {
				require.False(t, uids[r.UID], "rule uids are unique")
				uids[r.UID] = true
				checkRule(t, r, uid, slos)
				for _, q := range r.Data {
					if name, ok := q.Model["slo"].(string); ok {
						covered[name] = true
					}
				}
			})
		}
	}
	for name := range slos {
		require.True(t, covered[name], "SLO %s has an alert rule", name)
	}
}

// evalRule evaluates a provisioned rule as Grafana would at now: its Nines queries
// through the plugin, then its threshold and reduce expressions, and returns the state of
// each alert instance by its labels.
func evalRule(t *testing.T, ds *Datasource, r grafanaRule, now time.Time) map[string]string {
	t.Helper()
	vals := map[string][]sseValue{}
	for _, q := range r.Data {
		// Grafana hands the model on as JSON: numbers become float64.
		raw, err := json.Marshal(q.Model)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &q.Model))
		if q.DatasourceUID == exprUID {
			in := vals[q.Model["expression"].(string)]
			var out []sseValue
			for _, v := range in {
				x := reduceLast(v)
				if q.Model["type"] == "threshold" {
					cond := q.Model["conditions"].([]any)[0].(map[string]any)["evaluator"].(map[string]any)
					require.Equal(t, "gt", cond["type"])
					x = thresholdAbove(x, cond["params"].([]any)[0].(float64))
				}
				out = append(out, sseValue{name: q.RefID, labels: v.labels, values: []*float64{x}})
			}
			vals[q.RefID] = out
			continue
		}
		iv := time.Duration(q.Model["intervalMs"].(float64)) * time.Millisecond
		dq := backend.DataQuery{RefID: q.RefID, QueryType: q.Model["queryType"].(string), JSON: raw, Interval: iv,
			MaxDataPoints: int64(q.Model["maxDataPoints"].(float64)),
			TimeRange: backend.TimeRange{From: now.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
				To: now.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second)}}
		dr := run(t, ds, dq).Responses[q.RefID]
		require.NoError(t, dr.Error)
		vals[q.RefID], err = sseRead(dr.Frames)
		require.NoError(t, err)
	}
	cond := vals[r.Condition]
	require.NoError(t, uniqueInstances(cond))
	out := map[string]string{}
	for _, v := range cond {
		out[fmt.Sprintf("%s/%s", v.labels["long"], v.labels["short"])] = alertState(v.values[0])
	}
	return out
}

// On the demo history, the provisioned rules page for checkout availability during the
// incident of 2026-02-12 13:00–17:00 (20 % errors), not for its latency (slow, but at a
// burn rate under the page factors), and stay quiet on a calm day.
func TestProvisionedAlertRulesOnDemoHistory(t *testing.T) {
	var f grafanaRuleFile
	readYAML(t, alertRulesFile, &f)
	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{"../../provisioning/slos"}})
	incident := time.Date(2026, 2, 12, 14, 0, 30, 0, time.UTC)
	calm := time.Date(2026, 3, 15, 10, 0, 30, 0, time.UTC)
	pairs := []string{"1h/5m", "6h/30m", "1d/2h", "3d/6h"}
	for _, r := range f.Groups[0].Rules {
		t.Run(r.UID, func(t *testing.T) {
			quiet := evalRule(t, ds, r, calm)
			require.Len(t, quiet, 4)
			for _, p := range pairs {
				require.Equal(t, "Normal", quiet[p], "%s on a calm day", p)
			}
			during := evalRule(t, ds, r, incident)
			switch r.UID {
			case "nines-checkout-availability":
				// 20 % errors against 99.9: burn rate 200.
				require.Equal(t, "Alerting", during["1h/5m"], "page during the incident")
				require.Equal(t, "Alerting", during["6h/30m"], "page during the incident")
			case "nines-checkout-latency":
				// 25 % of requests over 500 ms against 95: burn rate 5, below both page factors.
				require.Equal(t, "Normal", during["1h/5m"], "no page for a burn rate of 5")
				require.Equal(t, "Normal", during["6h/30m"], "no page for a burn rate of 5")
			}
		})
	}
}
