package dashboards

import (
	"fmt"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// variableKinds are what the Nines variable query lists (src/types.ts VariableKind).
var variableKinds = []string{"slos", "services", "owners"}

// The demo history's time span, which both dashboards open on.
const (
	demoFrom = "2026-01-15T00:00:00.000Z"
	demoTo   = "2026-03-16T00:00:00.000Z"
)

// pos is a panel's place on the 24-column grid.
func pos(x, y, w, h uint32) dashboard.GridPos {
	return dashboard.GridPos{X: x, Y: y, W: w, H: h}
}

// base starts a dashboard with what both share: uid, title, tags, the demo time range in
// UTC, shared crosshair, the built-in annotations and a link to the other Nines dashboards.
func base(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"nines", "slo"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Version(1).
		Time(demoFrom, demoTo).
		Timezone(common.TimeZoneUtc).
		Refresh("").
		FiscalYearStartMonth(0).
		LiveNow(false).
		Annotation(value(builtInAnnotations())).
		Link(value(dashboard.DashboardLink{
			// A literal rather than the link builder, which would place the link in the
			// controls menu; here it stays in the dashboard's top bar.
			Title:    "Nines SLO",
			Type:     dashboard.DashboardLinkTypeDashboards,
			Tags:     []string{"nines"},
			KeepTime: true,
		}))
}

// builtInAnnotations is Grafana's own "Annotations & Alerts", hidden as Grafana adds it.
func builtInAnnotations() dashboard.AnnotationQuery {
	return dashboard.AnnotationQuery{
		Name:       "Annotations & Alerts",
		Datasource: &common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")},
		Enable:     true,
		Hide:       cog.ToPtr(true),
		IconColor:  "rgba(0, 211, 255, 1)",
		Type:       cog.ToPtr("dashboard"),
		BuiltIn:    cog.ToPtr(1.0),
	}
}

// ninesVariable is a template variable filled by the Nines variable query of kind
// (slos, services or owners).
func ninesVariable(name, label, kind string) *dashboard.QueryVariableBuilder {
	if !slices.Contains(variableKinds, kind) {
		return dashboard.NewQueryVariableBuilder(name).RecordError("query.kind",
			fmt.Errorf("variable %s: kind %q must be one of %v", name, kind, variableKinds))
	}
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(Datasource()).
		Query(dashboard.StringOrMap{Map: map[string]any{"refId": "NinesVariableQuery", "kind": kind}}).
		Definition("Nines: " + kind).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Hide(dashboard.VariableHideDontHide).
		Options([]dashboard.VariableOption{})
}

// queryOnly drops the interval-variable fields (auto, auto_min, auto_count) that the
// SDK's variable model sets on every variable; a query variable has no use for them.
type queryOnly struct {
	b cog.Builder[dashboard.VariableModel]
}

func (q queryOnly) Build() (dashboard.VariableModel, error) {
	v, err := q.b.Build()
	v.Auto, v.AutoMin, v.AutoCount = nil, nil, nil
	return v, err
}

// step is a threshold: from value on, the colour.
type step struct {
	from  float64
	color string
}

// thresholds are absolute thresholds: the base colour below the first step, then the steps.
func thresholds(baseColor string, steps ...step) dashboard.ThresholdsConfig {
	s := []dashboard.Threshold{{Color: baseColor}}
	for _, st := range steps {
		s = append(s, dashboard.Threshold{Value: cog.ToPtr(st.from), Color: st.color})
	}
	return dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: s}
}

// budgetSteps colour the share of budget left: red when overspent, orange below 25 %.
func budgetSteps() dashboard.ThresholdsConfig {
	return thresholds("red", step{0, "orange"}, step{0.25, "green"})
}

// burnSteps colour a burn rate: orange above 1 (spending faster than the window allows),
// red from the given alert factor on.
func burnSteps(red float64) dashboard.ThresholdsConfig {
	return thresholds("green", step{1, "orange"}, step{red, "red"})
}

// tablePanel is a Nines table with the header shown, small rows and no footer.
func tablePanel(id uint32, title, description string, at dashboard.GridPos, q Query) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(id).
		Title(title).
		Description(description).
		Datasource(Datasource()).
		GridPos(at).
		WithTarget(Target(q)).
		Align(common.FieldTextAlignmentAuto).
		CellOptions(common.TableCellOptions{TableAutoCellOptions: &common.TableAutoCellOptions{Type: common.TableCellDisplayModeAuto}}).
		ShowHeader(true).
		CellHeight(common.TableCellHeightSm).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}))
}

// seriesPanel is a Nines time series: lines without points, a table legend with the last
// value and the minimum, and a tooltip listing every series.
func seriesPanel(id uint32, title, description string, at dashboard.GridPos, q Query) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(id).
		Title(title).
		Description(description).
		Datasource(Datasource()).
		GridPos(at).
		WithTarget(Target(q)).
		DrawStyle(common.GraphDrawStyleLine).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull", "min"}).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderNone))
}

// ratioSeries is a time series of a ratio (SLI, budget left) drawn with its thresholds
// as a line and a shaded area.
func ratioSeries(id uint32, title, description string, at dashboard.GridPos, q Query) *timeseries.PanelBuilder {
	return seriesPanel(id, title, description, at, q).
		Unit("percentunit").
		LineWidth(2).
		FillOpacity(10).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLineAndArea))
}

// burnSeries is a time series of burn rates on a log scale, with dashed thresholds.
func burnSeries(id uint32, title, description string, at dashboard.GridPos, q Query, fast float64) *timeseries.PanelBuilder {
	return seriesPanel(id, title, description, at, q).
		Unit("none").
		Thresholds(value(burnSteps(fast))).
		LineWidth(1).
		FillOpacity(0).
		ScaleDistribution(common.NewScaleDistributionConfigBuilder().Type(common.ScaleDistributionLog).Log(10)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
}

// sliColumn shows a table's SLI column as a percent with three decimals.
func sliColumn() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "unit", Value: "percentunit"},
		{Id: "decimals", Value: 3},
	}
}

// cellOptions is an override property setting how a table column's cells are drawn.
func cellOptions(o common.TableCellOptions) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: o}
}

func colorText() common.TableCellOptions {
	return common.TableCellOptions{TableColorTextCellOptions: &common.TableColorTextCellOptions{Type: common.TableCellDisplayModeColorText}}
}

func colorBackground(mode common.TableCellBackgroundDisplayMode) common.TableCellOptions {
	return common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
		Type: common.TableCellDisplayModeColorBackground,
		Mode: &mode,
	}}
}

// thresholdsValue is an override property with the given thresholds.
func thresholdsValue(t dashboard.ThresholdsConfig) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: "thresholds", Value: t}
}

// valueBuilder hands an already typed value to an SDK builder method.
type valueBuilder[T any] struct{ v T }

func (b valueBuilder[T]) Build() (T, error) { return b.v, nil }

func value[T any](v T) cog.Builder[T] { return valueBuilder[T]{v} }
