package guard

import (
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newGuard(cfg Config) (*Guard, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return New(cfg, WithClock(c.now)), c
}

var (
	attacker = netip.MustParseAddr("127.0.0.2")
	phone    = netip.MustParseAddr("127.0.0.1")
)

func TestGuard_BansAfterMaxFailuresInWindow(t *testing.T) {
	var hooked []Ban
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	g := New(Config{}, WithClock(c.now), WithBanHook(func(b Ban) { hooked = append(hooked, b) }))
	for i := 1; i <= 4; i++ {
		if g.Fail(attacker, "wrong password") {
			t.Fatalf("banned after %d failures, want 5", i)
		}
		c.t = c.t.Add(time.Minute)
	}
	if !g.Fail(attacker, "wrong password") {
		t.Fatal("not banned after 5 failures in 10 minutes")
	}
	if g.Allow(attacker) || !g.Banned(attacker) {
		t.Fatal("banned address allowed")
	}
	if !g.Allow(phone) || g.Banned(phone) {
		t.Fatal("other address suffers from the ban")
	}
	bans := g.Bans()
	if len(bans) != 1 || bans[0].Prefix.Addr() != attacker || bans[0].Failures != 5 || len(hooked) != 1 {
		t.Fatalf("Bans = %+v, hook saw %+v", bans, hooked)
	}
	if got := bans[0].Until.Sub(bans[0].Since); got != time.Hour {
		t.Fatalf("ban lasts %v, want 1h", got)
	}
	c.t = c.t.Add(time.Hour)
	if g.Banned(attacker) || len(g.Bans()) != 0 {
		t.Fatal("ban outlived its period")
	}
}

func TestGuard_FailuresOutsideWindowDoNotCount(t *testing.T) {
	g, c := newGuard(Config{MaxFailures: 3, FailWindow: time.Minute})
	for range 10 {
		if g.Fail(attacker, "x") {
			t.Fatal("banned though failures were spread out")
		}
		c.t = c.t.Add(31 * time.Second)
	}
}

func TestGuard_LiftEndsBanAndHistory(t *testing.T) {
	g, _ := newGuard(Config{MaxFailures: 2})
	g.Fail(attacker, "x")
	g.Fail(attacker, "x")
	if !g.Lift(attacker) {
		t.Fatal("Lift found no ban")
	}
	if g.Banned(attacker) {
		t.Fatal("still banned after Lift")
	}
	if g.Fail(attacker, "x") {
		t.Fatal("history kept after Lift")
	}
	if g.Lift(phone) {
		t.Fatal("Lift of an unbanned address reported a ban")
	}
}

func TestGuard_IPv6AccountedPer64(t *testing.T) {
	g, _ := newGuard(Config{MaxFailures: 2})
	g.Fail(netip.MustParseAddr("2001:db8::1"), "x")
	g.Fail(netip.MustParseAddr("2001:db8::2"), "x")
	if !g.Banned(netip.MustParseAddr("2001:db8::ffff")) {
		t.Fatal("same /64 not banned")
	}
	if g.Banned(netip.MustParseAddr("2001:db8:0:1::1")) {
		t.Fatal("neighbouring /64 banned")
	}
}

func TestGuard_RateLimitRefillsWithTime(t *testing.T) {
	g, c := newGuard(Config{Rate: 10, Burst: 5})
	for i := range 5 {
		if !g.Allow(phone) {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if g.Allow(phone) {
		t.Fatal("request beyond the burst allowed")
	}
	if !g.Allow(attacker) {
		t.Fatal("another address shares the bucket")
	}
	c.t = c.t.Add(200 * time.Millisecond) // two tokens at 10/s
	got := []bool{g.Allow(phone), g.Allow(phone), g.Allow(phone)}
	if !got[0] || !got[1] || got[2] {
		t.Fatalf("after 200 ms at 10/s: %v, want two tokens", got)
	}
}

func TestGuard_TablesStayBounded(t *testing.T) {
	g, _ := newGuard(Config{MaxTracked: 100, MaxFailures: 1000})
	for i := range 1000 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		g.Allow(a)
		g.Fail(a, "x")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.bucket) > 100 || len(g.fails) > 100 {
		t.Fatalf("tables grew to %d buckets, %d failure lists", len(g.bucket), len(g.fails))
	}
}

func TestGuard_RecognisesScanners(t *testing.T) {
	g, _ := newGuard(Config{})
	for _, ua := range []string{"friendly-scanner", "sipvicious 0.3", "SIPcli/v1.8", "VaxSIPUserAgent/3.1", "Sundayddr Scanner"} {
		if !g.IsScanner(ua) {
			t.Errorf("%q not recognised", ua)
		}
	}
	for _, ua := range []string{"", "Yealink SIP-T46S 66.86.0.15", "baresip v3.10.1", "Grandstream GXP2170"} {
		if g.IsScanner(ua) {
			t.Errorf("%q taken for a scanner", ua)
		}
	}
}

func TestPermitted_ChecksAllowedNetworks(t *testing.T) {
	nets := []string{"192.168.1.0/24", "10.1.2.3", "2001:db8::/32"}
	cases := map[string]bool{
		"192.168.1.77": true, "192.168.2.1": false, "10.1.2.3": true, "10.1.2.4": false,
		"2001:db8::5": true, "::ffff:192.168.1.5": true, "2001:db9::1": false,
	}
	for a, want := range cases {
		if got := Permitted(nets, netip.MustParseAddr(a)); got != want {
			t.Errorf("Permitted(%s) = %v, want %v", a, got, want)
		}
	}
	if !Permitted(nil, phone) {
		t.Error("empty list must allow all")
	}
	if Permitted([]string{"192.168.1.0/24", "bogus"}, netip.MustParseAddr("192.168.1.1")) {
		t.Error("a list with a bad entry must allow nothing")
	}
}

func FuzzParseNets(f *testing.F) {
	f.Add("10.0.0.0/8")
	f.Add("::1")
	f.Add("1.2.3.4/33")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseNets([]string{s})
		if err == nil && len(ps) != 1 {
			t.Fatalf("%q: %d prefixes", s, len(ps))
		}
		Permitted([]string{s}, phone)
	})
}
