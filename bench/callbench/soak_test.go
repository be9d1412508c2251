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

// The store's memory map grows with the records written: RSS grows with
// it while the process's own memory stays flat, and that passes; the
// anonymous part growing is what fails.
func TestSoakJudge_AnonymousMemoryIsJudgedNotTheStoresMap(t *testing.T) {
	run := func(anonGrowth int) *soakRun {
		r := &soakRun{Started: 10, Successful: 10, Expected: 1000}
		for s := 0; s <= 600; s += 30 {
			anon := 100_000 + anonGrowth*s/600
			file := 50_000 + 200*s // the store file mapped in
			r.Samples = append(r.Samples, soakSample{Seconds: float64(s), AnonKB: anon, FileKB: file, RSSKB: anon + file, FDs: 100})
		}
		r.judge(nil, 10*time.Minute)
		return r
	}
	if r := run(1_000); !r.Pass || r.RSS.Last <= r.RSS.First*1.25 {
		t.Errorf("flat anonymous memory under a growing map: pass %v (%s), RSS %v → %v", r.Pass, r.Why, r.RSS.First, r.RSS.Last)
	}
	if r := run(60_000); r.Pass || r.Why != "anonymous RSS grew" {
		t.Errorf("anonymous memory up 60%%: pass %v (%s)", r.Pass, r.Why)
	}
}

func TestParseField_ReadsTheRSSParts(t *testing.T) {
	status := "VmRSS:\t  150000 kB\nRssAnon:\t  100000 kB\nRssFile:\t   49000 kB\nRssShmem:\t    1000 kB\n"
	if a, f := parseField(status, "RssAnon:"), parseField(status, "RssFile:"); a != 100000 || f != 49000 {
		t.Errorf("anon %d, file %d", a, f)
	}
}
