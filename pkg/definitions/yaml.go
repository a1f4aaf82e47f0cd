package definitions

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

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

// spot is a field as written: its key (nil for a list item) and its value.
type spot struct{ key, val *yaml.Node }

// maxSpots bounds the field index of one document, aliases expanded.
const maxSpots = 1 << 20

// fieldIndex maps the field paths of one document ("slos[0].indicator.ratio.good",
// "spec.objectives[1].target"; "" is the document itself) to their nodes, so that
// every error can name its file:line. A key written twice keeps its first place.
type fieldIndex map[string]spot

// indexFields walks a document once and returns its field index. It drops the later
// of keys written twice from their mappings, so that decoding keeps the first one as
// the index does, and returns the mappings as written, for errors. It follows aliases
// and merge keys ("<<"). It returns an error, at the node where it stopped, for a
// document past the limits: more than maxSpots fields, nesting deeper than MaxDepth,
// or more than MaxAliasNodes nodes reached through aliases.
func indexFields(doc *yaml.Node) (fieldIndex, map[*yaml.Node][]*yaml.Node, *limitError) {
	w := &indexWalk{idx: fieldIndex{}, written: map[*yaml.Node][]*yaml.Node{}}
	w.walk("", spot{val: resolve(doc)}, 0, doc.Kind == yaml.AliasNode)
	return w.idx, w.written, w.err
}

// limitError is a document past a limit, with the node where it was found.
type limitError struct {
	at  *yaml.Node
	msg string
}

// indexWalk is the state of indexFields.
type indexWalk struct {
	idx     fieldIndex
	written map[*yaml.Node][]*yaml.Node
	aliased int // nodes reached through aliases
	err     *limitError
}

func (w *indexWalk) fail(at *yaml.Node, format string, args ...any) bool {
	w.err = &limitError{at: at, msg: fmt.Sprintf(format, args...)}
	return false
}

func (w *indexWalk) walk(path string, s spot, depth int, aliased bool) bool {
	if _, seen := w.idx[path]; seen {
		return true
	}
	n := s.val
	switch {
	case len(w.idx) >= maxSpots:
		return w.fail(n, "document has more than %d fields, aliases expanded", maxSpots)
	case depth > MaxDepth:
		return w.fail(n, "document nests deeper than %d levels (MaxDepth)", MaxDepth)
	}
	if aliased {
		if w.aliased++; w.aliased > MaxAliasNodes {
			return w.fail(n, "document reaches more than %d nodes through aliases and merge keys (MaxAliasNodes)", MaxAliasNodes)
		}
	}
	w.idx[path] = s
	switch n.Kind {
	case yaml.MappingNode:
		dropDuplicates(n, w.written)
		ps, _, err := mergedPairs(n, aliased)
		if err != nil {
			return w.fail(err.at, "%s", err.msg)
		}
		for _, p := range ps {
			if !w.walk(joinPath(path, p.key.Value), spot{key: p.key, val: resolve(p.val)}, depth+1, p.aliased || p.val.Kind == yaml.AliasNode) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if !w.walk(fmt.Sprintf("%s[%d]", path, i), spot{val: resolve(c)}, depth+1, aliased || c.Kind == yaml.AliasNode) {
				return false
			}
		}
	}
	return true
}

// pair is a key and value of a mapping, merged in or not.
type pair struct {
	key, val *yaml.Node
	// aliased tells whether the pair was reached through an alias.
	aliased bool
	// merged tells whether the pair came from a merge key.
	merged bool
}

// isMerge tells whether key is the merge key "<<".
func isMerge(key *yaml.Node) bool {
	return key.Kind == yaml.ScalarNode && key.Value == "<<" && (key.Tag == "!!merge" || key.Tag == "" || key.Tag == "!")
}

