package b2bua

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/acd/siptest"
)

func TestSessionTimer_CallerThatStopsRefreshingIsHungUp(t *testing.T) {
	// Session-Expires 3 s: without a refresh the box ends the session 2 s
	// (SE - SE/3) after the last one.
	bx := startBox(t, Config{MinSE: time.Second, SessionExpires: 3 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", "3;refresher=uac"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if h := out.Response().GetHeader("Session-Expires"); h == nil || h.Value() != "3;refresher=uac" {
		t.Fatalf("200 Session-Expires %v", h)
	}
	// Refreshes every half second keep it up for twice the expiry.
	for range 8 {
		time.Sleep(500 * time.Millisecond)
		res, err := out.Update(ctxT(t))
		if err != nil || res.StatusCode != 200 || res.GetHeader("Session-Expires") == nil {
			t.Fatalf("refresh: %v %v", res, err)
		}
	}
	select {
	case <-out.Done():
		t.Fatal("the box hung up a refreshed session")
	default:
	}
	// Then the phone goes silent on signalling.
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the box never ended the unrefreshed session")
	}
	<-in.Done()
	if r := bx.lastEnded(); r.Cause != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("CDR cause %v, want %v", r.Cause, acd.CauseRecoveryOnTimerExpiry)
	}
}

func TestSessionTimer_BoxRefreshesWhenItIsTheRefresher(t *testing.T) {
	bx := startBox(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, NOTIFY"),
		sip.NewHeader("Session-Expires", "2;refresher=uas"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two refreshes from the box", func() bool { return out.UpdatesReceived() >= 2 })
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()

	// An interval under Min-SE is refused with 422 and the box's floor.
	short, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"), sip.NewHeader("Session-Expires", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := short.WaitAnswer(ctxT(t)); err == nil || short.Status() != 400 {
		t.Errorf("Session-Expires 0: %d, want 400", short.Status())
	}
}

func TestSessionTimer_IntervalBelowMinSEIsRefused(t *testing.T) {
	bx := startBox(t, Config{MinSE: 5 * time.Second}, nil)
	a := bx.phone("201")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Session-Expires", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err == nil || out.Status() != 422 {
		t.Fatalf("status %d, want 422", out.Status())
	}
	if h := out.Response(); h != nil {
		if mse := h.GetHeader("Min-SE"); mse == nil || mse.Value() != "5" {
			t.Errorf("Min-SE %v", mse)
		}
	}
}

// answerTimer waits for the next call at p and answers it with a
// session timer of its choosing.
func answerTimer(t *testing.T, p *siptest.Phone, se string) *siptest.Call {
	t.Helper()
	in, err := p.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if h := in.Invite().GetHeader("Session-Expires"); h == nil {
		t.Fatal("the box offered no session timer")
	}
	if err := in.AnswerWith(ctxT(t), sip.NewHeader("Session-Expires", se), sip.NewHeader("Require", "timer"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE")); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSessionTimer_CalleeLegs(t *testing.T) {
	bx := startBox(t, Config{MinSE: time.Second, SessionExpires: 3 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")

	// The callee makes the box the refresher: UPDATEs keep it up.
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in := answerTimer(t, b, "2;refresher=uac")
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the box refreshes the callee", func() bool { return in.UpdatesReceived() >= 2 })
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	bx.lastEnded()

	// The callee is the refresher and never refreshes: the box ends it.
	out, err = a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in = answerTimer(t, b, "2;refresher=uas")
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the box never ended the unrefreshed callee")
	}
	<-out.Done()
	if r := bx.lastEnded(); r.Cause != acd.CauseRecoveryOnTimerExpiry || r.HangupSide != acd.SideCallee {
		t.Errorf("CDR %s %v, want the callee's timer expiry", r.HangupSide, r.Cause)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}
