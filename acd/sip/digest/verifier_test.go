package digest

import (
	"errors"
	"strings"
	"testing"
	"time"

	icholy "github.com/icholy/digest"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestVerifier() (*Verifier, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return NewVerifier("callbox", WithClock(clk.now), WithLifetime(time.Minute)), clk
}

// answer builds credentials the way an independent client library does,
// so the server is checked against someone else's reading of the RFCs.
func answer(t *testing.T, ch Challenge, user, pass, method, uri string, count int) Credentials {
	t.Helper()
	ic, err := icholy.ParseChallenge(ch.String())
	if err != nil {
		t.Fatalf("client cannot parse our challenge %q: %v", ch.String(), err)
	}
	cred, err := icholy.Digest(ic, icholy.Options{Method: method, URI: uri, Username: user, Password: pass, Count: count})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredentials(cred.String())
	if err != nil {
		t.Fatalf("parse %q: %v", cred.String(), err)
	}
	return c
}

func TestVerifier_AcceptsMD5AndSHA256FromIndependentClient(t *testing.T) {
	v, _ := newTestVerifier()
	chs := v.Challenges(false)
	if len(chs) != 2 || chs[0].Algorithm != SHA256 || chs[1].Algorithm != MD5 {
		t.Fatalf("challenges = %+v, want SHA-256 then MD5", chs)
	}
	for i := range chs {
		ch := v.Challenges(false)[i] // a fresh nonce each: the replay table is per nonce
		c := answer(t, ch, "1001", "s3cret-Pass", "REGISTER", "sip:127.0.0.1", 1)
		if err := v.Verify("REGISTER", c, "s3cret-Pass"); err != nil {
			t.Errorf("%s: Verify = %v, want nil", ch.Algorithm, err)
		}
	}
}

func TestVerifier_RejectsWrongPassword(t *testing.T) {
	v, _ := newTestVerifier()
	c := answer(t, v.Challenges(false)[1], "1001", "guess", "REGISTER", "sip:127.0.0.1", 1)
	if err := v.Verify("REGISTER", c, "s3cret-Pass"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify = %v, want ErrMismatch", err)
	}
}

func TestVerifier_RejectsWrongMethod(t *testing.T) {
	v, _ := newTestVerifier()
	c := answer(t, v.Challenges(false)[0], "1001", "pw", "INVITE", "sip:127.0.0.1", 1)
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify = %v, want ErrMismatch", err)
	}
}

func TestVerifier_StaleOnlyWhenResponseIsRight(t *testing.T) {
	v, clk := newTestVerifier()
	ch := v.Challenges(false)[0]
	good := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 1)
	bad := answer(t, ch, "1001", "nope", "REGISTER", "sip:h", 1)
	clk.advance(2 * time.Minute)
	if err := v.Verify("REGISTER", good, "pw"); !errors.Is(err, ErrStale) {
		t.Errorf("old nonce, right password: %v, want ErrStale", err)
	}
	if err := v.Verify("REGISTER", bad, "pw"); !errors.Is(err, ErrMismatch) {
		t.Errorf("old nonce, wrong password: %v, want ErrMismatch", err)
	}
}

func TestVerifier_RejectsForeignAndTamperedNonces(t *testing.T) {
	v, _ := newTestVerifier()
	other := NewVerifier("callbox")
	c := answer(t, other.Challenges(false)[0], "1001", "pw", "REGISTER", "sip:h", 1)
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrBadNonce) {
		t.Errorf("foreign nonce: %v, want ErrBadNonce", err)
	}
	ch := v.Challenges(false)[0]
	n := []byte(ch.Nonce)
	if n[3] == 'A' {
		n[3] = 'B'
	} else {
		n[3] = 'A'
	}
	ch.Nonce = string(n)
	c = answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 1)
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrBadNonce) {
		t.Errorf("tampered nonce: %v, want ErrBadNonce", err)
	}
}

func TestVerifier_RejectsReplayedNonceCount(t *testing.T) {
	v, _ := newTestVerifier()
	ch := v.Challenges(false)[0]
	c1 := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 1)
	if err := v.Verify("REGISTER", c1, "pw"); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify("REGISTER", c1, "pw"); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v, want ErrReplay", err)
	}
	// Later counts on the same nonce are fine, also slightly out of order.
	c3 := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 3)
	c2 := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 2)
	for _, c := range []Credentials{c3, c2} {
		if err := v.Verify("REGISTER", c, "pw"); err != nil {
			t.Fatalf("nc %d: %v", c.NC, err)
		}
	}
	if err := v.Verify("REGISTER", c2, "pw"); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay of nc 2: %v, want ErrReplay", err)
	}
	// A count far below the window is refused even if never seen.
	c100 := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 100)
	if err := v.Verify("REGISTER", c100, "pw"); err != nil {
		t.Fatal(err)
	}
	c4 := answer(t, ch, "1001", "pw", "REGISTER", "sip:h", 4)
	if err := v.Verify("REGISTER", c4, "pw"); !errors.Is(err, ErrReplay) {
		t.Fatalf("nc 4 after 100: %v, want ErrReplay", err)
	}
}

