package rtp

import (
	"encoding/binary"
	"testing"
)

// BenchmarkSession_RelayPerPacket is one packet through the box's fast
// path, socket calls included: phone A sends, leg A's loop reads it
// (recvmmsg), validates, latches, counts and rewrites it, leg B sends it
// (sendmmsg), phone B reads it. Allocations count every goroutine.
func BenchmarkSession_RelayPerPacket(b *testing.B) {
	e := newEngine(b)
	p := newPorts(b, e, 34000, 34099)
	pa, pb := newPhone(b), newPhone(b)
	la := open(b, p, Config{Remote: pa.addr(), Timeout: -1})
	lb := open(b, p, Config{Remote: pb.addr(), Timeout: -1})
	defer la.RelayTo(lb)()
	pkt := make([]byte, 172)
	pkt[0] = 0x80
	binary.BigEndian.PutUint32(pkt[8:], 7)
	buf := make([]byte, 2000)
	to := la.LocalAddr()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i)*160)
		pa.WriteToUDPAddrPort(pkt, to)
		if _, _, err := pb.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHeader is the fast path's header validation.
func BenchmarkParseHeader(b *testing.B) {
	pkt := make([]byte, 172)
	pkt[0] = 0x80
	var h header
	b.ReportAllocs()
	for range b.N {
		if !parseHeader(pkt, &h) {
			b.Fatal("invalid")
		}
	}
}
