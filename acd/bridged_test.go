package acd

import (
	"context"
	"errors"
	"testing"
)

// isClosed reports whether ch is closed now, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestCall_BridgedClosesOnceTheBridgeIsLiveAndReopensForTheNext(t *testing.T) {
	caller, _ := audioLeg("a")
	first, _ := audioLeg("b")
	second, _ := audioLeg("c")
	answering := make(chan struct{})
	letAnswer := make(chan struct{})
	caller.AnswerFn = func(ctx context.Context) error {
		close(answering)
		<-letAnswer
		return nil
	}
	got := make(chan *Call, 1)
	res := make(chan error, 2)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		got <- c
		res <- c.Bridge(ctx, first)
		err := c.Bridge(ctx, second)
		res <- err
		return err
	})
	t.Cleanup(func() { hangUpAll(sw) })
	if _, err := sw.Accept(caller, "201"); err != nil {
		t.Fatal(err)
	}
	c := recv(t, got)
	live := c.Bridged()
	recv(t, answering)
	if isClosed(live) {
		t.Fatal("Bridged closed while the caller was still being answered")
	}
	close(letAnswer)
	recv(t, live)
	if !isClosed(c.Bridged()) {
		t.Error("Bridged is open while the bridge runs")
	}
	// A live bridge takes a tap at once: no ErrNotBridged to retry on.
	stop, err := c.Tap(first, &tapped{})
	if err != nil {
		t.Fatalf("Tap once Bridged is closed: %v", err)
	}
	stop()

	first.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("first Bridge = %v, want nil", err)
	}
	// The handler goes straight on to the second bridge; whichever
	// channel a waiter got after the first ended is closed by it.
	recv(t, c.Bridged())
	if _, err := c.Tap(second, &tapped{}); err != nil {
		t.Fatalf("Tap on the second bridge: %v", err)
	}
	second.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("second Bridge = %v, want nil", err)
	}
	if isClosed(c.Bridged()) {
		t.Error("Bridged is closed with no bridge running")
	}
}

func TestCall_BridgedStaysOpenWhenTheBridgeNeverRuns(t *testing.T) {
	caller, _ := audioLeg("a")
	callee, _ := audioLeg("b")
	refused := errors.New("answer refused")
	caller.AnswerFn = func(context.Context) error { return refused }
	got := make(chan *Call, 1)
	res := make(chan error, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		live := c.Bridged()
		got <- c
		err := c.Bridge(ctx, callee)
		if isClosed(live) {
			t.Error("Bridged closed by a bridge that failed to answer the caller")
		}
		res <- err
		return err
	})
	t.Cleanup(func() { hangUpAll(sw) })
	if _, err := sw.Accept(caller, "201"); err != nil {
		t.Fatal(err)
	}
	c := recv(t, got)
	if err := recv(t, res); !errors.Is(err, refused) {
		t.Fatalf("Bridge = %v, want the answer's error", err)
	}
	recv(t, callee.Done()) // the dialled party is let go
	if isClosed(c.Bridged()) {
		t.Error("Bridged is closed although no bridge ever ran")
	}
}
