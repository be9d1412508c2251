package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sippScreen = `----------------------------- Statistics Screen ------- [1-9]: Change Screen --
  Counter Name           | Periodic value            | Cumulative value
  Successful call        |        0                  |      463                 
  Failed call            |        0                  |       37                 
------------------------------ Test Terminated --------------------------------
`

func TestParseCounts_ReadsTheCumulativeColumn(t *testing.T) {
	ok, failed := parseCounts(sippScreen)
	if ok != 463 || failed != 37 {
		t.Fatalf("got %d ok, %d failed; want 463, 37", ok, failed)
	}
}

func TestParseCounts_LastScreenWins(t *testing.T) {
	ok, _ := parseCounts(strings.Replace(sippScreen, "463", "1", 1) + sippScreen)
	if ok != 463 {
		t.Fatalf("got %d, want the last screen's 463", ok)
	}
}

func TestParseRTT_SkipsHeaderAndBadRows(t *testing.T) {
	got := parseRTT("Date_ms;response_time_ms;rtd_no\n108.001;4;1\nbad\n208.001;x;1\n308.001;12.5;1\n")
	if len(got) != 2 || got[0] != 4 || got[1] != 12.5 {
		t.Fatalf("got %v, want [4 12.5]", got)
	}
}

func TestPercentile_NearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {99, 10}, {100, 10}, {0, 1}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 99) != 0 {
		t.Error("empty input must give 0")
	}
}

func TestParseStat_CommandNameWithSpacesAndParens(t *testing.T) {
	f := parseStat("1234 (sipp (bench) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0")
	if len(f) < 13 || f[0] != "S" || f[1] != "1" || f[11] != "250" || f[12] != "75" {
		t.Fatalf("fields %v", f)
	}
}

func TestParseField_VmRSS(t *testing.T) {
	if got := parseField("Name:\tx\nVmRSS:\t  1234 kB\nThreads:\t7\n", "VmRSS:"); got != 1234 {
		t.Fatalf("got %d", got)
	}
	if got := parseField("VmRSS:\n", "VmRSS:"); got != 0 {
		t.Fatalf("empty value gave %d", got)
	}
}

func TestCollect_PairsPortsByCallerAndCallee(t *testing.T) {
	m := map[string]netip.AddrPort{}
	collect([]string{
		"A 3000 3001 127.0.0.1 20048 (c=IN IP4 127.0.0.1 m=audio 20048)",
		"B 3000 3001 127.0.0.1 20050 (...)",
		"A 3002 3003 127.0.0.1 99999 (port out of range)",
		"A 3004 3005 not-an-ip 20000",
		"garbage",
	}, "A", m)
	if len(m) != 1 || m[pairKey("3000", "3001")] != netip.MustParseAddrPort("127.0.0.1:20048") {
		t.Fatalf("got %v", m)
	}
}

func TestWriteCallCSV_PairsAreDistinctAndNeverSelfCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.csv")
	keys, err := writeCallCSV(path, 3000, 1000, func(i int) int { return i })
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		f := strings.Fields(k)
		if f[0] == f[1] {
			t.Fatalf("self call %q", k)
		}
		if seen[k] {
			t.Fatalf("pair %q twice", k)
		}
		seen[k] = true
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "SEQUENTIAL" || len(lines) != 3001 {
		t.Fatalf("%d lines, first %q", len(lines), lines[0])
	}
	if !strings.HasSuffix(lines[2], ";1") || !strings.Contains(lines[1], "[authentication username=3000 password=") {
		t.Fatalf("rows %q %q", lines[1], lines[2])
	}
}

func TestMemSlope_LeastSquaresOverPassingSteps(t *testing.T) {
	steps := []concStep{
		{Calls: 250, Pass: true, Usage: usage{PSSKB: 10000 + 250*50}},
		{Calls: 500, Pass: true, Usage: usage{PSSKB: 10000 + 500*50}},
		{Calls: 1000, Pass: true, Usage: usage{PSSKB: 10000 + 1000*50}},
		{Calls: 2000, Pass: false, Usage: usage{PSSKB: 1}},
	}
	if v, ok := memSlope(steps); !ok || v < 49.9 || v > 50.1 {
		t.Fatalf("slope %v %v, want 50", v, ok)
	}
	// Garbage not yet collected at the middle step, collected at the
	// last: the slope from the least memory on is negative.
	steps[0].Usage.PSSKB, steps[1].Usage.PSSKB, steps[2].Usage.PSSKB = 10, 1000, 11
	if _, ok := memSlope(steps); ok {
		t.Fatal("a negative slope must give no figure")
	}
}

