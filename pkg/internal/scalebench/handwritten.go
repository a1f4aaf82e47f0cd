package scalebench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// promClient sends hand-written PromQL to a Prometheus HTTP API, as a user's own panels would.
type promClient struct {
	base   string
	client *http.Client
}

// query runs one instant (end only) or range query and returns the number of series in its answer.
func (c promClient) query(ctx context.Context, q string, start, end time.Time, step time.Duration) (int, error) {
	form := url.Values{"query": {q}}
	path := "/api/v1/query"
	if step > 0 {
		path = "/api/v1/query_range"
		form.Set("start", strconv.FormatInt(start.Unix(), 10))
		form.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
		form.Set("end", strconv.FormatInt(end.Unix(), 10))
	} else {
		form.Set("time", strconv.FormatInt(end.Unix(), 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("%s: HTTP %d, answer not read: %w", q, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("%s: HTTP %d: %s", q, resp.StatusCode, body.Error)
	}
	return len(body.Data.Result), nil
}

// handQuery is one hand-written query: PromQL and its range (step 0: an instant query at end).
type handQuery struct {
	q          string
	start, end time.Time
	step       time.Duration
}

// runAll runs the queries with at most conc in flight and returns the wall time and the series returned.
func (c promClient) runAll(ctx context.Context, qs []handQuery, conc int) (time.Duration, int, error) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(conc, 1))
	counts := make([]int, len(qs))
	t0 := time.Now()
	for i, q := range qs {
		g.Go(func() error {
			n, err := c.query(ctx, q.q, q.start, q.end, q.step)
			counts[i] = n
			return err
		})
	}
	err := g.Wait()
	took := time.Since(t0)
	total := 0
	for _, n := range counts {
		total += n
	}
	return took, total, err
}

// statusByHand is what a user writes for the status table of every service at once:
// the 30-day SLI and the 1h and 6h burn rates, grouped by service.
func statusByHand(at time.Time, objective float64) []handQuery {
	budget := 1 - objective/100
	bad := func(w string) string {
		return fmt.Sprintf(`sum by (service) (increase(http_requests_total{code="500"}[%s])) / sum by (service) (increase(http_requests_total[%s]))`, w, w)
	}
	return []handQuery{
		{q: "1 - (" + bad("30d") + ")", end: at},
		{q: "(" + bad("1h") + fmt.Sprintf(") / %g", budget), end: at},
		{q: "(" + bad("6h") + fmt.Sprintf(") / %g", budget), end: at},
	}
}

// budgetByHand is the per-SLO budget panel a user writes: the budget left over a rolling
// 30-day window at every step of the range, one query per service.
func budgetByHand(services []string, from, to time.Time, step time.Duration, objective float64) []handQuery {
	budget := 1 - objective/100
	out := make([]handQuery, len(services))
	for i, s := range services {
		q := fmt.Sprintf(`1 - (sum(increase(http_requests_total{service=%q,code="500"}[30d])) / sum(increase(http_requests_total{service=%q}[30d]))) / %g`, s, s, budget)
		out[i] = handQuery{q: q, start: from, end: to, step: step}
	}
	return out
}

// floor is one grouped query at 1-day steps that reads every sample the budget of every
// SLO needs (the range and one window before it) exactly once.
func floor(from, to time.Time, window time.Duration) handQuery {
	return handQuery{q: `sum by (service, code) (increase(http_requests_total[1d]))`,
		start: from.Add(-window).Add(24 * time.Hour), end: to, step: 24 * time.Hour}
}
