package source

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNonFiniteValuesWarn checks that NaN and infinite values are returned as they came
// but made visible: a warning names the first one, its time and the query.
func TestNonFiniteValuesWarn(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		name, values string
		want         string // "" for no warning
	}{
		{"NaN", `[[1767323040,"1"],[1767323100,"NaN"]]`,
			`the metrics source answered NaN at 2026-01-02T03:05:00Z for query "sum(x)"`},
		{"+Inf and -Inf", `[[1767323040,"+Inf"],[1767323100,"-Inf"]]`,
			`the metrics source answered +Inf at 2026-01-02T03:04:00Z for query "sum(x)" (and 1 more NaN or infinite value)`},
		{"finite", `[[1767323040,"1"],[1767323100,"-2"]]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.status, f.body = 200, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":`+tt.values+`}]}}`
			c := setup(t, f, Config{CacheEntries: 10, Now: func() time.Time { return at.Add(24 * time.Hour) }})
			for i := 0; i < 2; i++ { // the second call comes from the cache
				s, st, err := c.Range(context.Background(), "sum(x)", at, at.Add(time.Minute), time.Minute)
				require.NoError(t, err)
				require.Len(t, s.Values, 2)
				assert.Equal(t, tt.name == "NaN", math.IsNaN(s.Values[1]), "values are kept")
				assert.Equal(t, i, st.CacheHits)
				if tt.want == "" {
					assert.Empty(t, st.Warnings)
					continue
				}
				assert.Equal(t, []string{tt.want}, st.Warnings)
			}
			groups, st, err := c.RangeGroups(context.Background(), "sum(x)", at, at.Add(time.Minute), time.Minute)
			require.NoError(t, err)
			require.Len(t, groups, 1)
			if tt.want != "" {
				assert.Contains(t, st.Warnings, tt.want)
			}
		})
	}
}
