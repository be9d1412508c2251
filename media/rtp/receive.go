package rtp

import (
	"encoding/binary"
	"net/netip"

	"callbox/media/g711"
	"callbox/media/jitter"
	"callbox/media/relay"
)

// header is what the fast path needs from an RTP header.
type header struct {
	pt         uint8
	marker     bool
	seq        uint16
	ts         uint32
	ssrc       uint32
	start, end int // payload bounds
}

// parseHeader validates an RTP packet (RFC 3550 section 5.1) without
// allocating: version 2, CSRC list, extension and padding inside the
// datagram, and a payload type outside the RTCP range (RFC 5761).
func parseHeader(p []byte, h *header) bool {
	if len(p) < 12 || p[0]>>6 != 2 {
		return false
	}
	h.pt = p[1] & 0x7f
	if h.pt >= 72 && h.pt <= 76 {
		return false
	}
	h.marker = p[1]&0x80 != 0
	h.seq = binary.BigEndian.Uint16(p[2:4])
	h.ts = binary.BigEndian.Uint32(p[4:8])
	h.ssrc = binary.BigEndian.Uint32(p[8:12])
	off := 12 + 4*int(p[0]&0x0f)
	if p[0]&0x10 != 0 {
		if off+4 > len(p) {
			return false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(p[off+2:off+4]))
	}
	end := len(p)
	if p[0]&0x20 != 0 {
		pad := int(p[len(p)-1])
		if pad == 0 {
			return false
		}
		end -= pad
	}
	if off > end {
		return false
	}
	h.start, h.end = off, end
	return true
}

// HandleBatch is the RTP socket's handler, run on the engine's loop.
func (s *Session) HandleBatch(b *relay.Batch) {
	p := s.params.Load()
	rate := uint64(p.codec.ClockRate)
	arrival := uint32(uint64(b.Now) / 1000 * rate / 1e6)
	out := s.fwd.Load()
	var op *params
	// Lock order: the target's txMu, then our rxMu; never a txMu while
	// holding an rxMu, never two txMu at once.
	locked := out
	if out != nil {
		op = out.params.Load()
		out.txMu.Lock()
		if !out.dir.Sends() || !out.peer.IsValid() {
			out = nil // held or not yet reachable: nothing goes that way
		}
	}
	var h header
	var valid uint64
	var newPeer netip.AddrPort
	s.rxMu.Lock()
	for i := range b.Len() {
		pkt, from := b.Packet(i)
		if !parseHeader(pkt, &h) || (h.pt != p.codec.PayloadType && (p.dtmfPT == 0 || h.pt != p.dtmfPT)) {
			s.in.dropped++
			continue
		}
		ok, changed := s.latch.accept(from, h.ssrc)
		if !ok {
			s.in.dropped++
			continue
		}
		if changed {
			s.rtcpPeer = netip.AddrPortFrom(from.Addr(), from.Port()+1)
			newPeer = from
		}
		if !s.rxActive || h.ssrc != s.rxSSRC {
			s.rxActive, s.rxSSRC = true, h.ssrc
			s.recv.Reset(h.ssrc)
			s.dtmfRx.Reset()
			if s.jb != nil {
				s.jb.Reset()
			}
			for _, l := range s.listeners {
				l.jb.Reset()
			}
			for _, c := range s.captures {
				c.reset = true
			}
		}
		valid++
		s.in.packets++
		s.in.bytes += uint64(len(pkt))
		if h.pt != p.codec.PayloadType {
			s.onEvent(h.ts, pkt[h.start:h.end])
		} else {
			s.recv.Update(h.seq, h.ts, arrival, len(pkt))
			if s.jb != nil {
				push(s.jb, s.notify, &h, pkt)
			}
			for _, l := range s.listeners {
				push(l.jb, l.notify, &h, pkt)
			}
			for _, c := range s.captures {
				c.push(h.ts, pkt[h.start:h.end])
			}
		}
		if out == nil {
			continue
		}
		// Fast path: map the payload type, transcode G.711 in place if
		// the laws differ, keep the outgoing stream continuous.
		switch h.pt {
		case p.codec.PayloadType:
			if op.law != p.law {
				g711.Transcode(pkt[h.start:h.end], pkt[h.start:h.end], p.law, op.law)
			}
			pkt[1] = pkt[1]&0x80 | op.codec.PayloadType
		default: // telephone-event
			if op.dtmfPT == 0 {
				continue
			}
			pkt[1] = pkt[1]&0x80 | op.dtmfPT
		}
		out.rw.Rewrite(pkt, b.Now)
		out.sender.Count(h.end-h.start, binary.BigEndian.Uint32(pkt[4:8]))
		out.out.packets++
		out.out.bytes += uint64(len(pkt))
		b.Forward(i, len(pkt), out.pair.RTP, out.peer)
	}
	s.rxMu.Unlock()
	if locked != nil {
		locked.txMu.Unlock()
	}
	if valid > 0 {
		s.rxSeen.Add(valid)
	}
	if newPeer.IsValid() {
		s.txMu.Lock()
		s.peer = newPeer
		s.txMu.Unlock()
	}
}

// push puts a packet's payload into a reader's jitter buffer (it copies)
// and wakes the reader.
func push(jb *jitter.Buffer, notify chan struct{}, h *header, pkt []byte) {
	if jb.Push(h.seq, h.ts, pkt[h.start:h.end]) != jitter.TooBig {
		select {
		case notify <- struct{}{}:
		default:
		}
	}
}
