package rtp

import (
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"callbox/media"
	"callbox/media/g711"
)

// Capture tuning.
const (
	// drainEvery is how often the captures of a Ports are decoded and
	// handed to their writers: every two frames. A drain visits every
	// capture, and on a box carrying a thousand recorded calls each
	// capture's state and its writer's (the locks and buffers between
	// the packet queue and the file) have left the processor's cache
	// since the last one: a drain's cost is mostly those misses, once
	// per capture, whatever the frames it hands over. Two frames a
	// drain halve them per frame; the 40 ms it adds to what a recording
	// or a supervisor hears is well inside what they tolerate.
	drainEvery = 2 * media.FrameDuration
	// chunkBytes is the size of a capture's packet queue's chunks. A
	// capture owns one, enough for what a drain normally finds (two or
	// three packets). While packets come in bursts (a stall upstream let
	// go) or its writer falls behind (a disk stalling a recording, a box
	// short of processor time), the queue takes more chunks from a pool
	// all captures share, and the drain hands them back: a queue holds
	// what is waiting in it, not the most it ever held. An entry never
	// spans two chunks.
	chunkBytes = 1 << 10
	// captureMax bounds one capture's queue: about 8 s of 20 ms G.711;
	// beyond that packets are dropped and their time becomes silence.
	captureMax = 64 << 10
	// entryHeader is a queued packet's header: RTP timestamp (4), payload
	// length (2), flags (1), padding (1).
	entryHeader = 8
	// maxPayload is the largest payload queued (60 ms of G.711).
	maxPayload = 480
	// maxGap is the largest jump in the sender's timestamps filled with
	// silence, in samples (10 s at 8 kHz, the recorder's own limit for
	// a party falling behind); a larger jump starts a new stretch.
	maxGap = 80000
)

// flagReset marks the first packet of a new RTP stream (SSRC).
const flagReset = 1

var _ media.Capturer = (*Session)(nil)

// Capture lets one more party hear the leg, as Listen does, at a
// fraction of the cost: there is no goroutine and no jitter buffer per
// listener. The engine's loop copies each audio packet into the
// capture's queue, and every 40 ms one drain, for all the captures of
// the session's Ports, decodes the queued packets and writes 20 ms
// frames to w. Frames follow the sender's RTP timestamps: packets that
// arrived out of order within a drain are put back in order, a lost
// packet (a gap in the timestamps) is written as silence, and a packet
// whose time has already been written is dropped. w is called on the
// drain, in batches of usually two or three frames, so it must not block
// for long: it delays every other capture of the box (a recording whose
// disk stalls falls behind, up to about 8 s, before it loses audio; the
// relay never waits for it). This is how recordings and supervisors
// hear a call. stop ends the capture; w is not called after it returns.
// stop is idempotent. A capture of a closed session ends by itself.
func (s *Session) Capture(w media.FrameWriter) (stop func()) {
	c := newCapture(s, w)
	s.rxMu.Lock()
	s.captures = append(s.captures, c)
	s.rxMu.Unlock()
	s.ports.drains.add(c)
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.off = true
			c.mu.Unlock()
			s.rxMu.Lock()
			s.captures = slices.DeleteFunc(s.captures, func(x *capture) bool { return x == c })
			s.rxMu.Unlock()
			s.ports.drains.remove(c)
		})
	}
}

// capture is one Capture: its packet queue, which the loop fills under
// the session's rxMu, and its decoder, which the drain runs under mu.
type capture struct {
	s *Session
	w media.FrameWriter

	// Queue side, guarded by s.rxMu: q's chunks in order, the first the
	// capture's own, the others from chunkPool; queued is their length.
	q      [][]byte
	queued int
	reset  bool // the next packet starts a new stream

	// Drain side, guarded by mu.
	mu      sync.Mutex
	off     bool
	started bool
	nextTS  uint32      // the sender's timestamp of the next sample due
	frame   media.Frame // decoded audio, n samples of the next frame
	n       int
	law     g711.Law
	dec     g711.Decoder
	// hold keeps the packets after a gap until the gap is a drain
	// interval old (heldSince; heldTS is the first held packet's);
	// spare is its other buffer.
	hold, spare []byte
	heldSince   time.Time
	heldTS      uint32

	// over is set by the drainer once the capture has ended (drain
	// reported so), read by it to forget the capture.
	over bool
}

// chunkPool holds the queue chunks that no capture is using
// (*[chunkBytes]byte).
var chunkPool = sync.Pool{New: func() any { return new([chunkBytes]byte) }}

