package acd

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/media"
)

// audioEndpoint records the frames written to it and who relays to it.
type audioEndpoint struct {
	frames  atomic.Int32
	loud    atomic.Int32 // frames with sound in them
	relayed atomic.Int32 // relays from this endpoint that are running
}

func (e *audioEndpoint) Reader() media.FrameReader { return nil }
func (e *audioEndpoint) Writer() media.FrameWriter {
	return media.FrameWriterFunc(func(f *media.Frame) error {
		e.frames.Add(1)
		for _, v := range f {
			if v > 1000 || v < -1000 {
				e.loud.Add(1)
				break
			}
		}
		return nil
	})
}
func (e *audioEndpoint) RelayTo(media.Endpoint) func() {
	e.relayed.Add(1)
	var once sync.Once
	return func() { once.Do(func() { e.relayed.Add(-1) }) }
}

func audioLeg(id string) (*fakeLeg, *audioEndpoint) {
	l := newLeg(id, id, SourceExtension)
	ep := &audioEndpoint{}
	l.endpoint = ep
	return l, ep
}

// bridged starts a call whose handler bridges the caller to callee and
// reports Bridge's result.
func bridged(t *testing.T, caller, callee Leg) (*Switch, *Call, chan error) {
	t.Helper()
	res := make(chan error, 1)
	in := make(chan struct{})
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		close(in)
		err := c.Bridge(ctx, callee)
		res <- err
		return err
	})
	t.Cleanup(func() { hangUpAll(sw) })
	c, err := sw.Accept(caller, "201")
	if err != nil {
		t.Fatal(err)
	}
	<-in
	eventuallyTrue(t, "bridge up", func() bool { _, ok := sw.CallOf(callee.ID()); return ok && c.bridges(callee.ID()) })
	return sw, c, res
}

func eventuallyTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestCall_ReplaceConnectsRemainingPartyToNewLeg(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	cl, cep := audioLeg("c")
	sw, c, res := bridged(t, a, b)
	events := sw.Bus().Subscribe(t.Context(), WithBuffer(16))
	if err := c.Replace(b, cl); err != nil {
		t.Fatal(err)
	}
	recv(t, b.Done()) // the transferor's leg is hung up
	if got, _ := sw.CallOf("c"); got != c {
		t.Fatal("the new leg is not found in the call")
	}
	eventuallyTrue(t, "the new leg relayed", func() bool { return cep.relayed.Load() == 1 })
	if c.Record().Callee.Number != "c" {
		t.Errorf("callee %v, want c", c.Record().Callee)
	}
	for e := range events {
		if tr, ok := e.(CallTransferred); ok {
			if tr.From.Number != "b" || tr.To.Number != "c" || tr.Call.ID != c.ID() {
				t.Errorf("CallTransferred %+v", tr)
			}
			break
		}
	}
	cl.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil when the new callee hangs up", err)
	}
}

func TestCall_ParkedCallerHangupKeepsCallForTransfer(t *testing.T) {
	a, _ := audioLeg("a")
	b, bep := audioLeg("b")
	cl, _ := audioLeg("c")
	_, c, res := bridged(t, a, b)
	resume, err := c.Park(a)
	if err != nil {
		t.Fatal(err)
	}
	a.farEnd(CauseNormalClearing) // the transferor leaves at once
	eventuallyTrue(t, "music to the remaining party", func() bool { return bep.loud.Load() > 3 })
	if err := c.Replace(a, cl); err != nil {
		t.Fatalf("Replace after the parked caller left: %v", err)
	}
	resume() // too late to matter: a was replaced
	if c.Caller() != cl {
		t.Fatal("the new leg did not take the caller's slot")
	}
	cl.farEnd(CauseUserBusy)
	if err := recv(t, res); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Bridge = %v, want ErrHungUp from the new caller", err)
	}
	recv(t, b.Done())
}

