package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// FuzzValidate posts arbitrary bodies to /validate: always a JSON answer with a 2xx or
// 4xx status, never a panic, a hang or a 5xx.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		"", " ", "{}", `{"yaml":"service: s\nslos:\n  - name: a\n    objective: 99.9\n    indicator:\n      ratio:\n        good: x\n        total: y\n"}`,
		"service: s\nslos: [", "a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b]\n", `{"yaml": 3}`, "\x00\xff", `{"name":"../../etc/passwd","yaml":"x: 1"}`,
	} {
		f.Add([]byte(seed))
	}
	ds := &Datasource{}
	ds.resources = ds.newResourceHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		var got *backend.CallResourceResponse
		err := ds.CallResource(context.Background(), &backend.CallResourceRequest{Method: http.MethodPost, Path: "validate",
			URL: "/api/datasources/uid/nines/resources/validate", Body: body},
			backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
		if err != nil {
			t.Fatalf("CallResource: %v", err)
		}
		if got == nil || got.Status >= 500 {
			t.Fatalf("answer %+v", got)
		}
		var out map[string]any
		if err := json.Unmarshal(got.Body, &out); err != nil {
			t.Fatalf("not JSON: %q", got.Body)
		}
	})
}
