// Package definitions reads SLO definitions (the native format, OpenSLO v1, Sloth and Pyrra) into
// the slo model, with file:line errors, and keeps them current as files change.
//
// Choices worth knowing:
//   - One bad SLO never stops the others: it goes to Result.Errors, the rest load.
//   - A YAML syntax error fails only its document (documents are split at "---").
//   - When two SLOs share a name, the first one read (files in path order, folders in
//     lexical order) is kept and the later one is reported, naming both places.
//   - An OpenSLO SLO with several objectives becomes one SLO per objective, named
//     "<name>-1", "<name>-2", … in the order of its objectives; with one objective
//     the name is kept as is.
//   - Rolling windows shorter than 1h are refused: in OpenSLO "1m" is a minute and
//     was almost certainly meant as "1M", a month.
package definitions

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nines-slo/nines/pkg/slo"
)

// InlineFile is the file name that errors in inline YAML carry.
const InlineFile = "inline"

// Result is what a load produced: the SLOs that are valid and every error found.
type Result struct {
	SLOs   []*slo.SLO
	Errors []*slo.Error
	// Alerts holds, by SLO name, how the alerts of valid Sloth and Pyrra SLOs are
	// written as rules (see AlertRules); other SLOs have none.
	Alerts map[string]*AlertRules
}

// entry is one SLO being read, with where its fields were written.
type entry struct {
	s *slo.SLO
	spots
	// broken is set when reading it already reported an error.
	broken bool
	// ref is an OpenSLO indicatorRef still to resolve, written at refAt.
	ref   string
	refAt slo.Location
	// alerts is how the definition asks its alerts to be written (Sloth, Pyrra).
	alerts *AlertRules
}

// sliDef is an OpenSLO SLI: an indicator without objective.
type sliDef struct {
	name string
	at   slo.Location
	ind  slo.Indicator
	spots
	broken bool
}

// batch gathers everything read in one load, so references resolve across files.
type batch struct {
	entries []*entry
	// full is set when the entries reached MaxSLOs: nothing more is read.
	full bool
	slis map[string]*sliDef
	errs []*slo.Error
}

func newBatch() *batch { return &batch{slis: map[string]*sliDef{}} }

// Parse reads one file's content: multi-document YAML, each document native or OpenSLO.
// References (indicatorRef) resolve within the file only.
func Parse(file string, data []byte) Result {
	b := newBatch()
	b.parse(file, data)
	return b.finish()
}

// Load reads files and folders (*.yaml and *.yml, recursively) plus inline YAML,
// then validates everything together. A path that does not exist is an error on it,
// and so is an empty one. It reads relative paths: LoadWith can refuse them.
func Load(paths []string, inline string) Result {
	return LoadWith(paths, inline, Options{})
}

// LoadWith reads like Load, with options.
func LoadWith(paths []string, inline string, o Options) Result {
	files, _, errs := collect(paths, o)
	return loadFiles(files, errs, inline)
}

func loadFiles(files []string, errs []*slo.Error, inline string) Result {
	b := newBatch()
	b.errs = append(b.errs, errs...)
	for _, f := range files {
		if b.full {
			break
		}
		data, err := readFile(f)
		if err != nil {
			b.errs = append(b.errs, &slo.Error{Location: slo.Location{File: f}, Message: fmt.Sprintf("read definitions: %v", err)})
			continue
		}
		b.parse(f, data)
	}
	if strings.TrimSpace(inline) != "" && !b.full {
		b.parse(InlineFile, []byte(inline))
	}
	return b.finish()
}

// unwrapPath drops the path from an fs.PathError, as the Error already names it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parse reads the documents of one file into the batch.
func (b *batch) parse(file string, data []byte) {
	if len(data) > MaxFileSize {
		b.errs = append(b.errs, &slo.Error{Location: slo.Location{File: file}, Message: fmt.Sprintf("definitions: %v", errTooLarge)})
		return
	}
	d := &decoder{file: file}
	for _, c := range splitDocuments(data) {
		if b.full {
			break
		}
		n, err := decodeChunk(file, c)
		if err != nil {
			d.errs = append(d.errs, err)
			continue
		}
		if n == nil {
			continue
		}
		b.document(d, n)
	}
	b.errs = append(b.errs, d.errs...)
}

