package acd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSwitch_RunsEachCallInItsOwnGoroutine(t *testing.T) {
	entered := make(chan string, 2)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		entered <- c.Dialed()
		<-ctx.Done() // both handlers block at once
		return nil
	})
	defer hangUpAll(sw)
	a, b := newLeg("a", "100", SourceLine), newLeg("b", "101", SourceTrunk)
	if _, err := sw.Accept(a, "8001"); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Accept(b, "8002"); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{recv(t, entered): true, recv(t, entered): true}
	if !got["8001"] || !got["8002"] {
		t.Fatalf("handlers entered for %v", got)
	}
	if n := sw.Active(); n != 2 {
		t.Fatalf("Active = %d, want 2", n)
	}
	calls := sw.Calls()
	if len(calls) != 2 || calls[0].Direction != DirectionIn {
		t.Fatalf("Calls = %+v", calls)
	}
}

func TestSwitch_CallerHangupCancelsHandler(t *testing.T) {
	clk := newClock()
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		if err := c.Answer(ctx); err != nil {
			return err
		}
		clk.Advance(30 * time.Second)
		c.Caller().(*fakeLeg).farEnd(CauseNormalClearing)
		<-ctx.Done()
		if !errors.Is(context.Cause(ctx), ErrHungUp) {
			return fmt.Errorf("cause %v", context.Cause(ctx))
		}
		return ctx.Err()
	}, WithClock(clk.Now))
	defer hangUpAll(sw)
	ch := sw.Bus().Subscribe(t.Context())
	leg := newLeg("a", "13800138000", SourceLine)
	c, err := sw.Accept(leg, "8001")
	if err != nil {
		t.Fatal(err)
	}
	rec := waitEnded(t, ch, c.ID())
	if rec.HangupSide != SideCaller || rec.Cause != CauseNormalClearing {
		t.Fatalf("ended by %s with %v", rec.HangupSide, rec.Cause)
	}
	if got := rec.End.Sub(rec.Answer); got != 30*time.Second {
		t.Fatalf("talk time %v", got)
	}
	if sw.Active() != 0 {
		t.Fatal("call still active")
	}
}

func TestSwitch_PublishesRingingAnsweredEndedInOrder(t *testing.T) {
	sw := NewSwitch(func(ctx context.Context, c *Call) error { return c.Answer(ctx) })
	defer hangUpAll(sw)
	ch := sw.Bus().Subscribe(t.Context())
	c, _ := sw.Accept(newLeg("a", "1", SourceExtension), "201")
	var kinds []string
	for len(kinds) < 3 {
		switch e := recv(t, ch).(type) {
		case CallRinging:
			kinds = append(kinds, "ringing:"+e.Call.ID)
		case CallAnswered:
			kinds = append(kinds, "answered:"+e.Call.ID)
		case CallEnded:
			kinds = append(kinds, "ended:"+e.Call.ID)
			if e.Call.HangupSide != SideSystem {
				t.Errorf("side %s", e.Call.HangupSide)
			}
		}
	}
	want := fmt.Sprint([]string{"ringing:" + c.ID(), "answered:" + c.ID(), "ended:" + c.ID()})
	if fmt.Sprint(kinds) != want {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}

func TestCall_BridgeEndsWhenCalleeHangsUp(t *testing.T) {
	ea, eb := &fakeEndpoint{}, &fakeEndpoint{}
	bridged := make(chan error, 1)
	callee := newLeg("b", "201", SourceExtension)
	callee.endpoint = eb
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		err := c.Bridge(ctx, callee)
		bridged <- err
		return err
	})
	defer hangUpAll(sw)
	ch := sw.Bus().Subscribe(t.Context())
	caller := newLeg("a", "100", SourceTrunk)
	caller.endpoint = ea
	c, _ := sw.Accept(caller, "201")
	callee.farEnd(CauseNormalClearing)
	if err := recv(t, bridged); err != nil {
		t.Fatalf("Bridge = %v, want nil after callee hang-up", err)
	}
	rec := waitEnded(t, ch, c.ID())
	if rec.HangupSide != SideCallee || rec.Callee.Number != "201" || len(rec.Legs) != 2 {
		t.Fatalf("record %+v", rec)
	}
	if !caller.answered.Load() {
		t.Fatal("caller not answered by Bridge")
	}
	select {
	case <-caller.Done():
	default:
		t.Fatal("caller left up after the handler returned")
	}
	if ea.relays.Load() != 1 || eb.relays.Load() != 1 || ea.stops.Load() != 1 || eb.stops.Load() != 1 {
		t.Fatalf("relays a=%d/%d b=%d/%d", ea.relays.Load(), ea.stops.Load(), eb.relays.Load(), eb.stops.Load())
	}
}

