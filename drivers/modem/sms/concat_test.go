package sms

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func part(seq, total byte, text string, index int) Part {
	return Part{Deliver: Deliver{From: "+8613912345678", Text: text, Concat: &Concat{Ref: 7, Total: total, Seq: seq}}, Index: index}
}

func TestReassembler_JoinsOutOfOrderAndIgnoresDuplicates(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := NewReassembler(c.now, time.Hour)
	for _, p := range []Part{part(3, 3, "C", 5), part(1, 3, "A", 6), part(3, 3, "C", 7)} {
		if _, done := r.Add(p); done {
			t.Fatal("complete before every part came")
		}
	}
	in, done := r.Add(part(2, 3, "B", 8))
	if !done || in.Text != "ABC" || in.Partial || in.Parts != 3 {
		t.Fatalf("got %+v done=%v", in, done)
	}
	if len(in.Indexes) != 4 {
		t.Fatalf("indexes %v: the duplicate's slot must be freed too", in.Indexes)
	}
	if r.Pending() != 0 {
		t.Fatal("group left behind")
	}
}

func TestReassembler_SlotReadTwiceIsListedOnce(t *testing.T) {
	r := NewReassembler(time.Now, time.Hour)
	// Part 1 is read from slot 4 by its +CMTI and again by a listing.
	r.Add(part(1, 2, "A", 4))
	r.Add(part(1, 2, "A", 4))
	in, done := r.Add(part(2, 2, "B", 9))
	if !done || in.Text != "AB" {
		t.Fatalf("got %+v done=%v", in, done)
	}
	if len(in.Indexes) != 2 || in.Indexes[0] != 4 || in.Indexes[1] != 9 {
		t.Fatalf("indexes %v, want [4 9]: a slot deleted twice may hold the next message by then", in.Indexes)
	}
}

func TestReassembler_ExpiresIncompleteMessageAsPartial(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := NewReassembler(c.now, 10*time.Minute)
	r.Add(part(1, 3, "A", 1))
	r.Add(part(3, 3, "C", 2))
	c.t = c.t.Add(9 * time.Minute)
	if got := r.Expire(); len(got) != 0 {
		t.Fatalf("expired early: %+v", got)
	}
	c.t = c.t.Add(time.Minute)
	got := r.Expire()
	if len(got) != 1 || !got[0].Partial || got[0].Missing != 1 || got[0].Text != "A"+MissingMark+"C" {
		t.Fatalf("got %+v", got)
	}
}

func TestReassembler_KeepsSendersApart(t *testing.T) {
	r := NewReassembler(time.Now, time.Hour)
	a := part(1, 2, "x", 1)
	b := part(2, 2, "y", 2)
	b.From = "+8613900000000"
	r.Add(a)
	if _, done := r.Add(b); done {
		t.Fatal("parts of different senders joined")
	}
}
