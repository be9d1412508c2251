package queue

import (
	"io"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
)

// constant is an announcement of n frames of one value.
type constant struct {
	v      int16
	n      int
	closed bool
}

func (c *constant) ReadFrame(f *media.Frame) error {
	if c.n == 0 {
		return io.EOF
	}
	c.n--
	for i := range f {
		f[i] = c.v
	}
	return nil
}

func (c *constant) Close() error { c.closed = true; return nil }

func TestHoldSource_SplicesAnnouncementsIntoTheMusicAndResumes(t *testing.T) {
	h := newHoldSource(func() media.FrameReader { return NewHoldMusic() })
	var f media.Frame
	music := func() bool {
		var x []int16
		for range 10 {
			if err := h.ReadFrame(&f); err != nil {
				t.Fatal(err)
			}
			x = append(x, f[:]...)
		}
		return audiotest.HasTone(x, holdNotes[0], 0.5)
	}
	if !music() {
		t.Fatal("no hold music at the start")
	}
	a, b := &constant{v: 1000, n: 3}, &constant{v: -1000, n: 2}
	h.announce(a)
	h.announce(b)
	for i, want := range []int16{1000, 1000, 1000, -1000, -1000} {
		if err := h.ReadFrame(&f); err != nil || f[0] != want || f[159] != want {
			t.Fatalf("frame %d: %d..%d (%v), want the announcements in order", i, f[0], f[159], err)
		}
	}
	if err := h.ReadFrame(&f); err != nil || f[0] == -1000 {
		t.Fatalf("after the announcements: %d (%v)", f[0], err)
	}
	if !a.closed || !b.closed || h.said != 2 {
		t.Errorf("closed %v %v, said %d", a.closed, b.closed, h.said)
	}
	// The queued announcement not yet played is released on close.
	c := &constant{v: 5, n: 100}
	h.announce(c)
	h.close()
	if !c.closed {
		t.Error("a pending announcement was not closed")
	}
}

// ended is music that stops after one frame: the source restarts it.
type ended struct{ n int }

func (e *ended) ReadFrame(f *media.Frame) error {
	if e.n > 0 {
		return io.EOF
	}
	e.n++
	f[0] = 7
	return nil
}

func TestHoldSource_RestartsMusicThatEnds(t *testing.T) {
	opened := 0
	h := newHoldSource(func() media.FrameReader { opened++; return &ended{} })
	var f media.Frame
	for range 4 {
		if err := h.ReadFrame(&f); err != nil || f[0] != 7 {
			t.Fatalf("frame %d (%v)", f[0], err)
		}
	}
	if opened != 4 {
		t.Errorf("music opened %d times, want once per pass", opened)
	}
}
