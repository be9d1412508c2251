//go:build linux

package relay

import (
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

var loopback = netip.MustParseAddrPort("127.0.0.1:0")

// pipe is the fast path in its simplest shape: what arrives on a goes out
// of b to dst.
type pipe struct {
	out *Socket
	dst netip.AddrPort
}

func (p *pipe) HandleBatch(b *Batch) {
	for i := range b.Len() {
		pkt, _ := b.Packet(i)
		b.Forward(i, len(pkt), p.out, p.dst)
	}
}

func udp(t testing.TB) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rtpPacket(seq uint16, ts, ssrc uint32) []byte {
	p := make([]byte, 172)
	p[0] = 0x80
	binary.BigEndian.PutUint16(p[2:], seq)
	binary.BigEndian.PutUint32(p[4:], ts)
	binary.BigEndian.PutUint32(p[8:], ssrc)
	return p
}

var backends = []struct {
	name string
	b    Backend
}{{"epoll", BackendEpoll}, {"io_uring", BackendURing}}

func TestEngine_ForwardsThroughSecondSocketInOrder(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { testForward(t, be.b) })
	}
}

func testForward(t *testing.T, backend Backend) {
	e, err := NewEngine(Options{Loops: 2, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dst := udp(t)
	src := udp(t)
	p := &pipe{dst: dst.LocalAddr().(*net.UDPAddr).AddrPort()}
	b, err := e.Listen(loopback, HandlerFunc(func(*Batch) {}))
	if err != nil {
		t.Fatal(err)
	}
	p.out = b
	a, err := e.Listen(loopback, p)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	buf := make([]byte, 2000)
	dst.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range n {
		src.WriteToUDPAddrPort(rtpPacket(uint16(i), uint32(i)*160, 1), a.LocalAddr())
		if i%10 != 9 {
			continue
		}
		// Read each burst of 10 before the next, so no buffer overflows
		// however slow the machine.
		for j := i - 9; j <= i; j++ {
			m, from, err := dst.ReadFromUDPAddrPort(buf)
			if err != nil {
				t.Fatalf("packet %d: %v", j, err)
			}
			if from != b.LocalAddr() {
				t.Fatalf("from %v, want relay socket %v", from, b.LocalAddr())
			}
			if m != 172 || binary.BigEndian.Uint16(buf[2:]) != uint16(j) {
				t.Fatalf("packet %d: got seq %d len %d", j, binary.BigEndian.Uint16(buf[2:]), m)
			}
		}
	}
}

func TestEngine_CloseReleasesSocketsAndGoroutines(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { testClose(t, be.b) })
	}
}

func testClose(t *testing.T, backend Backend) {
	before := runtime.NumGoroutine()
	e, err := NewEngine(Options{Loops: 3, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	var port netip.AddrPort
	for i := range 100 {
		s, err := e.Listen(loopback, HandlerFunc(func(*Batch) {}))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			port = s.LocalAddr()
		}
		if i%2 == 0 {
			s.Close()
			s.Close()
		}
	}
	e.Close()
	if _, err := e.Listen(loopback, nil); err != ErrEngineDown {
		t.Fatalf("Listen after Close = %v", err)
	}
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(port))
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	c.Close()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("goroutines %d, were %d", runtime.NumGoroutine(), before)
}

func TestSocket_WriteToAfterCloseFails(t *testing.T) {
	e, _ := NewEngine(Options{Loops: 1})
	defer e.Close()
	s, err := e.Listen(loopback, HandlerFunc(func(*Batch) {}))
	if err != nil {
		t.Fatal(err)
	}
	dst := udp(t)
	if err := s.WriteTo([]byte("x"), dst.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.WriteTo([]byte("x"), dst.LocalAddr().(*net.UDPAddr).AddrPort()); err != ErrClosed {
		t.Fatalf("WriteTo after Close = %v", err)
	}
}

func TestRewriter_FirstSourcePassesUnchanged(t *testing.T) {
	r := NewRewriter(8000)
	p := rtpPacket(100, 16000, 42)
	r.Rewrite(p, 1)
	if binary.BigEndian.Uint16(p[2:]) != 100 || binary.BigEndian.Uint32(p[4:]) != 16000 || binary.BigEndian.Uint32(p[8:]) != 42 {
		t.Fatalf("first source rewritten: % x", p[:12])
	}
}

func TestRewriter_NewSourceContinuesNumbering(t *testing.T) {
	r := NewRewriter(8000)
	now := int64(0)
	for i := range 10 {
		r.Rewrite(rtpPacket(uint16(65530+i), uint32(i)*160, 42), now)
		now += int64(20 * time.Millisecond)
	}
	// The source restarts with a new SSRC and random numbering 20 ms later.
	p := rtpPacket(7, 999999, 77)
	r.Rewrite(p, now)
	if seq := binary.BigEndian.Uint16(p[2:]); seq != 4 {
		t.Fatalf("seq %d, want 4 (wrapped)", seq)
	}
	if ts := binary.BigEndian.Uint32(p[4:]); ts != 10*160 {
		t.Fatalf("ts %d, want %d", ts, 10*160)
	}
	if ssrc := binary.BigEndian.Uint32(p[8:]); ssrc != 42 {
		t.Fatalf("ssrc %d, want the stream's 42", ssrc)
	}
	// A standby restoring the state continues the same way.
	r2 := NewRewriter(8000)
	r2.SetState(r.State())
	q := rtpPacket(500, 5, 88)
	r2.Rewrite(q, now+int64(20*time.Millisecond))
	if seq := binary.BigEndian.Uint16(q[2:]); seq != 5 {
		t.Fatalf("after failover seq %d", seq)
	}
}

// BenchmarkEngine_ForwardPerPacket measures one relayed packet end to end
// through real sockets: client send, recvmmsg, handler, sendmmsg, client
// receive. Allocations are counted across the whole process, so 0
// allocs/op covers the loop goroutine too.
func BenchmarkEngine_ForwardPerPacket(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { benchForward(b, be.b) })
	}
}

func benchForward(b *testing.B, backend Backend) {
	e, err := NewEngine(Options{Loops: 1, Backend: backend})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	dst := udp(b)
	src := udp(b)
	p := &pipe{dst: dst.LocalAddr().(*net.UDPAddr).AddrPort()}
	out, _ := e.Listen(loopback, HandlerFunc(func(*Batch) {}))
	p.out = out
	in, _ := e.Listen(loopback, p)
	pkt := rtpPacket(1, 160, 1)
	buf := make([]byte, 2000)
	to := in.LocalAddr()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		src.WriteToUDPAddrPort(pkt, to)
		if _, _, err := dst.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriter(b *testing.B) {
	r := NewRewriter(8000)
	p := rtpPacket(1, 160, 1)
	b.ReportAllocs()
	for i := range b.N {
		binary.BigEndian.PutUint32(p[8:], uint32(i>>10))
		r.Rewrite(p, int64(i)*20e6)
	}
}
