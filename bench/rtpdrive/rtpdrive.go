// Package rtpdrive sends and measures the media of calls that come and
// go while it runs: the call-center scenarios of the benchmark, where a
// caller's stream starts when the box answers it, sends an RFC 4733
// digit to the IVR menu, and is bridged to an agent some time later, and
// the soak, where calls keep ending and starting.
//
// Every stream is real G.711 μ-law at 50 packets per second, paced by
// one loop for all streams (1 ms slots, as bench/loadgen) and sent in
// batches (sendmmsg) from a few sockets per local address. Each payload
// carries its stream and sequence number (bench/rtpmark), because the
// box continues a leg's outgoing stream under its own SSRC once it has
// played a prompt or music on it; packets the box makes itself (prompts,
// music) carry no mark and are only counted. What arrives is credited to
// the stream that sent it: received, late (one-way delay over the
// limit), and lost, RFC 3550 style, between the first packet that got
// through and the last one sent.
package rtpdrive

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"callbox/bench/rtpmark"
	"callbox/media/g711"

	"golang.org/x/net/ipv4"
)

const (
	frame     = 20 * time.Millisecond
	slots     = 20
	batchSize = 64
	pktLen    = 12 + 160
	// MaxLife bounds a stream, so its 16-bit sequence numbers never wrap.
	MaxLife = 15 * time.Minute
	// socketsPer is how many sockets each local address spreads its
	// streams over.
	socketsPer = 4
	dtmfPT     = 101
	audioPT    = 0
)

// ErrClosed is returned by Add once the driver has stopped.
var ErrClosed = errors.New("rtpdrive: driver stopped")

// Stream is one direction of one call leg: packets sent to To from a
// socket on Local.
type Stream struct {
	id    uint32
	to    *net.UDPAddr
	sock  int
	slot  int
	start time.Time
	// digit is sent digitAt after start, as RFC 4733 events.
	digit   byte
	digitAt time.Time

	mu      sync.Mutex
	stop    time.Time
	seq     uint16 // RTP sequence number
	mseq    uint16 // the mark's: audio packets only
	ts      uint32
	sent    uint64
	lastSeq uint16 // last marked packet sent
	sentAt  [256]int64
	dtmf    int // RFC 4733 packets still to send
	got     uint64
	late    uint64
	first   uint16
	last    uint16
	any     bool
	maxD    int64
}

// Stats is what one stream's packets did.
type Stats struct {
	Sent     uint64 // audio packets sent (marked)
	Received uint64 // of those, received
	// Expected is the packets sent from the first one received to the
	// last one sent: what should have arrived once the path was up.
	Expected uint64
	Lost     uint64 // Expected - Received (never negative)
	Late     uint64 // received later than the driver's limit
	MaxDelay time.Duration
}

// Stats reports the stream so far.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Sent: s.sent, Received: s.got, Late: s.late, MaxDelay: time.Duration(s.maxD)}
	if s.any {
		st.Expected = uint64(s.lastSeq-s.first) + 1
		if st.Expected > st.Received {
			st.Lost = st.Expected - st.Received
		}
	}
	return st
}

// StopAt ends the stream's sending at t (earlier than planned, or later
// up to MaxLife after its start).
func (s *Stream) StopAt(t time.Time) {
	s.mu.Lock()
	s.stop = t
	if max := s.start.Add(MaxLife); s.stop.After(max) {
		s.stop = max
	}
	s.mu.Unlock()
}

// Config sets a driver up.
type Config struct {
	// Locals are the addresses streams send from (each gets its sockets).
	Locals []netip.Addr
	// Late is the one-way delay over which a packet counts as late
	// (default 40 ms).
	Late time.Duration
}

// Driver runs streams. Run paces and receives; Add starts a stream.
type Driver struct {
	late    time.Duration
	locals  map[netip.Addr]int // first socket index of each local address
	conns   []*net.UDPConn
	pcs     []*ipv4.PacketConn
	frames  [50][160]byte
	mu      sync.Mutex
	streams []*Stream
	bySlot  [slots][]*Stream
	closed  bool
	foreign []uint64 // per socket: datagrams without a mark
	behind  time.Duration
}

