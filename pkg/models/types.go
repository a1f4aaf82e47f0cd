package models

import (
	"reflect"
	"strings"

	"github.com/nines-slo/nines/pkg/engine"
	"github.com/nines-slo/nines/pkg/slo"
)

// Type is one query type: its name and the type of its options.
type Type struct {
	Name    string
	Options Validator
}

// Types are the query types the data source answers, in the order the editor offers them.
var Types = []Type{
	{TypeStatus, NoOptions{}},
	{TypeSLI, WindowOptions{}},
	{TypeBudget, WindowOptions{}},
	{TypeBurnRate, WindowOptions{}},
	{TypeHistory, HistoryOptions{}},
	{TypeHappiness, HappinessOptions{}},
	{TypeCatalog, NoOptions{}},
	{TypeAlerts, NoOptions{}},
}

// Names are the names of Types, in order.
func Names() []string {
	out := make([]string, len(Types))
	for i, t := range Types {
		out[i] = t.Name
	}
	return out
}

// Option describes one query option as the editor shows it.
type Option struct {
	Name    string   `json:"name"`
	Default any      `json:"default,omitempty"`
	Values  []string `json:"values,omitempty"`
	Min     *int     `json:"min,omitempty"`
	Max     *int     `json:"max,omitempty"`
}

// TypeOptions are the options of one query type, in editor order.
type TypeOptions struct {
	Type    string   `json:"type"`
	Options []Option `json:"options"`
}

// Contract is what the front end must agree with: the options every type shares, and
// each type's own, with their defaults and limits.
type Contract struct {
	// NamePattern is the pattern every SLO name matches (a JavaScript-compatible regex).
	NamePattern string        `json:"namePattern"`
	Common      []Option      `json:"common"`
	Types       []TypeOptions `json:"types"`
}

// described are the defaults, values and limits of the options that have them; each
// refers to the one constant the backend applies.
var described = map[string]Option{
	"period":       {Values: HistoryPeriods},
	"periods":      {Default: engine.DefaultHistoryPeriods, Min: ptr(1), Max: ptr(engine.MaxHistoryPeriods)},
	"share":        {Default: engine.DefaultHistoryShare},
	"completeOnly": {Default: false},
	"interval":     {Default: slo.FormatDuration(engine.DefaultHappinessInterval)},
	"maxLag":       {Default: engine.DefaultMaxLag},
}

// Describe returns the contract, read from the options types themselves.
func Describe() Contract {
	c := Contract{NamePattern: slo.NamePattern.String(), Common: options(Selection{})}
	for _, t := range Types {
		c.Types = append(c.Types, TypeOptions{Type: t.Name, Options: options(t.Options)})
	}
	return c
}

// options lists the JSON fields of an options struct, in declaration order.
func options(v any) []Option {
	out := []Option{}
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		o := described[name]
		o.Name = name
		out = append(out, o)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
