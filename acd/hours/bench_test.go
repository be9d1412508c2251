package hours

import (
	"testing"
	"time"
)

func benchSchedule(b *testing.B) *Schedule {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(loc, append(weekdays("09:00", "18:00"), Range{Day: time.Saturday, Start: "22:00", End: "02:00"}),
		[]Holiday{{From: "01-01"}, {From: "2026-11-26", To: "2026-11-27"}, {From: "12-24", To: "12-26"}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkSchedule_Open(b *testing.B) {
	s := benchSchedule(b)
	t := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.Open(t)
	}
}

// BenchmarkSchedule_NextChangeOverAHolidayWeekend looks from Wednesday
// evening across Thanksgiving to Monday morning.
func BenchmarkSchedule_NextChangeOverAHolidayWeekend(b *testing.B) {
	s := benchSchedule(b)
	t := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.NextChange(t); !ok {
			b.Fatal("no change")
		}
	}
}
