package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

func TestParseExpires(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "3600": time.Hour, " 60 ": time.Minute, "4294967295": 4294967295 * time.Second} {
		if got, err := parseExpires(in); err != nil || got != want {
			t.Errorf("parseExpires(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "+5", "4294967296", "1e3", "Thu, 01 Dec 1994 16:00:00 GMT", "12345678901", "0x10"} {
		if _, err := parseExpires(in); !errors.Is(err, errExpires) {
			t.Errorf("parseExpires(%q) accepted", in)
		}
	}
}

func FuzzParseExpires(f *testing.F) {
	for _, s := range []string{"3600", "0", " 1 ", "-1", "99999999999", "\t7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseExpires(s)
		if err != nil {
			return
		}
		if d < 0 || d > 4294967295*time.Second {
			t.Fatalf("parseExpires(%q) = %v out of range", s, d)
		}
	})
}

func TestFixVia_AddsReceivedAndRport(t *testing.T) {
	src := netip.MustParseAddrPort("203.0.113.9:40000")
	for _, tc := range []struct{ via, received, rport string }{
		{"SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK1;rport", "203.0.113.9", "40000"},
		{"SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK1", "203.0.113.9", ""},
		{"SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK1", "", ""},
		{"SIP/2.0/UDP phone.example.com;branch=z9hG4bK1", "203.0.113.9", ""},
		{"SIP/2.0/UDP 203.0.113.9;branch=z9hG4bK1;rport", "203.0.113.9", "40000"},
	} {
		req := requestWithVia(t, tc.via)
		fixVia(req, src)
		got, _ := req.Via().Params.Get("received")
		rp, _ := req.Via().Params.Get("rport")
		if got != tc.received || rp != tc.rport {
			t.Errorf("%s: received=%q rport=%q, want %q %q", tc.via, got, rp, tc.received, tc.rport)
		}
	}
}

func requestWithVia(t testing.TB, via string) *sipmsg.Request {
	raw := "OPTIONS sip:a@b SIP/2.0\r\nVia: " + via + "\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n" +
		"Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	m, err := sipmsg.NewParser().ParseSIP([]byte(raw))
	if err != nil {
		return nil
	}
	r, _ := m.(*sipmsg.Request)
	return r
}

func FuzzFixVia(f *testing.F) {
	f.Add("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport", "198.51.100.1:1234")
	f.Add("SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1;rport=5;received=1.2.3.4", "[2001:db8::2]:7")
	f.Add("SIP/2.0/UDP host;branch=x", "127.0.0.1:0")
	f.Fuzz(func(t *testing.T, via, src string) {
		if strings.ContainsAny(via, "\r\n") {
			return
		}
		req := requestWithVia(t, via)
		ap, err := netip.ParseAddrPort(src)
		if req == nil || err != nil {
			return
		}
		fixVia(req, ap)
		v := req.Via()
		if v == nil {
			return
		}
		if r, ok := v.Params.Get("received"); ok && r != ap.Addr().String() && r != "" {
			// A received the sender put there itself is overwritten.
			if _, had := requestWithVia(t, via).Via().Params.Get("received"); !had {
				t.Fatalf("received=%q, source %s", r, ap)
			}
		}
		// The fixed request still serialises to something parsable.
		if _, err := sipmsg.NewParser().ParseSIP([]byte(req.String())); err != nil {
			t.Fatalf("after fixVia: %v\n%s", err, req.String())
		}
	})
}

func FuzzBadRequest(f *testing.F) {
	f.Add([]byte("INVITE <sip:a@b> SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: a <sip:a@b>;tag=1\r\nTo: sip:b@c\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n"))
	f.Add([]byte("OPTIONS soap.beep://h SIP/2.0\r\nv: SIP/2.0/UDP h\r\nf: x\r\nt: y\r\ni: z\r\nCSeq: 1 OPTIONS\r\n\r\n"))
	f.Add([]byte("SIP/2.0 4294967301 x\r\nVia: a\r\n\r\n"))
	f.Add([]byte("OPTIONS sip:t@h SIP/2.0\r\nFrom: Bell, A <sip:a@b>\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		badDisplayName(data)
		res := badRequest(data)
		if res == nil {
			return
		}
		m, err := sipmsg.NewParser().ParseSIP(res)
		if err != nil {
			// The answer is built from the sender's own header values;
			// it must at least be a response line we wrote.
			if !strings.HasPrefix(string(res), "SIP/2.0 4") {
				t.Fatalf("answer %q", res)
			}
			return
		}
		if _, ok := m.(*sipmsg.Response); !ok {
			t.Fatalf("answer is not a response: %q", res)
		}
	})
}

// FuzzCheck feeds whatever sipgo parses through the request checks.
func FuzzCheck(f *testing.F) {
	for _, tc := range tortureCases {
		f.Add([]byte(tc.msg))
	}
	s := &Server{}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sipmsg.NewParser().ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := m.(*sipmsg.Request)
		if !ok {
			return
		}
		code, _, _ := s.check(req)
		if code == 0 && (req.Via() == nil || req.CSeq() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil) {
			t.Fatal("request without required headers passed the checks")
		}
		fixVia(req, netip.MustParseAddrPort("127.0.0.1:5060"))
	})
}
