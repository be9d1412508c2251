// Package rtpmark tags the payload of the benchmark's RTP packets with
// the stream and sequence number they were sent as, so a receiver can
// tell its streams apart after a relay that rewrites the RTP header: the
// box continues a leg's outgoing stream under its own SSRC and sequence
// once it has played a prompt or music on it (media/relay's Rewriter),
// while a relayed payload passes untouched.
package rtpmark

import (
	"encoding/binary"
	"errors"
)

// Len is the size of a mark at the start of the payload.
const Len = 8

// magic opens every mark; a prompt or music frame of the box rarely
// starts with it, and a stream number out of range rejects the rest.
const magic0, magic1 = 0xcb, 0x42

// ErrNoMark means the payload does not start with a mark.
var ErrNoMark = errors.New("rtpmark: no mark")

// Put writes the mark of stream and seq at the start of payload, which
// must hold at least Len bytes.
func Put(payload []byte, stream uint32, seq uint16) {
	payload[0], payload[1] = magic0, magic1
	binary.BigEndian.PutUint32(payload[2:6], stream)
	binary.BigEndian.PutUint16(payload[6:8], seq)
}

// Parse reads the mark from an RTP packet's payload.
func Parse(payload []byte) (stream uint32, seq uint16, err error) {
	if len(payload) < Len || payload[0] != magic0 || payload[1] != magic1 {
		return 0, 0, ErrNoMark
	}
	return binary.BigEndian.Uint32(payload[2:6]), binary.BigEndian.Uint16(payload[6:8]), nil
}

// Payload returns the payload of an RTP packet (RFC 3550: version 2,
// CSRC list and header extension skipped, padding removed), or an error
// when the packet is too short or malformed.
func Payload(pkt []byte) ([]byte, error) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return nil, errBadRTP
	}
	off := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if len(pkt) < off+4 {
			return nil, errBadRTP
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(pkt[off+2:off+4]))
	}
	end := len(pkt)
	if pkt[0]&0x20 != 0 && end > 0 {
		end -= int(pkt[end-1])
	}
	if off > end {
		return nil, errBadRTP
	}
	return pkt[off:end], nil
}

var errBadRTP = errors.New("rtpmark: malformed RTP packet")
