package rtp

import (
	"slices"
	"sync"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
)

func TestCapture_HearsTheWholeLegBesideTheRelay(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33300, 33399)
	pa, pb := newPhone(t), newPhone(t)
	a := open(t, p, Config{Codec: media.PCMU, Remote: pa.addr(), Timeout: -1})
	b := open(t, p, Config{Codec: media.PCMU, Remote: pb.addr(), Timeout: -1})
	stopRelay := a.RelayTo(b)
	defer stopRelay()
	var heard collector
	stop := a.Capture(&heard)

	tone := audiotest.Sine(1100, 8000, 4000) // 0.5 s
	pay := make([]byte, 160)
	relayed := 0
	for off := 0; off < len(tone); off += 160 {
		g711.EncodeUlaw(pay, tone[off:off+160])
		pa.send(a.LocalAddr(), 0, pay)
		if pkt, _ := pb.recv(); len(pkt) > 12 {
			relayed++
		}
	}
	// Nothing is held back: every sample sent is heard at the next drain.
	eventually(t, "the whole tone captured", func() bool { return len(heard.samples()) >= len(tone) })
	stop()
	stop() // idempotent
	n := len(heard.samples())
	if relayed != len(tone)/160 {
		t.Errorf("relayed %d packets of %d", relayed, len(tone)/160)
	}
	if got := heard.samples(); len(got) != len(tone) {
		t.Errorf("captured %d samples, want %d", len(got), len(tone))
	}
	if fr := audiotest.Dominant(heard.samples(), 300, 3400); fr < 1095 || fr > 1105 {
		t.Errorf("captured %v Hz, want 1100", fr)
	}
	// After stop, more audio reaches nobody.
	for range 10 {
		g711.EncodeUlaw(pay, tone[:160])
		pa.send(a.LocalAddr(), 0, pay)
		pb.recv()
	}
	time.Sleep(3 * drainEvery) // a wait for drains that must not write, not a timing assertion
	if len(heard.samples()) != n {
		t.Errorf("written to after stop: %d samples, then %d", n, len(heard.samples()))
	}
}

// levelFrame is a µ-law payload of n samples all at v.
func levelFrame(v int16, n int) []byte {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = v
	}
	out := make([]byte, n)
	g711.EncodeUlaw(out, pcm)
	return out
}

// levels is the level of each captured frame, rounded to hundreds.
func levels(pcm []int16) []int {
	var out []int
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		v := int(pcm[i])
		out = append(out, (v+50*sign(v))/100)
	}
	return out
}

func sign(v int) int {
	if v < 0 {
		return -1
	}
	return 1
}

// manualCapture is a capture on a real session that the test drains
// itself, packet by packet, instead of the Ports' timer.
func manualCapture(t *testing.T) (*manual, *collector, *Session) {
	e := newEngine(t)
	p := newPorts(t, e, 33400, 33499)
	s := open(t, p, Config{Codec: media.PCMU, Timeout: -1})
	col := &collector{}
	return &manual{capture: newCapture(s, col), now: time.Unix(1_800_000_000, 0)}, col, s
}

// manual is a capture the test drives: drainAt drains as the timer
// would, a drain interval after the last.
type manual struct {
	*capture
	now  time.Time
	bufs drainBufs
}

func (m *manual) drainAt() {
	m.now = m.now.Add(drainEvery)
	m.drain(m.now, &m.bufs)
}

func (c *manual) pushAt(ts uint32, level int16, n int) {
	c.s.rxMu.Lock()
	c.push(ts, levelFrame(level, n))
	c.s.rxMu.Unlock()
}

func TestCapture_FollowsTheSendersTimestamps(t *testing.T) {
	c, col, _ := manualCapture(t)
	// Out of order within a drain: put back in order.
	c.pushAt(1000, 100, 160)
	c.pushAt(1320, 300, 160)
	c.pushAt(1160, 200, 160)
	c.drainAt()
	// A lost packet (1480) is silence; a late one (1160 again) is
	// dropped, its time written already.
	c.pushAt(1640, 500, 160)
	c.pushAt(1160, 900, 160)
	c.drainAt()
	// A jump of more than maxGap starts a new stretch without silence.
	c.pushAt(1800+maxGap+8000, 700, 160)
	c.drainAt()
	// A new stream (SSRC) starts a new stretch too, wherever its clock is.
	c.s.rxMu.Lock()
	c.reset = true
	c.s.rxMu.Unlock()
	c.pushAt(5, 800, 160)
	c.pushAt(165, 600, 160)
	c.drainAt()
	got := levels(col.samples())
	// µ-law keeps these levels to within a few per cent.
	want := []int{1, 2, 3, 0, 5, 7, 8, 6}
	if !slices.Equal(got, want) {
		t.Fatalf("frames at levels %v, want %v", got, want)
	}
}

func TestCapture_APacketLateByADrainStillTakesItsPlace(t *testing.T) {
	c, col, _ := manualCapture(t)
	c.pushAt(1000, 100, 160)
	c.pushAt(1320, 300, 160)
	c.drainAt() // 1160 is missing: 1320 waits
	if got := levels(col.samples()); len(got) != 1 {
		t.Fatalf("after the first drain: %v, want only the first frame", got)
	}
	c.pushAt(1160, 200, 160)
	c.drainAt()
	// A gap nothing fills is silence after one drain.
	c.pushAt(1640, 500, 160)
	c.drainAt()
	c.drainAt()
	got, want := levels(col.samples()), []int{1, 2, 3, 0, 5}
	if !slices.Equal(got, want) {
		t.Fatalf("frames at levels %v, want %v", got, want)
	}
}

