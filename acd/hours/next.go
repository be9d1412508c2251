package hours

import (
	"slices"
	"time"
)

// Horizon bounds how far NextChange looks ahead: past it a schedule that
// never changes (always open, or closed for good) reports no change.
const Horizon = 400 * 24 * time.Hour

// NextChange returns the first instant after t at which Open changes, and
// false when nothing changes within Horizon. Changes happen only where the
// wall clock crosses a range edge or midnight, or jumps at a zone
// transition, so those are the only instants it has to test.
func (s *Schedule) NextChange(t time.Time) (time.Time, bool) {
	was := s.Open(t)
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	end := t.Add(Horizon)
	for day := 0; ; day++ {
		date := time.Date(y, m, d+day, 12, 0, 0, 0, s.loc)
		dayStart := time.Date(y, m, d+day, 0, 0, 0, 0, s.loc)
		if dayStart.After(end) {
			return time.Time{}, false
		}
		for _, c := range s.candidates(date) {
			if c.After(t) && !c.After(end) && s.Open(c) != was {
				return c, true
			}
		}
	}
}

// candidates lists, in order, the instants on the calendar date of noon
// where Open may change.
func (s *Schedule) candidates(noon time.Time) []time.Time {
	y, m, d := noon.Date()
	wd := noon.Weekday()
	minutes := []int{0}
	for _, sp := range s.week[wd] {
		minutes = append(minutes, sp.start)
		if sp.end < 1440 {
			minutes = append(minutes, sp.end)
		}
	}
	for _, sp := range s.week[(wd+6)%7] {
		if sp.end > 1440 && sp.end < 2880 {
			minutes = append(minutes, sp.end-1440)
		}
	}
	// A wall-clock time maps to zero, one or two instants depending on the
	// zone offsets in force that day; try each offset and keep the
	// instants whose wall clock really reads that time.
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	nextStart := time.Date(y, m, d+1, 0, 0, 0, 0, s.loc)
	_, off1 := dayStart.Zone()
	_, off2 := nextStart.Add(-time.Second).Zone()
	offsets := []int{off1}
	if off2 != off1 {
		offsets = append(offsets, off2)
	}
	// dayStart is the date's first instant even when midnight itself is
	// skipped by a transition.
	out := []time.Time{dayStart}
	for _, mi := range minutes {
		wall := time.Date(y, m, d, mi/60, mi%60, 0, 0, time.UTC)
		for _, off := range offsets {
			c := wall.Add(-time.Duration(off) * time.Second)
			lc := c.In(s.loc)
			cy, cm, cd := lc.Date()
			if cy == y && cm == m && cd == d && lc.Hour()*60+lc.Minute() == mi && lc.Second() == 0 {
				out = append(out, c)
			}
		}
	}
	// The wall clock jumps at a transition: the jump itself is an instant
	// where Open may change (a range starting inside a skipped hour opens
	// at the jump).
	if off2 != off1 {
		out = append(out, transition(dayStart, nextStart))
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// transition finds, to the second, the first instant in (lo, hi] whose
// zone offset differs from lo's.
func transition(lo, hi time.Time) time.Time {
	_, off := lo.Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, o := mid.Zone(); o == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
