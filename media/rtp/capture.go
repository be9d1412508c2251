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
	// captureStart and captureMax bound one capture's packet queue: it
	// starts small (a drain normally finds two or three packets) and grows
	// while packets come in bursts (a stall upstream let go) or its
	// writer falls behind (a disk stalling a recording), up to about 8 s
	// of 20 ms G.711; beyond that packets are dropped and their time
	// becomes silence. Once the bursts have stopped the room is given
	// back (shrinkAfter).
	captureStart = 1 << 10
	captureMax   = 64 << 10
	// shrinkAfter is how many drains in a row must find a grown queue
	// nearly empty (an eighth of it) before its room is given back: 2 s.
	// A box that has fallen behind hands its captures bursts drain after
	// drain; giving the room back at the first quiet drain made every
	// burst grow the queue again, and at 1,250 recorded calls that churn
	// was a quarter of what the box allocated (646 of 2,307 MB in one
	// step of the 00:02 probe, set-up included).
	shrinkAfter = 50
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
	c := &capture{s: s, w: w, q: make([]byte, 0, captureStart)}
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

	// Queue side, guarded by s.rxMu.
	q     []byte
	reset bool // the next packet starts a new stream
	quiet int  // drains in a row that found a grown q nearly empty

	// Drain side, guarded by mu.
	mu      sync.Mutex
	off     bool
	started bool
	nextTS  uint32      // the sender's timestamp of the next sample due
	frame   media.Frame // decoded audio, n samples of the next frame
	n       int
	law     g711.Law
	dec     g711.Decoder
	order   []entry
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
	if len(c.q)+need > cap(c.q) && cap(c.q) < captureMax {
		q := make([]byte, len(c.q), min(2*cap(c.q), captureMax))
		copy(q, c.q)
		c.q = q
	}
	if len(c.q)+need > cap(c.q) {
		c.s.capDropped++
		return
	}
	c.q = appendEntry(c.q, ts, payload, c.reset)
	c.reset = false
	if len(c.q) >= captureMax/4 && len(c.q)-need < captureMax/4 {
		// A burst (seconds of audio at once): drain now rather than at
		// the next tick, before the queue is full.
		c.s.ports.drains.kick()
	}
}

// drain decodes what the loop queued since the last drain and writes it
// to w, with scratch as room for the queue's copy; now is the drain's
// time. It reports false once the capture is over (stopped, or its
// session closed with nothing left), so the drainer can forget it.
func (c *capture) drain(now time.Time, scratch []byte) ([]byte, bool) {
	s := c.s
	s.rxMu.Lock()
	scratch = append(scratch[:0], c.q...)
	switch {
	case cap(c.q) == captureStart || len(c.q) >= cap(c.q)/8:
		c.quiet = 0
		c.q = c.q[:0]
	case c.quiet < shrinkAfter:
		c.quiet++
		c.q = c.q[:0]
	default:
		c.quiet = 0
		c.q = make([]byte, 0, captureStart) // the bursts are over: give the room back
	}
	s.rxMu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return scratch, false
	}
	if len(scratch) == 0 && len(c.hold) == 0 {
		select {
		case <-s.closed:
			return scratch, false
		default:
			return scratch, true
		}
	}
	if law := s.params.Load().law; !c.started || law != c.law {
		// Decoders exist for both laws, so this cannot fail.
		c.dec, _ = g711.NewDecoder(lawCodec(law))
		c.law = law
	}
	c.order = parseEntries(parseEntries(c.order[:0], c.hold), scratch)
	sortRuns(c.order)
	// A gap in the timestamps waits a drain interval for the packets
	// that would fill it (they may be late, not lost); after that its
	// time is silence.
	holding := len(c.hold) > 0
	wait := !holding || now.Sub(c.heldSince) < drainEvery
	i := 0
	for ; i < len(c.order); i++ {
		e := c.order[i]
		if wait && c.started && !e.reset {
			if gap := int32(e.ts - c.nextTS); gap > 0 && gap <= maxGap {
				break
			}
		}
		c.add(e)
	}
	// The held packets go to the other buffer: c.hold is still read.
	next := c.spare[:0]
	for _, e := range c.order[i:] {
		next = appendEntry(next, e.ts, e.payload, e.reset)
	}
	c.hold, c.spare = next, c.hold[:0]
	if len(next) > 0 && (!holding || c.order[i].ts != c.heldTS) {
		c.heldSince, c.heldTS = now, c.order[i].ts // a new gap
	}
	return scratch, true
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
	scratch []byte     // the running drain's queue copy
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
		var live bool
		d.scratch, live = c.drain(now, d.scratch)
		if !live {
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
