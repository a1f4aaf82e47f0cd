package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/parser/posrange"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// anchoredFuncs read their range with the anchored modifier (see the package comment).
var anchoredFuncs = map[string]bool{"rate": true, "increase": true, "delta": true}

// queryParser parses incoming queries.
var queryParser = parser.NewParser(parser.Options{})

// Closed rewrites a query so that Prometheus 3's engine gives Prometheus 2.x's numbers for
// data on a sampling grid: rate, increase and delta become anchored, every other range
// selector and subquery range is widened by 1 ms so that it includes its start.
func Closed(q string) (string, error) {
	e, err := queryParser.ParseExpr(q)
	if err != nil {
		return "", err
	}
	anchored := map[*parser.MatrixSelector]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if c, ok := n.(*parser.Call); ok && anchoredFuncs[c.Func.Name] && len(c.Args) > 0 {
			if m, ok := c.Args[0].(*parser.MatrixSelector); ok {
				if vs, ok := m.VectorSelector.(*parser.VectorSelector); ok && !vs.Smoothed {
					vs.Anchored = true
					anchored[m] = true
				}
			}
		}
		return nil
	})
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if !anchored[n] && n.RangeExpr == nil {
				n.Range += time.Millisecond
			}
		case *parser.SubqueryExpr:
			if n.RangeExpr == nil {
				n.Range += time.Millisecond
			}
		}
		return nil
	})
	return e.String(), nil
}

// Handler returns the HTTP API: query, query_range, labels, label values, series and buildinfo.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", s.handleQuery)
	mux.HandleFunc("/api/v1/query_range", s.handleQueryRange)
	mux.HandleFunc("/api/v1/labels", s.handleLabels)
	mux.HandleFunc("/api/v1/label/{name}/values", s.handleLabelValues)
	mux.HandleFunc("/api/v1/series", s.handleSeries)
	mux.HandleFunc("/api/v1/status/buildinfo", func(w http.ResponseWriter, r *http.Request) {
		writeData(w, map[string]string{"version": s.mode.Version(), "revision": "", "branch": "", "goVersion": ""}, nil)
	})
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "Healthy.") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("%s is not served by the embedded source", r.URL.Path))
	})
	return mux
}

type apiError struct {
	status int
	typ    string
	err    error
}

func badData(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "bad_data", fmt.Errorf(format, args...)}
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": typ, "error": msg})
}

func writeData(w http.ResponseWriter, data any, warnings annotations.Annotations) {
	body := map[string]any{"status": "success", "data": data}
	if len(warnings) > 0 {
		ws, infos := warnings.AsStrings("", 0, 0)
		if len(ws) > 0 {
			body["warnings"] = ws
		}
		if len(infos) > 0 {
			body["infos"] = infos
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func fail(w http.ResponseWriter, e *apiError) { writeError(w, e.status, e.typ, e.err.Error()) }

func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d := f * float64(time.Second)
		if math.IsNaN(d) || math.IsInf(d, 0) || d >= math.MaxInt64 || d <= math.MinInt64 {
			return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
		}
		return time.Duration(d), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}

// form parses GET parameters and POST form bodies alike.
func form(r *http.Request) *apiError {
	if err := r.ParseForm(); err != nil {
		return badData("invalid form: %v", err)
	}
	return nil
}

// handleQuery answers /api/v1/query.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	if e := form(r); e != nil {
		fail(w, e)
		return
	}
	ts, err := parseTime(r.FormValue("time"), time.Now())
	if err != nil {
		fail(w, badData("invalid parameter \"time\": %v", err))
		return
	}
	s.serveQuery(w, r, func(ctx context.Context, opts promql.QueryOpts, qs string) (promql.Query, error) {
		return s.engine.NewInstantQuery(ctx, s.db, opts, qs, ts)
	})
}

// maxPoints is Prometheus's limit on points per series of a range query.
const maxPoints = 11000

// handleQueryRange answers /api/v1/query_range.
func (s *Server) handleQueryRange(w http.ResponseWriter, r *http.Request) {
	if e := form(r); e != nil {
		fail(w, e)
		return
	}
	start, err := parseTime(r.FormValue("start"), time.Time{})
	if err != nil || r.FormValue("start") == "" {
		fail(w, badData("invalid parameter \"start\": %v", orMissing(err)))
		return
	}
	end, err := parseTime(r.FormValue("end"), time.Time{})
	if err != nil || r.FormValue("end") == "" {
		fail(w, badData("invalid parameter \"end\": %v", orMissing(err)))
		return
	}
	if end.Before(start) {
		fail(w, badData("invalid parameter \"end\": end timestamp must not be before start time"))
		return
	}
	step, err := parseDuration(r.FormValue("step"))
	if err != nil {
		fail(w, badData("invalid parameter \"step\": %v", err))
		return
	}
	if step <= 0 {
		fail(w, badData("zero or negative query resolution step widths are not accepted. Try a positive integer"))
		return
	}
	if end.Sub(start)/step > maxPoints {
		fail(w, badData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"))
		return
	}
	s.serveQuery(w, r, func(ctx context.Context, opts promql.QueryOpts, qs string) (promql.Query, error) {
		return s.engine.NewRangeQuery(ctx, s.db, opts, qs, start, end, step)
	})
}

// serveQuery reads the query options of r, prepares its query with mk and writes the
// result, or the first error: the common end of the instant and range handlers.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, mk func(context.Context, promql.QueryOpts, string) (promql.Query, error)) {
	opts, e := s.queryOpts(r)
	if e != nil {
		fail(w, e)
		return
	}
	q, e := s.prepare(r.Context(), r.FormValue("query"), func(ctx context.Context, qs string) (promql.Query, error) {
		return mk(ctx, opts, qs)
	})
	if e != nil {
		fail(w, e)
		return
	}
	s.exec(w, r.Context(), q)
}

