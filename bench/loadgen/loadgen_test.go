package loadgen

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestRun_CountsEveryPacketThroughARelay loads a minimal relay (each leg
// forwards to where its partner leg last heard from) and checks that
// what was sent is what came back.
func TestRun_CountsEveryPacketThroughARelay(t *testing.T) {
	res := testRelay(t, false, false, 0)
	if res.Received != res.Sent || res.Lost != 0 || res.Foreign != 0 || res.AfterEnd != 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestRun_MarkedCountsPacketsWhoseHeaderTheRelayRewrote: a relay that
// sends every packet under its own SSRC and sequence (as the box does on
// a leg that heard music first) still has each packet counted once.
func TestRun_MarkedCountsPacketsWhoseHeaderTheRelayRewrote(t *testing.T) {
	res := testRelay(t, true, true, 0)
	if res.Received != res.Sent || res.Lost != 0 || res.Foreign != 0 || res.AfterEnd != 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestRun_CountsWhatARelayQueuedPastTheEndAsLostAndAfterTheEnd: a relay
// that holds every packet 800 ms (a queue on a saturated machine) hands
// the whole 400 ms run back after the drain. Every packet is lost, and
// every one is counted as having come back after the end, which is what
// tells such a relay from one that drops.
func TestRun_CountsWhatARelayQueuedPastTheEndAsLostAndAfterTheEnd(t *testing.T) {
	res := testRelay(t, false, false, 800*time.Millisecond)
	if res.Received != 0 || res.Lost != int64(res.Sent) || res.AfterEnd != res.Sent {
		t.Fatalf("result %+v: want all %d packets lost and after the end", res, res.Sent)
	}
}

// testRelay runs 400 ms of three calls through a minimal relay that
// holds each packet for delay.
func testRelay(t *testing.T, marked, rewrite bool, delay time.Duration) Result {
	lo := netip.MustParseAddr("127.0.0.1")
	var calls []Call
	var conns []*net.UDPConn
	var wg sync.WaitGroup
	for range 3 {
		a, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		b, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		conns = append(conns, a, b)
		calls = append(calls, Call{A: a.LocalAddr().(*net.UDPAddr).AddrPort(), B: b.LocalAddr().(*net.UDPAddr).AddrPort()})
		var mu sync.Mutex
		peers := map[*net.UDPConn]netip.AddrPort{}
		fwd := func(in, out *net.UDPConn) {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				n, from, err := in.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				mu.Lock()
				peers[in] = from
				to, ok := peers[out]
				mu.Unlock()
				if ok {
					if rewrite && n >= 12 {
						copy(buf[2:4], []byte{0x77, 0x77})
						copy(buf[8:12], []byte{9, 9, 9, 9})
					}
					if delay == 0 {
						out.WriteToUDPAddrPort(buf[:n], to)
					} else {
						p := append([]byte(nil), buf[:n]...)
						time.AfterFunc(delay, func() { out.WriteToUDPAddrPort(p, to) })
					}
				}
			}
		}
		wg.Add(2)
		go fwd(a, b)
		go fwd(b, a)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	res, err := Run(t.Context(), Config{Calls: calls, Local: lo, Duration: 400 * time.Millisecond, Marked: marked})
	if err != nil {
		t.Fatal(err)
	}
	if res.Streams != 6 || res.Sent != 6*20 {
		t.Fatalf("sent %d packets on %d streams, want 120 on 6", res.Sent, res.Streams)
	}
	return res
}

func TestRun_RefusesUnboundedRuns(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	c := []Call{{A: netip.MustParseAddrPort("127.0.0.1:9"), B: netip.MustParseAddrPort("127.0.0.1:9")}}
	if _, err := Run(t.Context(), Config{Calls: c, Local: lo, Duration: time.Hour}); err == nil {
		t.Fatal("an hour-long run was accepted")
	}
	if _, err := Run(t.Context(), Config{Local: lo, Duration: time.Second}); err == nil {
		t.Fatal("a run without calls was accepted")
	}
}
