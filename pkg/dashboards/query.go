package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"

	"github.com/nines-slo/nines/pkg/models"
)

// PluginID is the data source plugin's id, the type of every Nines query.
const PluginID = "nines-slo-datasource"

// DatasourceUID is the uid provisioning/datasources/nines.yaml gives the data source.
const DatasourceUID = "nines"

// Datasource is the reference to the provisioned Nines data source.
func Datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr(PluginID), Uid: cog.ToPtr(DatasourceUID)}
}

// Query is one Nines panel query. Its fields are the query model of pkg/models (the
// selection every type shares, and each type's own options), so a dashboard cannot hold
// a query the backend would refuse.
type Query struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	QueryType  string                `json:"queryType"`
	SLO        string                `json:"slo,omitempty"`
	Service    string                `json:"service,omitempty"`
	Window     string                `json:"window,omitempty"`
	Period     string                `json:"period,omitempty"`
	Periods    *int                  `json:"periods,omitempty"`
	Share      *float64              `json:"share,omitempty"`
	Objectives string                `json:"objectives,omitempty"`
	Signal     string                `json:"signal,omitempty"`
	Interval   string                `json:"interval,omitempty"`
	MaxLag     *int                  `json:"maxLag,omitempty"`
}

var _ variants.Dataquery = Query{}

// ImplementsDataqueryVariant marks Query as a panel target for the SDK.
func (Query) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id the SDK files the query under.
func (Query) DataqueryType() string { return PluginID }

// Equals reports whether other is the same query.
func (q Query) Equals(other variants.Dataquery) bool {
	o, ok := other.(Query)
	return ok && reflect.DeepEqual(q, o)
}

// Validate checks the query as the backend would: a known query type, only options that
// type has, and values its options type accepts.
func (q Query) Validate() error {
	where := fmt.Sprintf("query %s (%s)", q.RefID, q.QueryType)
	if q.RefID == "" {
		return fmt.Errorf("%s: refId is empty", where)
	}
	if q.Datasource == nil || q.Datasource.Type == nil || *q.Datasource.Type != PluginID {
		return fmt.Errorf("%s: the datasource must be of type %s", where, PluginID)
	}
	i := slices.Index(models.Names(), q.QueryType)
	if i < 0 {
		return fmt.Errorf("%s: unknown query type; known: %v", where, models.Names())
	}
	raw, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := onlyOptionsOf(raw, models.Describe().Types[i]); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	var sel models.Selection
	if err := json.Unmarshal(raw, &sel); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := sel.Validate(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	opts := reflect.New(reflect.TypeOf(models.Types[i].Options))
	if err := json.Unmarshal(raw, opts.Interface()); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := opts.Elem().Interface().(models.Validator).Validate(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// onlyOptionsOf refuses a field that is neither shared by all query types nor one of t's options.
func onlyOptionsOf(raw []byte, t models.TypeOptions) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	allowed := map[string]bool{"refId": true, "datasource": true, "queryType": true}
	for _, o := range models.Describe().Common {
		allowed[o.Name] = true
	}
	for _, o := range t.Options {
		allowed[o.Name] = true
	}
	var extra []string
	for name := range fields {
		if !allowed[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("option(s) %v do not belong to query type %s", extra, t.Type)
	}
	return nil
}

// target builds a Query for a panel: refId A and the Nines data source unless set.
type target struct{ q Query }

// Target wraps q as a panel target.
func Target(q Query) cog.Builder[variants.Dataquery] { return target{q} }

// Build fills the defaults and checks the query.
func (t target) Build() (variants.Dataquery, error) {
	q := t.q
	if q.RefID == "" {
		q.RefID = "A"
	}
	if q.Datasource == nil {
		ds := Datasource()
		q.Datasource = &ds
	}
	if err := q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("nines.query", err)
	}
	return q, nil
}

// VariantConfig tells the SDK's runtime how to read Nines queries, so a dashboard read
// back from JSON holds them as Query (strictly: unknown fields and bad options fail).
func VariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: PluginID,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, fmt.Errorf("nines query: %w", err)
			}
			return q, nil
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("nines query: %w", err)
			}
			if err := q.Validate(); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}
