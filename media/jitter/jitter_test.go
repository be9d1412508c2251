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