// mergedPairs returns the pairs of mapping n as yaml.v3 decodes them: its own keys
// first (the first of a key written twice), then those of its merge key's mappings not
// set yet, earlier mappings first. The merge key itself is left out, and so are merge
// values that are not mappings: they are returned as bad.
func mergedPairs(n *yaml.Node, aliased bool) ([]pair, []*yaml.Node, *limitError) {
	var out []pair
	var bad []*yaml.Node
	seen := map[string]bool{}
	budget := MaxAliasNodes
	var add func(m *yaml.Node, aliased, merged bool, depth int) *limitError
	add = func(m *yaml.Node, aliased, merged bool, depth int) *limitError {
		if depth > MaxDepth {
			return &limitError{m, fmt.Sprintf("merge keys nest deeper than %d levels (MaxDepth)", MaxDepth)}
		}
		var merges []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := resolve(m.Content[i])
			if isMerge(k) {
				merges = append(merges, m.Content[i+1])
				continue
			}
			if budget--; budget < 0 {
				return &limitError{k, fmt.Sprintf("document reaches more than %d nodes through aliases and merge keys (MaxAliasNodes)", MaxAliasNodes)}
			}
			if !seen[k.Value] {
				seen[k.Value] = true
				out = append(out, pair{key: k, val: m.Content[i+1], aliased: aliased, merged: merged})
			}
		}
		for _, v := range merges {
			var srcs []*yaml.Node
			if r := resolve(v); r.Kind == yaml.SequenceNode {
				srcs = r.Content
			} else {
				srcs = []*yaml.Node{v}
			}
			for _, src := range srcs {
				r := resolve(src)
				if r.Kind != yaml.MappingNode {
					bad = append(bad, src)
					continue
				}
				if err := add(r, aliased || src.Kind == yaml.AliasNode || v.Kind == yaml.AliasNode, true, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := add(n, aliased, false, 0)
	return out, bad, err
}

// dropDuplicates removes the later of keys written twice from mapping n, keeping its
// content as written in written.
func dropDuplicates(n *yaml.Node, written map[*yaml.Node][]*yaml.Node) {
	if _, done := written[n]; done {
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	kept := make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]).Value; !seen[k] {
			seen[k] = true
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
	}
	if len(kept) < len(n.Content) {
		written[n] = n.Content
		n.Content = kept
	}
}

// joinPath appends a key to a field path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeLoose decodes the value at path into a typed definition, keeping what fits.
// The leaf types never fail, so yaml.v3 can only find a value of the wrong shape (a
// list where a mapping belongs), which the decoder reports itself, with file:line,
// from the index. Other errors (excessive aliasing) are reported at the value.
func (d *decoder) decodeLoose(path string, out any) bool {
	n := d.node(path)
	var te *yaml.TypeError
	if err := n.Decode(out); err != nil && !errors.As(err, &te) {
		d.errorf(n, "%s", fmt.Errorf("decode definition: %w", err))
		return false
	}
	return true
}

// decoder reads the documents of one file and collects its errors.
type decoder struct {
	file string
	errs []*slo.Error
	// at indexes the fields of the document being read.
	at fieldIndex
	// written keeps the mappings with keys written twice as written.
	written map[*yaml.Node][]*yaml.Node
	// cur is the SLO being read: errors name it and mark it broken.
	cur *entry
	// what names the definition in errors when no SLO is being read (an SLI).
	what string
}

func (d *decoder) loc(n *yaml.Node) slo.Location { return slo.Location{File: d.file, Line: n.Line} }

// has tells whether the field at path was written.
// onlyOne returns which one of kinds is written under path p, or reports msg at p's key
// (ok false) when none or several are.
func (d *decoder) onlyOne(e *entry, field, p string, kinds []string, msg string) (string, bool) {
	var written []string
	for _, k := range kinds {
		if d.has(p + "." + k) {
			written = append(written, k)
		}
	}
	if len(written) != 1 {
		d.fieldErr(&e.spots, field, d.keyNode(p), "%s", msg)
		return "", false
	}
	return written[0], true
}

func (d *decoder) has(path string) bool {
	_, ok := d.at[path]
	return ok
}

// node returns the value written at path, nil when there is none.
func (d *decoder) node(path string) *yaml.Node { return d.at[path].val }

// keyNode returns the key of the field at path, or the item itself in a list.
func (d *decoder) keyNode(path string) *yaml.Node {
	if s := d.at[path]; s.key != nil {
		return s.key
	}
	return d.at[path].val
}

// keyLoc returns where the field at path was written.
func (d *decoder) keyLoc(path string) slo.Location { return d.loc(d.keyNode(path)) }

// keyName returns the key of the field at path as written.
func (d *decoder) keyName(path string) string { return d.keyNode(path).Value }

// errorf reports an error at node n, naming and breaking the current SLO.
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	name := d.what
	if d.cur != nil {
		d.cur.broken = true
		name = d.cur.s.Name
	}
	d.errs = append(d.errs, &slo.Error{Location: d.loc(n), SLO: name, Message: fmt.Sprintf(format, args...)})
}

// failf reports an error on the field at path.
func (d *decoder) failf(path, format string, args ...any) {
	d.errorf(d.keyNode(path), format, args...)
}

// fieldErr reports an error at n on a model field and tells validation to stay silent on it.
func (d *decoder) fieldErr(fields *spots, model string, n *yaml.Node, format string, args ...any) {
	d.errorf(n, format, args...)
	fields.silence(model)
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// knownFields lists the yaml keys of a definition struct, in field order.
func knownFields(def any) []string {
	t := reflect.TypeOf(def)
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// mapping checks that the value at path is a mapping (null is an empty one). It
// reports duplicate keys and keys not in allowed (unless allowed is nil), merged-in
// keys included.
func (d *decoder) mapping(path, what string, allowed []string) bool {
	n := d.node(path)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return true
		}
		d.errorf(n, "%s must be a mapping", what)
		return false
	}
	content, ok := d.written[n]
	if !ok {
		content = n.Content
	}
	seen := make(map[string]bool, len(content)/2)
	for i := 0; i+1 < len(content); i += 2 {
		k := resolve(content[i])
		switch key := k.Value; {
		case seen[key]:
			d.errorf(k, "%s: field %q is set twice", what, key)
		case isMerge(k):
			seen[key] = true
		case allowed != nil && !slices.Contains(allowed, key):
			seen[key] = true
			d.errorf(k, "%s: unknown field %q (known: %s)", what, quoted(key), strings.Join(allowed, ", "))
		default:
			seen[key] = true
		}
	}
	ps, bad, err := mergedPairs(n, false)
	if err != nil {
		d.errorf(err.at, "%s: %s", what, err.msg)
		return false
	}
	for _, b := range bad {
		d.errorf(b, "%s: merge key <<: the value must be a mapping or a list of mappings", what)
	}
	if len(bad) > 0 {
		return false
	}
	for _, p := range ps {
		if p.merged && allowed != nil && !slices.Contains(allowed, p.key.Value) {
			d.errorf(p.key, "%s: unknown field %q merged in (known: %s)", what, quoted(p.key.Value), strings.Join(allowed, ", "))
		}
	}
	return true
}

// sequence checks that the value at path is a list (null is an empty one) and returns
// the paths of its items.
func (d *decoder) sequence(path string) ([]string, bool) {
	n := d.node(path)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(path, "%s must be a list", d.keyName(path))
		return nil, false
	}
	out := make([]string, len(n.Content))
	for i := range out {
		out[i] = fmt.Sprintf("%s[%d]", path, i)
	}
	return out, true
}

