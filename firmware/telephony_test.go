package firmware

import (
	"errors"
	"testing"
	"time"
)

func TestParsePortRange(t *testing.T) {
	for s, ok := range map[string]bool{"": true, "10000-19999": true, "1024-1027": true, "1024-1026": false,
		"80-100": false, "20000-10000": false, "10000-70000": false, "10000": false, "a-b": false, "-": false} {
		first, last, err := ParsePortRange(s)
		if (err == nil) != ok {
			t.Errorf("ParsePortRange(%q) = %d, %d, %v", s, first, last, err)
		}
		if err != nil && !errors.Is(err, ErrPortRange) {
			t.Errorf("ParsePortRange(%q): unnamed error %v", s, err)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"10000-19999", "", "1-2", "65534-65535", "x-", "-1--2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, err := ParsePortRange(s)
		if err != nil {
			if !errors.Is(err, ErrPortRange) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if first < 1024 || last > 65535 || last < first+3 {
			t.Fatalf("%q accepted as %d-%d", s, first, last)
		}
	})
}

func TestSIPAddrs_TLSOnTheNextPort(t *testing.T) {
	for _, tc := range []struct {
		in, udp, tls string
		wildcard     bool
	}{
		{"127.0.0.1:5060", "127.0.0.1:5060", "127.0.0.1:5061", false},
		{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", false},
		{":5060", "0.0.0.0:5060", "0.0.0.0:5061", true},
		{"[::1]:5060", "[::1]:5060", "[::1]:5061", false},
	} {
		_, udp, tls, wildcard, err := sipAddrs(tc.in, 0)
		if err != nil || udp != tc.udp || tls != tc.tls || wildcard != tc.wildcard {
			t.Errorf("sipAddrs(%q) = %q %q %v %v", tc.in, udp, tls, wildcard, err)
		}
	}
	if _, _, _, _, err := sipAddrs("127.0.0.1", 0); !errors.Is(err, ErrBadAddr) {
		t.Errorf("no port: %v", err)
	}
}

func TestUntilMidnight_InTheBoxZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	now := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC) // 23:30 in Shanghai
	if d := untilMidnight(now, shanghai); d != 30*time.Minute {
		t.Fatalf("until midnight in Shanghai: %v", d)
	}
	if d := untilMidnight(now, nil); d != 8*time.Hour+30*time.Minute {
		t.Fatalf("until midnight in UTC: %v", d)
	}
}
