package models

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nines-slo/nines/pkg/series"
)

var update = flag.Bool("update", false, "rewrite the contract golden file")

// TestContract keeps testdata/query_types.golden.json, which the front end's contract
// test reads, equal to what the backend's options types say.
func TestContract(t *testing.T) {
	got, err := json.MarshalIndent(Describe(), "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", "query_types.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got), "run go test ./pkg/models -update after an intended change, and update the front end")
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, json, err string
		v               func(raw json.RawMessage) error
	}{
		{"window ok", `{"window":"1h"}`, "", decodeErr[WindowOptions]},
		{"window bad", `{"window":"soon"}`, "query field window", decodeErr[WindowOptions]},
		{"periods low", `{"periods":0}`, "query field periods: 0 must be between 1 and 120", decodeErr[HistoryOptions]},
		{"periods high", `{"periods":121}`, "query field periods: 121 must be between 1 and 120", decodeErr[HistoryOptions]},
		{"share", `{"share":1.5}`, "query field share: 1.5 must be in (0, 1]", decodeErr[HistoryOptions]},
		{"period", `{"period":"year"}`, `query field period: "year" must be week, month, quarter or rolling`, decodeErr[HistoryOptions]},
		{"zone", `{"timeZone":"Mars/Base"}`, "query field timeZone", decodeErr[HistoryOptions]},
		{"objectives", `{"objectives":"99, 101"}`, `query field objectives: "101" is not a percent`, decodeErr[HistoryOptions]},
		{"history ok", `{"period":"Month","periods":12,"share":0.75,"objectives":"99.9%, 99","timeZone":"Europe/Paris"}`, "", decodeErr[HistoryOptions]},
		{"maxLag", `{"maxLag":-1}`, "query field maxLag: -1 must be between 0 and", decodeErr[HappinessOptions]},
		{"interval", `{"interval":"x"}`, "query field interval", decodeErr[HappinessOptions]},
		{"bad json", `{"window":3}`, "bad query JSON", decodeErr[WindowOptions]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v(json.RawMessage(tc.json))
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func decodeErr[T Validator](raw json.RawMessage) error {
	_, err := Decode[T](raw)
	return err
}

func TestHistoryRequest(t *testing.T) {
	o, err := Decode[HistoryOptions](json.RawMessage(`{"period":"Month","periods":12,"share":0.75,"objectives":"99.9%, 99, 99.9","completeOnly":true,"window":"7d"}`))
	require.NoError(t, err)
	r, err := o.Request()
	require.NoError(t, err)
	require.Equal(t, series.Month, r.Period)
	require.Equal(t, 12, r.Periods)
	require.Equal(t, 0.75, r.Share)
	require.Equal(t, []float64{0.99, 0.999}, r.Objectives)
	require.True(t, r.CompleteOnly)
	require.Equal(t, "168h0m0s", r.Window.String())
}

func TestParseObjectives(t *testing.T) {
	got, err := ParseObjectives(" 99.9, 99,99.5%, 99 ")
	require.NoError(t, err)
	require.Equal(t, []float64{0.99, 0.995, 0.999}, got)
	got, err = ParseObjectives("")
	require.NoError(t, err)
	require.Nil(t, got)
	for _, bad := range []string{"0", "100", "-1", "99,x", "NaN", ",,"} {
		_, err := ParseObjectives(bad)
		require.Error(t, err, bad)
	}
}
