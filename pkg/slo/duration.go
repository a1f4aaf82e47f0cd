package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// ParseDuration reads a Prometheus-style duration ("5m", "28d", "1w", "1h30m").
// Months ("M") are refused: a month is not a fixed duration.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if strings.Contains(s, "M") {
		return 0, fmt.Errorf("duration %q: %q means months, which have no fixed length; use a calendar window or days (d)", s, "M")
	}
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return time.Duration(d), nil
}

// FormatDuration renders a duration the Prometheus way, whole days in days ("28d", "1h", "90s").
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	const day = 24 * time.Hour
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return model.Duration(d).String()
}
