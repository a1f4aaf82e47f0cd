package plugin

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nines-slo/nines/pkg/batch"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/slo"
	"github.com/nines-slo/nines/pkg/source"
)

// request is one query with its parsed model and the SLOs it names.
type request struct {
	d    *Datasource
	q    backend.DataQuery
	slos []*slo.SLO
}

type handlerFunc func(ctx context.Context, r *request) backend.DataResponse

// queryError is a query's error with its source: the user's or the metrics source's
// (downstream) or ours (plugin).
func queryError(err error) backend.DataResponse {
	src := backend.ErrorSourcePlugin
	if errors.Is(err, source.ErrDownstream) || errors.Is(err, errUser) || backend.IsDownstreamError(err) {
		src = backend.ErrorSourceDownstream
	}
	return backend.ErrDataResponseWithSource(statusOf(err), src, err.Error())
}

func statusOf(err error) backend.Status {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return backend.StatusTimeout
	case errors.Is(err, errUser):
		return backend.StatusBadRequest
	case errors.Is(err, source.ErrDownstream):
		return backend.StatusBadGateway
	}
	return backend.StatusInternal
}

// errUser marks errors in the user's query or definitions.
var errUser = errors.New("bad request")

func userErr(err error) error { return fmt.Errorf("%w: %w", errUser, err) }

// route is how one query type is answered.
type route struct {
	fn          handlerFunc
	needsSource bool
}

// routes are the query types' handlers; each query type's file registers its own.
var routes = map[string]route{}

// register makes fn answer queries of type name.
func register(name string, fn func(d *Datasource, ctx context.Context, r *request) backend.DataResponse, needsSource bool) {
	routes[name] = route{fn: func(ctx context.Context, r *request) backend.DataResponse { return fn(r.d, ctx, r) }, needsSource: needsSource}
}

func (d *Datasource) newMux() *datasource.QueryTypeMux {
	mux := datasource.NewQueryTypeMux()
	for _, name := range models.Names() {
		rt, ok := routes[name]
		if !ok {
			panic(fmt.Sprintf("query type %q has no handler", name))
		}
		mux.HandleFunc(name, d.handle(rt.fn, rt.needsSource))
	}
	status := d.handle(routes[QueryStatus].fn, true)
	mux.HandleFunc("", func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		resp := backend.NewQueryDataResponse()
		var empty []backend.DataQuery
		for _, q := range req.Queries {
			if q.QueryType == "" {
				empty = append(empty, q)
				continue
			}
			resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream,
				fmt.Sprintf("unknown query type %q: use one of %s", q.QueryType, strings.Join(models.Names(), ", ")))
		}
		if len(empty) > 0 {
			sub := *req
			sub.Queries = empty
			r, _ := status(ctx, &sub)
			for k, v := range r.Responses {
				resp.Responses[k] = v
			}
		}
		return resp, nil
	})
	return mux
}

// handle runs fn for each query of a request, keeping one query's failure from the others.
func (d *Datasource) handle(fn handlerFunc, needsSource bool) func(context.Context, *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		resp := backend.NewQueryDataResponse()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, q := range req.Queries {
			wg.Add(1)
			go func(q backend.DataQuery) {
				defer wg.Done()
				dr := d.runOne(ctx, q, fn, needsSource)
				mu.Lock()
				resp.Responses[q.RefID] = dr
				mu.Unlock()
			}(q)
		}
		wg.Wait()
		return resp, nil
	}
}

func (d *Datasource) runOne(ctx context.Context, q backend.DataQuery, fn handlerFunc, needsSource bool) (dr backend.DataResponse) {
	defer func() {
		if p := recover(); p != nil {
			log.DefaultLogger.Error("panic in query", "refId", q.RefID, "queryType", q.QueryType, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			dr = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin, fmt.Sprintf("internal error in %s query (a bug in Nines; see the Grafana server log)", q.QueryType))
		}
	}()
	m, err := models.Decode[models.Selection](q.JSON)
	if err != nil {
		return queryError(userErr(err))
	}
	if needsSource && d.setupErr != nil {
		return queryError(userErr(d.setupErr))
	}
	slos, err := Select(d.defs.Current(), m)
	if err != nil {
		return queryError(userErr(err))
	}
	// One deadline for the whole query: the probe and every request share it, so that a
	// dead source costs one timeout, not one per step.
	timeout := d.settings.TimeoutDuration()
	late := fmt.Errorf("the query did not finish within the data source's timeout of %s (%w, %w)", timeout, source.ErrDownstream, context.DeadlineExceeded)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, late)
	defer cancel()
	var notices []data.Notice
	if needsSource {
		if slos, notices, err = d.expand(ctx, q, slos, m.Labels); err != nil {
			return queryError(err)
		}
	}
	dr = withNotices(fn(ctx, &request{d: d, q: q, slos: slos}), notices)
	if dr.Error != nil && errors.Is(context.Cause(ctx), late) {
		dr = queryError(fmt.Errorf("%w: %s", late, dr.Error))
	}
	return dr
}

// maxSLOsAtOnce bounds the SLOs evaluated at once by one query. Their requests to the
// source are bounded by maxConcurrency; SLOs that share a query shape wait together so
// that their queries go out as one batch (pkg/batch).
const maxSLOsAtOnce = 1024

// forEach runs fn for every SLO with bounded concurrency and collects the errors by index.
func (d *Datasource) forEach(ctx context.Context, slos []*slo.SLO, fn func(ctx context.Context, i int, s *slo.SLO) error) []error {
	errs := make([]error, len(slos))
	ctx = batch.WithPeers(ctx, len(slos))
	sem := make(chan struct{}, max(d.settings.Concurrency(), min(len(slos), maxSLOsAtOnce)))
	var wg sync.WaitGroup
	for i, s := range slos {
		wg.Add(1)
		go func(i int, s *slo.SLO) {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					log.DefaultLogger.Error("panic in SLO evaluation", "slo", s.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					errs[i] = fmt.Errorf("SLO %s: internal error (a bug in Nines; see the Grafana server log)", s.Name)
				}
			}()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("SLO %s: %w", s.Name, ctx.Err())
				return
			}
			defer func() { <-sem }()
			errs[i] = fn(ctx, i, s)
		}(i, s)
	}
	wg.Wait()
	return errs
}

// finish turns per-SLO frames and errors into one response: frames of the SLOs that
// worked with a notice per failure, or an error when every SLO failed.
func finish(frames data.Frames, errs []error) backend.DataResponse {
	var failed []error
	for _, e := range errs {
		if e != nil {
			failed = append(failed, e)
		}
	}
	if len(failed) > 0 && len(frames) == 0 {
		return queryError(errors.Join(failed...))
	}
	if len(frames) == 0 {
		frames = data.Frames{data.NewFrame("empty")}
		addNotice(frames[0], data.NoticeSeverityInfo, "no SLO matches this query")
	}
	for _, e := range failed {
		addNotice(frames[0], data.NoticeSeverityError, e.Error())
	}
	return backend.DataResponse{Frames: frames}
}

func (r *request) interval() time.Duration {
	iv := r.q.Interval
	span := r.q.TimeRange.To.Sub(r.q.TimeRange.From)
	if r.q.MaxDataPoints > 0 {
		if min := span / time.Duration(r.q.MaxDataPoints); min > iv {
			iv = min
		}
	}
	return iv
}
