package acd

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/g711"
	"callbox/media/record"
	"callbox/media/relay"
	"callbox/media/rtp"
	"callbox/media/wav"
)

// rawPhone is a far end that sends hand-made RTP packets (any sequence
// number, timestamp and payload) from a real loopback socket to a box
// session.
type rawPhone struct {
	leg  *fakeLeg
	box  *rtp.Session
	conn *net.UDPConn
	ssrc uint32
}

func rawPhones(t *testing.T, names ...string) []*rawPhone {
	t.Helper()
	e, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ports, err := rtp.NewPorts(e, netip.MustParseAddr("127.0.0.1"), 44000, 44999)
	if err != nil {
		t.Fatal(err)
	}
	var out []*rawPhone
	for i, n := range names {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		box, err := rtp.Open(t.Context(), ports, rtp.Config{Timeout: -1,
			Remote: conn.LocalAddr().(*net.UDPAddr).AddrPort()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { box.Close(); conn.Close() })
		l := newLeg(n, n, SourceExtension)
		l.endpoint = box
		out = append(out, &rawPhone{leg: l, box: box, conn: conn, ssrc: 0x1000 + uint32(i)})
	}
	return out
}

// send sends one 20 ms μ-law packet whose every byte is code.
func (p *rawPhone) send(t testing.TB, seq uint16, code byte) {
	t.Helper()
	pkt := make([]byte, 12+media.FrameSamples)
	pkt[0], pkt[1] = 0x80, 0 // version 2, PCMU
	binary.BigEndian.PutUint16(pkt[2:], seq)
	binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*media.FrameSamples)
	binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
	for i := range media.FrameSamples {
		pkt[12+i] = code
	}
	if _, err := p.conn.WriteToUDPAddrPort(pkt, p.box.LocalAddr()); err != nil {
		t.Fatal(err)
	}
}

// counted counts the frames a tap handed on.
type counted struct {
	w media.FrameWriter
	n atomic.Int64
}

func (c *counted) WriteFrame(f *media.Frame) error {
	c.n.Add(1)
	return c.w.WriteFrame(f)
}

// The codes a party's frame k carries: distinct μ-law codes of one sign
// per party, so where each frame landed in the file can be read back.
func callerCode(k int) byte { return 0x80 + byte(k%100) }
func agentCode(k int) byte  { return 0x00 + byte(k%100) }

func ulaw(code byte) int16 {
	var out [1]int16
	d, _ := g711.NewDecoder(media.PCMU)
	d.Decode(out[:], []byte{code})
	return out[0]
}