func newCapture(s *Session, w media.FrameWriter) *capture {
	return &capture{s: s, w: w, q: [][]byte{make([]byte, 0, chunkBytes)}}
}

// entry is one queued packet, as the drain reads it.
type entry struct {
	ts      uint32
	payload []byte
	reset   bool
}

// push queues one packet's audio; the loop calls it with s.rxMu held.
func (c *capture) push(ts uint32, payload []byte) {
	if len(payload) == 0 || len(payload) > maxPayload {
		return
	}
	need := entryHeader + len(payload)
	last := len(c.q) - 1
	if len(c.q[last])+need > chunkBytes {
		if len(c.q) == captureMax/chunkBytes {
			c.s.capDropped++
			return
		}
		c.q = append(c.q, chunkPool.Get().(*[chunkBytes]byte)[:0])
		last++
	}
	c.q[last] = appendEntry(c.q[last], ts, payload, c.reset)
	c.queued += need
	c.reset = false
	if c.queued >= captureMax/4 && c.queued-need < captureMax/4 {
		// A burst (seconds of audio at once): drain now rather than at
		// the next tick, before the queue is full.
		c.s.ports.drains.kick()
	}
}

// drainBufs is a drain's room: the queue's copy and its packets in
// order. One run drains one capture at a time, so the drainer keeps one
// for them all, and a capture keeps nothing of a burst after its drain.
type drainBufs struct {
	q     []byte
	order []entry
}

// drain decodes what the loop queued since the last drain and writes it
// to w, with b as its room; the queue's chunks but its own go back to
// the pool. now is the drain's time. It reports false once the capture
// is over (stopped, or its session closed with nothing left), so the
// drainer can forget it.
func (c *capture) drain(now time.Time, b *drainBufs) bool {
	s := c.s
	s.rxMu.Lock()
	scratch := append(b.q[:0], c.q[0]...)
	c.q[0] = c.q[0][:0]
	for _, ch := range c.q[1:] {
		scratch = append(scratch, ch...)
		chunkPool.Put((*[chunkBytes]byte)(ch[:chunkBytes]))
	}
	clear(c.q[1:])
	c.q, c.queued = c.q[:1], 0
	s.rxMu.Unlock()
	b.q = scratch

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return false
	}
	if len(scratch) == 0 && len(c.hold) == 0 {
		select {
		case <-s.closed:
			return false
		default:
			return true
		}
	}
	if law := s.params.Load().law; !c.started || law != c.law {
		// Decoders exist for both laws, so this cannot fail.
		c.dec, _ = g711.NewDecoder(lawCodec(law))
		c.law = law
	}
	order := parseEntries(parseEntries(b.order[:0], c.hold), scratch)
	b.order = order
	sortRuns(order)
	// A gap in the timestamps waits a drain interval for the packets
	// that would fill it (they may be late, not lost); after that its
	// time is silence.
	holding := len(c.hold) > 0
	wait := !holding || now.Sub(c.heldSince) < drainEvery
	i := 0
	for ; i < len(order); i++ {
		e := order[i]
		if wait && c.started && !e.reset {
			if gap := int32(e.ts - c.nextTS); gap > 0 && gap <= maxGap {
				break
			}
		}
		c.add(e)
	}
	// The held packets go to the other buffer: c.hold is still read.
	next := c.spare[:0]
	for _, e := range order[i:] {
		next = appendEntry(next, e.ts, e.payload, e.reset)
	}
	c.hold, c.spare = next, c.hold[:0]
	if len(next) > 0 && (!holding || order[i].ts != c.heldTS) {
		c.heldSince, c.heldTS = now, order[i].ts // a new gap
	}
	return true
}

// appendEntry appends one packet in the queue's format.
func appendEntry(q []byte, ts uint32, payload []byte, reset bool) []byte {
	var h [entryHeader]byte
	binary.BigEndian.PutUint32(h[0:4], ts)
	binary.BigEndian.PutUint16(h[4:6], uint16(len(payload)))
	if reset {
		h[6] = flagReset
	}
	q = append(q, h[:]...)
	return append(q, payload...)
}

// parseEntries appends the packets of a queue (written by push or
// appendEntry, so well formed) to out.
func parseEntries(out []entry, q []byte) []entry {
	for len(q) >= entryHeader {
		n := int(binary.BigEndian.Uint16(q[4:6]))
		out = append(out, entry{ts: binary.BigEndian.Uint32(q[0:4]), payload: q[entryHeader : entryHeader+n], reset: q[6]&flagReset != 0})
		q = q[entryHeader+n:]
	}
	return out
}

