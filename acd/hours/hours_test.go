package hours

import (
	"errors"
	"testing"
	"time"

	"callbox/firmware/store"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func weekdays(start, end string) []Range {
	var r []Range
	for d := time.Monday; d <= time.Friday; d++ {
		r = append(r, Range{Day: d, Start: start, End: end})
	}
	return r
}

func mustNew(t *testing.T, loc *time.Location, w []Range, h []Holiday) *Schedule {
	t.Helper()
	s, err := New(loc, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchedule_OpenFollowsWeeklyRangesAndHolidays(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	week := append(weekdays("09:00", "18:00"),
		Range{Day: time.Friday, Start: "22:00", End: "06:00"}, // overnight
		Range{Day: time.Saturday, Start: "20:00", End: "24:00"},
	)
	s := mustNew(t, sh, week, []Holiday{
		{Name: "national day", From: "2026-10-01", To: "2026-10-07"},
		{Name: "new year", From: "12-31", To: "01-01"}, // yearly, wraps
		{Name: "labour day", From: "05-01"},            // yearly, one day
		{Name: "one-off", From: "2026-11-14"},          // a Saturday: cuts the overnight tail
	})
	cases := []struct {
		at   string
		open bool
	}{
		{"2026-11-25 08:59", false}, // Wednesday
		{"2026-11-25 09:00", true},
		{"2026-11-25 17:59", true},
		{"2026-11-25 18:00", false},
		{"2026-11-28 05:59", true},  // Saturday, tail of Friday night
		{"2026-11-28 06:00", false}, // tail ends
		{"2026-11-27 23:30", true},  // Friday night
		{"2026-11-28 23:59", true},  // Saturday until 24:00
		{"2026-11-29 00:00", false}, // Sunday
		{"2026-10-05 10:00", false}, // Monday in national day
		{"2026-10-08 10:00", true},  // Thursday after it
		{"2027-12-31 10:00", false}, // yearly, Friday
		{"2028-01-01 00:30", false}, // yearly, wraps over New Year
		{"2030-05-01 10:00", false}, // yearly labour day, Wednesday
		{"2030-05-02 10:00", true},
		{"2026-11-14 01:00", false}, // one-off Saturday holiday beats Friday's tail
		{"2026-11-13 23:00", true},  // Friday night before it is still open
	}
	for _, c := range cases {
		if got := s.Open(at(sh, c.at)); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.at, got, c.open)
		}
	}
	if name, ok := s.Holiday(at(sh, "2026-10-03 12:00")); !ok || name != "national day" {
		t.Errorf("Holiday = %q %v", name, ok)
	}
	// The same instant judged in UTC terms: 2026-11-25 01:30 UTC is 09:30
	// in Shanghai.
	if !s.Open(time.Date(2026, 11, 25, 1, 30, 0, 0, time.UTC)) {
		t.Error("zone not applied to a UTC instant")
	}
}

func TestSchedule_NextChangeAcrossWeekendAndHoliday(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	s := mustNew(t, sh, weekdays("09:00", "18:00"), []Holiday{{From: "2026-10-01", To: "2026-10-07"}})
	cases := []struct{ from, want string }{
		{"2026-11-27 17:00", "2026-11-27 18:00"}, // Friday close
		{"2026-11-27 19:00", "2026-11-30 09:00"}, // Monday open
		{"2026-09-30 12:00", "2026-09-30 18:00"},
		{"2026-09-30 18:00", "2026-10-08 09:00"}, // over the holiday week
	}
	for _, c := range cases {
		got, ok := s.NextChange(at(sh, c.from))
		if !ok || !got.Equal(at(sh, c.want)) {
			t.Errorf("NextChange(%s) = %v %v, want %s", c.from, got.In(sh), ok, c.want)
		}
	}
}

func TestSchedule_NextChangeHolidayCutsOpenDayAtMidnight(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	s := mustNew(t, sh, []Range{{Day: time.Friday, Start: "20:00", End: "04:00"}}, []Holiday{{From: "2026-11-28"}})
	got, ok := s.NextChange(at(sh, "2026-11-27 21:00"))
	if !ok || !got.Equal(at(sh, "2026-11-28 00:00")) {
		t.Fatalf("got %v %v", got.In(sh), ok)
	}
}

func TestSchedule_NeverChangingReportsNoChange(t *testing.T) {
	closed := mustNew(t, time.UTC, nil, nil)
	if _, ok := closed.NextChange(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Error("always closed reported a change")
	}
	var all []Range
	for d := time.Sunday; d <= time.Saturday; d++ {
		all = append(all, Range{Day: d, Start: "00:00", End: "24:00"})
	}
	open := mustNew(t, time.UTC, all, nil)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if !open.Open(now) {
		t.Fatal("24x7 closed")
	}
	if _, ok := open.NextChange(now); ok {
		t.Error("24x7 reported a change")
	}
}

// New York leaves EST on 2026-03-08 at 02:00 (clocks jump to 03:00) and
// returns on 2026-11-01 at 02:00 (clocks go back to 01:00).
func TestSchedule_NewYorkSpringForwardOpensAtTheJump(t *testing.T) {
	ny := zone(t, "America/New_York")
	s := mustNew(t, ny, []Range{{Day: time.Sunday, Start: "02:30", End: "05:00"}}, nil)
	before := time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC) // 01:59 EST
	if s.Open(before) {
		t.Fatal("open before the jump")
	}
	got, ok := s.NextChange(before)
	want := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC) // 03:00 EDT
	if !ok || !got.Equal(want) {
		t.Fatalf("NextChange = %v %v, want %v", got, ok, want)
	}
	if !s.Open(want) {
		t.Fatal("closed after the jump")
	}
	got, _ = s.NextChange(want)
	if want := time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC); !got.Equal(want) { // 05:00 EDT
		t.Fatalf("close = %v, want %v", got, want)
	}
}