func TestCall_BridgeEndsWhenCallerHangsUp(t *testing.T) {
	bridged := make(chan error, 1)
	callee := newLeg("b", "201", SourceExtension)
	caller := newLeg("a", "100", SourceTrunk)
	caller.AnswerFn = func(context.Context) error {
		// The caller hangs up as soon as the bridge answers it.
		go caller.farEnd(CauseUserBusy)
		return nil
	}
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		err := c.Bridge(ctx, callee)
		bridged <- err
		return err
	})
	defer hangUpAll(sw)
	ch := sw.Bus().Subscribe(t.Context())
	c, _ := sw.Accept(caller, "201")
	if err := recv(t, bridged); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Bridge = %v, want ErrHungUp", err)
	}
	rec := waitEnded(t, ch, c.ID())
	if rec.HangupSide != SideCaller || rec.Cause != CauseUserBusy {
		t.Fatalf("side %s cause %v", rec.HangupSide, rec.Cause)
	}
	<-callee.Done()
}

func TestSwitch_RejectEndsCallWithCause(t *testing.T) {
	hung := make(chan Cause, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error { return Reject(CauseUserBusy) })
	defer hangUpAll(sw)
	leg := newLeg("a", "100", SourceLine)
	leg.HangupFn = func(c Cause) { hung <- c }
	if _, err := sw.Accept(leg, "201"); err != nil {
		t.Fatal(err)
	}
	if c := recv(t, hung); c != CauseUserBusy || c.SIPStatus() != 486 {
		t.Fatalf("hung up with %v", c)
	}
}

func TestSwitch_HandlerPanicHangsUpWithTemporaryFailure(t *testing.T) {
	hung := make(chan Cause, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error { panic("boom") })
	defer hangUpAll(sw)
	leg := newLeg("a", "100", SourceLine)
	leg.HangupFn = func(c Cause) { hung <- c }
	sw.Accept(leg, "201")
	if c := recv(t, hung); c != CauseTemporaryFailure {
		t.Fatalf("hung up with %v", c)
	}
}

func TestSwitch_ShutdownHangsUpActiveCallsAndRefusesNew(t *testing.T) {
	entered := make(chan struct{})
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		c.Answer(ctx)
		close(entered)
		<-ctx.Done()
		if !errors.Is(context.Cause(ctx), ErrShutdown) {
			t.Errorf("cause %v", context.Cause(ctx))
		}
		return nil
	})
	leg := newLeg("a", "100", SourceLine)
	sw.Accept(leg, "201")
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sw.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v", err)
	}
	if leg.EndCause() != CauseNormalClearing {
		t.Fatalf("leg ended with %v", leg.EndCause())
	}
	if _, err := sw.Accept(newLeg("b", "1", SourceLine), "2"); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Accept after shutdown = %v", err)
	}
}

