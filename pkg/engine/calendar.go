package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/nines-slo/nines/pkg/series"
	"github.com/nines-slo/nines/pkg/slo"
)

// SLOLocation returns the time zone of an SLO's calendar window.
func SLOLocation(s *slo.SLO) (*time.Location, error) {
	loc, err := series.Location(s.Window.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
	}
	return loc, nil
}

const day = 24 * time.Hour

// ZoneGrid returns the largest duration g dividing a day such that every local
// midnight and every zone transition of loc between from and to lies on a multiple of g
// since the Unix epoch: 24h for UTC, 1h for whole-hour zones (also across daylight-saving
// changes), 30m or 15m for zones such as Asia/Kolkata or Asia/Kathmandu.
func ZoneGrid(loc *time.Location, from, to time.Time) time.Duration {
	g := int64(day / time.Second)
	add := func(sec int64) {
		sec %= int64(day / time.Second)
		if sec < 0 {
			sec = -sec
		}
		g = gcd(g, sec)
	}
	t := from.Add(-93 * day) // the periods start before from
	for i := 0; i < 10000 && t.Before(to.Add(day)); i++ {
		_, off := t.In(loc).Zone()
		add(int64(off))
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.After(t) || !end.Before(to.Add(day)) {
			break
		}
		add(end.Unix())
		t = end
	}
	if g <= 0 {
		g = int64(MinStep / time.Second)
	}
	return time.Duration(g) * time.Second
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// CalendarStep picks the bucket size for calendar periods in loc: the largest nice step
// not above want that divides the zone grid (so every period boundary is on the grid)
// and, for timeslices, is a multiple of the slice length.
func CalendarStep(s *slo.SLO, want time.Duration, loc *time.Location, from, to time.Time) (time.Duration, error) {
	g := ZoneGrid(loc, from, to)
	step := SliceStep(s, min(want, g), g)
	if g%step != 0 {
		return 0, fmt.Errorf("SLO %s: slice length %s does not divide the calendar grid %s of %s", s.Name, slo.FormatDuration(s.Budgeting.SliceLength), g, loc)
	}
	return step, nil
}

// CalendarCounts returns, at every output time between from and to (spaced by about
// interval), the counts of the calendar period to date: the budget resets at each period
// boundary. It fetches the buckets once, from the start of the first period.
func (e *Engine) CalendarCounts(ctx context.Context, s *slo.SLO, from, to time.Time, interval time.Duration) (*Rolling, error) {
	loc, err := SLOLocation(s)
	if err != nil {
		return nil, err
	}
	if interval < MinStep {
		interval = MinStep
	}
	unit := s.Window.Unit
	step, err := CalendarStep(s, interval, loc, from, to)
	if err != nil {
		return nil, err
	}
	times := outputTimes(from, to, interval, step)
	first, end := times[0], times[len(times)-1]
	start, err := series.PeriodStart(first, unit, loc)
	if err != nil {
		return nil, err
	}
	fetchFrom := series.Align(start, step)
	if !end.After(fetchFrom) {
		end = fetchFrom.Add(step)
	}
	f, err := e.Counts(ctx, s, fetchFrom, end, step)
	if err != nil {
		return nil, err
	}
	cs := make([]series.Counts, len(times))
	for i, t := range times {
		if cs[i], _, err = f.Buckets.ToDate(t, unit, loc); err != nil {
			return nil, fmt.Errorf("SLO %s: %w", s.Name, err)
		}
	}
	return &Rolling{Times: times, Windows: []time.Duration{0}, Counts: [][]series.Counts{cs}, Step: step, Fetched: f}, nil
}
