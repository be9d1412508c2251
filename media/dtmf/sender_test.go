package dtmf

import (
	"testing"
	"time"
)

func TestSender_LaysOutStartContinuationAndThreeEnds(t *testing.T) {
	ps, err := Sender{}.Packets(nil, '5', 100*time.Millisecond, 4000)
	if err != nil {
		t.Fatal(err)
	}
	// 100 ms = 5 intervals: 4 running packets, then the end three times.
	if len(ps) != 7 {
		t.Fatalf("%d packets, want 7", len(ps))
	}
	for i, p := range ps {
		var e Event
		if err := e.Unmarshal(p.Payload[:]); err != nil {
			t.Fatal(err)
		}
		if p.Timestamp != 4000 || e.Digit != '5' || e.Volume != DefaultVolume {
			t.Fatalf("packet %d: %+v %+v", i, p, e)
		}
		if p.Marker != (i == 0) {
			t.Fatalf("packet %d marker %v", i, p.Marker)
		}
		wantEnd := i >= 4
		if e.End != wantEnd {
			t.Fatalf("packet %d end %v", i, e.End)
		}
		wantDur := uint16(min(i+1, 5) * 160)
		if e.Duration != wantDur {
			t.Fatalf("packet %d duration %d, want %d", i, e.Duration, wantDur)
		}
		if p.At != time.Duration(i)*20*time.Millisecond {
			t.Fatalf("packet %d at %v", i, p.At)
		}
	}
}

func TestSender_ShortDigitIsMarkedEndPackets(t *testing.T) {
	ps, err := Sender{}.Packets(nil, 'D', time.Millisecond, 0)
	if err != nil || len(ps) != 3 || !ps[0].Marker || ps[1].Marker {
		t.Fatalf("%v %+v", err, ps)
	}
}

func TestSender_LongDigitStopsAtDurationLimit(t *testing.T) {
	ps, err := Sender{}.Packets(nil, '1', time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	if err := e.Unmarshal(ps[len(ps)-1].Payload[:]); err != nil || !e.End || e.Duration < 65000 {
		t.Fatalf("last %+v %v", e, err)
	}
}

func TestReceiver_EmitsEachDigitOnceDespiteLossAndRepeats(t *testing.T) {
	var r Receiver
	var got []byte
	ts := uint32(1000)
	for _, d := range []byte("0123456789*#ABCD") {
		ps, err := Sender{}.Packets(nil, d, 60*time.Millisecond, ts)
		if err != nil {
			t.Fatal(err)
		}
		if d == '3' {
			ps = ps[1:] // the start packet is lost
		}
		// The network duplicates and reorders.
		ps = append(ps, ps[0])
		for _, p := range ps {
			e, ok, err := r.Push(p.Timestamp, p.Payload[:])
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, e.Digit)
			}
		}
		ts += 800
	}
	// The same digit twice in a row is two events.
	for range 2 {
		ps, _ := Sender{}.Packets(nil, '7', 40*time.Millisecond, ts)
		for _, p := range ps {
			if e, ok, _ := r.Push(p.Timestamp, p.Payload[:]); ok {
				got = append(got, e.Digit)
			}
		}
		ts += 480
	}
	if string(got) != "0123456789*#ABCD77" {
		t.Fatalf("got %q", got)
	}
}

func TestReceiver_RejectsNonDigitEvents(t *testing.T) {
	var r Receiver
	if _, ok, err := r.Push(1, []byte{36, 0, 0, 0}); ok || err == nil {
		t.Fatal("fax CED event accepted as digit")
	}
}

func BenchmarkSenderPackets(b *testing.B) {
	buf := make([]Packet, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Sender{}.Packets(buf[:0], '5', 100*time.Millisecond, 0)
	}
}
