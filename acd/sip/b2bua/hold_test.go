package b2bua

import (
	"testing"
)

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
	if !hears(t, out, in, 1000) {
		t.Error("the callee no longer hears the holding side (music on hold path)")
	}
	if err := out.Resume(ctxT(t)); err != nil {
		t.Fatalf("caller resume: %v", err)
	}
	if !hears(t, in, out, 700) {
		t.Error("after resume the caller does not hear the callee")
	}

	if err := in.Hold(ctxT(t)); err != nil {
		t.Fatalf("callee hold: %v", err)
	}
	if hears(t, out, in, 1000) {
		t.Error("the holding callee still gets the caller's audio")
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
