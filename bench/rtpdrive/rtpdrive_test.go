package rtpdrive

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestDriver_CountsWhatAHeaderRewritingRelayPassesAndSendsTheDigit: a
// minimal relay between two legs rewrites SSRC and sequence (as the box
// does after a prompt) and plays one unmarked "prompt" packet; the
// streams' packets are credited by their marks, the caller's digit
// arrives as RFC 4733 events and the prompt is counted as foreign.
func TestDriver_CountsWhatAHeaderRewritingRelayPassesAndSendsTheDigit(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	a, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	b, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	var mu sync.Mutex
	peers := map[*net.UDPConn]netip.AddrPort{}
	var events []byte
	var wg sync.WaitGroup
	fwd := func(in, out *net.UDPConn) {
		defer wg.Done()
		buf := make([]byte, 1500)
		prompted := false
		for {
			n, from, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			mu.Lock()
			peers[in] = from
			to, ok := peers[out]
			if buf[1]&0x7f == dtmfPT {
				events = append(events, buf[12])
				mu.Unlock()
				continue
			}
			mu.Unlock()
			if !prompted {
				prompted = true
				in.WriteToUDPAddrPort(make([]byte, 172), from) // a prompt frame: header and silence, no mark
			}
			if ok {
				copy(buf[2:4], []byte{0x55, 0x55})
				copy(buf[8:12], []byte{1, 2, 3, 4})
				out.WriteToUDPAddrPort(buf[:n], to)
			}
		}
	}
	wg.Add(2)
	go fwd(a, b)
	go fwd(b, a)
	defer func() { a.Close(); b.Close(); wg.Wait() }()

	d, err := New(Config{Locals: []netip.Addr{lo}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop := time.Now().Add(600 * time.Millisecond)
	caller, err := d.Add(lo, a.LocalAddr().(*net.UDPAddr).AddrPort(), stop, '1', 40*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := d.Add(lo, b.LocalAddr().(*net.UDPAddr).AddrPort(), stop, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(stop) + 300*time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Stream{"caller": caller, "agent": agent} {
		st := s.Stats()
		if st.Sent < 10 || st.Received == 0 || st.Lost != 0 || st.Received+1 < st.Expected {
			t.Errorf("%s: %+v", name, st)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 6 || events[0] != 1 || events[5] != 1 {
		t.Errorf("RFC 4733 events %v, want six of digit 1", events)
	}
	if d.Foreign() == 0 {
		t.Errorf("the unmarked prompt frames were not counted")
	}
}

func TestDriver_RefusesAnAddressItDoesNotHave(t *testing.T) {
	d, err := New(Config{Locals: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Add(netip.MustParseAddr("127.0.0.9"), netip.MustParseAddrPort("127.0.0.1:9"), time.Now(), 0, 0); err == nil {
		t.Fatal("a stream from an address without sockets was accepted")
	}
}