func TestSwitch_ShutdownDrainsCallsThatEnd(t *testing.T) {
	release := make(chan struct{})
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return errors.New("cut off")
		}
	})
	leg := newLeg("a", "100", SourceLine)
	sw.Accept(leg, "201")
	done := make(chan error, 1)
	go func() { done <- sw.Shutdown(context.Background()) }()
	close(release)
	if err := recv(t, done); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestSwitch_MaxCalls(t *testing.T) {
	sw := NewSwitch(func(ctx context.Context, c *Call) error { <-ctx.Done(); return nil }, WithMaxCalls(1))
	defer hangUpAll(sw)
	sw.Accept(newLeg("a", "1", SourceLine), "2")
	if _, err := sw.Accept(newLeg("b", "1", SourceLine), "2"); !errors.Is(err, ErrTooManyCalls) {
		t.Fatalf("second Accept = %v", err)
	}
}

func TestSwitch_NoGoroutineLeakAfter1000Calls(t *testing.T) {
	base := runtime.NumGoroutine()
	bus := NewBus()
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		other := newLeg(c.ID()+"-b", "201", SourceExtension)
		other.endpoint = &fakeEndpoint{}
		go other.farEnd(CauseNormalClearing)
		return c.Bridge(ctx, other)
	}, WithBus(bus))
	ctx, cancel := context.WithCancel(context.Background())
	ch := bus.Subscribe(ctx, WithBuffer(16))
	for i := range 1000 {
		leg := newLeg(fmt.Sprint("a", i), "100", SourceLine)
		leg.endpoint = &fakeEndpoint{}
		c, err := sw.Accept(leg, "201")
		if err != nil {
			t.Fatal(err)
		}
		waitEnded(t, ch, c.ID())
	}
	if err := sw.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	bus.Close()
	// Goroutines exit asynchronously after their last channel operation;
	// give the scheduler a bounded number of chances.
	for i := 0; runtime.NumGoroutine() > base && i < 1000; i++ {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines %d > baseline %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestSwitch_CallsSnapshotIsAPlainCopy(t *testing.T) {
	inHandler := make(chan *Call, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		c.AddRoute("flow:main")
		c.Set("digits", "1")
		c.SetQueue("sales")
		inHandler <- c
		<-ctx.Done()
		return nil
	})
	defer hangUpAll(sw)
	sw.Accept(newLeg("a", "13800138000", SourceTrunk), "8001")
	c := recv(t, inHandler)
	snap := sw.Calls()
	if len(snap) != 1 || snap[0].RouteString() != "flow:main" || snap[0].Data["digits"] != "1" ||
		snap[0].Queue != "sales" || snap[0].Caller.Origin() != "trunk:x" {
		t.Fatalf("snapshot %+v", snap)
	}
	snap[0].Data["digits"] = "changed"
	snap[0].Route[0] = "changed"
	if v, _ := c.Get("digits"); v != "1" || c.Record().Route[0] != "flow:main" {
		t.Fatal("snapshot shares memory with the live call")
	}
}

type exportingLeg struct {
	*fakeLeg
}

func (l exportingLeg) ExportState() (json.RawMessage, error) {
	return json.RawMessage(`{"callId":"abc@host","localTag":"t1"}`), nil
}

func TestSwitch_SnapshotCarriesLegState(t *testing.T) {
	inHandler := make(chan struct{})
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		close(inHandler)
		<-ctx.Done()
		return nil
	})
	defer hangUpAll(sw)
	sw.Accept(exportingLeg{newLeg("a", "100", SourceTrunk)}, "201")
	<-inHandler
	snap := sw.Snapshot()
	if len(snap) != 1 || string(snap[0].Legs[0].State) != `{"callId":"abc@host","localTag":"t1"}` {
		t.Fatalf("snapshot %+v", snap)
	}
	b, err := json.Marshal(snap[0])
	if err != nil || !strings.Contains(string(b), `"localTag":"t1"`) {
		t.Fatalf("JSON %s %v", b, err)
	}
	if sw.Calls()[0].Legs[0].State != nil {
		t.Fatal("Calls exported leg state")
	}
}
