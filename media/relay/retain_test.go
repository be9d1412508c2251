//go:build linux

package relay

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// collected waits, collecting garbage, until count reaches want or a
// bounded number of collections passed; it returns the last count.
func collected(count *atomic.Int64, want int64) int64 {
	for range 50 {
		runtime.GC()
		if count.Load() >= want {
			break
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	return count.Load()
}

// TestEngine_ClosedSocketsAndHandlersAreCollected relays a packet
// through pairs of sockets, closes them, and checks that nothing of the
// engine (the loop's batch: the socket served last, the sockets it
// forwarded through) keeps a closed socket's handler reachable: in the
// box a handler is a call's RTP session.
func TestEngine_ClosedSocketsAndHandlersAreCollected(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { testCollected(t, be.b) })
	}
}

func testCollected(t *testing.T, backend Backend) {
	e, err := NewEngine(Options{Loops: 2, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dst, src := udp(t), udp(t)
	to := dst.LocalAddr().(*net.UDPAddr).AddrPort()
	var freed atomic.Int64
	const rounds = 20
	buf := make([]byte, 2000)
	for i := range rounds {
		func() {
			out, err := e.Listen(loopback, &pipe{})
			if err != nil {
				t.Fatal(err)
			}
			p := &pipe{out: out, dst: to}
			in, err := e.Listen(loopback, p)
			if err != nil {
				t.Fatal(err)
			}
			runtime.AddCleanup(p, func(c *atomic.Int64) { c.Add(1) }, &freed)
			runtime.AddCleanup(out.handler.(*pipe), func(c *atomic.Int64) { c.Add(1) }, &freed)
			if got := e.Sockets(); got != 2 {
				t.Fatalf("round %d: Sockets() = %d with two open", i, got)
			}
			src.WriteToUDPAddrPort(rtpPacket(uint16(i), uint32(i)*160, 1), in.LocalAddr())
			dst.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := dst.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			in.Close()
			out.Close()
			out.Close() // twice: counted once
		}()
	}
	if got := e.Sockets(); got != 0 {
		t.Fatalf("Sockets() = %d after every socket closed", got)
	}
	if got := collected(&freed, 2*rounds); got != 2*rounds {
		t.Fatalf("%d of %d closed sockets' handlers collected: the engine keeps the rest reachable", got, 2*rounds)
	}
}
