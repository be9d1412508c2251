// Package jitter reorders the RTP packets of one decoded stream and
// releases them in sequence order, declaring a packet lost once enough
// later packets have arrived without it. It keeps no clock: the stream's
// own arrivals drive it, so it behaves the same in tests and in calls, and
// the consumer's pace (a recorder, a detector, a mixer tick) sets the
// playout rate.
//
// The RTP timestamps place the audio: a gap, whether packets were lost or
// the sender paused (silence suppression, hold) and resumed with its
// timestamps still running, is concealed with one Lost per 20 ms frame
// the timestamps say is missing, so what a reader decodes keeps the
// sender's timeline. A burst (seconds of packets at once, after a stall
// upstream) is held whole until the reader drains it: packets live in
// pooled storage, so a buffer whose reader keeps up holds next to nothing,
// and a buffer nobody reads any more shrinks to a few packets.
package jitter

import "sync"

// Limits of one buffer.
const (
	// MaxHeld is the most packets held: about 5 s of 20 ms packets, so a
	// burst the relay forwarded reaches a reader that was held up.
	MaxHeld = 256
	// MaxPayload is the largest payload: 60 ms of G.711.
	MaxPayload = 480
	// FrameSamples is the audio one Lost stands for: a 20 ms frame at
	// 8 kHz.
	FrameSamples = 160
	// MaxGap is the longest timestamp gap, in samples, concealed with
	// silence (60 s at 8 kHz); a longer jump is a new timeline and plays
	// on without a fill.
	MaxGap = 60 * 8000
)

// idleLimit is how many packets may arrive with no Pop before the buffer
// takes its reader for gone (a prompt player that stopped reading) and
// keeps only the newest few: held audio of a stream nobody drains is
// memory, and would be stale by the time a reader came back.
const idleLimit = MaxHeld

// Result says what Push did with a packet.
type Result uint8

// Push results.
const (
	Accepted  Result = iota
	Duplicate        // already held
	Late             // its turn has passed
	TooBig           // payload over MaxPayload
	Resynced         // far from the stream: the buffer restarted at it
)

// Status says what Pop found.
type Status uint8

// Pop statuses.
const (
	Ready    Status = iota // a packet is returned
	Lost                   // one 20 ms frame is missing; conceal it
	NotReady               // wait for more packets
)

// smallPayload is the payload of a 20 ms G.711 packet, the usual one: its
// storage class keeps held packets small.
const smallPayload = 160

type packet struct {
	seq  uint16
	ts   uint32
	data []byte
}

// Packets are shared by every buffer of the process: a buffer holds
// storage only while it holds packets.
var (
	smallPool = sync.Pool{New: func() any { return &packet{data: make([]byte, 0, smallPayload)} }}
	largePool = sync.Pool{New: func() any { return &packet{data: make([]byte, 0, MaxPayload)} }}
)

func getPacket(n int) *packet {
	if n <= smallPayload {
		return smallPool.Get().(*packet)
	}
	return largePool.Get().(*packet)
}

func putPacket(p *packet) {
	p.data = p.data[:0]
	if cap(p.data) == smallPayload {
		smallPool.Put(p)
		return
	}
	largePool.Put(p)
}

// minRing is the ring a buffer starts with and returns to when empty.
const minRing = 8

// Buffer is a reorder buffer for one stream. Not safe for concurrent use.
type Buffer struct {
	// ring holds the packets from next on at seq % len(ring); its length
	// is a power of two, grown to cover the window next..highest.
	ring    []*packet
	depth   int
	next    uint16 // next sequence number to release
	highest uint16
	count   int
	started bool
	idle    int     // Pushes since the last Pop
	last    *packet // released by the last Pop; recycled at the next call
	playTs  uint32  // timestamp just after the audio released last
	playing bool    // playTs is known
	owed    int     // Lost frames still to give before ring[next]

	// Counters for statistics.
	Released, Concealed, Dropped, Resyncs uint64
}

// New returns a buffer that waits for a missing packet until depth later
// packets have arrived (1..MaxHeld-1; 3 is 60 ms of reorder tolerance).
func New(depth int) *Buffer {
	depth = max(1, min(depth, MaxHeld-1))
	return &Buffer{depth: depth}
}

// Reset empties the buffer; the next Push starts a new stream.
func (b *Buffer) Reset() {
	b.recycleLast()
	for i, p := range b.ring {
		if p != nil {
			putPacket(p)
			b.ring[i] = nil
		}
	}
	if len(b.ring) > minRing {
		b.ring = nil
	}
	b.count = 0
	b.owed = 0
	b.started = false
	b.playing = false
}

