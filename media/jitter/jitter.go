// Package jitter reorders the RTP packets of one decoded stream and
// releases them in sequence order, declaring a packet lost once enough
// later packets have arrived without it. It keeps no clock: the stream's
// own arrivals drive it, so it behaves the same in tests and in calls, and
// the consumer's pace (a recorder, a detector, a mixer tick) sets the
// playout rate.
package jitter

// Limits of one buffer.
const (
	Slots      = 16  // packets held at most
	MaxPayload = 480 // bytes per packet: 60 ms of G.711
)

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
	Lost                   // the next packet is given up; conceal it
	NotReady               // wait for more packets
)

type slot struct {
	used bool
	seq  uint16
	ts   uint32
	n    int
	data [MaxPayload]byte
}

// Buffer is a reorder buffer for one stream. Not safe for concurrent use.
type Buffer struct {
	slots   [Slots]slot
	depth   int
	next    uint16 // next sequence number to release
	highest uint16
	count   int
	started bool

	// Counters for statistics.
	Released, Concealed, Dropped, Resyncs uint64
}

// New returns a buffer that waits for a missing packet until depth later
// packets have arrived (1..Slots-1; 3 is 60 ms of reorder tolerance).
func New(depth int) *Buffer {
	depth = max(1, min(depth, Slots-1))
	return &Buffer{depth: depth}
}

// Reset empties the buffer; the next Push starts a new stream.
func (b *Buffer) Reset() {
	for i := range b.slots {
		b.slots[i].used = false
	}
	b.count = 0
	b.started = false
}

// Len is the number of packets held.
func (b *Buffer) Len() int { return b.count }

// Push copies a packet into the buffer.
func (b *Buffer) Push(seq uint16, ts uint32, payload []byte) Result {
	if len(payload) > MaxPayload {
		b.Dropped++
		return TooBig
	}
	res := Accepted
	if !b.started {
		b.started = true
		b.next = seq
		b.highest = seq
	}
	d := int16(seq - b.next)
	switch {
	case d < 0 && d > -Slots*4:
		b.Dropped++
		return Late
	case d < 0 || d >= Slots:
		// The source jumped (restart, long gap): start over at it.
		b.Reset()
		b.started = true
		b.next = seq
		b.highest = seq
		b.Resyncs++
		res = Resynced
	}
	s := &b.slots[seq%Slots]
	if s.used && s.seq == seq {
		b.Dropped++
		return Duplicate
	}
	s.used = true
	s.seq = seq
	s.ts = ts
	s.n = copy(s.data[:], payload)
	b.count++
	if int16(seq-b.highest) > 0 {
		b.highest = seq
	}
	return res
}

// Pop returns the next packet in order. With Ready, payload is valid until
// the next Push; with Lost the caller conceals one packet's worth of audio.
func (b *Buffer) Pop() (payload []byte, ts uint32, st Status) {
	if b.count == 0 {
		return nil, 0, NotReady
	}
	s := &b.slots[b.next%Slots]
	if s.used && s.seq == b.next {
		s.used = false
		b.count--
		b.next++
		b.Released++
		return s.data[:s.n], s.ts, Ready
	}
	if int(int16(b.highest-b.next)) >= b.depth {
		b.next++
		b.Concealed++
		return nil, 0, Lost
	}
	return nil, 0, NotReady
}
