package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/nines-slo/nines/pkg/models"
)

// The burn-rate factors of the fast alerts over 1h and 6h (DESIGN.md, multiwindow,
// multi-burn-rate alerts), where the burn-rate thresholds turn red.
const (
	fastBurn1h = 14.4
	fastBurn6h = 6.0
)

// whatIfObjectives are the objectives the history tables try besides each SLO's own.
const whatIfObjectives = "99, 99.5, 99.9"

// Overview is the "SLO overview" dashboard: every SLO's status, budget, 1h burn rate and
// past months, filtered by a $service variable.
func Overview() (dashboard.Dashboard, error) {
	all := dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
	return base("nines-slo-overview", "SLO overview",
		"Every SLO: where it stands now, how fast it burns its error budget and how it did in past months. The default time range covers the demo history (2026-01-15 to 2026-03-16).").
		WithVariable(queryOnly{ninesVariable("service", "Service", "services").
			Multi(true).
			IncludeAll(true).
			Current(all)}).
		WithPanel(statusTable()).
		WithPanel(ratioSeries(2, "Error budget remaining",
			"Share of the error budget left in the SLO window; below zero the budget is overspent.",
			pos(0, 9, 12, 9),
			Query{QueryType: models.TypeBudget, Service: "$service"}).
			Thresholds(value(budgetSteps()))).
		WithPanel(burnSeries(3, "Burn rate (1h)",
			"How fast each SLO spends its budget over the last hour; 1 spends exactly the budget over the SLO window.",
			pos(12, 9, 12, 9),
			Query{QueryType: models.TypeBurnRate, Service: "$service", Window: "1h"}, fastBurn1h)).
		WithPanel(tablePanel(4, "History: past months",
			"The SLI in each calendar month against the objective, and the objective that would have been met in 90 % of them.",
			pos(0, 18, 24, 10),
			Query{QueryType: models.TypeHistory, Service: "$service", Period: "month", Periods: cog.ToPtr(3), Share: cog.ToPtr(0.9), Objectives: whatIfObjectives}).
			OverrideByName("SLI", sliColumn())).
		Build()
}

// statusTable is one row per SLO, its state, SLI, budget and burn rates coloured.
func statusTable() *table.PanelBuilder {
	return tablePanel(1, "SLO status",
		"One row per SLO at the end of the time range: SLI over the SLO window, budget left, burn rates, time to exhaustion and status.",
		pos(0, 0, 24, 9),
		Query{QueryType: models.TypeStatus, Service: "$service"}).
		Inspect(false).
		OverrideByName("Status", []dashboard.DynamicConfigValue{
			{Id: "mappings", Value: []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
				Type: dashboard.MappingTypeValueToText,
				Options: map[string]dashboard.ValueMappingResult{
					"ok":       state("green", 0, "ok"),
					"at risk":  state("orange", 1, "at risk"),
					"breached": state("red", 2, "breached"),
					"no data":  state("text", 3, "no data"),
				},
			}}}},
			cellOptions(colorBackground(common.TableCellBackgroundDisplayModeBasic)),
		}).
		OverrideByName("SLI", append(sliColumn(), cellOptions(colorText()))).
		OverrideByName("Objective", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percent"}}).
		OverrideByName("Budget remaining", []dashboard.DynamicConfigValue{
			{Id: "unit", Value: "percentunit"},
			{Id: "decimals", Value: 1},
			thresholdsValue(budgetSteps()),
			cellOptions(colorBackground(common.TableCellBackgroundDisplayModeGradient)),
		}).
		OverrideByName("Burn rate 1h", burnColumn(fastBurn1h)).
		OverrideByName("Burn rate 6h", burnColumn(fastBurn6h)).
		OverrideByName("User story", []dashboard.DynamicConfigValue{{Id: "custom.width", Value: 360}})
}

// state is how a status value is shown: its colour, order and text.
func state(color string, index int32, text string) dashboard.ValueMappingResult {
	return dashboard.ValueMappingResult{Color: &color, Index: &index, Text: &text}
}

// burnColumn shows a burn-rate column with two decimals, coloured by its thresholds.
func burnColumn(red float64) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "decimals", Value: 2},
		thresholdsValue(burnSteps(red)),
		cellOptions(colorText()),
	}
}
