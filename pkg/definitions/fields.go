package definitions

import (
	"errors"
	"maps"
	"math"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// spots records where the model fields of an SLO or SLI were written (see
// slo.Fields), and which of them already had their error reported: validation
// stays silent on those.
type spots struct {
	fields slo.Fields
	silent map[string]bool
}

func newSpots() spots { return spots{fields: slo.Fields{}, silent: map[string]bool{}} }

// set records where a model field was written.
func (s *spots) set(field string, at slo.Location) { s.place(field, at, true) }

// silence records that an error on a model field was already reported.
func (s *spots) silence(field string) { s.place(field, slo.Location{}, false) }

// place records where a model field was written when ok, else that its error was reported.
func (s *spots) place(field string, at slo.Location, ok bool) {
	s.fields[field] = at
	if ok {
		delete(s.silent, field)
	} else {
		s.silent[field] = true
	}
}

// line returns where a model field was written, if that is a line to point at.
func (s *spots) line(field string) (slo.Location, bool) {
	at, ok := s.fields[field]
	return at, ok && !s.silent[field] && at.Line > 0
}

// clone returns an independent copy.
func (s *spots) clone() spots {
	return spots{fields: maps.Clone(s.fields), silent: maps.Clone(s.silent)}
}

// forValidation returns the spots in the form slo.SLO.ValidateFields reads.
func (s *spots) forValidation() slo.Fields {
	out := maps.Clone(s.fields)
	for k := range s.silent {
		loc := out[k]
		loc.Reported = true
		out[k] = loc
	}
	return out
}

// text is a string field as written; anything but a scalar is bad. Null is "".
type text struct {
	v   string
	bad bool
}

// UnmarshalYAML keeps the scalar's text, or that the value is not a scalar.
func (t *text) UnmarshalYAML(n *yaml.Node) error {
	t.v, t.bad = n.Value, n.Kind != yaml.ScalarNode
	return nil
}

// decoded is a number or boolean field as written: its value, or the text that is
// not one. Null is the zero value.
type decoded[T float64 | bool] struct {
	v   T
	raw string
	bad bool
}

// number is a numeric field as written.
type number = decoded[float64]

// flag is a true-or-false field as written.
type flag = decoded[bool]

// UnmarshalYAML keeps the value, or the text that is not one.
func (x *decoded[T]) UnmarshalYAML(n *yaml.Node) error {
	x.raw = n.Value
	x.bad = n.Kind != yaml.ScalarNode || n.Decode(&x.v) != nil
	if f, ok := any(x.v).(float64); ok && math.IsNaN(f) {
		x.bad = true
	}
	return nil
}

// span is a Prometheus-style duration field as written.
type span struct{ text }

// leaf is a field type that reads itself, reporting a bad value at its path.
type leaf[T any] interface {
	read(d *decoder, path string) (T, bool)
}

func (t text) read(d *decoder, path string) (string, bool) {
	if t.bad {
		d.failf(path, "%s must be a string", d.keyName(path))
		return "", false
	}
	return t.v, true
}

func (x decoded[T]) read(d *decoder, path string) (T, bool) {
	if x.bad {
		want := "is not a number"
		if _, ok := any(x.v).(bool); ok {
			want = "must be true or false"
		}
		d.failf(path, "%s: %q %s", d.keyName(path), x.raw, want)
		var zero T
		return zero, false
	}
	return x.v, true
}

func (s span) read(d *decoder, path string) (time.Duration, bool) {
	v, ok := s.text.read(d, path)
	if !ok {
		return 0, false
	}
	dur, err := slo.ParseDuration(v)
	if err != nil {
		d.failf(path, "%s: %v", d.keyName(path), err)
		return 0, false
	}
	return dur, true
}

// read reads the leaf at path into *dst, if it was written, and records under model
// where it was written or that its error was reported. It tells whether it was written.
func read[T any](d *decoder, fields *spots, model, path string, v leaf[T], dst *T) bool {
	if !d.has(path) {
		return false
	}
	x, ok := v.read(d, path)
	*dst = x
	fields.place(model, d.keyLoc(path), ok)
	return true
}

// str reads the text at path, "" when it was not written or is bad.
func (d *decoder) str(path string, t text) string {
	if !d.has(path) {
		return ""
	}
	v, _ := t.read(d, path)
	return v
}

// items is a list field decoded item by item, so that a bad item keeps its place.
type items[T any] struct{ list []T }

// UnmarshalYAML decodes each item, keeping what fits (see decodeLoose). An item that
// fails to decode (a merge key whose value is no mapping) is left empty: the decoder
// reports its fields from the index.
func (l *items[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	l.list = make([]T, len(n.Content))
	for i, c := range n.Content {
		var te *yaml.TypeError
		if err := c.Decode(&l.list[i]); err != nil && !errors.As(err, &te) {
			var zero T
			l.list[i] = zero
		}
	}
	return nil
}

// at returns item i, or a zero item when there is none.
func (l items[T]) at(i int) T {
	var zero T
	if i < 0 || i >= len(l.list) {
		return zero
	}
	return l.list[i]
}
