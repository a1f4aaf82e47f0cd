package series

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests do not depend on the host's zone database
)

func utc(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func TestPeriodStart(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	santiago := mustLoc(t, "America/Santiago")
	tests := []struct {
		name string
		t    time.Time
		unit Unit
		loc  *time.Location
		want time.Time
	}{
		// 2024-03-31 is the Berlin spring-forward Sunday (02:00 CET -> 03:00 CEST).
		{"berlin day on DST day", time.Date(2024, 3, 31, 12, 0, 0, 0, berlin), Day, berlin, utc(2024, 3, 30, 23)},
		{"berlin week", time.Date(2024, 3, 31, 12, 0, 0, 0, berlin), Week, berlin, utc(2024, 3, 24, 23)},
		{"berlin month", time.Date(2024, 3, 31, 12, 0, 0, 0, berlin), Month, berlin, utc(2024, 2, 29, 23)},
		{"berlin quarter", time.Date(2024, 3, 31, 12, 0, 0, 0, berlin), Quarter, berlin, utc(2023, 12, 31, 23)},
		{"berlin quarter Q2 in summer time", time.Date(2024, 5, 20, 8, 0, 0, 0, berlin), Quarter, berlin, utc(2024, 3, 31, 22)},
		{"berlin year", time.Date(2024, 7, 1, 0, 0, 0, 0, berlin), Year, berlin, utc(2023, 12, 31, 23)},
		// A UTC instant that is already the next day in Berlin.
		{"zone decides the day", utc(2024, 4, 30, 22), Month, berlin, utc(2024, 4, 30, 22)},
		{"same instant in UTC", utc(2024, 4, 30, 22), Month, time.UTC, utc(2024, 4, 1, 0)},
		// Sunday late evening belongs to the ISO week that began on Monday.
		{"ny week from sunday night", time.Date(2024, 3, 10, 23, 30, 0, 0, ny), Week, ny, utc(2024, 3, 4, 5)},
		{"ny week on monday midnight", time.Date(2024, 3, 11, 0, 0, 0, 0, ny), Week, ny, utc(2024, 3, 11, 4)},
		{"nil loc is UTC", utc(2024, 2, 14, 13), Month, nil, utc(2024, 2, 1, 0)},
		// Santiago skips 2016-08-14 00:00 (-04 -> 01:00 -03): the day starts
		// at 04:00Z, not at 23:00 of the 13th as a bare time.Date gives.
		{"midnight in a DST gap", time.Date(2016, 8, 14, 12, 0, 0, 0, santiago), Day, santiago, utc(2016, 8, 14, 4)},
	}
	for _, tt := range tests {
		got, err := PeriodStart(tt.t, tt.unit, tt.loc)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: PeriodStart = %v, %v; want %v", tt.name, got.UTC(), err, tt.want)
		}
	}
	if _, err := PeriodStart(t0, "fortnight", time.UTC); err == nil || !strings.Contains(err.Error(), `"fortnight"`) {
		t.Errorf("unknown unit: err = %v", err)
	}
}