func TestVerifier_NonceWithoutQOPIsSingleUse(t *testing.T) {
	v, _ := newTestVerifier()
	ch := v.Challenges(false)[1]
	resp := Response(MD5, "1001", "callbox", "pw", "REGISTER", "sip:h", ch.Nonce, "", 0, "")
	c := Credentials{Username: "1001", Realm: "callbox", Nonce: ch.Nonce, URI: "sip:h", Response: resp}
	if err := v.Verify("REGISTER", c, "pw"); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use: %v, want ErrReplay", err)
	}
}

func TestVerifier_RejectsUnsupportedAndWrongRealm(t *testing.T) {
	v, _ := newTestVerifier()
	c := answer(t, v.Challenges(false)[0], "1001", "pw", "REGISTER", "sip:h", 1)
	c.Algorithm = "MD5-sess"
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MD5-sess: %v", err)
	}
	c = answer(t, v.Challenges(false)[0], "1001", "pw", "REGISTER", "sip:h", 1)
	c.QOP = "auth-int"
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("auth-int: %v", err)
	}
	c = answer(t, v.Challenges(false)[0], "1001", "pw", "REGISTER", "sip:h", 1)
	c.Realm = "elsewhere"
	if err := v.Verify("REGISTER", c, "pw"); !errors.Is(err, ErrRealm) {
		t.Errorf("realm: %v", err)
	}
}

func TestVerifier_PruneForgetsExpiredNonces(t *testing.T) {
	v, clk := newTestVerifier()
	c := answer(t, v.Challenges(false)[0], "1001", "pw", "REGISTER", "sip:h", 1)
	if err := v.Verify("REGISTER", c, "pw"); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Minute)
	v.Prune()
	v.mu.Lock()
	n := len(v.used)
	v.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d nonces tracked after prune, want 0", n)
	}
}

func TestChallenge_StringParsesBack(t *testing.T) {
	ch := Challenge{Realm: `a "quoted" realm`, Nonce: "abc", Algorithm: SHA256, Stale: true}
	ic, err := icholy.ParseChallenge(ch.String())
	if err != nil {
		t.Fatal(err)
	}
	if ic.Realm != ch.Realm || ic.Nonce != "abc" || ic.Algorithm != "SHA-256" || !ic.Stale || !strings.Contains(ch.String(), `qop="auth"`) {
		t.Fatalf("round trip: %+v from %q", ic, ch.String())
	}
}

func BenchmarkVerify_MD5(b *testing.B) {
	v := NewVerifier("callbox")
	ch := v.Challenges(false)[1]
	b.ReportAllocs()
	nc := uint32(0)
	for b.Loop() {
		nc++
		resp := Response(MD5, "1001", "callbox", "pw", "REGISTER", "sip:h", ch.Nonce, "auth", nc, "cn")
		c := Credentials{Username: "1001", Realm: "callbox", Nonce: ch.Nonce, URI: "sip:h", Response: resp,
			QOP: "auth", NC: nc, HasNC: true, Cnonce: "cn"}
		if err := v.Verify("REGISTER", c, "pw"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifier_AFullReplayTableForgetsItsOldestAndKeepsAuthenticating is
// the box at hundreds of calls a second: every INVITE answers a challenge
// of its own, and within a nonce's lifetime more nonces authenticate than
// the table holds. New ones must keep working; a forgotten one must not
// be usable again.
func TestVerifier_AFullReplayTableForgetsItsOldestAndKeepsAuthenticating(t *testing.T) {
	v, clk := newTestVerifier()
	v.limit = 100
	var first []Credentials
	for i := range 250 {
		clk.advance(time.Millisecond) // 250 ms in all: all within the lifetime
		c := answer(t, v.Challenges(false)[0], "1001", "pw", "INVITE", "sip:1002@h", 1)
		if err := v.Verify("INVITE", c, "pw"); err != nil {
			t.Fatalf("nonce %d: %v", i, err)
		}
		if i < 150 {
			first = append(first, c)
		}
	}
	v.mu.Lock()
	n, kept := len(v.used), len(v.order)-v.head
	v.mu.Unlock()
	if n != 100 || kept != 100 {
		t.Fatalf("%d nonces tracked, %d in order, want 100", n, kept)
	}
	// The 150 forgotten ones cannot be replayed, not even with a new
	// nonce-count; the client is sent for a fresh nonce.
	for i, c := range first {
		c2 := answer(t, Challenge{Realm: "callbox", Nonce: c.Nonce, Algorithm: SHA256}, "1001", "pw", "INVITE", "sip:1002@h", 2)
		if err := v.Verify("INVITE", c, "pw"); !errors.Is(err, ErrStale) {
			t.Fatalf("forgotten nonce %d replayed: %v", i, err)
		}
		if err := v.Verify("INVITE", c2, "pw"); !errors.Is(err, ErrStale) {
			t.Fatalf("forgotten nonce %d with a new count: %v", i, err)
		}
	}
	// The ones still tracked keep their replay window.
	last := answer(t, v.Challenges(false)[0], "1001", "pw", "INVITE", "sip:1002@h", 1)
	clk.advance(time.Millisecond)
	if err := v.Verify("INVITE", last, "pw"); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify("INVITE", last, "pw"); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay of a tracked nonce: %v", err)
	}
	// Once they expire, the table empties from the front.
	clk.advance(2 * time.Minute)
	v.Prune()
	v.mu.Lock()
	n = len(v.used)
	v.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d nonces tracked after they expired", n)
	}
}
