package hours

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/store"
)

// ErrInvalid marks a schedule that cannot be compiled.
var ErrInvalid = errors.New("hours: invalid schedule")

// Range is an opening time on one weekday, wall clock "HH:MM" to "HH:MM".
// An End not after Start runs overnight into the next day; End "24:00" is
// midnight at the end of Day.
type Range struct {
	Day   time.Weekday `json:"day"`
	Start string       `json:"start"`
	End   string       `json:"end"`
}

// Holiday closes whole days: From alone is one date, From to To (inclusive)
// a range. Dates are "YYYY-MM-DD", or "MM-DD" for a holiday every year (a
// yearly range may wrap over New Year).
type Holiday struct {
	Name string `json:"name,omitempty"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// span is an open interval of minutes from the start of a day. End may
// pass 1440 for overnight ranges; the part after midnight belongs to the
// next day's date.
type span struct{ start, end int }

// holiday is a parsed Holiday: absolute dates compare as yyyymmdd, yearly
// ones as mmdd.
type holiday struct {
	name     string
	yearly   bool
	from, to int
}

// Schedule is a compiled, immutable weekly schedule with holidays in one
// time zone.
type Schedule struct {
	loc      *time.Location
	week     [7][]span
	holidays []holiday
}

// New compiles a schedule in loc (UTC when nil).
func New(loc *time.Location, weekly []Range, holidays []Holiday) (*Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	s := &Schedule{loc: loc}
	var errs []error
	for i, r := range weekly {
		if r.Day < time.Sunday || r.Day > time.Saturday {
			errs = append(errs, fmt.Errorf("weekly[%d]: day %d out of range 0-6", i, r.Day))
			continue
		}
		start, err1 := parseClock(r.Start)
		end, err2 := parseClock(r.End)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("weekly[%d]: %w", i, err))
			continue
		}
		if start == 1440 {
			errs = append(errs, fmt.Errorf("weekly[%d]: start 24:00 is not a time of day", i))
			continue
		}
		if end <= start {
			end += 1440 // overnight
		}
		s.week[r.Day] = append(s.week[r.Day], span{start, end})
	}
	for i, h := range holidays {
		d, err := parseHoliday(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("holidays[%d]: %w", i, err))
			continue
		}
		s.holidays = append(s.holidays, d)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for d := range s.week {
		slices.SortFunc(s.week[d], func(a, b span) int { return a.start - b.start })
	}
	return s, nil
}

// FromStore compiles a store.Hours record. The record's own time zone wins
// over site, the box's zone.
func FromStore(h store.Hours, site *time.Location) (*Schedule, error) {
	loc := site
	if h.TimeZone != "" {
		l, err := time.LoadLocation(h.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("%w: time zone %q: %w", ErrInvalid, h.TimeZone, err)
		}
		loc = l
	}
	weekly := make([]Range, len(h.Weekly))
	for i, r := range h.Weekly {
		weekly[i] = Range{Day: r.Day, Start: r.Start, End: r.End}
	}
	hols := make([]Holiday, len(h.Holidays))
	for i, d := range h.Holidays {
		hols[i] = Holiday{Name: d.Name, From: d.From, To: d.To}
	}
	s, err := New(loc, weekly, hols)
	if err != nil {
		return nil, fmt.Errorf("hours %q: %w", h.Name, err)
	}
	return s, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

func parseClock(v string) (int, error) {
	hh, mm, ok := strings.Cut(v, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("time %q is not HH:MM", v)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %q is not HH:MM", v)
	}
	return h*60 + m, nil
}

func parseHoliday(h Holiday) (holiday, error) {
	from, yearly, err := parseDate(h.From)
	if err != nil {
		return holiday{}, err
	}
	to := from
	if h.To != "" {
		var toYearly bool
		to, toYearly, err = parseDate(h.To)
		if err != nil {
			return holiday{}, err
		}
		if toYearly != yearly {
			return holiday{}, fmt.Errorf("holiday %q mixes a yearly and a dated end", h.From+".."+h.To)
		}
		if !yearly && to < from {
			return holiday{}, fmt.Errorf("holiday ends %s before it starts %s", h.To, h.From)
		}
	}
	return holiday{name: h.Name, yearly: yearly, from: from, to: to}, nil
}

// parseDate reads "YYYY-MM-DD" as yyyymmdd or "MM-DD" as mmdd (yearly).
func parseDate(v string) (n int, yearly bool, err error) {
	switch len(v) {
	case 10:
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return 0, false, fmt.Errorf("date %q is not YYYY-MM-DD", v)
		}
		return t.Year()*10000 + int(t.Month())*100 + t.Day(), false, nil
	case 5:
		// A leap year accepts 02-29.
		t, err := time.Parse(time.DateOnly, "2000-"+v)
		if err != nil {
			return 0, false, fmt.Errorf("date %q is not MM-DD", v)
		}
		return int(t.Month())*100 + t.Day(), true, nil
	}
	return 0, false, fmt.Errorf("date %q is neither YYYY-MM-DD nor MM-DD", v)
}

func (h holiday) covers(y int, m time.Month, d int) bool {
	if h.yearly {
		md := int(m)*100 + d
		if h.from <= h.to {
			return md >= h.from && md <= h.to
		}
		return md >= h.from || md <= h.to // wraps over New Year
	}
	ymd := y*10000 + int(m)*100 + d
	return ymd >= h.from && ymd <= h.to
}

// Holiday reports the holiday that closes t's date in the schedule's zone.
func (s *Schedule) Holiday(t time.Time) (name string, ok bool) {
	y, m, d := t.In(s.loc).Date()
	return s.holidayOn(y, m, d)
}

func (s *Schedule) holidayOn(y int, m time.Month, d int) (string, bool) {
	for _, h := range s.holidays {
		if h.covers(y, m, d) {
			return h.name, true
		}
	}
	return "", false
}

// Open reports whether the schedule is open at t.
func (s *Schedule) Open(t time.Time) bool {
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	if _, hol := s.holidayOn(y, m, d); hol {
		return false
	}
	minute := lt.Hour()*60 + lt.Minute()
	for _, sp := range s.week[lt.Weekday()] {
		if minute >= sp.start && minute < sp.end {
			return true
		}
	}
	// The tail of yesterday's overnight range.
	for _, sp := range s.week[(lt.Weekday()+6)%7] {
		if sp.end > 1440 && minute < sp.end-1440 {
			return true
		}
	}
	return false
}
