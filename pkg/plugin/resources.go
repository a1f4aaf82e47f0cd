package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/models"
	"github.com/nines-slo/nines/pkg/rules"
	"github.com/nines-slo/nines/pkg/slo"
)

// maxValidateBody bounds the YAML accepted by POST /validate.
const maxValidateBody = 4 << 20

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// SLOSummary is one SLO in GET /slos.
type SLOSummary struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName"`
	Service     string            `json:"service"`
	Owner       string            `json:"owner,omitempty"`
	Objective   float64           `json:"objective"`
	Window      string            `json:"window"`
	Indicator   string            `json:"indicator"`
	Labels      map[string]string `json:"labels,omitempty"`
	Description string            `json:"description,omitempty"`
	UserStory   string            `json:"userStory,omitempty"`
	Source      slo.Location      `json:"source"`
	Format      string            `json:"format"`
	// Grouping lists the labels a grouped SLO fans out by (GET /slos/{name}/groups).
	Grouping []string `json:"grouping,omitempty"`
}

func summary(s *slo.SLO) SLOSummary {
	return SLOSummary{Name: s.Name, DisplayName: s.Title(), Service: s.Service, Owner: s.Owner, Objective: s.Objective,
		Window: s.Window.String(), Indicator: string(s.Indicator.Kind), Labels: s.Labels, Description: s.Description,
		UserStory: s.UserStory, Source: s.Source, Format: s.Format, Grouping: s.Grouping}
}

func (d *Datasource) newResourceHandler() backend.CallResourceHandler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slos", d.handleList)
	mux.HandleFunc("GET /slos/{name}", d.handleGet)
	mux.HandleFunc("GET /slos/{name}/groups", d.handleGroups)
	mux.HandleFunc("POST /validate", d.handleValidate)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no resource %s %s: use GET /slos, GET /slos/{name} or POST /validate", r.Method, r.URL.Path)})
	})
	return httpadapter.New(cleanPaths(mux))
}

// cleanPaths answers 400 to a resource path holding "..", an empty segment, a NUL or
// another control character (encoded or not), instead of letting the mux redirect it.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if raw := r.URL.RawPath; raw != "" {
			if un, err := url.PathUnescape(raw); err == nil {
				p = un
			}
		}
		bad := strings.Contains(p, "//")
		for _, seg := range strings.Split(p, "/") {
			bad = bad || seg == ".." || seg == "."
		}
		bad = bad || strings.IndexFunc(p, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0
		if bad {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad resource path %q: use GET /slos, GET /slos/{name} or POST /validate", p)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// handleList serves GET /slos?slo=&service=&owner=&label=k=v.
func (d *Datasource) handleList(w http.ResponseWriter, r *http.Request) {
	res := d.defs.Current()
	q := models.Selection{SLO: r.URL.Query().Get("slo"), Service: r.URL.Query().Get("service")}
	for _, l := range r.URL.Query()["label"] {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("label filter %q: want key=value", l)})
			return
		}
		if q.Labels == nil {
			q.Labels = map[string]string{}
		}
		q.Labels[k] = v
	}
	if q.SLO != "" && slo.NamePattern.MatchString(q.SLO) {
		q.SLO = regexp.QuoteMeta(q.SLO) + ".*" // a prefix search for pickers
	}
	slos, err := Select(res, q)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	owner := r.URL.Query().Get("owner")
	out := []SLOSummary{}
	for _, s := range slos {
		if owner != "" && s.Owner != owner {
			continue
		}
		out = append(out, summary(s))
	}
	errs := res.Errors
	if errs == nil {
		errs = []*slo.Error{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"slos": out, "errors": errs})
}

// handleGet serves GET /slos/{name}: the definition, its generated PromQL and its load errors.
func (d *Datasource) handleGet(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	res := d.defs.Current()
	errs := []*slo.Error{}
	for _, e := range res.Errors {
		if e.SLO == name {
			errs = append(errs, e)
		}
	}
	for _, s := range res.SLOs {
		if s.Name == name {
			writeJSON(w, http.StatusOK, map[string]any{"slo": s, "promql": d.engine.Generated(r.Context(), s, d.Now()),
				"rules": ruleFile(s, res), "format": s.Format, "errors": errs})
			return
		}
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"slo": nil, "errors": errs})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("unknown SLO %q", name), "errors": errs})
}

// ValidateRequest is the body of POST /validate.
type ValidateRequest struct {
	YAML string `json:"yaml"`
	Name string `json:"name"`
}

// ValidateResponse is the answer of POST /validate.
type ValidateResponse struct {
	Valid  bool         `json:"valid"`
	SLOs   []string     `json:"slos"`
	Errors []*slo.Error `json:"errors"`
}

// handleValidate serves POST /validate: it checks posted YAML (JSON {yaml, name} or raw YAML) without saving it.
func (d *Datasource) handleValidate(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxValidateBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("read body: %s", err)})
		return
	}
	if len(body) > maxValidateBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("definitions larger than %d bytes", maxValidateBody)})
		return
	}
	if strings.TrimSpace(string(body)) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "empty body: send the definitions as YAML, or {\"yaml\": \"...\"}"})
		return
	}
	req := ValidateRequest{YAML: string(body)}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || strings.HasPrefix(strings.TrimSpace(string(body)), "{\"") {
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad JSON body: %s; send {\"yaml\": \"...\"}", err)})
			return
		}
	}
	name := req.Name
	if name == "" {
		name = "inline"
	}
	res := definitions.Parse(name, []byte(req.YAML))
	out := ValidateResponse{SLOs: []string{}, Errors: res.Errors}
	for _, s := range res.SLOs {
		out.SLOs = append(out.SLOs, s.Name)
	}
	if out.Errors == nil {
		out.Errors = []*slo.Error{}
	}
	out.Valid = len(out.Errors) == 0
	writeJSON(w, http.StatusOK, out)
}

// ruleFile is the Prometheus rule file `nines rules` writes for s: its recording rules
// and burn-rate alerts, or why there is none.
func ruleFile(s *slo.SLO, res definitions.Result) string {
	f, err := rules.Build([]*slo.SLO{s}, res.Alerts)
	if err != nil {
		return "# no rules: " + err.Error()
	}
	out, err := f.Marshal()
	if err != nil {
		return "# no rules: " + err.Error()
	}
	return string(out)
}
