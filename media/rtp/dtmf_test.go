package rtp

import (
	"encoding/binary"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/g711"
)

func TestDigits_RFC4733EventReportedOnceAndRelayed(t *testing.T) {
	pa, pb, a, _ := bridge(t, Config{DTMFPayloadType: 101, Timeout: -1}, Config{DTMFPayloadType: 96, Timeout: -1})
	pkts, err := dtmf.Sender{}.Packets(nil, '5', 60*time.Millisecond, 48000)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range pkts {
		pa.ts = pk.Timestamp
		pa.send(a.LocalAddr(), 101, pk.Payload[:])
	}
	select {
	case d := <-a.Digits():
		if d != '5' {
			t.Fatalf("digit %q, want 5", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no digit")
	}
	// Every packet is relayed, with the other leg's payload type.
	for range pkts {
		pkt, _ := pb.recv()
		if pkt[1]&0x7f != 96 {
			t.Fatalf("relayed event with payload type %d, want 96", pkt[1]&0x7f)
		}
	}
	// A retransmitted end packet does not repeat the digit.
	pa.ts = pkts[len(pkts)-1].Timestamp
	pa.send(a.LocalAddr(), 101, pkts[len(pkts)-1].Payload[:])
	pb.recv()
	select {
	case d := <-a.Digits():
		t.Fatalf("digit %q reported twice", d)
	default:
	}
}

func TestSendDigit_TelephoneEventPackets(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33600, 33699)
	pa := newPhone(t)
	a := open(t, p, Config{Remote: pa.addr(), DTMFPayloadType: 101, Timeout: -1})
	if err := a.SendDigit(t.Context(), '#', 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var ts uint32
	var ends int
	var rx dtmf.Receiver
	var got []byte
	for i := range 6 { // at most 3 start/continuation packets and 3 end packets
		pkt, _ := pa.recv()
		if pkt[1]&0x7f != 101 {
			t.Fatalf("payload type %d", pkt[1]&0x7f)
		}
		pts := binary.BigEndian.Uint32(pkt[4:])
		if i == 0 {
			ts = pts
			if pkt[1]&0x80 == 0 {
				t.Fatal("first event packet lacks the marker")
			}
		} else if pts != ts {
			t.Fatalf("event packet %d has timestamp %d, want the start's %d", i, pts, ts)
		}
		var ev dtmf.Event
		if err := ev.Unmarshal(pkt[12:]); err != nil {
			t.Fatal(err)
		}
		if ev.End {
			ends++
		}
		if e, fresh, _ := rx.Push(pts, pkt[12:]); fresh {
			got = append(got, e.Digit)
		}
		if ends == 3 {
			break
		}
	}
	if ends != 3 || string(got) != "#" {
		t.Fatalf("ends %d digits %q", ends, got)
	}
}

func TestSendDigit_InBandWhenNoTelephoneEvent(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33700, 33799)
	pa := newPhone(t)
	a := open(t, p, Config{Remote: pa.addr(), Codec: media.PCMA, Timeout: -1})
	done := make(chan error, 1)
	go func() { done <- a.SendDigit(t.Context(), '9', 100*time.Millisecond) }()
	var digits []byte
	det := dtmf.NewDetector(func(d byte) { digits = append(digits, d) })
	pcm := make([]int16, 160)
	for range 10 { // 100 ms on + 100 ms off
		pkt, _ := pa.recv()
		g711.DecodeAlaw(pcm, pkt[12:])
		det.Write(pcm)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(digits) != "9" {
		t.Fatalf("in-band detector heard %q, want 9", digits)
	}
}