func TestCapture_CutsOtherPacketTimesInto20msFrames(t *testing.T) {
	c, col, _ := manualCapture(t)
	for k := range 3 { // 30 ms packets
		c.pushAt(uint32(240*k), int16(100*(k+1)), 240)
	}
	c.drainAt()
	if got := len(col.samples()); got != 4*media.FrameSamples {
		t.Fatalf("%d samples written, want the 4 whole frames of 720", got)
	}
	c.pushAt(720, 400, 240)
	c.drainAt()
	if got := len(col.samples()); got != 6*media.FrameSamples {
		t.Fatalf("%d samples written, want 6 frames of 960", got)
	}
}

func TestCapture_AWriterFarBehindLosesAudioNotTheRelay(t *testing.T) {
	c, col, s := manualCapture(t)
	const packets = 2 * captureMax / (entryHeader + 160)
	for k := range packets {
		c.pushAt(uint32(160*k), 100, 160)
	}
	if room := c.room(); room > captureMax {
		t.Fatalf("queue grew to %d bytes, bound %d", room, captureMax)
	}
	dropped := s.Stats().CaptureDropped
	if dropped == 0 {
		t.Fatal("no packet counted as dropped")
	}
	c.drainAt()
	kept := len(col.samples()) / media.FrameSamples
	if kept+int(dropped) != packets {
		t.Errorf("kept %d and dropped %d of %d packets", kept, dropped, packets)
	}
	// The next packets take their place after the dropped ones' silence
	// (which waits a drain for them, then is written).
	c.pushAt(uint32(160*packets), 300, 160)
	c.drainAt()
	c.drainAt()
	got := levels(col.samples())
	if len(got) != packets+1 || got[len(got)-1] != 3 || got[len(got)-2] != 0 {
		t.Errorf("after the overflow: %d frames, last %v", len(got), got[len(got)-2:])
	}
}

func TestCapture_EndsWithItsSession(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33500, 33599)
	s := open(t, p, Config{Codec: media.PCMU, Timeout: -1})
	var col collector
	stop := s.Capture(&col)
	defer stop()
	s.Close()
	eventually(t, "the drainer forgets the closed session's capture", func() bool {
		p.drains.mu.Lock()
		defer p.drains.mu.Unlock()
		return len(p.drains.caps) == 0 && !p.drains.armed
	})
}

// Bursts on many sessions at once kick the drainer from several loops
// while it runs; it must never run twice at a time (the race detector
// would see its shared buffers written by both) and must lose nothing.
func TestCapture_KicksFromManyBurstsKeepOneDrainAtATime(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33600, 33699)
	const sessions, bursts, perBurst = 8, 20, captureMax / 4 / (entryHeader + 160)
	cols := make([]*collector, sessions)
	sess := make([]*Session, sessions)
	var wg sync.WaitGroup
	for i := range sessions {
		s := open(t, p, Config{Codec: media.PCMU, Timeout: -1})
		sess[i] = s
		cols[i] = &collector{}
		stop := s.Capture(cols[i])
		defer stop()
		var c *capture
		s.rxMu.Lock()
		c = s.captures[0]
		s.rxMu.Unlock()
		wg.Go(func() {
			ts := uint32(0)
			for range bursts {
				s.rxMu.Lock()
				for range perBurst + 1 {
					c.push(ts, levelFrame(100, 160))
					ts += 160
				}
				s.rxMu.Unlock()
				// The next burst once this one is taken: a burst is an
				// upstream stall let go, not a sender faster than time.
				for k := 0; k < 2000; k++ {
					s.rxMu.Lock()
					n := c.queued
					s.rxMu.Unlock()
					if n == 0 {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	want := bursts * (perBurst + 1) * media.FrameSamples
	for i, col := range cols {
		for k := 0; k < 200 && len(col.samples()) < want; k++ {
			time.Sleep(10 * time.Millisecond)
		}
		if got := len(col.samples()); got != want {
			t.Errorf("session %d: %d samples, want %d (%d dropped)", i, got, want, sess[i].Stats().CaptureDropped)
		}
	}
}

// A burst takes chunks from the pool, and the drain gives them back at
// once: a capture keeps its one chunk, whatever it once held. A burst
// across many chunks comes out whole and in order.
func TestCapture_GivesABurstsChunksBackAtTheDrain(t *testing.T) {
	c, col, _ := manualCapture(t)
	ts := uint32(0)
	push := func(n int) {
		for range n {
			c.pushAt(ts, int16(100*(ts/160%10+1)), 160)
			ts += 160
		}
	}
	push(2)
	if room := c.room(); room != chunkBytes {
		t.Fatalf("two packets hold %d bytes of room, want one chunk (%d)", room, chunkBytes)
	}
	push(40) // 6.7 KB: 7 chunks more
	if room, n := c.room(), c.queued; room < n || room > n+2*chunkBytes {
		t.Fatalf("%d bytes queued in %d bytes of room", n, room)
	}
	c.drainAt()
	if room := c.room(); room != chunkBytes || c.queued != 0 {
		t.Fatalf("after the drain: %d bytes of room, %d queued; want the capture's one chunk, empty", room, c.queued)
	}
	push(3)
	c.drainAt()
	got := levels(col.samples())
	if len(got) != int(ts/160) {
		t.Fatalf("%d frames written of %d pushed", len(got), ts/160)
	}
	for k, v := range got {
		if want := k%10 + 1; v != want {
			t.Fatalf("frame %d has level %d, want %d: out of order or lost", k, v, want)
		}
	}
}

// room is the capacity of c's queue chunks.
func (c *capture) room() int {
	c.s.rxMu.Lock()
	defer c.s.rxMu.Unlock()
	n := 0
	for _, ch := range c.q {
		n += cap(ch)
	}
	return n
}