func TestPeriods(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	santiago := mustLoc(t, "America/Santiago")
	type p = Period
	tests := []struct {
		name     string
		from, to time.Time
		unit     Unit
		loc      *time.Location
		want     []Period
	}{
		{"berlin days across spring DST (23h day)",
			time.Date(2024, 3, 30, 0, 0, 0, 0, berlin), time.Date(2024, 4, 1, 0, 0, 0, 0, berlin), Day, berlin,
			[]Period{{utc(2024, 3, 29, 23), utc(2024, 3, 30, 23), false}, {utc(2024, 3, 30, 23), utc(2024, 3, 31, 22), false}}},
		{"berlin day across autumn DST (25h day)",
			time.Date(2024, 10, 27, 0, 0, 0, 0, berlin), time.Date(2024, 10, 28, 0, 0, 0, 0, berlin), Day, berlin,
			[]Period{{utc(2024, 10, 26, 22), utc(2024, 10, 27, 23), false}}},
		{"berlin weeks across autumn DST (169h week)",
			time.Date(2024, 10, 21, 0, 0, 0, 0, berlin), time.Date(2024, 11, 4, 0, 0, 0, 0, berlin), Week, berlin,
			[]Period{{utc(2024, 10, 20, 22), utc(2024, 10, 27, 23), false}, {utc(2024, 10, 27, 23), utc(2024, 11, 3, 23), false}}},
		{"berlin months, partial at both ends",
			time.Date(2024, 3, 15, 0, 0, 0, 0, berlin), time.Date(2024, 5, 10, 0, 0, 0, 0, berlin), Month, berlin,
			[]Period{{utc(2024, 3, 14, 23), utc(2024, 3, 31, 22), true}, {utc(2024, 3, 31, 22), utc(2024, 4, 30, 22), false}, {utc(2024, 4, 30, 22), utc(2024, 5, 9, 22), true}}},
		{"ny march is 743h",
			time.Date(2024, 3, 1, 0, 0, 0, 0, ny), time.Date(2024, 4, 1, 0, 0, 0, 0, ny), Month, ny,
			[]Period{{utc(2024, 3, 1, 5), utc(2024, 4, 1, 4), false}}},
		{"ny november is 721h",
			time.Date(2024, 11, 1, 0, 0, 0, 0, ny), time.Date(2024, 12, 1, 0, 0, 0, 0, ny), Month, ny,
			[]Period{{utc(2024, 11, 1, 4), utc(2024, 12, 1, 5), false}}},
		{"ny quarters",
			time.Date(2024, 2, 10, 0, 0, 0, 0, ny), time.Date(2024, 7, 1, 0, 0, 0, 0, ny), Quarter, ny,
			[]Period{{utc(2024, 2, 10, 5), utc(2024, 4, 1, 4), true}, {utc(2024, 4, 1, 4), utc(2024, 7, 1, 4), false}}},
		{"utc quarter across new year, partial start",
			utc(2023, 11, 15, 0), utc(2024, 1, 1, 0), Quarter, time.UTC,
			[]Period{{utc(2023, 11, 15, 0), utc(2024, 1, 1, 0), true}}},
		{"utc years",
			utc(2023, 1, 1, 0), utc(2024, 6, 1, 0), Year, nil,
			[]Period{{utc(2023, 1, 1, 0), utc(2024, 1, 1, 0), false}, {utc(2024, 1, 1, 0), utc(2024, 6, 1, 0), true}}},
		{"santiago days around a midnight gap",
			time.Date(2016, 8, 13, 0, 0, 0, 0, santiago), time.Date(2016, 8, 15, 0, 0, 0, 0, santiago), Day, santiago,
			[]Period{{utc(2016, 8, 13, 4), utc(2016, 8, 14, 4), false}, {utc(2016, 8, 14, 4), utc(2016, 8, 15, 3), false}}},
		{"empty range", utc(2024, 1, 1, 0), utc(2024, 1, 1, 0), Month, time.UTC, nil},
		{"range inside one period",
			utc(2024, 1, 3, 0), utc(2024, 1, 4, 0), Week, time.UTC,
			[]Period{{utc(2024, 1, 3, 0), utc(2024, 1, 4, 0), true}}},
	}
	for _, tt := range tests {
		got, err := Periods(tt.from, tt.to, tt.unit, tt.loc)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %d periods %v, want %v", tt.name, len(got), got, tt.want)
			continue
		}
		for i := range got {
			g, w := got[i], tt.want[i]
			if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Partial != w.Partial {
				t.Errorf("%s: period %d = [%v, %v) partial %v; want [%v, %v) partial %v",
					tt.name, i, g.Start.UTC(), g.End.UTC(), g.Partial, w.Start, w.End, w.Partial)
			}
		}
	}
	// Durations spelled out for the DST cases above.
	ps, _ := Periods(time.Date(2024, 3, 1, 0, 0, 0, 0, ny), time.Date(2024, 4, 1, 0, 0, 0, 0, ny), Month, ny)
	if d := ps[0].End.Sub(ps[0].Start); d != 743*time.Hour {
		t.Errorf("NY March lasts %v, want 743h", d)
	}

	if _, err := Periods(utc(2024, 2, 1, 0), utc(2024, 1, 1, 0), Month, time.UTC); err == nil {
		t.Error("reversed range: expected an error")
	}
	if _, err := Periods(utc(2024, 1, 1, 0), utc(2024, 2, 1, 0), "1M", time.UTC); err == nil {
		t.Error("unknown unit: expected an error")
	}
}
