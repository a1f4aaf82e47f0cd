package plugin

import (
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"
)

func TestSettingsCacheAndQueryLength(t *testing.T) {
	cases := []struct {
		name, json  string
		err         string
		cacheBytes  int64
		queryLength time.Duration
	}{
		{"defaults", `{}`, "", DefaultCacheMB << 20, 0},
		{"cacheMB", `{"cacheMB": 256}`, "", 256 << 20, 0},
		{"cacheMB 0 turns the cache off", `{"cacheMB": 0}`, "", 0, 0},
		{"former cacheEntries 0 still turns it off", `{"cacheEntries": 0}`, "", 0, 0},
		{"former cacheEntries otherwise ignored", `{"cacheEntries": 20000}`, "", DefaultCacheMB << 20, 0},
		{"cacheMB wins over cacheEntries", `{"cacheEntries": 0, "cacheMB": 64}`, "", 64 << 20, 0},
		{"negative cacheMB", `{"cacheMB": -1}`, "cacheMB must be between 0 (off) and 16384, got -1", 0, 0},
		{"huge cacheMB", `{"cacheMB": 100000}`, "cacheMB must be between", 0, 0},
		{"maxQueryLength", `{"maxQueryLength": "30d"}`, "", DefaultCacheMB << 20, 30 * 24 * time.Hour},
		{"maxQueryLength in hours", `{"maxQueryLength": "768h"}`, "", DefaultCacheMB << 20, 768 * time.Hour},
		{"bad maxQueryLength", `{"maxQueryLength": "a month"}`, `maxQueryLength "a month" is not a duration`, 0, 0},
		{"too short maxQueryLength", `{"maxQueryLength": "5m"}`, `maxQueryLength "5m" must be between 1h and`, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(c.json)})
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.cacheBytes, s.CacheBytes())
			ql, err := s.QueryLength()
			require.NoError(t, err)
			require.Equal(t, c.queryLength, ql)
		})
	}
}
