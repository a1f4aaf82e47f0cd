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
	// CacheMB bounds the memory of the cache of past chunks, in MB; 0 turns it off, unset
	// means 128.
	CacheMB *int `json:"cacheMB"`
	// CacheEntries is the former, entry-counted cache size: 0 still turns the cache off
	// when cacheMB is unset; other values are ignored (the cache is bounded by cacheMB).
	CacheEntries *int `json:"cacheEntries"`
	// RawReads, unless false, lets Nines read the raw samples of long windows through
	// Prometheus's remote-read API instead of evaluating them there (same figures, less
	// work); only a source found to be a Prometheus engine is asked, and the first failure
	// turns it off until the data source is reloaded.
	RawReads *bool `json:"rawReads"`
	// MaxQueryLength is the longest span of one request to the metrics source, e.g. "30d"
	// for a Mimir, Cortex or Thanos with max_query_length 30d; empty means no bound.
	MaxQueryLength string `json:"maxQueryLength"`
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
	// DefaultCacheMB is the cache size when cacheMB is unset: it holds the chunks of a
	// refresh of a 1,000-SLO status panel.
	DefaultCacheMB = 128
	// MaxCacheMB is the largest cacheMB accepted.
	MaxCacheMB = 16384
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
	if out.CacheMB != nil && (*out.CacheMB < 0 || *out.CacheMB > MaxCacheMB) {
		return out, fmt.Errorf("settings: cacheMB must be between 0 (off) and %d, got %d", MaxCacheMB, *out.CacheMB)
	}
	if _, err := out.QueryLength(); err != nil {
		return out, err
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

// RawReadsOn tells whether raw reads are allowed (rawReads unset or true).
func (s Settings) RawReadsOn() bool { return s.RawReads == nil || *s.RawReads }

// CacheBytes returns the memory bound of the cache of past chunks, 0 when it is off.
func (s Settings) CacheBytes() int64 {
	switch {
	case s.CacheMB != nil:
		return int64(*s.CacheMB) << 20
	case s.CacheEntries != nil && *s.CacheEntries == 0:
		return 0 // turned off the former way
	}
	return DefaultCacheMB << 20
}

// QueryLength returns the longest span of one request (maxQueryLength), 0 when unbounded.
func (s Settings) QueryLength() (time.Duration, error) {
	return settingDuration("maxQueryLength", s.MaxQueryLength, time.Hour, 10*365*24*time.Hour)
}

// MaxBodyBytes is the cap on one answer of the metrics source, in bytes.
func (s Settings) MaxBodyBytes() int64 {
	if s.MaxResponseMB == 0 {
		return source.DefaultMaxBodyBytes
	}
	return int64(s.MaxResponseMB) << 20
}
