// Package plugin is the Grafana surface of Nines: settings, instances, the query-type
// mux, health, resources and frames. It translates between Grafana and the domain.
package plugin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/nines-slo/nines/pkg/batch"
	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/source"
)

// PluginID is the id of the plugin in plugin.json.
const PluginID = "nines-slo-datasource"

// Make sure Datasource implements the SDK's handler interfaces.
var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// relativePathsForTests lets the package's tests name their fixtures relative to the
// package (their golden frames show those paths); the plugin refuses relative paths.
var relativePathsForTests = false

// Datasource is one configured Nines data source.
type Datasource struct {
	settings  Settings
	engine    *engine.Engine
	setupErr  error // a problem with the connection settings, reported on every query and on health
	defs      *definitions.Store
	mux       *datasource.QueryTypeMux
	resources backend.CallResourceHandler
	client    *http.Client   // closed on Dispose
	src       *source.Client // its cache is emptied on Dispose
	release   func()         // gives back the instance's share of the memory limit
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewDatasource is the instance factory Grafana calls for each data-source configuration.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	st, err := LoadSettings(s)
	if err != nil {
		return nil, err
	}
	ds := &Datasource{settings: st, Now: time.Now, release: reserveMemory(st.CacheBytes())}
	ds.defs = definitions.NewStoreWith(st.DefinitionPaths, st.Definitions, definitions.Options{AbsolutePaths: !relativePathsForTests})
	client, err := newHTTPClient(ctx, s)
	if err == nil {
		ds.client = client
		var src *source.Client
		queryLength, _ := st.QueryLength() // checked by LoadSettings
		src, err = source.New(source.Config{
			URL:            st.URL,
			HTTPClient:     client,
			Timeout:        st.TimeoutDuration(),
			MaxConcurrency: st.Concurrency(),
			CacheBytes:     st.CacheBytes(),
			MaxQueryLength: queryLength,
			MaxBodyBytes:   st.MaxBodyBytes(),
			SplitPoints:    source.SplitForParallel,
			RawReads:       st.RawReadsOn(),
			Metrics:        sourceMetrics,
		})
		if err == nil {
			ds.src = src
			ds.engine = engine.New(batch.New(src))
			if st.RangeSemantics != "" {
				ds.engine.Ranges = engine.RangeSemantics(st.RangeSemantics)
			}
			ds.engine.Gap, _ = st.Gap() // checked by LoadSettings
			ds.engine.ScrapeInterval, _ = st.ScrapeInterval()
			ds.engine.Concurrency = st.Concurrency()
		}
	}
	if err != nil {
		ds.engine = engine.New(nil) // definitions and the catalog still work
		// Keep the instance: definitions and resources still work, queries say what is wrong.
		ds.setupErr = err
		log.DefaultLogger.Warn("Nines data source is not connected", "error", err.Error())
	}
	ds.mux = ds.newMux()
	ds.resources = ds.newResourceHandler()
	return ds, nil
}

func newHTTPClient(ctx context.Context, s backend.DataSourceInstanceSettings) (*http.Client, error) {
	if s.URL == "" {
		return nil, fmt.Errorf("no metrics source URL is set: enter the Prometheus URL in the data source settings")
	}
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("http client options: %w", err)
	}
	c, err := httpclient.New(opts)
	if err != nil {
		return nil, fmt.Errorf("http client: %w", err)
	}
	return c, nil
}

// Dispose releases the instance when its settings change.
func (d *Datasource) Dispose() {
	if d.client != nil {
		d.client.CloseIdleConnections() // no connection outlives the instance
	}
	if d.src != nil {
		d.src.Close() // nor its cache, in memory and in the metrics
	}
	if d.release != nil {
		d.release()
	}
}

// QueryData answers panel queries through the query-type mux.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.mux.QueryData(ctx, req)
}

// CallResource serves /slos, /slos/{name} and /validate.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	if i := strings.IndexFunc(req.URL+req.Path, func(c rune) bool { return c < 0x20 || c == 0x7f }); i >= 0 {
		// The SDK cannot parse such a URL: answer here, as cleanPaths does for the rest.
		body, _ := jsonMarshal(map[string]string{"error": fmt.Sprintf("bad resource path %q: it holds a control character", req.Path)})
		return sender.Send(&backend.CallResourceResponse{Status: http.StatusBadRequest, Body: body,
			Headers: map[string][]string{"Content-Type": {"application/json"}}})
	}
	return d.resources.CallResource(ctx, req, sender)
}
