package b2bua

import (
	"context"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/media/audiotest"
)

// answer waits for the next call at p and answers it.
func answer(t *testing.T, p *siptest.Phone) *siptest.Call {
	t.Helper()
	in, err := p.Incoming(ctxT(t))
	if err != nil {
		t.Fatalf("no incoming call: %v", err)
	}
	if err := in.Ring(); err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctxT(t)); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return in
}

// connect places a call from a to ext and has b answer it.
func connect(t *testing.T, a, b *siptest.Phone, ext string) (out, in *siptest.Call) {
	t.Helper()
	out, err := a.Dial(ctxT(t), ext)
	if err != nil {
		t.Fatal(err)
	}
	in = answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("caller saw %d: %v", out.Status(), err)
	}
	return out, in
}

// hears plays freq from one side while listening on the other.
func hears(t *testing.T, from, to *siptest.Call, freq float64) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() { _ = from.Play(ctx, freq, 2*time.Second) }()
	time.Sleep(200 * time.Millisecond) // let the relay latch and fill
	got := to.Listen(600 * time.Millisecond)
	return audiotest.HasTone(got, freq, 0.5)
}

func TestCall_ExtensionToExtensionCarriesAudioBothWays(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")

	name, number, pai := in.From()
	if name != "Desk 201" || number != "201" || !strings.Contains(pai, "sip:201@") || !strings.Contains(pai, "Desk 201") {
		t.Errorf("callee sees From %q <%s>, PAI %q; want the caller's name and number", name, number, pai)
	}
	if !hears(t, out, in, 1000) {
		t.Error("callee did not hear the caller's 1000 Hz tone")
	}
	if !hears(t, in, out, 700) {
		t.Error("caller did not hear the callee's 700 Hz tone")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatalf("caller BYE: %v", err)
	}
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("callee never got BYE")
	}
	rec := bx.lastEnded()
	if rec.HangupSide != acd.SideCaller || rec.Callee.Number != "202" || rec.Answer.IsZero() {
		t.Errorf("record: side %q callee %+v answer %v", rec.HangupSide, rec.Callee, rec.Answer)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_EarlyMediaReachesTheCallerBeforeAnswer(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.EarlyMedia(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.Ringing():
	case <-time.After(10 * time.Second):
		t.Fatal("caller never got 183")
	}
	if !hears(t, in, out, 425) {
		t.Error("caller did not hear the callee's early media (425 Hz ring-back)")
	}
	if err := in.Answer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !hears(t, out, in, 1000) {
		t.Error("after answer the callee does not hear the caller")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestCall_DTMFDigitsCrossTheBox(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")
	for _, c := range []struct {
		from, to *siptest.Call
		digit    byte
	}{{out, in, '5'}, {in, out, '#'}} {
		if err := c.from.SendDigit(ctxT(t), c.digit); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-c.to.Digits():
			if d != c.digit {
				t.Errorf("got digit %q, want %q", d, c.digit)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("digit %q never arrived", c.digit)
		}
	}
	_ = out.Hangup(ctxT(t))
}

func TestCall_LegsExportTheirDialogs(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, _ := connect(t, a, b, "202")
	legs := bx.legsOf()
	if len(legs) != 2 {
		t.Fatalf("%d legs, want 2", len(legs))
	}
	callers := 0
	for _, l := range legs {
		d, ok := DialogOf(l)
		if !ok {
			t.Fatalf("no dialog for %T", l)
		}
		if d.CallID == "" || d.LocalTag == "" || d.RemoteTag == "" || d.RemoteTarget == "" ||
			d.Destination == "" || d.LocalCSeq == 0 || d.Transport != "UDP" {
			t.Errorf("incomplete dialog record %+v", d)
		}
		if !strings.HasPrefix(l.ID(), "sip:"+d.CallID) {
			t.Errorf("leg ID %q does not name its Call-ID %q", l.ID(), d.CallID)
		}
		if d.Caller {
			callers++
		}
		if s, ok := SessionOf(l); !ok || s.LocalAddr().Port() == 0 {
			t.Errorf("no RTP session for %T", l)
		}
	}
	if callers != 1 {
		t.Errorf("%d caller-side dialogs, want 1", callers)
	}
	_ = out.Hangup(ctxT(t))
}

func TestCall_CallerOnTCP(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a := bx.phone("201", siptest.WithTransport("tcp"))
	b := bx.phone("202")
	out, in := connect(t, a, b, "202")
	if !hears(t, in, out, 700) {
		t.Error("TCP caller did not hear the callee")
	}
	if err := in.Hangup(ctxT(t)); err != nil {
		t.Fatalf("BYE toward the TCP caller: %v", err)
	}
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("TCP caller never got BYE")
	}
}
