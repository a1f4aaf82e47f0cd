package plugin

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/prometheus/common/model"

	"github.com/nines-slo/nines/pkg/source"
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
	// RangeSemantics is how per-bucket counter growth is asked for: "auto" (probe the
	// source, the default), "lastSample" (any source), "anchored" (Prometheus 3 with
	// extended range selectors) or "lookbehind" (VictoriaMetrics); "closed" and
	// "leftOpen" (earlier versions) mean "lastSample".
	RangeSemantics string `json:"rangeSemantics"`
	// TimeInterval is Grafana's "Scrape interval" of Prometheus data sources, e.g. "30s".
	TimeInterval string `json:"timeInterval"`
	// MaxResponseMB caps the size of one answer of the metrics source, in MB; unset means 64.
	MaxResponseMB int `json:"maxResponseMB"`
	// MaxGap is the longest monitoring gap whose counter growth is still counted, e.g. "1h".
	MaxGap string `json:"maxGap"`
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
	case "", "auto", "lastSample", "anchored", "lookbehind", "closed", "leftOpen":
	default:
		return out, fmt.Errorf("settings: rangeSemantics must be auto, lastSample, anchored or lookbehind, got %q", out.RangeSemantics)
	}
	if _, err := out.ScrapeInterval(); err != nil {
		return out, err
	}
	if _, err := out.Gap(); err != nil {
		return out, err
	}
	if out.MaxResponseMB < 0 || out.MaxResponseMB > 1024 {
		return out, fmt.Errorf("settings: maxResponseMB must be between 1 and 1024, got %d", out.MaxResponseMB)
	}
	if out.CacheEntries != nil && *out.CacheEntries < 0 {
		return out, fmt.Errorf("settings: cacheEntries must not be negative, got %d", *out.CacheEntries)
	}
	return out, nil
}

// DefaultMaxGap is the longest monitoring gap bridged when maxGap is unset.
const DefaultMaxGap = time.Hour

// ScrapeInterval returns the scrape interval set as timeInterval, 0 when unset.
func (s Settings) ScrapeInterval() (time.Duration, error) {
	return settingDuration("timeInterval", s.TimeInterval, time.Second, 24*time.Hour)
}

// Gap returns the longest monitoring gap whose growth is counted.
func (s Settings) Gap() (time.Duration, error) {
	d, err := settingDuration("maxGap", s.MaxGap, time.Minute, 7*24*time.Hour)
	if err != nil || d == 0 {
		return DefaultMaxGap, err
	}
	return d, nil
}

// settingDuration parses a duration setting such as "30s" or "1h" (Prometheus syntax), 0 when empty.
func settingDuration(name, v string, lo, hi time.Duration) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := model.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("settings: %s %q is not a duration such as 30s or 1h", name, v)
	}
	if time.Duration(d) < lo || time.Duration(d) > hi {
		return 0, fmt.Errorf("settings: %s %q must be between %s and %s", name, v, model.Duration(lo), model.Duration(hi))
	}
	return time.Duration(d), nil
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

// MaxBodyBytes is the cap on one answer of the metrics source, in bytes.
func (s Settings) MaxBodyBytes() int64 {
	if s.MaxResponseMB == 0 {
		return source.DefaultMaxBodyBytes
	}
	return int64(s.MaxResponseMB) << 20
}
