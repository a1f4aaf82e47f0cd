package definitions

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// chunk is one YAML document of a file and the line it starts on.
type chunk struct {
	data  []byte
	start int // 1-based line of the chunk's first line in the file
}

// splitDocuments cuts a multi-document stream at its "---" and "..." markers, so that
// a syntax error in one document does not lose the documents after it. Comments and
// directives before a marker stay with the document they precede.
func splitDocuments(data []byte) []chunk {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []chunk
	var cur []byte
	start, content := 1, false
	flush := func() {
		if content {
			out = append(out, chunk{data: cur, start: start})
		}
		cur, content = nil, false
	}
	for i, l := range lines {
		t := strings.TrimRight(string(l), "\r\n")
		if isMarker(t, "---") && content {
			flush()
		}
		if len(cur) == 0 {
			start = i + 1
		}
		cur = append(cur, l...)
		trimmed := strings.TrimSpace(t)
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(t, "%") {
			content = true
		}
		if isMarker(t, "...") {
			flush()
		}
	}
	flush()
	return out
}

// isMarker tells whether line is the document marker m ("---" or "..."), alone or
// followed by white space.
func isMarker(line, m string) bool {
	if !strings.HasPrefix(line, m) {
		return false
	}
	rest := line[len(m):]
	return rest == "" || rest[0] == ' ' || rest[0] == '\t'
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are yaml.v3's parser (not scanner) error messages.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// decodeChunk parses one document into a node whose lines are those of the file.
// It returns nil for an empty document.
func decodeChunk(file string, c chunk) (*yaml.Node, *slo.Error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(c.data)).Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, nil
		}
		loc := slo.Location{File: file, Line: c.start}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			msg = m[2]
			// yaml.v3 counts lines from 1 in scanner errors but from 0 in parser errors.
			if parserProblems[msg] {
				n++
			}
			loc.Line = c.start + n - 1
		}
		return nil, &slo.Error{Location: loc, Message: "YAML syntax error: " + msg}
	}
	shiftLines(&doc, c.start-1)
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		n = n.Content[0]
	}
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	return n, nil
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// field is one key and value of a mapping.
type field struct{ key, val *yaml.Node }

// decoder reads the nodes of one file and collects its errors.
type decoder struct {
	file string
	errs []*slo.Error
	// cur is the SLO being read: errors name it and mark it broken.
	cur *entry
	// what names the definition in errors when no SLO is being read (an SLI).
	what string
}

func (d *decoder) loc(n *yaml.Node) slo.Location { return slo.Location{File: d.file, Line: n.Line} }

// errorf reports an error at node n, naming and breaking the current SLO.
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	name := d.what
	if d.cur != nil {
		d.cur.broken = true
		name = d.cur.s.Name
	}
	d.errs = append(d.errs, &slo.Error{Location: d.loc(n), SLO: name, Message: fmt.Sprintf(format, args...)})
}

// fieldErr reports an error on a model field and tells validation to stay silent on it.
func (d *decoder) fieldErr(fields slo.Fields, path string, n *yaml.Node, format string, args ...any) {
	d.errorf(n, format, args...)
	if fields != nil {
		fields[path] = slo.Location{File: d.file, Line: -1}
	}
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping returns the fields of a mapping node by key. It reports a node that is not
// a mapping, duplicate keys and keys not in allowed (unless allowed is nil).
func (d *decoder) mapping(n *yaml.Node, what string, allowed []string) (map[string]field, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return map[string]field{}, true
		}
		d.errorf(n, "%s must be a mapping", what)
		return nil, false
	}
	out := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		key := k.Value
		if _, dup := out[key]; dup {
			d.errorf(k, "%s: field %q is set twice", what, key)
			continue
		}
		if allowed != nil && !contains(allowed, key) {
			d.errorf(k, "%s: unknown field %q (known: %s)", what, key, strings.Join(allowed, ", "))
			continue
		}
		out[key] = field{key: k, val: v}
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a scalar as text; null is the empty string.
func (d *decoder) str(f field) (string, bool) {
	if f.val.Kind != yaml.ScalarNode {
		d.errorf(f.key, "%s must be a string", f.key.Value)
		return "", false
	}
	if f.val.Tag == "!!null" {
		return "", true
	}
	return f.val.Value, true
}

// num reads a number.
func (d *decoder) num(f field) (float64, bool) {
	var v float64
	if f.val.Kind != yaml.ScalarNode || f.val.Decode(&v) != nil || math.IsNaN(v) {
		d.errorf(f.key, "%s: %q is not a number", f.key.Value, f.val.Value)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (d *decoder) boolean(f field) (bool, bool) {
	var v bool
	if f.val.Kind != yaml.ScalarNode || f.val.Decode(&v) != nil {
		d.errorf(f.key, "%s: %q must be true or false", f.key.Value, f.val.Value)
		return false, false
	}
	return v, true
}

// duration reads a Prometheus-style duration.
func (d *decoder) duration(f field) (time.Duration, bool) {
	s, ok := d.str(f)
	if !ok {
		return 0, false
	}
	v, err := slo.ParseDuration(s)
	if err != nil {
		d.errorf(f.key, "%s: %v", f.key.Value, err)
		return 0, false
	}
	return v, true
}

// labels reads a map of label values; with lists allowed, a list of strings is joined with ",".
func (d *decoder) labels(f field, lists bool) map[string]string {
	m, ok := d.mapping(f.val, f.key.Value, nil)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, lf := range m {
		switch {
		case lf.val.Kind == yaml.ScalarNode:
			out[k] = lf.val.Value
		case lists && lf.val.Kind == yaml.SequenceNode:
			var parts []string
			for _, item := range lf.val.Content {
				item = resolve(item)
				if item.Kind != yaml.ScalarNode {
					d.errorf(item, "label %q: list items must be strings", k)
					continue
				}
				parts = append(parts, item.Value)
			}
			out[k] = strings.Join(parts, ",")
		default:
			d.errorf(lf.key, "label %q must be a string", k)
		}
	}
	return out
}

// sequence returns the items of a sequence node.
func (d *decoder) sequence(f field) ([]*yaml.Node, bool) {
	if f.val.Kind == yaml.ScalarNode && f.val.Tag == "!!null" {
		return nil, true
	}
	if f.val.Kind != yaml.SequenceNode {
		d.errorf(f.key, "%s must be a list", f.key.Value)
		return nil, false
	}
	out := make([]*yaml.Node, len(f.val.Content))
	for i, n := range f.val.Content {
		out[i] = resolve(n)
	}
	return out, true
}
