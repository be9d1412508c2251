package rtp

import (
	"bytes"
	"testing"

	pionrtp "github.com/pion/rtp"
)

func FuzzParseHeader(f *testing.F) {
	good, _ := (&pionrtp.Packet{Header: pionrtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7, Timestamp: 160, SSRC: 1},
		Payload: make([]byte, 160)}).Marshal()
	ep := &pionrtp.Packet{Header: pionrtp.Header{Version: 2, PayloadType: 101, CSRC: []uint32{5}}, Payload: []byte{1, 0, 0, 160}}
	ep.SetExtension(1, []byte{1, 2})
	ext, _ := ep.Marshal()
	f.Add(good)
	f.Add(ext)
	f.Add([]byte{0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Add([]byte{0x80, 200, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h header
		if !parseHeader(b, &h) {
			return
		}
		// What the fast path accepts, pion accepts, with the same fields;
		// the one exception is the inside of a header extension, which
		// pion parses and the relay forwards untouched.
		var p pionrtp.Packet
		if err := p.Unmarshal(b); err != nil {
			if b[0]&0x10 != 0 {
				return
			}
			t.Fatalf("fast path accepted what pion refuses: %v", err)
		}
		if p.PayloadType != h.pt || p.SequenceNumber != h.seq || p.Timestamp != h.ts || p.SSRC != h.ssrc || p.Marker != h.marker {
			t.Fatalf("header fields differ: pion %+v", p.Header)
		}
		if !bytes.Equal(p.Payload, b[h.start:h.end]) {
			t.Fatalf("payload differs: pion %d bytes, fast path %d..%d", len(p.Payload), h.start, h.end)
		}
	})
}
