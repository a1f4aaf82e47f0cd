package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// The HTML report of the demo history: every figure tagged with a JSON pointer equals the
// JSON report there, every chart has data, each SLO has its section, nothing is loaded
// from the network and there is no script.
func TestReportHTMLMatchesJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo history")
	}
	page := filepath.Join(t.TempDir(), "report.html")
	code, out, errs := runCLI(t, "report", "--demo", "--format", "html", "--out", page)
	require.Equal(t, exitOK, code, errs)
	require.Empty(t, out, "--out writes the page to the file")
	require.Contains(t, errs, "report written to "+page)
	code, js, errs := runCLI(t, "report", "--demo", "--quiet", "--format", "json")
	require.Equal(t, exitOK, code, errs)
	var doc any
	require.NoError(t, json.Unmarshal([]byte(js), &doc))

	raw, err := os.ReadFile(page)
	require.NoError(t, err)
	root, err := html.Parse(strings.NewReader(string(raw)))
	require.NoError(t, err)

	figures, charts := 0, map[string]int{}
	sections := map[string]bool{}
	pointers := map[string]bool{}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		a := attrs(n)
		require.NotEqual(t, "script", n.Data, "the page has no script")
		for _, k := range []string{"src", "href"} {
			if v, ok := a[k]; ok {
				require.False(t, regexp.MustCompile(`(?i)^\s*(https?:)?//`).MatchString(v), "%s=%q loads from the network", k, v)
			}
		}
		if ptr, ok := a["data-json"]; ok {
			figures++
			pointers[ptr] = true
			want, err := resolve(doc, ptr)
			require.NoError(t, err, ptr)
			checkValue(t, ptr, want, a["data-value"])
			require.NotEmpty(t, strings.TrimSpace(text(n)), "%s has visible text", ptr)
		}
		if n.Data == "svg" && strings.Contains(" "+a["class"]+" ", " chart ") {
			require.Equal(t, "img", a["role"])
			require.NotEmpty(t, a["aria-label"])
			pts, err := strconv.Atoi(a["data-points"])
			require.NoError(t, err, a["aria-label"])
			require.Positive(t, pts, "chart %q has data", a["aria-label"])
			charts[a["aria-label"]] = pts
		}
		if n.Data == "section" && strings.Contains(a["class"], "slo") {
			sections[a["data-slo"]] = true
		}
	}
	require.Equal(t, map[string]bool{"checkout-availability": true, "checkout-latency": true, "search-availability": true}, sections)
	// Per SLO: SLI, budget and past months; one happiness scatter.
	require.Len(t, charts, 3*3+1, "%v", charts)
	require.Greater(t, figures, 100)
	for _, ptr := range []string{"/at", "/slos/0/objective", "/slos/0/sli", "/slos/0/historySummary/recommended",
		"/slos/0/happiness/0/verdict", "/slos/0/userStory", "/slos/0/owner", "/slos/2/history/2/met"} {
		require.True(t, pointers[ptr], "the page shows %s", ptr)
	}
	all := text(root)
	for _, want := range []string{"Objective: 99.9 % of events good", "Recommendation: 99 %.", "Verdict: strong: support tickets rises"} {
		require.True(t, strings.Contains(all, want), "the page says %q", want)
	}
	require.True(t, strings.Contains(string(raw), "@media print"), "the page has print styles")
}

// resolve follows an RFC 6901 pointer in a decoded JSON document.
func resolve(doc any, ptr string) (any, error) {
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("pointer %q does not start with /", ptr)
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("no key %q", tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no index %q in %d elements", tok, len(c))
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q into a scalar", tok)
		}
	}
	return cur, nil
}

// checkValue compares a data-value with the JSON value: numbers within 1e-9.
func checkValue(t *testing.T, ptr string, want any, got string) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		require.Equal(t, "null", got, ptr)
	case string:
		require.Equal(t, w, got, ptr)
	case bool:
		require.Equal(t, strconv.FormatBool(w), got, ptr)
	case float64:
		g, err := strconv.ParseFloat(got, 64)
		require.NoError(t, err, ptr)
		require.LessOrEqual(t, math.Abs(g-w), 1e-9*math.Max(1, math.Abs(w)), "%s: page %s, JSON %v", ptr, got, w)
		require.Equal(t, strconv.FormatFloat(w, 'g', -1, 64), got, ptr)
	default:
		t.Fatalf("%s points at a %T, not a figure", ptr, want)
	}
}

func attrs(n *html.Node) map[string]string {
	m := map[string]string{}
	for _, a := range n.Attr {
		m[a.Key] = a.Val
	}
	return m
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}