// orMissing returns err, or "missing" when there is none (the parameter was empty).
func orMissing(err error) error {
	if err == nil {
		return errors.New("missing")
	}
	return err
}

// queryOpts reads the lookback_delta parameter (a duration or float seconds; absent, zero
// or negative: the default 5m), as Prometheus does.
func (s *Server) queryOpts(r *http.Request) (promql.QueryOpts, *apiError) {
	var d time.Duration
	if v := r.FormValue("lookback_delta"); v != "" {
		var err error
		if d, err = parseDuration(v); err != nil {
			return nil, badData("invalid parameter \"query\": error parsing lookback delta duration: %v", err)
		}
	}
	return promql.NewPrometheusQueryOpts(false, s.mode.lookback(d), nil), nil
}

// refuseExtended returns a parse error for the first selector of e that uses the anchored
// or smoothed modifier, for the modes whose Prometheus does not accept them: Prometheus
// 2.x does not know the words, Prometheus 3 without
// --enable-feature=promql-extended-range-selectors does not enable them.
func refuseExtended(qs string, e parser.Expr, mode Mode) error {
	if mode == Prometheus3Extended {
		return nil
	}
	var found *parser.VectorSelector
	var where posrange.PositionRange
	inAggregation := false
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok || found != nil || !(vs.Anchored || vs.Smoothed) {
			return nil
		}
		found, where = vs, vs.PositionRange()
		if len(path) > 0 {
			if m, ok := path[len(path)-1].(*parser.MatrixSelector); ok {
				where = m.PositionRange()
			}
		}
		for _, p := range path {
			if _, ok := p.(*parser.AggregateExpr); ok {
				inAggregation = true
			}
		}
		return nil
	})
	if found == nil {
		return nil
	}
	word := "anchored"
	if found.Smoothed {
		word = "smoothed"
	}
	if mode == Prometheus2 {
		// As Prometheus 2.42 says it: at the word, which it lexes as an identifier.
		where = found.PositionRange()
		l := parser.Lex(qs)
		for {
			var it parser.Item
			l.NextItem(&it)
			if it.Typ == parser.EOF || it.Typ == parser.ERROR {
				break
			}
			if it.Pos >= found.PositionRange().Start && it.Val == word {
				where = posrange.PositionRange{Start: it.Pos, End: it.Pos + posrange.Pos(len(word))}
				break
			}
		}
		msg := fmt.Sprintf("unexpected identifier %q", word)
		if inAggregation {
			msg += " in aggregation" // the yacc parser's error recovery stops at the aggregation
		}
		return &parser.ParseErr{PositionRange: where, Err: errors.New(msg), Query: qs}
	}
	return &parser.ParseErr{PositionRange: where, Err: fmt.Errorf("%s modifier is experimental and not enabled", word), Query: qs}
}

// prepare checks and parses the query text qs as this server's mode does and makes the query with mk.
func (s *Server) prepare(ctx context.Context, qs string, mk func(context.Context, string) (promql.Query, error)) (promql.Query, *apiError) {
	if strings.TrimSpace(qs) == "" {
		return nil, badData("invalid parameter \"query\": empty query")
	}
	expr, err := queryParser.ParseExpr(qs)
	if err == nil {
		err = refuseExtended(qs, expr, s.mode)
	}
	if err != nil {
		return nil, badData("invalid parameter \"query\": %v", err)
	}
	closed := qs
	if s.mode == Prometheus2 {
		if closed, err = Closed(qs); err != nil {
			return nil, badData("invalid parameter \"query\": %v", err)
		}
	}
	q, err := mk(ctx, closed)
	if err != nil {
		return nil, badData("invalid parameter \"query\": %v", err)
	}
	return q, nil
}

// exec runs q and writes its result, or its error with Prometheus's status and type.
func (s *Server) exec(w http.ResponseWriter, ctx context.Context, q promql.Query) {
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		var status, typ = http.StatusUnprocessableEntity, "execution"
		var te promql.ErrQueryTimeout
		var ce promql.ErrQueryCanceled
		switch {
		case errors.As(res.Err, &te):
			status, typ = http.StatusServiceUnavailable, "timeout"
		case errors.As(res.Err, &ce):
			status, typ = http.StatusServiceUnavailable, "canceled"
		}
		writeError(w, status, typ, res.Err.Error())
		return
	}
	writeData(w, encodeValue(res.Value), res.Warnings)
}