func TestSchedule_NewYorkFallBackReopensInTheRepeatedHour(t *testing.T) {
	ny := zone(t, "America/New_York")
	s := mustNew(t, ny, []Range{{Day: time.Sunday, Start: "00:00", End: "01:30"}}, nil)
	first := time.Date(2026, 11, 1, 5, 40, 0, 0, time.UTC) // 01:40 EDT
	if s.Open(first) {
		t.Fatal("open at 01:40 EDT")
	}
	got, ok := s.NextChange(first)
	back := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC) // 01:00 EST, the clock went back
	if !ok || !got.Equal(back) {
		t.Fatalf("NextChange = %v %v, want %v", got, ok, back)
	}
	got, _ = s.NextChange(back)
	if want := time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC); !got.Equal(want) { // 01:30 EST
		t.Fatalf("second close = %v, want %v", got, want)
	}
	// Nine hours on the wall clock last ten in fact on the day the clock goes back.
	day := mustNew(t, ny, []Range{{Day: time.Sunday, Start: "00:00", End: "09:00"}}, nil)
	open := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC) // 00:00 EDT
	closeAt, _ := day.NextChange(open)
	if d := closeAt.Sub(open); d != 10*time.Hour {
		t.Fatalf("open for %v, want 10h of real time", d)
	}
}

// TestSchedule_NextChangeMatchesMinuteScan checks NextChange against the
// plain definition: step a minute at a time until Open differs.
func TestSchedule_NextChangeMatchesMinuteScan(t *testing.T) {
	for _, name := range []string{"America/New_York", "Asia/Shanghai", "Europe/London", "Australia/Lord_Howe"} {
		loc := zone(t, name)
		s := mustNew(t, loc, append(weekdays("08:30", "12:00"),
			Range{Day: time.Monday, Start: "13:00", End: "02:30"},
			Range{Day: time.Saturday, Start: "01:30", End: "03:00"},
			Range{Day: time.Sunday, Start: "23:00", End: "01:15"},
		), []Holiday{{From: "03-11"}, {From: "2026-10-27", To: "2026-10-28"}})
		for _, start := range []time.Time{
			time.Date(2026, 3, 6, 0, 7, 0, 0, time.UTC),
			time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 4, 3, 11, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 30, 5, 0, 0, 0, time.UTC),
		} {
			now := start
			for range 12 {
				got, ok := s.NextChange(now)
				want := now
				was := s.Open(now)
				for {
					// Changes fall on whole minutes in these zones
					// (Lord Howe shifts by 30 minutes).
					want = want.Truncate(time.Minute).Add(time.Minute)
					if s.Open(want) != was {
						break
					}
				}
				if !ok || !got.Equal(want) {
					t.Fatalf("%s from %v: NextChange = %v %v, scan says %v", name, now.In(loc), got.In(loc), ok, want.In(loc))
				}
				now = got
			}
		}
	}
}

