package sip

import (
	"net"
	"strings"
	"testing"
	"time"

	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
)

// udpPeer is a raw UDP client for tests of what the server does not
// answer: datagrams are decided in order in the server's read loop, so
// when a later request's answer arrives first, the earlier got none.
type udpPeer struct {
	t  *testing.T
	pc net.PacketConn
	to *net.UDPAddr
	n  int
}

func newUDPPeer(t *testing.T, ip string, to interface{ String() string }) *udpPeer {
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	addr, _ := net.ResolveUDPAddr("udp", to.String())
	return &udpPeer{t: t, pc: pc, to: addr}
}

// options sends an OPTIONS with the given User-Agent and returns its
// Call-ID.
func (u *udpPeer) options(userAgent string) string {
	u.n++
	cid := "peer-" + itoa(u.n)
	msg := crlf("OPTIONS sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP " + u.pc.LocalAddr().String() + ";branch=z9hG4bKpeer" + itoa(u.n) + ";rport\n" +
		"From: <sip:9@127.0.0.1>;tag=x\nTo: <sip:1001@127.0.0.1>\nCall-ID: " + cid + "\nCSeq: 1 OPTIONS\nMax-Forwards: 70\n" +
		"User-Agent: " + userAgent + "\nContent-Length: 0\n\n")
	if _, err := u.pc.WriteTo([]byte(msg), u.to); err != nil {
		u.t.Fatal(err)
	}
	return cid
}

// next returns the Call-ID of the next answer.
func (u *udpPeer) next() string {
	u.t.Helper()
	buf := make([]byte, 65536)
	_ = u.pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := u.pc.ReadFrom(buf)
	if err != nil {
		u.t.Fatalf("no answer: %v", err)
	}
	for _, l := range strings.Split(string(buf[:n]), "\r\n") {
		if v, ok := strings.CutPrefix(l, "Call-ID: "); ok {
			return v
		}
	}
	return ""
}

func TestGuard_RateLimitDropsExcessFromOneAddress(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{Guard: guard.Config{Rate: 1, Burst: 3}})
	u := newUDPPeer(t, "127.0.0.3", srv.udp())
	for range 3 {
		if cid := u.options("softphone"); u.next() != cid {
			t.Fatal("request within the burst unanswered")
		}
	}
	u.options("softphone") // over the rate: dropped
	other := newUDPPeer(t, "127.0.0.1", srv.udp())
	if cid := other.options("softphone"); other.next() != cid {
		t.Fatal("another address was limited too")
	}
	clk.Advance(time.Second) // one token back
	if cid := u.options("softphone"); u.next() != cid {
		t.Fatal("the request over the rate was answered, or the refilled one was not")
	}
}

func TestGuard_ScannersGetNoAnswer(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	u := newUDPPeer(t, "127.0.0.1", srv.udp())
	for _, ua := range []string{"friendly-scanner", "sipvicious", "sipcli/v1.8", "VaxSIPUserAgent/3.1"} {
		u.options(ua)
	}
	if cid := u.options("Yealink SIP-T46S"); u.next() != cid {
		t.Fatal("a scanner got an answer")
	}
}

func TestServer_KeepAliveOverTCPFollowsTheConnection(t *testing.T) {
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	p := siptest.NewPhone(t, siptest.WithUser("1002", secret1002), siptest.WithTransport("tcp"))
	if res, err := p.Register(ctxT(t), srv.Addr("tcp")); err != nil || res.StatusCode != 200 {
		t.Fatalf("Register: %v, %v", res, err)
	}
	srv.tick <- time.Now()
	srv.tick <- time.Now() // the second waits for the first round to end
	if bs := srv.Contacts("1002"); len(bs) != 1 || !bs[0].Reachable {
		t.Fatalf("with the connection up: %+v", bs)
	}
	p.Close()
	eventually(t, "CRLF keep-alive fails once the phone's connection is gone", func() bool {
		srv.tick <- time.Now()
		bs := srv.Contacts("1002")
		return len(bs) == 1 && !bs[0].Reachable
	})
}