// number renders a sample value as Prometheus does.
func number(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func point(t int64, v float64) []any {
	return []any{json.Number(strconv.FormatFloat(float64(t)/1000, 'f', -1, 64)), number(v)}
}

func metric(l labels.Labels) map[string]string {
	m := l.Map()
	if m == nil {
		m = map[string]string{}
	}
	return m
}

// encodeValue renders a query result in the API's JSON shape.
func encodeValue(v parser.Value) map[string]any {
	switch v := v.(type) {
	case promql.Vector:
		out := make([]map[string]any, 0, len(v))
		for _, s := range v {
			if s.H != nil {
				continue // Nines never asks for native histograms; the demo has none
			}
			out = append(out, map[string]any{"metric": metric(s.Metric), "value": point(s.T, s.F)})
		}
		return map[string]any{"resultType": "vector", "result": out}
	case promql.Matrix:
		out := make([]map[string]any, 0, len(v))
		for _, s := range v {
			vals := make([][]any, len(s.Floats))
			for i, p := range s.Floats {
				vals[i] = point(p.T, p.F)
			}
			out = append(out, map[string]any{"metric": metric(s.Metric), "values": vals})
		}
		return map[string]any{"resultType": "matrix", "result": out}
	case promql.Scalar:
		return map[string]any{"resultType": "scalar", "result": point(v.T, v.V)}
	case promql.String:
		return map[string]any{"resultType": "string", "result": []any{json.Number(strconv.FormatFloat(float64(v.T)/1000, 'f', -1, 64)), v.V}}
	}
	return map[string]any{"resultType": "vector", "result": []any{}}
}

// span reads start and end (defaults: all time) and the match[] selectors.
func span(r *http.Request) (time.Time, time.Time, [][]*labels.Matcher, *apiError) {
	if e := form(r); e != nil {
		return time.Time{}, time.Time{}, nil, e
	}
	start, err := parseTime(r.FormValue("start"), time.UnixMilli(math.MinInt64/2).UTC())
	if err != nil {
		return time.Time{}, time.Time{}, nil, badData("invalid parameter \"start\": %v", err)
	}
	end, err := parseTime(r.FormValue("end"), time.UnixMilli(math.MaxInt64/2).UTC())
	if err != nil {
		return time.Time{}, time.Time{}, nil, badData("invalid parameter \"end\": %v", err)
	}
	var sets [][]*labels.Matcher
	for _, m := range r.Form["match[]"] {
		ms, err := queryParser.ParseMetricSelector(m)
		if err != nil {
			return time.Time{}, time.Time{}, nil, badData("invalid parameter \"match[]\": %v", err)
		}
		sets = append(sets, ms)
	}
	return start, end, sets, nil
}

func (s *Server) querier(start, end time.Time) (storage.Querier, *apiError) {
	q, err := s.db.Querier(start.UnixMilli(), end.UnixMilli())
	if err != nil {
		return nil, &apiError{http.StatusInternalServerError, "internal", err}
	}
	return q, nil
}

func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) {
	s.labelsOrValues(w, r, "")
}

func (s *Server) handleLabelValues(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !model.LabelName(name).IsValid() {
		fail(w, badData("invalid label name: %q", name))
		return
	}
	s.labelsOrValues(w, r, name)
}

// labelsOrValues answers /labels (name == "") and /label/{name}/values.
func (s *Server) labelsOrValues(w http.ResponseWriter, r *http.Request, name string) {
	start, end, sets, e := span(r)
	if e != nil {
		fail(w, e)
		return
	}
	q, e := s.querier(start, end)
	if e != nil {
		fail(w, e)
		return
	}
	defer q.Close()
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	seen := map[string]bool{}
	var warns annotations.Annotations
	for _, ms := range sets {
		var vals []string
		var ws annotations.Annotations
		var err error
		if name == "" {
			vals, ws, err = q.LabelNames(r.Context(), nil, ms...)
		} else {
			vals, ws, err = q.LabelValues(r.Context(), name, nil, ms...)
		}
		if err != nil {
			fail(w, &apiError{http.StatusUnprocessableEntity, "execution", err})
			return
		}
		warns.Merge(ws)
		for _, v := range vals {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	writeData(w, sortedStrings(out), warns)
}

func (s *Server) handleSeries(w http.ResponseWriter, r *http.Request) {
	start, end, sets, e := span(r)
	if e != nil {
		fail(w, e)
		return
	}
	if len(sets) == 0 {
		fail(w, badData("no match[] parameter provided"))
		return
	}
	q, e := s.querier(start, end)
	if e != nil {
		fail(w, e)
		return
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: start.UnixMilli(), End: end.UnixMilli(), Func: "series"}
	seen := map[string]bool{}
	out := []map[string]string{}
	for _, ms := range sets {
		ss := q.Select(r.Context(), true, hints, ms...)
		for ss.Next() {
			l := ss.At().Labels()
			if k := l.String(); !seen[k] {
				seen[k] = true
				out = append(out, metric(l))
			}
		}
		if err := ss.Err(); err != nil {
			fail(w, &apiError{http.StatusUnprocessableEntity, "execution", err})
			return
		}
	}
	writeData(w, out, nil)
}