// New opens the driver's sockets. Close them with Run's end (Run owns
// them once called) or Close when Run is never called.
func New(cfg Config) (*Driver, error) {
	if len(cfg.Locals) == 0 {
		return nil, errors.New("rtpdrive: no local address")
	}
	if cfg.Late <= 0 {
		cfg.Late = 40 * time.Millisecond
	}
	d := &Driver{late: cfg.Late, locals: map[netip.Addr]int{}}
	for _, a := range cfg.Locals {
		if _, dup := d.locals[a]; dup {
			continue
		}
		d.locals[a] = len(d.conns)
		for range socketsPer {
			c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
			if err != nil {
				d.Close()
				return nil, fmt.Errorf("rtpdrive: listen on %s: %w", a, err)
			}
			_ = c.SetReadBuffer(8 << 20)
			_ = c.SetWriteBuffer(8 << 20)
			d.conns = append(d.conns, c)
			d.pcs = append(d.pcs, ipv4.NewPacketConn(c))
		}
	}
	d.foreign = make([]uint64, len(d.conns))
	// Real audio: a 425 Hz tone, 50 frames (1 s) that loop.
	pcm := make([]int16, 160)
	for f := range d.frames {
		for i := range pcm {
			t := float64(f*160+i) / 8000
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*425*t))
		}
		g711.EncodeUlaw(d.frames[f][:], pcm)
	}
	return d, nil
}

// Close closes the sockets.
func (d *Driver) Close() {
	for _, c := range d.conns {
		c.Close()
	}
}

// Add starts a stream from local to to now, sending until stop (at most
// MaxLife); digit, when not 0, is sent as an RFC 4733 event digitAfter
// the start (no audio for its 120 ms).
func (d *Driver) Add(local netip.Addr, to netip.AddrPort, stop time.Time, digit byte, digitAfter time.Duration) (*Stream, error) {
	first, ok := d.locals[local]
	if !ok {
		return nil, fmt.Errorf("rtpdrive: %s is not one of the driver's addresses", local)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	now := time.Now()
	id := uint32(len(d.streams) + 1)
	s := &Stream{id: id, to: net.UDPAddrFromAddrPort(to), sock: first + int(id)%socketsPer, slot: int(id) % slots,
		start: now, digit: digit, digitAt: now.Add(digitAfter), seq: uint16(id * 7), ts: id * 160}
	s.StopAt(stop)
	d.streams = append(d.streams, s)
	d.bySlot[s.slot] = append(d.bySlot[s.slot], s)
	return s, nil
}

// Foreign is the datagrams received without a mark (the box's prompts
// and music).
func (d *Driver) Foreign() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n uint64
	for _, f := range d.foreign {
		n += f
	}
	return n
}

// Behind is how far the pacing loop fell behind its schedule, at worst.
func (d *Driver) Behind() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.behind
}

// Run paces every stream and reads what comes back until ctx ends, then
// closes the sockets and returns once its receivers have stopped.
func (d *Driver) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, pc := range d.pcs {
		wg.Go(func() { d.receive(ctx, i, pc) })
	}
	defer func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		wg.Wait()
		d.Close()
	}()
	msgs := make([][]ipv4.Message, len(d.pcs))
	bufs := make([][pktLen]byte, 0, 1024)
	t0 := time.Now()
	for tick := 0; ; tick++ {
		due := t0.Add(time.Duration(tick) * time.Millisecond)
		if w := time.Until(due); w > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w): // the pacing loop
			}
		} else if -w > time.Second {
			// Far behind (the machine stalled us): skip ahead rather than
			// send a burst of stale packets.
			d.mu.Lock()
			d.behind = max(d.behind, -w)
			d.mu.Unlock()
			tick += int(-w / time.Millisecond)
			continue
		} else {
			d.mu.Lock()
			d.behind = max(d.behind, -w)
			d.mu.Unlock()
		}
		if ctx.Err() != nil {
			return nil
		}
		d.mu.Lock()
		group := d.bySlot[tick%slots]
		d.mu.Unlock()
		for i := range msgs {
			msgs[i] = msgs[i][:0]
		}
		bufs = bufs[:0]
		now := time.Now()
		live := group[:0:0]
		for _, s := range group {
			s.mu.Lock()
			if now.After(s.stop) {
				s.mu.Unlock()
				continue
			}
			live = append(live, s)
			if len(bufs) == cap(bufs) {
				s.mu.Unlock()
				continue // more streams in one slot than the batch holds: skipped this round
			}
			bufs = bufs[:len(bufs)+1]
			b := bufs[len(bufs)-1][:]
			n := d.packet(s, b, now, tick)
			s.mu.Unlock()
			msgs[s.sock] = append(msgs[s.sock], ipv4.Message{Buffers: [][]byte{b[:n]}, Addr: s.to})
		}
		if len(live) != len(group) {
			// Drop finished streams from the slot (they keep their stats).
			d.mu.Lock()
			cur := d.bySlot[tick%slots]
			keep := append([]*Stream(nil), live...)
			keep = append(keep, cur[len(group):]...) // added meanwhile
			d.bySlot[tick%slots] = keep
			d.mu.Unlock()
		}
		for i, m := range msgs {
			for len(m) > 0 {
				n, err := d.pcs[i].WriteBatch(m[:min(len(m), batchSize)], 0)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("rtpdrive: send: %w", err)
				}
				m = m[n:]
			}
		}
	}
}