// sortRuns puts each stream's packets (a run from one reset to the next)
// in timestamp order. Insertion sort: a drain holds a few packets,
// nearly always in order.
func sortRuns(es []entry) {
	start := 0
	for i := 1; i <= len(es); i++ {
		if i < len(es) && !es[i].reset {
			continue
		}
		run := es[start:i]
		base := run[0].ts
		for k := 1; k < len(run); k++ {
			for j := k; j > 0 && int32(run[j].ts-base) < int32(run[j-1].ts-base); j-- {
				run[j], run[j-1] = run[j-1], run[j]
			}
		}
		start = i
	}
}

// add places one packet on the sender's timeline.
func (c *capture) add(e entry) {
	if e.reset || !c.started {
		c.started = true
		c.nextTS = e.ts
	}
	gap := int32(e.ts - c.nextTS)
	switch {
	case gap < -maxGap || gap > maxGap:
		// The sender's clock jumped: a new stretch, no silence for it.
		c.nextTS = e.ts
	case gap < 0:
		return // late or repeated: its time is written already
	case gap > 0:
		c.silence(int(gap))
	}
	for p := e.payload; len(p) > 0; {
		k := min(len(p), media.FrameSamples-c.n)
		c.n += c.dec.Decode(c.frame[c.n:], p[:k])
		p = p[k:]
		c.emit()
	}
	c.nextTS = e.ts + uint32(len(e.payload))
}

// silence adds n samples of silence (lost packets' time).
func (c *capture) silence(n int) {
	for n > 0 {
		k := min(n, media.FrameSamples-c.n)
		clear(c.frame[c.n : c.n+k])
		c.n += k
		n -= k
		c.emit()
	}
}

// emit writes the frame once it is whole; the decoding fills it in
// place, so a capture keeps one frame of audio.
func (c *capture) emit() {
	if c.n < media.FrameSamples {
		return
	}
	c.n = 0
	// A writer's error is its own business: the capture goes on until
	// stopped, like Listen.
	_ = c.w.WriteFrame(&c.frame)
}

// drainer runs the drain of every capture of a Ports, from a timer that
// is armed while there are captures: no goroutine waits between drains.
type drainer struct {
	mu      sync.Mutex
	caps    []*capture
	armed   bool // a drain is scheduled or running
	running bool // a drain is running
	again   bool // kicked while running: the next drain at once
	timer   *time.Timer
	list    []*capture // the running drain's copy of caps
	bufs    drainBufs  // the running drain's room
}

func (d *drainer) add(c *capture) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps = append(d.caps, c)
	d.arm()
}

func (d *drainer) remove(c *capture) {
	d.mu.Lock()
	d.caps = slices.DeleteFunc(d.caps, func(x *capture) bool { return x == c })
	d.mu.Unlock()
}

// arm schedules the next drain; d.mu is held.
func (d *drainer) arm() {
	if d.armed {
		return
	}
	d.armed = true
	if d.timer == nil {
		d.timer = time.AfterFunc(drainEvery, d.run)
		return
	}
	d.timer.Reset(drainEvery)
}

// kick brings the next drain forward to now: a capture's queue is
// filling with a burst. The loop calls it, with a session's rxMu held.
func (d *drainer) kick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.running:
		d.again = true
	case d.armed:
		if d.timer.Stop() {
			d.timer.Reset(0)
		} else {
			// It fired: the run is starting. Resetting the timer now
			// would start a second run beside it.
			d.again = true
		}
	}
}

// run drains every capture once and schedules the next drain while any
// capture remains. Only one run is ever in progress (armed).
func (d *drainer) run() {
	d.mu.Lock()
	d.running = true
	d.list = append(d.list[:0], d.caps...)
	d.mu.Unlock()
	over := false
	now := time.Now()
	for _, c := range d.list {
		if !c.drain(now, &d.bufs) {
			c.over, over = true, true
		}
	}
	clear(d.list) // let finished captures go
	d.mu.Lock()
	defer d.mu.Unlock()
	if over {
		d.caps = slices.DeleteFunc(d.caps, func(x *capture) bool { return x.over })
	}
	d.running, d.armed = false, false
	if len(d.caps) > 0 {
		d.arm()
		if d.again {
			d.timer.Reset(0)
		}
	}
	d.again = false
}
