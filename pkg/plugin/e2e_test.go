package plugin

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/internal/promtest"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

var grpcServed struct {
	once sync.Once
	tp   datasourcetest.TestPlugin
	err  error
}

// grpcPlugin serves the plugin over gRPC with instance management, once per test
// process (the SDK registers its metrics once), and returns its client.
func grpcPlugin(t *testing.T) datasourcetest.TestPlugin {
	grpcServed.once.Do(func() {
		grpcServed.tp, grpcServed.err = datasourcetest.Manage(NewDatasource, datasourcetest.ManageOpts{Address: freeAddr(t)})
	})
	require.NoError(t, grpcServed.err)
	return grpcServed.tp
}

// TestEndToEndOverGRPC drives the plugin the way Grafana does: over gRPC, with
// instance management, against the real Prometheus holding the demo history.
func TestEndToEndOverGRPC(t *testing.T) {
	srv := promtest.Shared(t)
	tp := grpcPlugin(t)

	jsonData, _ := json.Marshal(map[string]any{"definitionPaths": []string{"testdata/slos.yaml"}, "timeout": 20})
	pctx := backend.PluginContext{
		OrgID:    1,
		PluginID: PluginID,
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 1, UID: "nines", Name: "Nines", URL: srv.URL, JSONData: jsonData, Updated: time.Unix(1, 0),
		},
	}
	ctx := context.Background()

	health, err := tp.Client.CheckHealth(ctx, &backend.CheckHealthRequest{PluginContext: pctx})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusOk, health.Status, health.Message)
	require.Contains(t, health.Message, "3 SLOs loaded")
	require.Contains(t, health.Message, "version 2.")

	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	resp, err := tp.Client.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{
		{RefID: "A", QueryType: QueryStatus, TimeRange: backend.TimeRange{From: at.Add(-time.Hour), To: at}, JSON: []byte(`{}`)},
		{RefID: "B", QueryType: QueryBudget, TimeRange: backend.TimeRange{From: at.Add(-24 * time.Hour), To: at}, Interval: time.Hour, MaxDataPoints: 100, JSON: []byte(`{"slo":"checkout-availability"}`)},
		{RefID: "C", QueryType: "bogus", JSON: []byte(`{}`)},
	}})
	require.NoError(t, err)
	require.NoError(t, resp.Responses["A"].Error)
	require.Equal(t, 3, resp.Responses["A"].Frames[0].Rows())
	require.NoError(t, resp.Responses["B"].Error)
	require.Equal(t, 25, resp.Responses["B"].Frames[0].Rows())
	require.Error(t, resp.Responses["C"].Error)

	var got *backend.CallResourceResponse
	err = tp.Client.CallResource(ctx, &backend.CallResourceRequest{PluginContext: pctx, Method: "GET", Path: "slos", URL: "slos"},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	require.NoError(t, err)
	require.Equal(t, 200, got.Status)
	var list struct {
		SLOs []SLOSummary `json:"slos"`
	}
	require.NoError(t, json.Unmarshal(got.Body, &list))
	require.Len(t, list.SLOs, 3)
}
