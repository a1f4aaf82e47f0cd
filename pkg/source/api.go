package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// apiRequest is one request to the Prometheus HTTP API.
type apiRequest struct {
	path string     // below the base URL, e.g. "api/v1/query_range"
	args url.Values // the parameters
	// post sends the parameters as a form, falling back to GET when the server refuses
	// POST (403, 405, 501), as Prometheus's own client does; otherwise GET.
	post bool
}

// envelope is the Prometheus API's envelope around an answer's data.
type envelope struct {
	status    string
	errorType string
	errorMsg  string
	warnings  []string
	infos     []string
	partial   bool // VictoriaMetrics's isPartial: some storage nodes did not answer
}

// maxRetries is how many times a request is sent again after an answer that asks for it
// (429, 502, 503, 504).
const maxRetries = 2

// defaultBackoff is the wait before the first retry when the answer has no Retry-After;
// it doubles with each retry.
const defaultBackoff = 250 * time.Millisecond

// do sends one API request under the concurrency bound and the per-request timeout (which
// covers reading the answer, and the retries) and decodes the answer's envelope, passing
// its data to data. An answer of 429, 502, 503 or 504 is retried at most maxRetries
// times, after its Retry-After or a backoff, but never past the timeout. It returns the
// envelope, the HTTP status of the last answer (0 when there was none), the number of
// requests sent and an error naming the source and the operation op.
func (c *Client) do(ctx context.Context, op string, r apiRequest, data func(*json.Decoder) error) (envelope, int, int, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return envelope{}, 0, 0, c.fail(ctx, ctx, op, &answerError{kind: kindTransport, cause: ctx.Err()})
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		began := time.Now()
		env, status, err := c.send(rctx, r, data)
		c.metrics.request(outcome(ctx, rctx, err), time.Since(began))
		if err == nil {
			return env, status, attempt + 1, nil
		}
		wait, again := c.retryWait(rctx, err, attempt)
		if !again {
			return env, status, attempt + 1, c.fail(ctx, rctx, op, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-rctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				err = &answerError{kind: kindTransport, cause: ctx.Err()}
			}
			return env, status, attempt + 1, c.fail(ctx, rctx, op, err)
		}
	}
}

