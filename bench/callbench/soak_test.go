package main

import (
	"math"
	"testing"
	"time"
)

func TestTrendOf_SlopeOfTheSteadyPartOnly(t *testing.T) {
	var samples []soakSample
	for s := 0; s <= 600; s += 30 {
		rss := 1000 + 2*s // grows 2 KB a second during the steady part
		if s < 120 || s > 540 {
			rss = 100 // ramp-up and wind-down are left out
		}
		samples = append(samples, soakSample{Seconds: float64(s), RSSKB: rss})
	}
	tr := trendOf(samples, 9*time.Minute, func(s soakSample) float64 { return float64(s.RSSKB) })
	if tr.First != 1240 || tr.Last != 2080 || tr.Max != 2080 || math.Abs(tr.PerHour-7200) > 1e-6 {
		t.Fatalf("%+v", tr)
	}
	if flat(tr, 0.25) {
		t.Error("RSS that nearly doubled counts as flat")
	}
	if !flat(trend{First: 100, Last: 104}, 0.05) {
		t.Error("4% counts as growth")
	}
}