// packet builds s's next packet into b (s.mu held) and returns its
// length: an RFC 4733 event while a digit is due, else marked audio.
func (d *Driver) packet(s *Stream, b []byte, now time.Time, tick int) int {
	b[0], b[1] = 0x80, audioPT
	binary.BigEndian.PutUint32(b[8:12], s.id)
	s.seq++
	binary.BigEndian.PutUint16(b[2:4], s.seq)
	if s.digit != 0 && !now.Before(s.digitAt) && s.dtmf == 0 {
		s.dtmf = 6
	}
	if s.dtmf > 0 {
		// Three updates then three end packets, one event timestamp.
		k := 7 - s.dtmf
		code := eventCode(s.digit)
		s.dtmf--
		if s.dtmf == 0 {
			s.digit = 0 // sent: once only
		}
		b[1] = dtmfPT
		if k == 1 {
			b[1] |= 0x80 // marker on the event's first packet
		}
		binary.BigEndian.PutUint32(b[4:8], s.ts)
		b[12] = code
		b[13] = 10 // volume -10 dBm0
		dur := min(k, 4) * 160
		if k >= 4 {
			b[13] |= 0x80 // end
		}
		binary.BigEndian.PutUint16(b[14:16], uint16(dur))
		if k == 6 {
			s.ts += 160 * 4
		}
		return 16
	}
	s.ts += 160
	binary.BigEndian.PutUint32(b[4:8], s.ts)
	copy(b[12:], d.frames[(tick/slots)%50][:])
	// The mark counts audio packets only, so a digit's packets are not
	// expected at the far end.
	s.mseq++
	rtpmark.Put(b[12:], s.id, s.mseq)
	s.sentAt[s.mseq%256] = now.UnixNano()
	s.lastSeq = s.mseq
	s.sent++
	return pktLen
}

// eventCode is the RFC 4733 event of a DTMF digit.
func eventCode(digit byte) byte {
	switch {
	case digit >= '0' && digit <= '9':
		return digit - '0'
	case digit == '*':
		return 10
	case digit == '#':
		return 11
	}
	return 0
}

// receive reads socket i until ctx ends, crediting marked packets to
// their streams.
func (d *Driver) receive(ctx context.Context, i int, pc *ipv4.PacketConn) {
	msgs := make([]ipv4.Message, batchSize)
	for k := range msgs {
		msgs[k].Buffers = [][]byte{make([]byte, 1500)}
	}
	var foreign uint64
	defer func() {
		d.mu.Lock()
		d.foreign[i] += foreign
		d.mu.Unlock()
	}()
	for ctx.Err() == nil {
		_ = pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			continue // the deadline: look at ctx again
		}
		now := time.Now().UnixNano()
		for _, m := range msgs[:n] {
			s, seq, ok := d.lookup(m.Buffers[0][:m.N])
			if !ok {
				foreign++
				continue
			}
			s.mu.Lock()
			s.got++
			if !s.any {
				s.first, s.any = seq, true
			}
			s.last = seq
			if at := s.sentAt[seq%256]; at > 0 {
				dl := now - at
				s.maxD = max(s.maxD, dl)
				if dl > int64(d.late) {
					s.late++
				}
			}
			s.mu.Unlock()
		}
	}
}

func (d *Driver) lookup(pkt []byte) (*Stream, uint16, bool) {
	p, err := rtpmark.Payload(pkt)
	if err != nil {
		return nil, 0, false
	}
	id, seq, err := rtpmark.Parse(p)
	if err != nil {
		return nil, 0, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id == 0 || int(id) > len(d.streams) {
		return nil, 0, false
	}
	return d.streams[id-1], seq, true
}