// document dispatches one document to its format.
func (b *batch) document(d *decoder, n *yaml.Node) {
	d.cur, d.what = nil, ""
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "a definitions document must be a mapping (native: service and slos; OpenSLO: apiVersion, kind, metadata, spec)")
		return
	}
	var err *limitError
	if d.at, d.written, err = indexFields(n); err != nil {
		d.errorf(err.at, "%s", err.msg)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "apiVersion" {
			switch v := resolve(n.Content[i+1]); v.Value {
			case SlothCRDVersion:
				b.slothCRD(d)
			case PyrraVersion:
				b.pyrra(d)
			default:
				b.openSLO(d, n.Content[i], v)
			}
			return
		}
	}
	if d.has("version") {
		b.sloth(d)
		return
	}
	// A file that is no definitions at all gets one error that quotes none of it.
	if !d.has("service") && !d.has("slos") {
		d.errorf(n, "not a definitions document: a native document has a service and a list of slos, an OpenSLO one starts with apiVersion")
		return
	}
	b.native(d)
}

// room tells whether count more SLOs fit in the load; when they do not, it reports
// that at n and stops the load.
func (b *batch) room(d *decoder, n *yaml.Node, count int) bool {
	if len(b.entries)+count <= MaxSLOs {
		return true
	}
	d.cur = nil
	d.errorf(n, "more than %d SLOs in one load (MaxSLOs): this document and the rest are not read", MaxSLOs)
	b.full = true
	return false
}

// finish resolves references, validates and sorts everything read.
func (b *batch) finish() Result {
	for _, e := range b.entries {
		if e.ref == "" {
			continue
		}
		def, ok := b.slis[e.ref]
		if !ok {
			b.errs = append(b.errs, &slo.Error{Location: e.refAt, SLO: e.s.Name, Message: fmt.Sprintf("indicatorRef %q: no SLI of that name is defined", e.ref)})
			e.broken = true
			e.silence("indicator")
			continue
		}
		applySLI(e, def)
	}

	var res Result
	first := map[string]*slo.SLO{}
	for _, e := range b.entries {
		errs := e.s.ValidateFields(e.forValidation())
		if e.s.Name != "" {
			if f, dup := first[e.s.Name]; dup {
				errs = append(errs, slo.DuplicateError(f, e.s))
			} else {
				first[e.s.Name] = e.s
			}
		}
		if len(errs) == 0 && !e.broken {
			if err := Unsupported(e.s); err != nil {
				loc := e.s.Source
				var fe *fieldError
				if errors.As(err, &fe) {
					if l, ok := e.line(fe.field); ok {
						loc = l
					}
				}
				errs = append(errs, &slo.Error{Location: loc, SLO: e.s.Name, Message: err.Error()})
			}
		}
		b.errs = append(b.errs, errs...)
		if len(errs) == 0 && !e.broken {
			res.SLOs = append(res.SLOs, e.s)
			if e.alerts != nil {
				if res.Alerts == nil {
					res.Alerts = map[string]*AlertRules{}
				}
				res.Alerts[e.s.Name] = e.alerts
			}
		}
	}
	sort.SliceStable(b.errs, func(i, j int) bool {
		a, c := b.errs[i], b.errs[j]
		if a.File != c.File {
			return a.File < c.File
		}
		return a.Line < c.Line
	})
	res.Errors = b.errs
	return res
}

// applySLI sets the indicator of an entry from an SLI, keeping the objective's op and value.
func applySLI(e *entry, def *sliDef) {
	if def.broken {
		e.broken = true
	}
	in := &e.s.Indicator
	op, value := in.Op, in.Value
	*in = def.ind
	in.Op, in.Value = op, value
	for k, v := range def.fields {
		if _, set := e.fields[k]; !set || k != "indicator.op" && k != "indicator.value" {
			e.place(k, v, !def.silent[k])
		}
	}
}

// fieldError is an error about one model field.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// Unsupported returns a "not supported" error for what the query side cannot compute:
// time slices of a raw indicator (an error ratio has no per-slice good and total).
// Calendar windows and timeslices budgeting of ratio, latency and threshold indicators
// are supported.
func Unsupported(s *slo.SLO) error {
	if s.Indicator.Kind == slo.Raw && (s.Budgeting.Method == slo.Timeslices || s.Budgeting.Method == slo.RatioTimeslices) {
		return &fieldError{"budgeting", fmt.Errorf("budgeting method %q is not supported for raw indicators", s.Budgeting.Method)}
	}
	return nil
}
