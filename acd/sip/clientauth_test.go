package sip

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/sip/digest"
	"callbox/acd/sip/guard"
)

// challenged makes the 401 (or 407) a server with algs would send.
func challenged(v *digest.Verifier, req *sipmsg.Request, code int) *sipmsg.Response {
	res := sipmsg.NewResponseFromRequest(req, code, "Unauthorized", nil)
	name := "WWW-Authenticate"
	if code == 407 {
		name = "Proxy-Authenticate"
	}
	for _, c := range v.Challenges(false) {
		res.AppendHeader(sipmsg.NewHeader(name, c.String()))
	}
	return res
}

func testRequest(method sipmsg.RequestMethod) *sipmsg.Request {
	req := sipmsg.NewRequest(method, sipmsg.Uri{Scheme: "sip", User: "013800138000", Host: "192.0.2.7", Port: 5060})
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: 1, MethodName: method})
	return req
}

func TestAuthorize_AnswersTheStrongestChallengeAServerAccepts(t *testing.T) {
	for _, tc := range []struct {
		algs []digest.Algorithm
		want string
	}{
		{[]digest.Algorithm{digest.MD5, digest.SHA256}, "SHA-256"},
		{[]digest.Algorithm{digest.SHA256}, "SHA-256"},
		{[]digest.Algorithm{digest.MD5}, "MD5"},
	} {
		v := digest.NewVerifier("carrier.test", digest.WithAlgorithms(tc.algs...))
		for _, code := range []int{401, 407} {
			req := testRequest(sipmsg.INVITE)
			if err := Authorize(req, challenged(v, req, code), "boxuser", "Trunk-Pass-9x"); err != nil {
				t.Fatalf("%v %d: %v", tc.algs, code, err)
			}
			hname := "Authorization"
			if code == 407 {
				hname = "Proxy-Authorization"
			}
			h := req.GetHeader(hname)
			if h == nil {
				t.Fatalf("%v %d: no %s header", tc.algs, code, hname)
			}
			cred, err := digest.ParseCredentials(h.Value())
			if err != nil {
				t.Fatal(err)
			}
			if alg := cred.Algorithm; alg != tc.want && !(alg == "" && tc.want == "MD5") {
				t.Errorf("%v: answered %q, want %s", tc.algs, alg, tc.want)
			}
			if err := v.Verify("INVITE", cred, "Trunk-Pass-9x"); err != nil {
				t.Errorf("%v %d: the server refuses the answer: %v", tc.algs, code, err)
			}
			if err := v.Verify("INVITE", cred, "wrong"); !errors.Is(err, digest.ErrMismatch) {
				t.Errorf("wrong password accepted: %v", err)
			}
		}
	}
}

func TestAuthorize_RefusesResponsesWithoutUsableChallenge(t *testing.T) {
	req := testRequest(sipmsg.REGISTER)
	res := sipmsg.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	res.AppendHeader(sipmsg.NewHeader("WWW-Authenticate", `Digest realm="x", nonce="n", algorithm=MD5-sess`))
	res.AppendHeader(sipmsg.NewHeader("WWW-Authenticate", `Basic realm="x"`))
	if err := Authorize(req, res, "u", "p"); !errors.Is(err, ErrNoChallenge) {
		t.Errorf("got %v, want ErrNoChallenge", err)
	}
}

func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Digest realm="carrier.test", nonce="abc", algorithm=MD5, qop="auth"`,
		`Digest realm="x", nonce="y", algorithm=SHA-256, qop="auth,auth-int", opaque="z", stale=TRUE`,
		`Digest nonce=""`, `Digest realm="unterminated`, `Basic realm="x"`, "", `Digest ,,,=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ch, err := parseChallenge(s)
		if err != nil {
			return
		}
		if ch.Nonce == "" {
			t.Fatalf("accepted a challenge without nonce: %q", s)
		}
		req := testRequest(sipmsg.INVITE)
		res := sipmsg.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sipmsg.NewHeader("WWW-Authenticate", s))
		if err := Authorize(req, res, "u", "p"); err != nil {
			t.Fatalf("parsed but not answerable: %q: %v", s, err)
		}
	})
}

// fakePeers trusts one address.
type fakePeers struct{ addr netip.Addr }

func (p fakePeers) Identify(*sipmsg.Request, netip.AddrPort) (Peer, bool) { return Peer{}, false }
func (p fakePeers) Known(a netip.Addr) bool                               { return a == p.addr }

func TestRateLimit_KnownAddressGetsLargerAllowance(t *testing.T) {
	clk := newTestClock()
	s, err := New(openStore(t, "", clk), Config{UDP: "127.0.0.1:0", Guard: guard.Config{Rate: 1, Burst: 5},
		KnownBurst: 50, KnownRate: 10}, WithClock(clk.Now), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	office := netip.MustParseAddr("127.0.0.9")
	if err := s.TrustPeers(fakePeers{office}); err != nil {
		t.Fatal(err)
	}
	count := func(a netip.Addr) int {
		n := 0
		for range 100 {
			if s.allow(a) {
				n++
			}
		}
		return n
	}
	if n := count(netip.MustParseAddr("127.0.0.8")); n != 5 {
		t.Errorf("unknown address: %d of 100 allowed, want the burst of 5", n)
	}
	if n := count(office); n != 50 {
		t.Errorf("known address: %d of 100 allowed, want the known burst of 50", n)
	}
	// A ban still applies to a known address.
	for range 5 {
		s.guard.Fail(office, reasonWrongPassword)
	}
	clk.Advance(time.Minute)
	if s.allow(office) {
		t.Error("a banned known address is let through")
	}
	if bans := s.Bans(); len(bans) != 1 || !s.Lift(office) || !s.allow(office) {
		t.Errorf("bans %v: lifting did not let the office back in", bans)
	}
}
