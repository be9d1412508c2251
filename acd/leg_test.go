package acd

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// ctxLeg is a fakeLeg whose end cancels a context, as the B2BUA's legs
// do: AfterEnd watches it without a goroutine.
type ctxLeg struct {
	*fakeLeg
	ctx context.Context
}

func newCtxLeg(id, number string, src Source) *ctxLeg {
	l := newLeg(id, number, src)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-l.done; cancel() }() // the test's own plumbing, before any baseline
	return &ctxLeg{fakeLeg: l, ctx: ctx}
}

func (l *ctxLeg) EndContext() context.Context { return l.ctx }

func TestAfterEnd_RunsOnceAfterTheEndAndStopsBeforeIt(t *testing.T) {
	for _, kind := range []string{"channel", "context"} {
		t.Run(kind, func(t *testing.T) {
			mk := func(id string) (Leg, func()) {
				if kind == "context" {
					l := newCtxLeg(id, "1", SourceLine)
					return l, func() { l.farEnd(CauseNormalClearing) }
				}
				l := newLeg(id, "1", SourceLine)
				return l, func() { l.farEnd(CauseNormalClearing) }
			}

			leg, end := mk("a")
			var runs atomic.Int32
			fired := make(chan struct{})
			stop := AfterEnd(leg, func() { runs.Add(1); close(fired) })
			end()
			select {
			case <-fired:
			case <-time.After(5 * time.Second):
				t.Fatal("f did not run after the leg ended")
			}
			if stop() {
				t.Error("stop after f ran reported that it stopped f")
			}
			if runs.Load() != 1 {
				t.Errorf("f ran %d times", runs.Load())
			}

			leg, end = mk("b")
			stop = AfterEnd(leg, func() { t.Error("f ran after stop") })
			if !stop() {
				t.Error("stop before the end reported that f had started")
			}
			end()
			time.Sleep(20 * time.Millisecond) // room for a wrong run

			// A leg that has ended already: f runs at once.
			leg, end = mk("c")
			end()
			<-leg.Done()
			done := make(chan struct{})
			AfterEnd(leg, func() { close(done) })
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("f did not run for a leg that had ended")
			}
		})
	}
}

// TestSwitch_WatchingTheCallerCostsNoGoroutine: a call whose caller leg
// ends a context (the B2BUA's legs) runs one goroutine, its handler; the
// switch's watch of the caller is a context registration. The caller's
// hang-up still ends the call.
func TestSwitch_WatchingTheCallerCostsNoGoroutine(t *testing.T) {
	const calls = 50
	legs := make([]*ctxLeg, calls)
	for i := range legs {
		legs[i] = newCtxLeg("a"+string(rune('A'+i)), "100", SourceLine)
	}
	started := make(chan struct{}, calls)
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		started <- struct{}{}
		<-ctx.Done()
		return context.Cause(ctx)
	})
	defer hangUpAll(sw)
	runtime.Gosched()
	base := runtime.NumGoroutine()
	cs := make([]*Call, calls)
	for i, l := range legs {
		c, err := sw.Accept(l, "201")
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		<-started
	}
	if n := runtime.NumGoroutine() - base; n > calls {
		t.Errorf("%d calls run %d goroutines, want one each", calls, n)
	}
	legs[0].farEnd(CauseNormalClearing)
	deadline := time.Now().Add(5 * time.Second)
	for sw.Active() != calls-1 {
		if time.Now().After(deadline) {
			t.Fatalf("the caller's hang-up did not end its call: %d active", sw.Active())
		}
		time.Sleep(time.Millisecond)
	}
	if r := cs[0].Record(); r.HangupSide != SideCaller {
		t.Errorf("hang-up side %q, want the caller", r.HangupSide)
	}
}
