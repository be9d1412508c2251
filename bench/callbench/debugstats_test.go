package main

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBoxStats_ReadsCountsAndMemoryClasses(t *testing.T) {
	st, err := parseBoxStats(strings.NewReader(`{"time":"x","goroutines":12,"callsActive":3,"sipLegs":6,"rtpSessions":6,
		"relaySockets":12,"relaySendDropped":5,"memHeapObjects":1048576,"memOSStacks":-1,"memTotal":8388608}`))
	if err != nil {
		t.Fatal(err)
	}
	if st.CallsActive != 3 || st.SIPLegs != 6 || st.RTPSessions != 6 || st.RelaySockets != 12 || st.RelaySendDropped != 5 ||
		st.MemHeapObjects != 1<<20 || st.MemOSStacks != -1 || st.MemTotal != 8<<20 {
		t.Fatalf("%+v", st)
	}
}

func TestParseBoxStats_OlderBinaryHasNoCounts(t *testing.T) {
	if _, err := parseBoxStats(strings.NewReader(`{"goroutines":12,"heapAlloc":5}`)); !errors.Is(err, errNoBoxStats) {
		t.Fatalf("err = %v, want errNoBoxStats", err)
	}
}

func FuzzParseBoxStats(f *testing.F) {
	f.Add(`{"callsActive":0,"sipLegs":0}`)
	f.Add(`{"goroutines":1}`)
	f.Add(`{"callsActive":"x"}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		st, err := parseBoxStats(strings.NewReader(body))
		if err == nil && st == nil {
			t.Fatal("no stats and no error")
		}
	})
}
