package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/nines-slo/nines/pkg/models"
)

// firstSLO is the SLO the detail dashboard opens on, one of provisioning/slos.
const firstSLO = "checkout-availability"

// Detail is the "SLO detail" dashboard: one SLO, picked with the $slo variable, in depth.
func Detail() (dashboard.Dashboard, error) {
	sel := "$slo"
	return base("nines-slo-detail", "SLO detail",
		"One SLO in depth: SLI, error budget, burn rates, past windows, the happiness test and its documentation. Pick the SLO with the $slo variable.").
		WithVariable(queryOnly{ninesVariable("slo", "SLO", "slos").
			Multi(false).
			IncludeAll(false).
			Current(dashboard.VariableOption{
				Selected: cog.ToPtr(true),
				Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(firstSLO)},
				Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(firstSLO)},
			})}).
		WithPanel(ratioSeries(1, "SLI",
			"The SLI over the SLO window at each point in time; the red area is below the objective. The thresholds come from the data source, at each SLO's objective.",
			pos(0, 0, 12, 8),
			Query{QueryType: models.TypeSLI, SLO: sel}).
			Decimals(3)).
		WithPanel(ratioSeries(2, "Error budget remaining",
			"Share of the error budget left in the SLO window.",
			pos(12, 0, 12, 8),
			Query{QueryType: models.TypeBudget, SLO: sel}).
			Thresholds(value(budgetSteps()))).
		WithPanel(burnSeries(3, "Burn rates",
			"Burn rates over the alerting windows (multiwindow, multi-burn-rate).",
			pos(0, 8, 12, 8),
			Query{QueryType: models.TypeBurnRate, SLO: sel}, fastBurn1h)).
		WithPanel(tablePanel(4, "Happiness: SLI against support tickets",
			"Does the SLI move with the signals of unhappy users? Pearson and Spearman correlation at the best lag.",
			pos(12, 8, 12, 8),
			Query{QueryType: models.TypeHappiness, SLO: sel, Signal: "support tickets", Interval: "1h", MaxLag: cog.ToPtr(6)})).
		WithPanel(tablePanel(5, "History: past weeks",
			"The SLI in each past week, whether it met the objective, and the objective that is achievable in 90 % of weeks.",
			pos(0, 16, 24, 9),
			Query{QueryType: models.TypeHistory, SLO: sel, Period: "week", Periods: cog.ToPtr(8), Share: cog.ToPtr(0.9), Objectives: whatIfObjectives}).
			OverrideByName("SLI", sliColumn())).
		WithPanel(tablePanel(6, "Catalog",
			"The definition as documented: description, user story, owner, indicator and the PromQL Nines generates.",
			pos(0, 25, 24, 7),
			Query{QueryType: models.TypeCatalog, SLO: sel}).
			Inspect(true)).
		Build()
}
