package rtp

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"callbox/media/relay"
)

// fakeClock moves only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var due *fakeTimer
		for i, t := range c.timers {
			if t.stopped {
				continue
			}
			if !t.at.After(end) {
				due = t
				c.timers = append(c.timers[:i:i], c.timers[i+1:]...)
			}
			break
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.now = due.at
		due.stopped = true
		c.mu.Unlock()
		due.f()
	}
}

// testBackend is the engine backend the helpers use; tests that matter
// for both run once per backend.
var testBackend = relay.BackendEpoll

var backends = []struct {
	name string
	b    relay.Backend
}{{"epoll", relay.BackendEpoll}, {"io_uring", relay.BackendURing}}

// eachBackend runs f once per engine backend.
func eachBackend(t *testing.T, f func(t *testing.T)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			old := testBackend
			testBackend = be.b
			defer func() { testBackend = old }()
			f(t)
		})
	}
}

func newEngine(t testing.TB) *relay.Engine {
	e, err := relay.NewEngine(relay.Options{Loops: 2, Backend: testBackend})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newPorts(t testing.TB, e *relay.Engine, first, last int) *Ports {
	p, err := NewPorts(e, netip.MustParseAddr("127.0.0.1"), first, last)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t testing.TB, p *Ports, cfg Config) *Session {
	s, err := Open(context.Background(), p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// phone is a test softphone's media socket.
type phone struct {
	*net.UDPConn
	t    testing.TB
	ssrc uint32
	seq  uint16
	ts   uint32
}

func newPhone(t testing.TB) *phone {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{UDPConn: c, t: t, ssrc: 0x1234, seq: 100, ts: 8000}
}

func (p *phone) addr() netip.AddrPort { return p.LocalAddr().(*net.UDPAddr).AddrPort() }

// send sends one RTP packet with the given payload type and payload.
func (p *phone) send(to netip.AddrPort, pt uint8, payload []byte) {
	pkt := make([]byte, 12+len(payload))
	pkt[0] = 0x80
	pkt[1] = pt
	binary.BigEndian.PutUint16(pkt[2:], p.seq)
	binary.BigEndian.PutUint32(pkt[4:], p.ts)
	binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
	copy(pkt[12:], payload)
	p.seq++
	p.ts += uint32(len(payload))
	if _, err := p.WriteToUDPAddrPort(pkt, to); err != nil {
		p.t.Fatal(err)
	}
}

// recv reads one datagram, failing the test after a generous deadline.
func (p *phone) recv() ([]byte, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, 2000)
	p.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := p.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("phone %v: %v", p.addr(), err)
	}
	return buf[:n], from
}

// eventually waits for cond, failing after a generous bound. It is a wait,
// not a timing assertion.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never happened: %s", what)
}
