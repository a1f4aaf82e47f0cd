package series

import (
	"fmt"
	"time"
)

// Period is a [Start, End) span of a calendar period; Partial marks one cut
// short by the requested range.
type Period struct {
	Start, End time.Time
	Partial    bool
}

// Unit is a calendar unit: the length of a calendar period.
type Unit string

// Calendar units accepted by Periods and PeriodStart.
const (
	Day     Unit = "day"
	Week    Unit = "week"
	Month   Unit = "month"
	Quarter Unit = "quarter"
	Year    Unit = "year"
)

// Location loads an IANA time zone; the empty name is UTC.
func Location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}

// PeriodEnd returns the end of the calendar period starting at start: the start of
// the next one.
func PeriodEnd(start time.Time, unit Unit, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s, err := PeriodStart(start, unit, loc)
	if err != nil {
		return time.Time{}, err
	}
	return nextStart(s, unit, loc), nil
}

// ToDate returns the counts of the calendar period containing t, from its start to t
// (period to date), and the period's start; both must lie on the bucket grid.
func (b *Buckets) ToDate(t time.Time, unit Unit, loc *time.Location) (Counts, time.Time, error) {
	ps, err := PeriodStart(t, unit, loc)
	if err != nil {
		return Counts{}, ps, err
	}
	c, err := b.Between(ps, t)
	return c, ps, err
}

// PeriodStart returns the start of the calendar period containing t in loc.
//
// unit is "day", "week" (ISO: Monday 00:00), "month", "quarter" or "year"; a
// nil loc means UTC. The start is the first instant of the period's first
// local day, also where midnight falls into a daylight-saving gap.
func PeriodStart(t time.Time, unit Unit, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	var s time.Time
	switch unit {
	case Day:
		s = dayStart(y, m, d, loc)
	case Week:
		s = dayStart(y, m, d-(int(lt.Weekday())+6)%7, loc)
	case Month:
		s = dayStart(y, m, 1, loc)
	case Quarter:
		s = dayStart(y, m-(m-1)%3, 1, loc)
	case Year:
		s = dayStart(y, time.January, 1, loc)
	default:
		return time.Time{}, fmt.Errorf("series: unknown calendar unit %q (want day, week, month, quarter or year)", unit)
	}
	return s, nil
}

// nextStart returns the start of the period after the one starting at s.
func nextStart(s time.Time, unit Unit, loc *time.Location) time.Time {
	// s may be the end of a DST gap (01:00), but its local date is always the
	// period's first day: dayStart never returns an instant of the day before.
	y, m, d := s.In(loc).Date()
	switch unit {
	case Day:
		return dayStart(y, m, d+1, loc)
	case Week:
		return dayStart(y, m, d+7, loc)
	case Month:
		return dayStart(y, m+1, 1, loc)
	case Quarter:
		return dayStart(y, m+3, 1, loc)
	default: // Year
		return dayStart(y+1, time.January, 1, loc)
	}
}

// dayStart returns the first instant of the local day y-m-d (normalised) in loc.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	if gy, gm, gd := t.Date(); gy != wy || gm != wm || gd != wd {
		// Midnight does not exist (the clocks jump from 24:00 to 01:00) and
		// time.Date resolved it to the previous evening: the day starts at the
		// zone transition that follows.
		if _, end := t.ZoneBounds(); !end.IsZero() && end.After(t) {
			return end
		}
	}
	return t
}

// Periods splits [from, to) at the calendar boundaries of unit in loc.
//
// The first and last periods are cut to the range and flagged Partial when the
// range does not start or end on a boundary. from == to gives no periods.
func Periods(from, to time.Time, unit Unit, loc *time.Location) ([]Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	s, err := PeriodStart(from, unit, loc)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, fmt.Errorf("series: period range end %s is before its start %s",
			to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var out []Period
	for s.Before(to) {
		e := nextStart(s, unit, loc)
		if !e.After(s) { // cannot happen with a sane zone database; never loop
			return nil, fmt.Errorf("series: calendar %s after %s does not advance in %s", unit, s.Format(time.RFC3339), loc)
		}
		p := Period{Start: s, End: e}
		if p.Start.Before(from) {
			p.Start, p.Partial = from, true
		}
		if p.End.After(to) {
			p.End, p.Partial = to, true
		}
		out = append(out, p)
		s = e
	}
	return out, nil
}
