package rtpmark

import (
	"errors"
	"testing"
)

func TestPut_ParseReadsBackStreamAndSeq(t *testing.T) {
	pkt := make([]byte, 12+160)
	pkt[0] = 0x80
	Put(pkt[12:], 70001, 65535)
	p, err := Payload(pkt)
	if err != nil {
		t.Fatal(err)
	}
	s, q, err := Parse(p)
	if err != nil || s != 70001 || q != 65535 {
		t.Fatalf("got %d %d %v", s, q, err)
	}
}

func TestParse_RefusesAnUnmarkedPayload(t *testing.T) {
	if _, _, err := Parse(make([]byte, 160)); !errors.Is(err, ErrNoMark) {
		t.Fatalf("err %v, want ErrNoMark", err)
	}
}

func TestPayload_SkipsCSRCsAndExtensionAndPadding(t *testing.T) {
	pkt := []byte{0xb1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, // V=2 P X CC=1
		9, 9, 9, 9, // CSRC
		0xbe, 0xde, 0, 1, 1, 2, 3, 4, // extension, one word
		0xcb, 0x42, 0, 0, 0, 7, 0, 3, // mark
		0, 2} // padding of 2
	p, err := Payload(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if s, q, err := Parse(p); err != nil || s != 7 || q != 3 {
		t.Fatalf("got %d %d %v from %x", s, q, err, p)
	}
}

func FuzzPayloadParse(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xcb, 0x42, 0, 0, 0, 7, 0, 3})
	f.Add([]byte{0xbf, 0, 0, 1})
	f.Add([]byte{0xb0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Payload(b)
		if err != nil {
			return
		}
		if len(p) > len(b) {
			t.Fatalf("payload longer than the packet")
		}
		_, _, _ = Parse(p)
	})
}