// labels reads the map of label values at path; with lists allowed, a list of
// strings is joined with ",".
func (d *decoder) labels(path string, lists bool) map[string]string {
	if !d.mapping(path, d.keyName(path), nil) {
		return nil
	}
	n := d.node(path)
	ps, _, _ := mergedPairs(n, false) // checked by mapping
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		k, v := p.key, resolve(p.val)
		switch {
		case v.Kind == yaml.ScalarNode:
			out[k.Value] = v.Value
		case lists && v.Kind == yaml.SequenceNode:
			out[k.Value] = d.labelList(k.Value, v)
		default:
			d.errorf(k, "label %q must be a string", quoted(k.Value))
		}
	}
	return out
}

// labelList joins a label's list of strings with ",".
func (d *decoder) labelList(label string, n *yaml.Node) string {
	var parts []string
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode {
			d.errorf(item, "label %q: list items must be strings", label)
			continue
		}
		parts = append(parts, item.Value)
	}
	return strings.Join(parts, ",")
}

// maxQuoted is the longest text an error quotes from a file; longer ones are cut.
const maxQuoted = 64

// quoted returns v cut to maxQuoted characters, for an error to quote: an error
// must not echo a file's content at length.
func quoted(v string) string {
	r := []rune(v)
	if len(r) <= maxQuoted {
		return v
	}
	return string(r[:maxQuoted]) + "…"
}
