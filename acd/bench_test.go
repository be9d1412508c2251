package acd

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
)

// BenchmarkSwitch_CallLifecycle measures one call through the switch:
// accept, handler goroutine, answer, bridge to a second leg that hangs
// up, hang-up of the caller and the CallEnded event.
func BenchmarkSwitch_CallLifecycle(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	bus := NewBus(WithBusLogger(quiet))
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		other := newLeg(c.ID()+"-b", "201", SourceExtension)
		other.farEnd(CauseNormalClearing)
		return c.Bridge(ctx, other)
	}, WithBus(bus), WithLogger(quiet))
	ch := bus.Subscribe(context.Background(), WithBuffer(64))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c, err := sw.Accept(newLeg(fmt.Sprint(i), "100", SourceLine), "201")
		if err != nil {
			b.Fatal(err)
		}
		for e := range ch {
			if end, ok := e.(CallEnded); ok && end.Call.ID == c.ID() {
				break
			}
		}
	}
	hangUpAll(sw)
}

// BenchmarkBus_Publish measures publishing to four subscribers that keep
// up.
func BenchmarkBus_Publish(b *testing.B) {
	bus := NewBus(WithBusLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 4 {
		ch := bus.Subscribe(ctx, WithBuffer(1024))
		go func() {
			for range ch {
			}
		}()
	}
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(QueueJoined{Queue: "sales", CallID: "x", Position: 1})
	}
}

// BenchmarkCall_Replace measures a transfer's step inside a live bridge:
// Replace of the callee by a new leg (relays rewired, the old leg hung
// up, CallTransferred published), the way a blind transfer finishes. A
// call takes 20 transfers, then a fresh one starts (not timed), as real
// calls see a few transfers, not thousands.
func BenchmarkCall_Replace(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	in := make(chan *Call, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		in <- c
		first := newLeg(c.ID()+"-b", "201", SourceExtension)
		first.endpoint = &fakeEndpoint{}
		return c.Bridge(ctx, first)
	}, WithLogger(quiet))
	defer hangUpAll(sw)
	var c *Call
	var old Leg
	var caller *fakeLeg
	fresh := func(i int) {
		if caller != nil {
			caller.farEnd(CauseNormalClearing)
		}
		caller = newLeg(fmt.Sprint("a", i), "100", SourceLine)
		caller.endpoint = &fakeEndpoint{}
		if _, err := sw.Accept(caller, "201"); err != nil {
			b.Fatal(err)
		}
		c = <-in
		for len(c.Peers(caller)) == 0 {
			runtime.Gosched()
		}
		old = c.Peers(caller)[0]
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%20 == 0 {
			b.StopTimer()
			fresh(i)
			b.StartTimer()
		}
		next := newLeg(fmt.Sprint("b", i), "202", SourceExtension)
		next.endpoint = &fakeEndpoint{}
		if err := c.Replace(old, next); err != nil {
			b.Fatal(err)
		}
		old = next
	}
}

// BenchmarkCall_HoldResume measures a hold and a resume: music started
// and stopped, relays rewired.
func BenchmarkCall_HoldResume(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	callee := newLeg("b", "201", SourceExtension)
	callee.endpoint = &fakeEndpoint{}
	in := make(chan *Call, 1)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		in <- c
		return c.Bridge(ctx, callee)
	}, WithLogger(quiet))
	caller := newLeg("a", "100", SourceLine)
	caller.endpoint = &audioEndpoint{}
	if _, err := sw.Accept(caller, "201"); err != nil {
		b.Fatal(err)
	}
	c := <-in
	for len(c.Peers(caller)) == 0 {
		runtime.Gosched()
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Hold(callee, true); err != nil {
			b.Fatal(err)
		}
		if err := c.Hold(callee, false); err != nil {
			b.Fatal(err)
		}
	}
	hangUpAll(sw)
}
