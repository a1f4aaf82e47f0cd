package plugin

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Settings are the data source's options from jsonData (secrets live in secureJsonData
// and reach the HTTP client only).
type Settings struct {
	// URL is the metrics source's base URL.
	URL string `json:"-"`
	// Timeout is the per-request timeout in seconds (Grafana's usual "timeout" field).
	Timeout float64 `json:"timeout"`
	// MaxConcurrency bounds the requests in flight to the metrics source.
	MaxConcurrency int `json:"maxConcurrency"`
	// DefinitionPaths are files or folders holding SLO definitions on the Grafana host.
	DefinitionPaths []string `json:"definitionPaths"`
	// Definitions is inline YAML holding SLO definitions.
	Definitions string `json:"definitions"`
	// CacheEntries is the size of the cache of past chunks; 0 turns it off, unset means 2000.
	CacheEntries *int `json:"cacheEntries"`
	// RangeSemantics is "auto" (probe the source, the default), "closed" (Prometheus 2.x,
	// VictoriaMetrics) or "leftOpen" (Prometheus 3.x and engines built on it).
	RangeSemantics string `json:"rangeSemantics"`
}

// Defaults for unset options.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxConcurrency = 4
	DefaultCacheEntries   = 2000
)

// LoadSettings reads the options of a data-source instance.
func LoadSettings(s backend.DataSourceInstanceSettings) (Settings, error) {
	var out Settings
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &out); err != nil {
			return out, fmt.Errorf("read data source settings (jsonData): %w", err)
		}
	}
	out.URL = s.URL
	if out.Timeout < 0 {
		return out, fmt.Errorf("settings: timeout must not be negative, got %v", out.Timeout)
	}
	if out.MaxConcurrency < 0 || out.MaxConcurrency > 64 {
		return out, fmt.Errorf("settings: maxConcurrency must be between 1 and 64, got %d", out.MaxConcurrency)
	}
	switch out.RangeSemantics {
	case "", "auto", "closed", "leftOpen":
	default:
		return out, fmt.Errorf("settings: rangeSemantics must be auto, closed or leftOpen, got %q", out.RangeSemantics)
	}
	if out.CacheEntries != nil && *out.CacheEntries < 0 {
		return out, fmt.Errorf("settings: cacheEntries must not be negative, got %d", *out.CacheEntries)
	}
	return out, nil
}

// TimeoutDuration returns the per-request timeout.
func (s Settings) TimeoutDuration() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return time.Duration(s.Timeout * float64(time.Second))
}

// Concurrency returns the bound on concurrent requests.
func (s Settings) Concurrency() int {
	if s.MaxConcurrency <= 0 {
		return DefaultMaxConcurrency
	}
	return s.MaxConcurrency
}

// Cache returns the number of cached chunks.
func (s Settings) Cache() int {
	if s.CacheEntries == nil {
		return DefaultCacheEntries
	}
	return *s.CacheEntries
}