func FuzzParseCounts(f *testing.F) {
	f.Add(sippScreen)
	f.Add("| | |\n||\nFailed call|-1|x")
	f.Fuzz(func(t *testing.T, s string) {
		ok, failed := parseCounts(s)
		if ok < 0 || failed < 0 {
			t.Fatalf("negative counts %d %d", ok, failed)
		}
	})
}

func FuzzParseRTT(f *testing.F) {
	f.Add("Date_ms;response_time_ms;rtd_no\n108.001;4;1\n")
	f.Add(";NaN;\n;-1;\n;Inf;")
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range parseRTT(s) {
			if v < 0 || v != v {
				t.Fatalf("bad value %v", v)
			}
		}
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add("1234 (sipp) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0")
	f.Add(")")
	f.Add("((((")
	f.Fuzz(func(t *testing.T, s string) {
		parseStat(s)
		parseField(s, "VmRSS:")
	})
}

func FuzzCollect(f *testing.F) {
	f.Add("A 3000 3001 127.0.0.1 20048 (x)\nB 1 2 ::1 0")
	f.Fuzz(func(t *testing.T, s string) {
		m := map[string]netip.AddrPort{}
		collect(strings.Split(s, "\n"), "A", m)
		for _, ap := range m {
			if ap.Port() == 0 {
				t.Fatalf("port 0 accepted: %v", ap)
			}
		}
	})
}

func TestParseMemStats_SumsHeapAndStacks(t *testing.T) {
	text := "heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# HeapInuse = 2048000\n# Stack = 1024000 / 2048000\n"
	if got := parseMemStats(text); got != 3000 {
		t.Fatalf("got %d KB, want 3000", got)
	}
	if parseMemStats("# HeapInuse = 5\n") != -1 {
		t.Fatal("a missing Stack line must give -1")
	}
}

func FuzzParseMemStats(f *testing.F) {
	f.Add("# HeapInuse = 2048000\n# Stack = 1024000 / 2048000\n")
	f.Fuzz(func(t *testing.T, s string) { parseMemStats(s) })
}

func TestLoadNote_SaysWhetherTheMachineWasShared(t *testing.T) {
	if n := loadNote("1.24 1.40 2.57 3/92 25868", 2); strings.Contains(n, "shared load") {
		t.Errorf("quiet machine read as shared: %s", n)
	}
	if n := loadNote("17.04 15.44 12.43 10/311 29409", 2); !strings.Contains(n, "shared load") {
		t.Errorf("busy machine read as quiet: %s", n)
	}
	if n := loadNote("", 2); !strings.Contains(n, "shared load") {
		t.Errorf("unknown load read as quiet: %s", n)
	}
}

func TestParseCPUStatLine_BusyIsAllButIdleAndIOWait(t *testing.T) {
	m := parseCPUStatLine("cpu  100 5 50 800 40 3 2 0 7 0")
	if m.busy != 160 || m.total != 1000 {
		t.Errorf("%+v", m)
	}
	if p := (machineCPU{busy: 260, total: 1200}).busyPercent(m); p != 50 {
		t.Errorf("busy %.1f%%, want 50", p)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "intr 1 2 3 4"} {
		if m := parseCPUStatLine(bad); m != (machineCPU{}) {
			t.Errorf("%q read as %+v", bad, m)
		}
	}
}

func FuzzParseCPUStatLine(f *testing.F) {
	f.Add("cpu  100 5 50 800 40 3 2 0 7 0")
	f.Fuzz(func(t *testing.T, line string) {
		if m := parseCPUStatLine(line); m.busy > m.total {
			t.Errorf("busy %d over total %d: %q", m.busy, m.total, line)
		}
	})
}
