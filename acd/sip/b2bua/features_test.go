package b2bua

import (
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// refused places a call from a to ext and returns the final status.
func refused(t *testing.T, a *siptest.Phone, ext string) int {
	t.Helper()
	out, err := a.Dial(ctxT(t), ext)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err == nil {
		t.Fatalf("call to %s was answered", ext)
	}
	return out.Status()
}

func TestCall_CalleeHangsUpFirst(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")
	if err := in.Hangup(ctxT(t)); err != nil {
		t.Fatalf("callee BYE: %v", err)
	}
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("caller never got BYE")
	}
	if rec := bx.lastEnded(); rec.HangupSide != acd.SideCallee {
		t.Errorf("hang-up side %q, want callee", rec.HangupSide)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_CancelBeforeAnswerStopsEveryDevice(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a := bx.phone("201")
	b1, b2 := bx.phone("202"), bx.phone("202") // two desks of one extension
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in1, err := b1.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	in2, err := b2.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = in1.Ring()
	select {
	case <-out.Ringing():
	case <-time.After(10 * time.Second):
		t.Fatal("caller never heard ringing")
	}
	out.Cancel()
	if err := out.WaitAnswer(ctxT(t)); err == nil || out.Status() != 487 {
		t.Errorf("caller got %d (%v), want 487", out.Status(), err)
	}
	for i, in := range []*siptest.Call{in1, in2} {
		select {
		case <-in.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("device %d kept ringing after CANCEL", i+1)
		}
	}
	if rec := bx.lastEnded(); rec.HangupSide != acd.SideCaller || !rec.Answer.IsZero() {
		t.Errorf("record: side %q answer %v", rec.HangupSide, rec.Answer)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_FirstDeviceToAnswerWins(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a := bx.phone("201")
	b1, b2 := bx.phone("202"), bx.phone("202")
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in1, err := b1.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	in2, err := b2.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := in2.Answer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("caller: %v", err)
	}
	select {
	case <-in1.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the other device kept ringing")
	}
	if !hears(t, out, in2, 1000) {
		t.Error("the answering device does not hear the caller")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_FailuresMapToStatus(t *testing.T) {
	bx := startBox(t, Config{RingTimeout: time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")

	t.Run("busy", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if in, err := b.Incoming(ctxT(t)); err == nil {
				_ = in.Reject(486, "Busy Here")
			}
		}()
		if got := refused(t, a, "202"); got != 486 {
			t.Errorf("busy callee: caller got %d, want 486", got)
		}
		<-done
		if rec := bx.lastEnded(); rec.Cause != acd.CauseUserBusy {
			t.Errorf("cause %v, want user busy", rec.Cause)
		}
	})
	t.Run("not registered", func(t *testing.T) {
		if got := refused(t, a, "203"); got != 480 {
			t.Errorf("caller got %d, want 480", got)
		}
		bx.lastEnded()
	})
	t.Run("unknown", func(t *testing.T) {
		if got := refused(t, a, "299"); got != 404 {
			t.Errorf("caller got %d, want 404", got)
		}
		bx.lastEnded()
	})
	t.Run("no answer", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if in, err := b.Incoming(ctxT(t)); err == nil {
				_ = in.Ring()
				<-in.Done()
			}
		}()
		if got := refused(t, a, "202"); got != 480 {
			t.Errorf("caller got %d, want 480", got)
		}
		<-done
		if rec := bx.lastEnded(); rec.Cause != acd.CauseNoAnswer {
			t.Errorf("cause %v, want no answer", rec.Cause)
		}
	})
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_DoNotDisturbAndForwarding(t *testing.T) {
	bx := startBox(t, Config{RingTimeout: time.Second}, func(e map[string]*store.Extension) {
		e["202"].ForwardAlways = "203"
	})
	a, c := bx.phone("201"), bx.phone("203")
	out, in := connect(t, a, c, "202")
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	if rec := bx.lastEnded(); rec.RouteString() != "ext:202>ext:203" || rec.Callee.Number != "203" {
		t.Errorf("forward always: route %q callee %q", rec.RouteString(), rec.Callee.Number)
	}

	edit := func(f func(e *store.Extension)) {
		e, err := store.Get[store.Extension](bx.st, "202")
		if err != nil {
			t.Fatal(err)
		}
		f(&e)
		if _, err := store.Put(bx.st, e); err != nil {
			t.Fatal(err)
		}
	}
	edit(func(e *store.Extension) { e.ForwardAlways, e.DND = "", true })
	if got := refused(t, a, "202"); got != 486 {
		t.Errorf("do not disturb: caller got %d, want 486", got)
	}
	bx.lastEnded()

	edit(func(e *store.Extension) { e.ForwardBusy = "203" })
	out, in = connect(t, a, c, "202")
	_ = out.Hangup(ctxT(t))
	<-in.Done()
	if rec := bx.lastEnded(); rec.RouteString() != "ext:202>ext:203" {
		t.Errorf("forward on busy: route %q", rec.RouteString())
	}

	edit(func(e *store.Extension) { e.DND, e.ForwardBusy, e.ForwardNoAnswer = false, "", "203" })
	out, in = connect(t, a, c, "202") // 202 has no phone registered
	_ = out.Hangup(ctxT(t))
	<-in.Done()
	if rec := bx.lastEnded(); rec.RouteString() != "ext:202>ext:203" {
		t.Errorf("forward on no answer: route %q", rec.RouteString())
	}

	edit(func(e *store.Extension) { e.ForwardNoAnswer, e.ForwardAlways = "", "201" })
	edit203 := func() {
		e, _ := store.Get[store.Extension](bx.st, "201")
		e.ForwardAlways = "202"
		if _, err := store.Put(bx.st, e); err != nil {
			t.Fatal(err)
		}
	}
	edit203()
	if got := refused(t, c, "202"); got != 483 {
		t.Errorf("forwarding loop: caller got %d, want 483", got)
	}
	bx.lastEnded()
}

func TestCall_DeadMediaEndsTheCallButLongRingingDoesNot(t *testing.T) {
	bx := startBox(t, Config{MediaTimeout: 400 * time.Millisecond}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = in.Ring()
	time.Sleep(1500 * time.Millisecond) // rings for several media timeouts
	if err := in.Answer(ctxT(t)); err != nil {
		t.Fatalf("answer after long ringing: %v", err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("caller: %v", err)
	}
	// Neither phone sends RTP: the box hangs the call up.
	for _, c := range []*siptest.Call{out, in} {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a call without media stayed up")
		}
	}
	if rec := bx.lastEnded(); rec.Cause != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("cause %v, want recovery on timer expiry", rec.Cause)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}