// retryWait says whether a failed attempt is retried and after how long: only answers
// that ask for a retry, at most maxRetries times, and only when the wait ends before the
// request's deadline.
func (c *Client) retryWait(ctx context.Context, e *answerError, attempt int) (time.Duration, bool) {
	if attempt >= maxRetries || e.kind != kindStatus {
		return 0, false
	}
	switch e.status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	wait := c.backoff << attempt
	wait += rand.N(wait/2 + 1) // spread the retries of concurrent requests
	if ra, ok := parseRetryAfter(e.retryAfter, time.Now()); ok {
		wait = ra
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
		return 0, false
	}
	return wait, true
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date (a past date is no wait).
func parseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 || secs > 1<<31 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// send sends the request, with the GET fallback for POST, and decodes the answer.
func (c *Client) send(ctx context.Context, r apiRequest, data func(*json.Decoder) error) (envelope, int, *answerError) {
	env, status, err := c.once(ctx, r, r.post, data)
	if r.post && err != nil && (status == http.StatusForbidden || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented) {
		env, status, err = c.once(ctx, r, false, data)
	}
	return env, status, err
}

// newRequest builds the HTTP request of r, as a form POST or a GET.
func (c *Client) newRequest(ctx context.Context, r apiRequest, post bool) (*http.Request, error) {
	u := *c.base
	u.Path = path.Join("/", u.Path, r.path)
	u.RawPath = ""
	args := u.Query()
	for k, vs := range r.args {
		for _, v := range vs {
			args.Add(k, v)
		}
	}
	if !post {
		u.RawQuery = args.Encode()
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(args.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A query changes nothing: let the transport resend it on a broken keep-alive connection.
	req.Header["Idempotency-Key"] = nil
	return req, nil
}

// once sends one HTTP request and decodes its answer.
func (c *Client) once(ctx context.Context, r apiRequest, post bool, data func(*json.Decoder) error) (envelope, int, *answerError) {
	req, err := c.newRequest(ctx, r, post)
	if err != nil {
		return envelope{}, 0, &answerError{kind: kindTransport, cause: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return envelope{}, 0, &answerError{kind: kindTransport, cause: err}
	}
	defer resp.Body.Close()
	body := &cappedReader{r: resp.Body, left: c.maxBody, max: c.maxBody}
	status := resp.StatusCode
	html := strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "text/html")
	if status < 200 || status > 299 {
		return envelope{}, status, c.statusError(resp, body, html)
	}
	if html {
		return envelope{}, status, &answerError{kind: kindWebPage}
	}
	br := &bodyReader{r: body}
	dec := json.NewDecoder(br)
	env, err := decodeEnvelope(dec, data)
	if err != nil {
		if br.err != nil && !errors.Is(br.err, io.EOF) {
			return env, status, readError(br.err)
		}
		if br.first == '<' {
			return env, status, &answerError{kind: kindWebPage}
		}
		return env, status, &answerError{kind: kindGarbage, cause: err}
	}
	_, _ = io.CopyN(io.Discard, body, 4096) // let the connection be reused
	switch env.status {
	case "success":
		return env, status, nil
	case "error":
		return env, status, &answerError{kind: kindAPIError, errorType: env.errorType, detail: env.errorMsg}
	}
	return env, status, &answerError{kind: kindGarbage, cause: fmt.Errorf("status %q is neither success nor error", env.status)}
}

// statusError reads the start of an answer with an HTTP error status and describes it.
func (c *Client) statusError(resp *http.Response, body io.Reader, html bool) *answerError {
	status := resp.StatusCode
	e := &answerError{kind: kindStatus, status: status, errorType: "client_error", retryAfter: resp.Header.Get("Retry-After")}
	if status >= 500 {
		e.errorType = "server_error"
	}
	if status >= 300 && status < 400 {
		return &answerError{kind: kindWebPage, status: status}
	}
	b, err := io.ReadAll(io.LimitReader(body, 64<<10))
	if err != nil && !errors.Is(err, io.EOF) {
		return readError(err)
	}
	b = bytes.TrimSpace(b)
	var api struct {
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}
	switch {
	case json.Unmarshal(b, &api) == nil && (api.ErrorType != "" || api.Error != ""):
		if api.ErrorType != "" {
			e.errorType = api.ErrorType
		}
		e.detail = api.Error
	case html || bytes.HasPrefix(b, []byte("<")):
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			return &answerError{kind: kindWebPage, status: status}
		}
		e.detail = "a web page"
	default:
		e.detail = clip(string(b))
	}
	return e
}

// readError describes an error while reading an answer's body.
func readError(err error) *answerError {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return &answerError{kind: kindTooLarge, max: tl.max, cause: err}
	}
	return &answerError{kind: kindBroken, cause: err}
}

// clip shortens s to one line of at most 200 characters, for messages.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// Kinds of failed answers.
const (
	kindTransport = iota // no answer: connection failed, timed out or cancelled
	kindStatus           // an HTTP error status
	kindAPIError         // HTTP 2xx with status "error"
	kindWebPage          // a web page (a login page, a redirect) instead of the API
	kindGarbage          // something that is not the Prometheus API
	kindTooLarge         // an answer above MaxBodyBytes
	kindBroken           // the answer broke off while it was read
)

// answerError is a failed request before it is worded.
type answerError struct {
	kind       int
	status     int
	errorType  string
	detail     string
	max        int64
	retryAfter string // the Retry-After header of an error status
	cause      error
}

// fail words a failed request: who failed and how, then the operation. ctx is the
// caller's context and rctx the request's (with the timeout). Only a cancellation by the
// caller is not a downstream error.
func (c *Client) fail(ctx, rctx context.Context, op string, e *answerError) error {
	cause := e.cause
	if cause == nil {
		cause = errors.New("unexpected response")
	}
	var msg string
	switch e.kind {
	case kindStatus:
		msg = fmt.Sprintf("the metrics source at %s answered HTTP %d (%s", c.host, e.status, e.errorType)
		if e.detail != "" {
			msg += ": " + e.detail
		}
		msg += ")"
	case kindAPIError:
		msg = fmt.Sprintf("the metrics source at %s answered an error (%s: %s)", c.host, e.errorType, e.detail)
	case kindWebPage:
		msg = "the metrics source URL answered with a web page, not the Prometheus API: check the URL and the authentication"
	case kindGarbage:
		msg = fmt.Sprintf("the metrics source at %s sent something that is not the Prometheus API: %s", c.host, clip(cause.Error()))
	case kindTooLarge:
		msg = fmt.Sprintf("the metrics source's answer exceeded %s", formatBytes(e.max))
	case kindBroken, kindTransport:
		switch {
		case errors.Is(cause, context.Canceled) && ctx.Err() != nil:
			msg = fmt.Sprintf("the request to the metrics source at %s was cancelled", c.host)
			return &sourceError{msg: redact(msg + "; " + op), cause: cause, status: e.status}
		case ctx.Err() == nil && rctx.Err() != nil:
			msg = fmt.Sprintf("the metrics source at %s did not answer within %v", c.host, c.timeout)
			if !errors.Is(cause, context.DeadlineExceeded) {
				cause = errors.Join(context.DeadlineExceeded, cause)
			}
		case errors.Is(cause, context.DeadlineExceeded) || isTimeout(cause):
			msg = fmt.Sprintf("the metrics source at %s did not answer in time", c.host)
		case e.kind == kindBroken:
			msg = fmt.Sprintf("the metrics source at %s broke off its answer: %s", c.host, errorText(cause))
		default:
			msg = fmt.Sprintf("could not connect to the metrics source at %s: %s", c.host, connectText(cause))
		}
	}
	return &sourceError{msg: redact(msg + "; " + op), cause: cause, downstream: true, status: e.status}
}

// isTimeout tells whether err is a network timeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// connectText says why a connection failed, without the request's URL.
func connectText(err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dns):
		return dns.Err
	}
	return errorText(err)
}