// Len is the number of packets held.
func (b *Buffer) Len() int { return b.count }

func (b *Buffer) recycleLast() {
	if b.last != nil {
		putPacket(b.last)
		b.last = nil
	}
}

func (b *Buffer) restart(seq uint16) {
	b.started = true
	b.next = seq
	b.highest = seq
}

// Push copies a packet into the buffer. A payload returned by the last
// Pop is invalid from here on.
func (b *Buffer) Push(seq uint16, ts uint32, payload []byte) Result {
	if len(payload) > MaxPayload {
		b.Dropped++
		return TooBig
	}
	b.recycleLast()
	b.idle++
	res := Accepted
	if !b.started {
		b.restart(seq)
	}
	d := int16(seq - b.next)
	switch {
	case d < 0 && d > -2*MaxHeld:
		b.Dropped++
		return Late
	case d < 0 || int(d) >= MaxHeld:
		// The source jumped (restart, long gap): start over at it.
		b.Reset()
		b.restart(seq)
		b.Resyncs++
		res = Resynced
	}
	limit := MaxHeld
	if b.idle > idleLimit {
		limit = b.depth + 1
	}
	for int(seq-b.next) >= limit {
		b.dropNext(limit < MaxHeld)
	}
	b.fit(int(seq-b.next) + 1)
	i := int(seq) & (len(b.ring) - 1)
	if p := b.ring[i]; p != nil {
		b.Dropped++
		return Duplicate
	}
	p := getPacket(len(payload))
	p.seq, p.ts = seq, ts
	p.data = append(p.data, payload...)
	b.ring[i] = p
	b.count++
	if int16(seq-b.highest) > 0 {
		b.highest = seq
	}
	return res
}

// dropNext gives up the oldest place to make room. Audio dropped for a
// reader that is held up is still owed as silence (the timestamps tell
// how much); for a reader that is gone the timeline restarts, so one that
// comes back does not get the gap's silence.
func (b *Buffer) dropNext(gone bool) {
	i := int(b.next) & (len(b.ring) - 1)
	if p := b.ring[i]; p != nil {
		putPacket(p)
		b.ring[i] = nil
		b.count--
		b.Dropped++
	}
	b.next++
	b.owed = 0
	if gone {
		b.playing = false
	}
	if int16(b.highest-b.next) < 0 {
		b.highest = b.next
	}
}

// fit grows the ring to cover n sequence numbers from next.
func (b *Buffer) fit(n int) {
	size := len(b.ring)
	if size >= n {
		return
	}
	if size == 0 {
		size = minRing
	}
	for size < n {
		size *= 2
	}
	ring := make([]*packet, size)
	for _, p := range b.ring {
		if p != nil {
			ring[int(p.seq)&(size-1)] = p
		}
	}
	b.ring = ring
}

// Pop returns the next packet in order. With Ready, payload is valid until
// the next Push or Pop; with Lost the caller conceals one 20 ms frame.
func (b *Buffer) Pop() (payload []byte, ts uint32, st Status) {
	b.recycleLast()
	b.idle = 0
	if b.owed > 0 {
		b.owed--
		b.Concealed++
		return nil, 0, Lost
	}
	if b.count == 0 {
		return nil, 0, NotReady
	}
	mask := len(b.ring) - 1
	missing := 0
	if b.ring[int(b.next)&mask] == nil {
		if int(int16(b.highest-b.next)) < b.depth {
			return nil, 0, NotReady
		}
		// Give up on the missing ones: skip to the oldest held packet.
		for b.ring[int(b.next)&mask] == nil {
			b.next++
			missing++
		}
	}
	p := b.ring[int(b.next)&mask]
	if owed := b.gap(p.ts, missing); owed > 0 {
		// Conceal the gap first; p is released once it is paid.
		b.playTs, b.owed = p.ts, owed-1
		b.Concealed++
		return nil, 0, Lost
	}
	b.ring[int(b.next)&mask] = nil
	b.count--
	b.next++
	b.Released++
	b.playTs, b.playing = p.ts+uint32(len(p.data)), true
	b.last = p
	if b.count == 0 && len(b.ring) > minRing {
		b.ring = nil
	}
	return p.data, p.ts, Ready
}

// gap is how many frames to conceal before a packet stamped ts, after
// missing sequence numbers were skipped. The timestamps decide when they
// make sense (one payload byte is one sample: G.711); otherwise each
// missing packet counts as one frame.
func (b *Buffer) gap(ts uint32, missing int) int {
	if b.playing {
		if d := int64(int32(ts - b.playTs)); d >= 0 && d <= MaxGap {
			return int(d / FrameSamples)
		}
	}
	return missing
}
