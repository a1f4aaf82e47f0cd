package plugin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/internal/promtest"
)

// The example definitions shipped in provisioning/ load without errors and every SLO
// has figures on the demo history that the compose stack backfills.
func TestProvisionedSLOsWorkOnDemoHistory(t *testing.T) {
	res := definitions.Load([]string{"../../provisioning/slos"}, "")
	require.Empty(t, res.Errors)
	require.GreaterOrEqual(t, len(res.SLOs), 3)
	for _, s := range res.SLOs {
		require.NotEmpty(t, s.UserStory, "%s has a user story", s.Name)
	}

	srv := promtest.Shared(t)
	ds := newTestDatasource(t, srv.URL, map[string]any{"definitionPaths": []string{"../../provisioning/slos"}})
	at := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	resp := run(t, ds, query("A", QueryStatus, at.Add(-time.Hour), at, time.Minute, `{}`))
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	f := dr.Frames[0]
	require.Equal(t, len(res.SLOs), f.Rows())
	names, _ := f.FieldByName("SLO")
	states, _ := f.FieldByName("Status")
	for i := 0; i < f.Rows(); i++ {
		require.NotContains(t, []string{"error", "no data"}, states.At(i), "%s", names.At(i))
	}
}
