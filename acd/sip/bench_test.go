package sip

import (
	"context"
	"net"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
)

var benchRegister = []byte(crlf("REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbench;rport\n" +
	"From: <sip:1001@127.0.0.1>;tag=abc\nTo: <sip:1001@127.0.0.1>\nCall-ID: bench-1\nCSeq: 2 REGISTER\n" +
	"Contact: <sip:1001@127.0.0.1:5070>\nMax-Forwards: 70\nExpires: 300\nUser-Agent: Yealink SIP-T46S 66.86.0.15\n" +
	"Authorization: Digest username=\"1001\", realm=\"callbox\", nonce=\"abc\", uri=\"sip:127.0.0.1\", response=\"00\", algorithm=MD5\n" +
	"Content-Length: 0\n\n"))

// BenchmarkFilter_UDP is the cost the first stage adds to every datagram
// (a parse that sipgo then repeats), against a budget of a few µs.
func BenchmarkFilter_UDP(b *testing.B) {
	clk := newTestClock()
	s, err := New(openStore(b, "", clk), Config{UDP: "127.0.0.1:0"}, WithLogger(quietLogger()), WithClock(clk.Now))
	if err != nil {
		b.Fatal(err)
	}
	props := sipmsg.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}}
	b.ReportAllocs()
	for b.Loop() {
		if out, _ := s.filter(props, benchRegister); out == nil {
			b.Fatal("dropped")
		}
		clk.Advance(1e9) // keep the token bucket full
	}
}

// BenchmarkRegister_Loopback is a full REGISTER with digest (two
// transactions, one store write) from a siptest phone over UDP.
func BenchmarkRegister_Loopback(b *testing.B) {
	clk := newTestClock()
	srv := startServer(b, openStore(b, "", clk), clk, Config{Guard: guard.Config{Rate: 1e6, Burst: 1 << 20}})
	p := siptest.NewPhone(b, siptest.WithUser("1001", secret1001))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := p.Register(ctx, srv.Addr("udp"))
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("Register: %v, %v", res, err)
		}
	}
}
