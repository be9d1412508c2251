package b2bua

import (
	"context"
	"math"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/media/audiotest"
)

// rms is the loudness of x (0 for silence, about 2800 for the box's
// music on hold).
func rms(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// hearsMusic reports whether to hears music, not from's freq, while from
// keeps playing freq.
func hearsMusic(t *testing.T, from, to *siptest.Call, freq float64) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() { _ = from.Play(ctx, freq, 2*time.Second) }()
	time.Sleep(200 * time.Millisecond)
	got := to.Listen(800 * time.Millisecond)
	return rms(got) > 500 && !audiotest.HasTone(got, freq, 0.3)
}

func TestCall_HoldAndResumeFromEitherSide(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")

	if err := out.Hold(ctxT(t)); err != nil {
		t.Fatalf("caller hold: %v", err)
	}
	if hears(t, in, out, 700) {
		t.Error("the holding caller still gets the callee's audio")
	}
	if !hearsMusic(t, out, in, 1000) {
		t.Error("the held callee does not hear music on hold")
	}
	if err := out.Resume(ctxT(t)); err != nil {
		t.Fatalf("caller resume: %v", err)
	}
	if !hears(t, in, out, 700) {
		t.Error("after resume the caller does not hear the callee")
	}
	if !hears(t, out, in, 1000) {
		t.Error("after resume the callee hears music, not the caller")
	}

	if err := in.Hold(ctxT(t)); err != nil {
		t.Fatalf("callee hold: %v", err)
	}
	if hears(t, out, in, 1000) {
		t.Error("the holding callee still gets the caller's audio")
	}
	if !hearsMusic(t, in, out, 700) {
		t.Error("the held caller does not hear music on hold")
	}
	if err := in.Resume(ctxT(t)); err != nil {
		t.Fatalf("callee resume: %v", err)
	}
	if !hears(t, out, in, 1000) {
		t.Error("after resume the callee does not hear the caller")
	}
	if err := in.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-out.Done()
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}