func TestNew_RefusesBadRangesAndDates(t *testing.T) {
	bad := []struct {
		w []Range
		h []Holiday
	}{
		{w: []Range{{Day: 7, Start: "09:00", End: "10:00"}}},
		{w: []Range{{Day: 1, Start: "9:00", End: "10:00"}}},
		{w: []Range{{Day: 1, Start: "09:00", End: "24:01"}}},
		{w: []Range{{Day: 1, Start: "24:00", End: "10:00"}}},
		{w: []Range{{Day: 1, Start: "09:60", End: "10:00"}}},
		{h: []Holiday{{From: "2026-02-30"}}},
		{h: []Holiday{{From: "2026-10-07", To: "2026-10-01"}}},
		{h: []Holiday{{From: "10-01", To: "2026-10-07"}}},
		{h: []Holiday{{From: "13-01"}}},
		{h: []Holiday{{From: "tomorrow"}}},
	}
	for i, b := range bad {
		if _, err := New(time.UTC, b.w, b.h); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: err = %v, want ErrInvalid", i, err)
		}
	}
}

func TestFromStore_UsesTheRecordZoneOverTheSite(t *testing.T) {
	rec := store.Hours{Name: "office", TimeZone: "Asia/Shanghai",
		Weekly:   []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}},
		Holidays: []store.Holiday{{From: "2026-12-07"}}}
	s, err := FromStore(rec, zone(t, "America/New_York"))
	if err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC) // 10:00 Monday in Shanghai
	if !s.Open(mon) {
		t.Error("closed on Monday morning in Shanghai")
	}
	if s.Open(mon.AddDate(0, 0, 7)) {
		t.Error("open on the holiday")
	}
	rec.TimeZone = "Mars/Olympus"
	if _, err := FromStore(rec, time.UTC); !errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v", err)
	}
}

func FuzzNew(f *testing.F) {
	f.Add("09:00", "18:00", "2026-10-01", "2026-10-07")
	f.Add("22:00", "06:00", "12-31", "01-02")
	f.Add("24:00", "xx", "02-29", "")
	f.Fuzz(func(t *testing.T, start, end, from, to string) {
		s, err := New(time.UTC, []Range{{Day: time.Monday, Start: start, End: end}}, []Holiday{{From: from, To: to}})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		if next, ok := s.NextChange(now); ok && !next.After(now) {
			t.Fatalf("NextChange %v not after %v", next, now)
		}
	})
}

// FuzzFromStore_AgreesWithTheRecord: every schedule the store accepts
// compiles here, and the switch (Schedule.Open) and the record's own
// reading (store.Hours.Open, for pages) agree on when it is open.
func FuzzFromStore_AgreesWithTheRecord(f *testing.F) {
	f.Add(uint8(5), "22:00", "06:00", "12-25", "", int64(0))
	f.Add(uint8(1), "09:00", "18:00", "2026-10-01", "2026-10-07", int64(3600*30))
	f.Add(uint8(3), "00:00", "24:00", "12-31", "01-02", int64(3600*24*40))
	f.Fuzz(func(t *testing.T, day uint8, start, end, from, to string, offset int64) {
		rec := store.Hours{Name: "h", Weekly: []store.WeeklyRange{{Day: time.Weekday(day % 7), Start: start, End: end}},
			Holidays: []store.Holiday{{From: from, To: to}}}
		if rec.Validate() != nil {
			return
		}
		s, err := FromStore(rec, time.UTC)
		if err != nil {
			t.Fatalf("the store accepts %+v but the schedule refuses it: %v", rec, err)
		}
		base := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
		for _, at := range []time.Time{base.Add(time.Duration(offset%(3600*24*400)) * time.Second), base, base.AddDate(0, 0, 12)} {
			for h := 0; h < 48; h += 5 {
				t0 := at.Add(time.Duration(h) * time.Hour)
				if s.Open(t0) != rec.Open(t0, time.UTC) {
					t.Fatalf("%+v at %v: schedule %v, record %v", rec, t0, s.Open(t0), rec.Open(t0, time.UTC))
				}
			}
		}
	})
}
