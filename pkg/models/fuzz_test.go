package models

import (
	"encoding/json"
	"testing"
)

// FuzzQueryModel decodes arbitrary query JSON as every query type's options: an error
// or options that resolve, never a panic; options that validate also resolve.
func FuzzQueryModel(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"slo":"checkout-.*","service":"shop","labels":{"tier":"1"}}`,
		`{"window":"30d"}`, `{"period":"month","periods":120,"share":0.9,"objectives":"99, 99.5%, 99.9","timeZone":"Europe/Paris","completeOnly":true,"window":"7d"}`,
		`{"signal":"tickets","interval":"1h","maxLag":6}`, `{"slo":"(["}`, `{"periods":1e309}`, `{"objectives":"NaN, -0, 1e-400"}`,
		`{"maxLag":-2147483649}`, `{"window":"9999999999999999999d"}`, `[`, `null`, `{"labels":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 1<<16 {
			return
		}
		msg := json.RawMessage(raw)
		_, _ = Decode[Selection](msg)
		_, _ = Decode[NoOptions](msg)
		if w, err := Decode[WindowOptions](msg); err == nil {
			if _, err := w.Duration(); err != nil {
				t.Fatalf("window validated but does not resolve: %v", err)
			}
		}
		if h, err := Decode[HistoryOptions](msg); err == nil {
			r, err := h.Request()
			if err != nil {
				t.Fatalf("history validated but does not resolve: %v", err)
			}
			if r.Share < 0 || r.Share > 1 || r.Periods < 0 {
				t.Fatalf("history request out of bounds: %+v", r)
			}
		}
		if h, err := Decode[HappinessOptions](msg); err == nil {
			if _, lag, err := h.Resolved(); err != nil || lag < 0 {
				t.Fatalf("happiness validated but does not resolve: %v %d", err, lag)
			}
		}
	})
}
