package jitter

import (
	"testing"
)

func drain(b *Buffer) (seqs []int) {
	for {
		p, _, st := b.Pop()
		switch st {
		case NotReady:
			return seqs
		case Lost:
			seqs = append(seqs, -1)
		default:
			seqs = append(seqs, int(p[0]))
		}
	}
}

func TestBuffer_ReordersWithinDepth(t *testing.T) {
	b := New(3)
	for _, s := range []uint16{10, 12, 11, 13, 15, 14} {
		b.Push(s, uint32(s)*160, []byte{byte(s)})
	}
	got := drain(b)
	want := []int{10, 11, 12, 13, 14, 15}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestBuffer_DeclaresGapLostAfterDepthPackets(t *testing.T) {
	b := New(2)
	b.Push(1, 0, []byte{1})
	b.Push(3, 0, []byte{3})
	if got := drain(b); len(got) != 1 || got[0] != 1 {
		t.Fatalf("before depth: %v", got)
	}
	b.Push(4, 0, []byte{4})
	got := drain(b)
	if len(got) != 3 || got[0] != -1 || got[1] != 3 || got[2] != 4 {
		t.Fatalf("after depth: %v", got)
	}
	if b.Push(2, 0, []byte{2}) != Late {
		t.Fatal("a packet after its turn must be late")
	}
}

func TestBuffer_WrapsAndResyncs(t *testing.T) {
	b := New(3)
	for s := uint16(65530); s != 6; s++ {
		b.Push(s, 0, []byte{byte(s)})
	}
	if got := drain(b); len(got) != 12 {
		t.Fatalf("across wrap: %d packets", len(got))
	}
	if b.Push(30000, 0, []byte{7}) != Resynced {
		t.Fatal("a jump must resync")
	}
	if got := drain(b); len(got) != 1 || got[0] != 7 {
		t.Fatalf("after resync: %v", got)
	}
	if b.Push(30000, 0, []byte{7}) != Late || b.Push(30001, 0, make([]byte, MaxPayload+1)) != TooBig {
		t.Fatal("duplicates of released packets are late; oversized packets are refused")
	}
}

func BenchmarkBuffer_PushPop(b *testing.B) {
	buf := New(3)
	p := make([]byte, 160)
	b.ReportAllocs()
	for i := range b.N {
		buf.Push(uint16(i), uint32(i)*160, p)
		buf.Pop()
	}
}

// pkt is a 20 ms packet whose first byte is its sequence number.
func pkt(seq uint16) []byte {
	p := make([]byte, FrameSamples)
	p[0] = byte(seq)
	return p
}

func TestBuffer_HoldsABurstOfSecondsWhole(t *testing.T) {
	b := New(3)
	// 5 s of packets arrive before the reader runs once (a stall
	// upstream, then the backlog at once).
	const n = 250
	for s := range uint16(n) {
		if r := b.Push(1000+s, uint32(s)*FrameSamples, pkt(1000+s)); r != Accepted {
			t.Fatalf("packet %d: %v", s, r)
		}
	}
	got := drain(b)
	if len(got) != n {
		t.Fatalf("released %d of %d", len(got), n)
	}
	for i, s := range got {
		if s != int(byte(1000+i)) {
			t.Fatalf("frame %d is packet %d", i, s)
		}
	}
	if b.Dropped != 0 || b.Concealed != 0 || b.Resyncs != 0 {
		t.Fatalf("dropped %d, concealed %d, resyncs %d", b.Dropped, b.Concealed, b.Resyncs)
	}
}

func TestBuffer_ConcealsLostPacketsByTimestamp(t *testing.T) {
	b := New(3)
	// 60 ms packets; the second and third are lost: 120 ms = 6 frames.
	p := make([]byte, 480)
	for _, s := range []uint16{1, 4, 5, 6, 7} {
		b.Push(s, uint32(s)*480, p)
	}
	var got []Status
	for {
		_, _, st := b.Pop()
		if st == NotReady {
			break
		}
		got = append(got, st)
	}
	lost := 0
	for _, st := range got {
		if st == Lost {
			lost++
		}
	}
	if lost != 6 || len(got) != 11 || got[1] != Lost || got[7] != Ready {
		t.Fatalf("statuses %v: want 1 packet, 6 frames concealed, 4 packets", got)
	}
}

func TestBuffer_FillsATimestampJumpWithSilence(t *testing.T) {
	b := New(3)
	b.Push(1, 0, pkt(1))
	// The sender paused 2 s (hold, silence suppression) with its clock
	// running, and went on with the next sequence number.
	b.Push(2, 160+2*8000, pkt(2))
	got := drain(b)
	if len(got) != 102 || got[0] != 1 || got[101] != 2 {
		t.Fatalf("got %d items, want packet 1, 100 concealed frames, packet 2", len(got))
	}
	for _, s := range got[1:101] {
		if s != -1 {
			t.Fatal("the pause must be concealed")
		}
	}
	// A jump over MaxGap is a new timeline: no fill.
	b.Push(3, 160+2*8000+160+MaxGap+8000, pkt(3))
	if got := drain(b); len(got) != 1 {
		t.Fatalf("a jump over MaxGap gave %d items", len(got))
	}
}

func TestBuffer_ReaderThatStoppedKeepsOnlyAFewPackets(t *testing.T) {
	b := New(3)
	for s := range uint16(idleLimit + 100) {
		b.Push(s, uint32(s)*FrameSamples, pkt(s))
	}
	if b.Len() > 4 {
		t.Fatalf("a buffer nobody reads holds %d packets", b.Len())
	}
	// A reader that comes back gets the newest packets, not the gap.
	got := drain(b)
	if len(got) != 4 || got[len(got)-1] != (idleLimit+99)%256 {
		t.Fatalf("after a long idle: %v", got)
	}
	for _, s := range got {
		if s == -1 {
			t.Fatal("a returning reader must not get the idle time's silence")
		}
	}
}

func TestBuffer_EmptyBufferKeepsNoPacketStorage(t *testing.T) {
	b := New(3)
	for s := range uint16(100) {
		b.Push(s, uint32(s)*FrameSamples, pkt(s))
	}
	drain(b)
	if len(b.ring) > minRing || b.count != 0 {
		t.Fatalf("ring %d, count %d after draining", len(b.ring), b.count)
	}
}

func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 160, 1, 0, 3, 0, 0, 1, 224, 2})
	f.Add([]byte{255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0, 5, 255, 255, 255, 255, 200, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := New(int(len(data) % 5))
		// Each 7 bytes: seq(2) ts(4) op(1): op's low bit pops, the rest
		// is the payload length.
		for len(data) >= 7 {
			seq := uint16(data[0])<<8 | uint16(data[1])
			ts := uint32(data[2])<<24 | uint32(data[3])<<16 | uint32(data[4])<<8 | uint32(data[5])
			op := data[6]
			data = data[7:]
			b.Push(seq, ts, make([]byte, int(op>>1)*4))
			if op&1 == 1 {
				for range 3 * MaxHeld {
					p, _, st := b.Pop()
					if st == NotReady {
						break
					}
					if st == Ready && len(p) > MaxPayload {
						t.Fatalf("payload of %d bytes", len(p))
					}
				}
			}
			if b.Len() > MaxHeld || b.Len() < 0 {
				t.Fatalf("holds %d packets", b.Len())
			}
		}
	})
}