// formatBytes renders a size: whole MB (MiB) when it is one, else bytes.
func formatBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLargeError is the error of reading past MaxBodyBytes.
type tooLargeError struct{ max int64 }

// Error names the limit.
func (e *tooLargeError) Error() string { return "answer exceeded " + formatBytes(e.max) }

// cappedReader reads at most max bytes and fails with a tooLargeError when there are more.
type cappedReader struct {
	r         io.Reader
	left, max int64
}

// Read reads up to the cap.
func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, &tooLargeError{max: c.max}
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// bodyReader remembers the first byte of a body and the error that ended its reading.
type bodyReader struct {
	r     io.Reader
	first byte
	seen  bool
	err   error
}

// Read reads and records.
func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if !b.seen {
		if t := bytes.TrimLeft(p[:n], " \t\r\n"); len(t) > 0 {
			b.first, b.seen = t[0], true
		}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// decodeEnvelope walks the envelope {status, data, errorType, error, warnings, infos},
// passing data to data (nil skips it) and ignoring fields it does not know.
func decodeEnvelope(dec *json.Decoder, data func(*json.Decoder) error) (envelope, error) {
	var env envelope
	if err := expectDelim(dec, '{', "the answer"); err != nil {
		return env, err
	}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return env, err
		}
		switch key {
		case "status":
			err = decodeString(dec, &env.status)
		case "errorType":
			err = decodeString(dec, &env.errorType)
		case "error":
			err = decodeString(dec, &env.errorMsg)
		case "warnings":
			err = dec.Decode(&env.warnings)
		case "infos":
			err = dec.Decode(&env.infos)
		case "isPartial":
			var p any
			err = dec.Decode(&p)
			env.partial = p == true
		case "data":
			if data == nil {
				err = skipValue(dec)
			} else {
				err = data(dec)
			}
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return env, fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return env, err
	}
	return env, nil
}

// decodeString decodes a string, or null as "".
func decodeString(dec *json.Decoder, s *string) error {
	var p *string
	if err := dec.Decode(&p); err != nil {
		return err
	}
	if p != nil {
		*s = *p
	}
	return nil
}

// objectKey reads the next key of an object.
func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("unexpected %v where a key belongs", tok)
	}
	return key, nil
}

// expectDelim reads the delimiter d that opens what.
func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("%s is not a JSON %s", what, map[json.Delim]string{'{': "object", '[': "array"}[d])
	}
	return nil
}

// skipValue skips one value, token by token, so that a large unknown value is never held whole.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// apiResult is the data of a query's answer: its result type and its result, one
// series at a time (matrix, vector) or the [time, "value"] pair (scalar, string).
type apiResult struct {
	resultType string // "" when the answer had none
	series     []apiSeries
	pair       []json.RawMessage
	// each, when set, takes each series as it is decoded instead of series, so that an
	// answer is never held whole.
	each func(*apiSeries)
}

// typeName names the result type for messages.
func (r apiResult) typeName() string {
	if r.resultType == "" {
		return "none"
	}
	return r.resultType
}

// apiSeries is one series of a matrix or vector; unknown fields (exemplars, and the
// extras of Thanos, Mimir or VictoriaMetrics) are ignored.
type apiSeries struct {
	Metric     map[string]string `json:"metric"`
	Values     []point           `json:"values"`
	Value      *point            `json:"value"`
	Histograms json.RawMessage   `json:"histograms"`
	Histogram  json.RawMessage   `json:"histogram"`
}

