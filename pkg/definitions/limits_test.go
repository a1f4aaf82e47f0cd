package definitions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseWithin parses src, failing the test when that takes longer than a few seconds.
func parseWithin(t *testing.T, src string) Result {
	t.Helper()
	done := make(chan Result, 1)
	go func() { done <- Parse("t.yaml", []byte(src)) }()
	select {
	case res := <-done:
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("parsing hangs")
		return Result{}
	}
}

// billionLaughs is an alias bomb: 9 levels of 10 aliases each, 10^9 nodes expanded.
func billionLaughs(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix + "a0: &a0 [lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestAliasBomb(t *testing.T) {
	res := parseWithin(t, billionLaughs("service: s\nslos: []\n"))
	assert.Empty(t, res.SLOs)
	require.NotEmpty(t, res.Errors)
	assert.Regexp(t, `^t\.yaml:\d+: document reaches more than 100000 nodes through aliases and merge keys \(MaxAliasNodes\)$`, res.Errors[0].Error())

	// Through merge keys too.
	var b strings.Builder
	b.WriteString("service: s\nm0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {", i, i)
		for j := range 10 {
			fmt.Fprintf(&b, "k%d: *m%d, ", j, i-1)
		}
		b.WriteString("<<: *m0}\n")
	}
	res = parseWithin(t, b.String())
	require.NotEmpty(t, res.Errors)
	assert.Contains(t, res.Errors[0].Error(), "(MaxAliasNodes)")
}

func TestAliasCycle(t *testing.T) {
	res := parseWithin(t, "service: s\nslos:\n  - &x\n    name: a\n    labels: *x\n")
	require.NotEmpty(t, res.Errors)
	assert.Contains(t, res.Errors[0].Error(), "document nests deeper than 64 levels (MaxDepth)")
	res = parseWithin(t, "service: s\nslos:\n  - &x\n    name: a\n    <<: *x\n")
	require.NotEmpty(t, res.Errors)
}

func TestDepthLimit(t *testing.T) {
	deep := "service: s\nslos: " + strings.Repeat("[", 65) + strings.Repeat("]", 65) + "\n"
	res := parseWithin(t, deep)
	assert.Empty(t, res.SLOs)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "t.yaml:2: document nests deeper than 64 levels (MaxDepth)", res.Errors[0].Error())

	res = parseWithin(t, "service: s\nslos: "+strings.Repeat("[", 60)+strings.Repeat("]", 60)+"\n")
	require.NotEmpty(t, res.Errors)
	assert.NotContains(t, strings.Join(errorStrings(res.Errors), "\n"), "MaxDepth")
}

func TestSLOLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("service: s\nslos:\n")
	for i := range MaxSLOs - 1 {
		fmt.Fprintf(&b, "  - {name: s%d, objective: 99, window: 28d, indicator: {raw: {errorRatio: r}}}\n", i)
	}
	first := b.String()
	second := "---\nservice: t\nslos:\n  - {name: t1, objective: 99, window: 28d, indicator: {raw: {errorRatio: r}}}\n  - {name: t2, objective: 99, window: 28d, indicator: {raw: {errorRatio: r}}}\n"
	res := parseWithin(t, first+second)
	assert.Equal(t, MaxSLOs-1, len(res.SLOs))
	assert.Equal(t, []string{
		fmt.Sprintf("t.yaml:%d: more than 10000 SLOs in one load (MaxSLOs): this document and the rest are not read", MaxSLOs+3),
	}, errorStrings(res.Errors))

	res = Load(nil, first+"  - {name: last, objective: 99, window: 28d, indicator: {raw: {errorRatio: r}}}\n")
	assert.Equal(t, MaxSLOs, len(res.SLOs))
	assert.Empty(t, res.Errors)

	// OpenSLO: each objective is an SLO.
	res = parseWithin(t, first+"---\n"+openSLO(map[string]string{"  objectives:\n": "  objectives:\n    - target: 0.9\n"}))
	assert.Equal(t, MaxSLOs-1, len(res.SLOs))
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Error(), "(MaxSLOs)")
}