func TestCall_ResumeAfterParkedCallerLeftEndsCall(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	_, c, res := bridged(t, a, b)
	resume, err := c.Park(a)
	if err != nil {
		t.Fatal(err)
	}
	a.farEnd(CauseNormalClearing)
	resume() // the transfer failed
	if err := recv(t, res); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Bridge = %v, want ErrHungUp", err)
	}
	recv(t, b.Done())
}

func TestCall_HoldPlaysMusicToThePeer(t *testing.T) {
	a, aep := audioLeg("a")
	b, bep := audioLeg("b")
	_, c, _ := bridged(t, a, b)
	if err := c.Hold(a, true); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "music to the held party", func() bool { return bep.loud.Load() > 3 })
	if aep.relayed.Load() != 0 || bep.relayed.Load() != 0 {
		t.Errorf("relays a=%d b=%d while a holds, want none", aep.relayed.Load(), bep.relayed.Load())
	}
	if err := c.Hold(a, false); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "relays back", func() bool { return aep.relayed.Load() == 1 && bep.relayed.Load() == 1 })
}

func TestCall_ConferenceMixesEveryParty(t *testing.T) {
	a, aep := audioLeg("a")
	b, bep := audioLeg("b")
	d, dep := audioLeg("d")
	_, c, res := bridged(t, a, b)
	if err := c.Conference(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "mixer writes to all", func() bool {
		return aep.frames.Load() > 3 && bep.frames.Load() > 3 && dep.frames.Load() > 3
	})
	for _, ep := range []*audioEndpoint{aep, bep, dep} {
		if ep.relayed.Load() != 1 {
			t.Fatalf("each party feeds the mixer once, got %d", ep.relayed.Load())
		}
	}
	d.farEnd(CauseNormalClearing)
	eventuallyTrue(t, "back to a relay of two", func() bool { return aep.relayed.Load() == 1 && dep.relayed.Load() == 0 })
	b.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
}

func TestCall_ReleaseMovesLegWithoutHangingUp(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	sw, c, res := bridged(t, a, b)
	if err := c.Release(b); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
	recv(t, a.Done())
	eventuallyTrue(t, "call ended", func() bool { return sw.Active() == 0 })
	select {
	case <-b.Done():
		t.Fatal("the released leg was hung up")
	default:
	}
	if err := c.Hold(a, true); !errors.Is(err, ErrNotBridged) {
		t.Errorf("Hold after the bridge = %v, want ErrNotBridged", err)
	}
}

func TestCall_ReplacedCallerHangingUpDoesNotEndTheCall(t *testing.T) {
	for range 20 {
		a, _ := audioLeg("a")
		b, _ := audioLeg("b")
		cl, _ := audioLeg("c")
		_, c, res := bridged(t, a, b)
		if err := c.Replace(a, cl); err != nil {
			t.Fatal(err)
		}
		recv(t, a.Done()) // Replace hung the old caller up
		if err := c.Hold(cl, false); err != nil {
			t.Fatalf("the call ended with the replaced caller: %v", err)
		}
		select {
		case err := <-res:
			t.Fatalf("Bridge returned %v", err)
		default:
		}
		b.farEnd(CauseNormalClearing)
		if err := recv(t, res); err != nil {
			t.Fatalf("Bridge = %v, want nil", err)
		}
	}
}

func TestCall_ReleasingTheCallerEndsTheCallCleanly(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	sw, c, res := bridged(t, a, b)
	events := sw.Bus().Subscribe(t.Context(), WithBuffer(16))
	if err := c.Release(a); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, res); !errors.Is(err, ErrReleased) {
		t.Fatalf("Bridge = %v, want ErrReleased", err)
	}
	recv(t, b.Done())
	if got := b.EndCause(); got != CauseNormalClearing {
		t.Errorf("the other party was hung up with %v", got)
	}
	if r := waitEnded(t, events, c.ID()); r.Cause != CauseNormalClearing {
		t.Errorf("CDR cause %v", r.Cause)
	}
	select {
	case <-a.Done():
		t.Fatal("the released caller was hung up")
	default:
	}
}