// histogram tells whether the series holds native histograms.
func (s apiSeries) histogram() bool {
	present := func(m json.RawMessage) bool { return len(m) > 0 && string(m) != "null" }
	return present(s.Histograms) || present(s.Histogram)
}

// resultElem is one element of a result array: a series, or a part of a scalar's pair.
type resultElem struct {
	series *apiSeries
	raw    json.RawMessage
}

// UnmarshalJSON decodes a series object, or keeps anything else raw.
func (e *resultElem) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		e.series = new(apiSeries)
		return json.Unmarshal(b, e.series)
	}
	e.raw = append(json.RawMessage(nil), b...)
	return nil
}

// decodeResult returns a data decoder that fills r, one series at a time.
func decodeResult(r *apiResult) func(*json.Decoder) error {
	return func(dec *json.Decoder) error {
		tok, err := dec.Token()
		if err != nil || tok == nil { // null data
			return err
		}
		if tok != json.Delim('{') {
			return errors.New("data is not a JSON object")
		}
		for dec.More() {
			key, err := objectKey(dec)
			if err != nil {
				return err
			}
			switch key {
			case "resultType":
				err = decodeString(dec, &r.resultType)
			case "result":
				err = decodeElems(dec, r)
			default:
				err = skipValue(dec)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		_, err = dec.Token()
		return err
	}
}

// decodeElems decodes the result array, one element at a time.
func decodeElems(dec *json.Decoder, r *apiResult) error {
	tok, err := dec.Token()
	if err != nil || tok == nil { // null result
		return err
	}
	if tok != json.Delim('[') {
		return errors.New("result is not a JSON array")
	}
	for i := 0; dec.More(); i++ {
		var e resultElem
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		switch {
		case e.series != nil && r.each != nil:
			r.each(e.series)
		case e.series != nil:
			r.series = append(r.series, *e.series)
		default:
			r.pair = append(r.pair, e.raw)
		}
	}
	_, err = dec.Token()
	return err
}

// scalar returns the value of a scalar result's [time, "value"] pair.
func (r apiResult) scalar() (float64, error) {
	if len(r.pair) != 2 {
		return 0, errors.New("a scalar is not a [time, \"value\"] pair")
	}
	var p point
	b := append(append(append([]byte("["), r.pair[0]...), ','), r.pair[1]...)
	if err := p.UnmarshalJSON(append(b, ']')); err != nil {
		return 0, err
	}
	return p.v, nil
}

// point is one [time, "value"] pair: time in Unix milliseconds.
type point struct {
	t int64
	v float64
}

// UnmarshalJSON parses [1435781451.781, "1"] without reflection.
func (p *point) UnmarshalJSON(b []byte) error {
	s := bytes.TrimSpace(b)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return fmt.Errorf("point %s is not [time, \"value\"]", clip(string(b)))
	}
	ts, vs, ok := bytes.Cut(s[1:len(s)-1], []byte(","))
	ts, vs = bytes.TrimSpace(ts), bytes.TrimSpace(vs)
	if !ok || len(vs) < 2 || vs[0] != '"' || vs[len(vs)-1] != '"' {
		return fmt.Errorf("point %s is not [time, \"value\"]", clip(string(b)))
	}
	t, err := parseTime(string(bytes.Trim(ts, `"`)))
	if err != nil {
		return fmt.Errorf("point %s: %w", clip(string(b)), err)
	}
	v, err := strconv.ParseFloat(string(vs[1:len(vs)-1]), 64)
	if err != nil {
		return fmt.Errorf("point %s: value is not a number", clip(string(b)))
	}
	p.t, p.v = t, v
	return nil
}

// parseTime parses a time in seconds since the epoch ("1435781451.781") to milliseconds,
// exactly when it is written in decimals.
func parseTime(s string) (int64, error) {
	in := s
	bad := func() error { return fmt.Errorf("time %q is not a number of seconds", in) }
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return 0, bad()
		}
		return int64(math.Round(f * 1000)), nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseUint(whole, 10, 63)
	if err != nil || sec > 1e12 {
		return 0, bad()
	}
	var ms uint64
	if frac != "" {
		if ms, err = strconv.ParseUint((frac + "00")[:3], 10, 16); err != nil || strings.Trim(frac, "0123456789") != "" {
			return 0, bad()
		}
	}
	t := int64(sec)*1000 + int64(ms)
	if neg {
		t = -t
	}
	return t, nil
}