func TestCall_RecordingTapKeepsABurstOfSecondsInPlace(t *testing.T) {
	ps := rawPhones(t, "caller", "agent")
	caller, agent := ps[0], ps[1]
	_, c, res := bridged(t, caller.leg, agent.leg)
	path := filepath.Join(t.TempDir(), "call.wav")
	rec, err := record.Create(path, record.Stereo, record.ULaw)
	if err != nil {
		t.Fatal(err)
	}
	cw, aw := &counted{w: rec.Caller()}, &counted{w: rec.Other()}
	stopC, err := c.Tap(caller.leg, cw)
	if err != nil {
		t.Fatal(err)
	}
	stopA, err := c.Tap(agent.leg, aw)
	if err != nil {
		t.Fatal(err)
	}
	// Tap returns before the bridge rewires, and a rewire restarts the
	// parties' decoders: let it finish (its goroutines settle).
	settledGoroutines()
	// The call's first packets come in real time, one from each side
	// (sent again until heard; a copy after the first is a duplicate the
	// capture drops, its time written already)...
	eventuallyTrue(t, "the caller's first frame", func() bool {
		caller.send(t, 0, callerCode(0))
		return cw.n.Load() == 1
	})
	eventuallyTrue(t, "the agent's first frame", func() bool {
		agent.send(t, 0, agentCode(0))
		return aw.n.Load() == 1
	})
	// ...then 10 s of each side's audio arrive back to back (a stall
	// upstream let go), in runs of 100 packets, more than a relay batch
	// and the old reorder buffer. The caller's packets 110..119 come in
	// swapped pairs, inside one run (a packet a run late is late: its
	// time is silence by then); the agent's 300..309 never come.
	const n = 500
	// recorded waits until the recording has every frame of both parties
	// before end, the lost ones as silence, but for the agent's lost
	// frames at the end: their time is silence only once a later packet
	// shows it.
	recorded := func(end int64) {
		t.Helper()
		agentEnd := end
		if end > 300 && end < 310 {
			agentEnd = 300
		}
		if !eventually(func() bool { return cw.n.Load() == end && aw.n.Load() == agentEnd }) {
			t.Fatalf("the recording has %d of the caller's frames (%d packets dropped by its capture) and %d of the agent's (%d dropped), want %d and %d",
				cw.n.Load(), caller.box.Stats().CaptureDropped, aw.n.Load(), agent.box.Stats().CaptureDropped, end, agentEnd)
		}
	}
	sent := [2]uint64{caller.box.Stats().PacketsIn, agent.box.Stats().PacketsIn}
	for start := 1; start < n; start += 100 {
		end := min(start+100, n)
		for k := start; k < end; k++ {
			ck := k
			if k >= 110 && k < 120 {
				ck = k ^ 1
			}
			caller.send(t, uint16(ck), callerCode(ck))
			sent[0]++
			if k < 300 || k >= 310 {
				agent.send(t, uint16(k), agentCode(k))
				sent[1]++
			}
		}
		// The next run once the box has the packets (a loopback socket
		// buffer holds only a few hundred) and the recording has their
		// frames: the captures' queues hold about 8 s, and a drain of
		// the race detector's speed on a busy machine can come later
		// than the packets of that many runs.
		waitReceived(t, caller, sent[0])
		waitReceived(t, agent, sent[1])
		recorded(int64(end))
	}
	stopC()
	stopA()
	result, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if result.Duration != 10*time.Second {
		t.Fatalf("recording of %v, want 10 s", result.Duration)
	}
	h, left, right := readStereo(t, path)
	if h.Channels != 2 || len(left) != n*media.FrameSamples {
		t.Fatalf("%d channels, %d frames", h.Channels, len(left)/media.FrameSamples)
	}
	for k := range n {
		s := k*media.FrameSamples + media.FrameSamples/2
		if got, want := left[s], ulaw(callerCode(k)); got != want {
			t.Fatalf("caller's frame %d: sample %d, want %d", k, got, want)
		}
		want := ulaw(agentCode(k))
		if k >= 300 && k < 310 {
			want = 0 // lost: silence in its place
		}
		if got := right[s]; got != want {
			t.Fatalf("agent's frame %d: sample %d, want %d", k, got, want)
		}
	}
	agent.leg.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v", err)
	}
}

// waitReceived waits until the box's session has taken n packets in.
func waitReceived(t *testing.T, p *rawPhone, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); p.box.Stats().PacketsIn < n; {
		if time.Now().After(deadline) {
			t.Fatalf("the box took %d of %d packets from %s (%d dropped): the kernel dropped some",
				p.box.Stats().PacketsIn, n, p.leg.id, p.box.Stats().Dropped)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func readStereo(t *testing.T, path string) (wav.Header, []int16, []int16) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := wav.ParseHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, h.DataSize)
	if _, err := f.ReadAt(data, h.DataOffset); err != nil {
		t.Fatal(err)
	}
	if h.Channels != 2 {
		t.Fatalf("header %+v: want stereo", h)
	}
	ch := h.Split(data)
	return h, ch[0], ch[1]
}

// TestCall_RecordingTapsCostNoGoroutine counts what recording a relayed
// two-party call adds: no goroutine at all (the parties are captured
// from packet queues that one timer drains for the whole box), and none
// left once the taps stop.
func TestCall_RecordingTapsCostNoGoroutine(t *testing.T) {
	ps := rawPhones(t, "caller", "agent")
	_, c, res := bridged(t, ps[0].leg, ps[1].leg)
	before := settledGoroutines()
	var stops []func()
	for _, p := range ps {
		stop, err := c.Tap(p.leg, media.FrameWriterFunc(func(*media.Frame) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, stop)
	}
	// A tap goes in at the next wiring: send a packet each to make sure
	// both parties are captured.
	for _, p := range ps {
		p.send(t, 1, 0x90)
	}
	if got := settledGoroutines() - before; got != 0 {
		t.Errorf("recording a call added %d goroutines, want none", got)
	}
	for _, stop := range stops {
		stop()
	}
	if got := settledGoroutines() - before; got != 0 {
		t.Errorf("%d goroutines left after the taps stopped", got)
	}
	ps[1].leg.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v", err)
	}
}

// settledGoroutines is the goroutine count once it has stopped changing
// (goroutines just started or ending).
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for same := 0; same < 20; {
		time.Sleep(5 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}
