package main

import (
	"testing"
	"time"
)

func TestParseCCLine_ReadsCallerAndAgentLines(t *testing.T) {
	tag, a, ok := parseCCLine("A 13900000001 127.0.0.1 10002 1764241000.000000 250000.000000 (x y)")
	if !ok || tag != 'A' || a.Caller != "13900000001" || a.Media.Port() != 10002 || a.At.Sub(time.Unix(1764241000, 0)) != 250*time.Millisecond {
		t.Fatalf("A: %c %+v %v", tag, a, ok)
	}
	tag, b, ok := parseCCLine("B 13900000001 5003 127.0.0.1 10006 1764241002 0 (junk)")
	if !ok || tag != 'B' || b.Agent != "5003" || b.Media.Port() != 10006 {
		t.Fatalf("B: %c %+v %v", tag, b, ok)
	}
}

func TestParseCCLine_SkipsOtherLines(t *testing.T) {
	for _, l := range []string{"", "A 1 2", "C 1 127.0.0.1 5 1 1", "A 1 127.0.0.1 70000 1 1", "A 1 ::1 5 1 1",
		"A 1 127.0.0.1 5 1 1000000", "A 1 127.0.0.1 5 NaN 1", "A 1 127.0.0.1 5 1 -1", "2026-11-27 10:00:00.000000 1764241000.000000: Aborting call"} {
		if _, _, ok := parseCCLine(l); ok {
			t.Errorf("%q parsed", l)
		}
	}
}

func FuzzParseCCLine(f *testing.F) {
	f.Add("A 13900000001 127.0.0.1 10002 1764241000 250000 (x y)")
	f.Add("B 1 5003 127.0.0.1 10006 1764241002 0")
	f.Add("B 1 5003 127.0.0.1")
	f.Fuzz(func(t *testing.T, line string) {
		tag, leg, ok := parseCCLine(line)
		if ok && (tag != 'A' && tag != 'B' || !leg.Media.IsValid()) {
			t.Fatalf("%q: %c %+v", line, tag, leg)
		}
	})
}
