package cti

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/media"
)

// phone is a leg that answers at once and ends when hung up.
type phone struct {
	number string
	source acd.Source
	done   chan struct{}
	once   sync.Once
}

func newPhone(number string, src acd.Source) *phone {
	return &phone{number: number, source: src, done: make(chan struct{})}
}

func (p *phone) ID() string { return "leg-" + p.number }
func (p *phone) Caller() acd.Party {
	return acd.Party{Number: p.number, Source: p.source, Via: p.number}
}
func (p *phone) Answer(context.Context) error { return nil }
func (p *phone) Hangup(acd.Cause) error       { p.once.Do(func() { close(p.done) }); return nil }
func (p *phone) Media() media.Endpoint        { return nil }
func (p *phone) Done() <-chan struct{}        { return p.done }

func (p *phone) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// board is a switch whose handler bridges every outside caller to agent
// 201, with a SwitchControl over it.
type board struct {
	sw      *acd.Switch
	ctl     *SwitchControl
	agent   *phone
	targets chan *phone
	dialed  chan string
	events  <-chan acd.Event
}

func newBoard(t *testing.T) *board {
	t.Helper()
	b := &board{agent: newPhone("201", acd.SourceExtension), targets: make(chan *phone, 4), dialed: make(chan string, 4)}
	b.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		if c.Caller().Caller().Source == acd.SourceExtension {
			b.dialed <- c.Dialed()
			<-ctx.Done()
			return nil
		}
		return c.Bridge(ctx, b.agent)
	})
	ctx, cancel := context.WithCancel(context.Background())
	b.events = b.sw.Bus().Subscribe(ctx)
	ring := func(ctx context.Context, ext string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
		return newPhone(ext, acd.SourceExtension), nil
	}
	transfer := func(ctx context.Context, c *acd.Call, target string, _ acd.Leg) (acd.Leg, error) {
		p := newPhone(target, acd.SourceExtension)
		b.targets <- p
		return p, nil
	}
	b.ctl = NewSwitchControl(b.sw, ring, transfer, nil)
	t.Cleanup(func() {
		b.ctl.Close()
		// Calls still up are cut after a moment.
		sctx, scancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer scancel()
		_ = b.sw.Shutdown(sctx)
		cancel()
	})
	return b
}

// waitFor waits for the first event match accepts.
func (b *board) waitFor(t *testing.T, match func(acd.Event) bool) acd.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-b.events:
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatal("event not seen")
		}
	}
}

// bridged waits until the call's bridge holds the agent.
func (b *board) bridged(t *testing.T, id string) *acd.Call {
	t.Helper()
	for i := 0; ; i++ {
		c, ok := b.sw.Call(id)
		if ok && slices.ContainsFunc(c.Legs(), func(l acd.Leg) bool { return l == acd.Leg(b.agent) }) {
			// Hold succeeds only once the bridge is live.
			if c.Hold(b.agent, false) == nil {
				return c
			}
		}
		if i > 2000 {
			t.Fatal("never bridged")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSwitchControl_HoldConferenceAndBlindTransferOnALiveBridge(t *testing.T) {
	b := newBoard(t)
	caller := newPhone("13800138000", acd.SourceLine)
	c, err := b.sw.Accept(caller, "88886601")
	if err != nil {
		t.Fatal(err)
	}
	b.bridged(t, c.ID())
	ctx := context.Background()
	if err := b.ctl.Hold(ctx, c.ID(), true); err != nil {
		t.Fatal(err)
	}
	if err := b.ctl.Hold(ctx, c.ID(), false); err != nil {
		t.Fatal(err)
	}
	if err := b.ctl.Conference(ctx, c.ID(), "202"); err != nil {
		t.Fatal(err)
	}
	third := <-b.targets
	if n := len(c.Legs()); n != 3 {
		t.Fatalf("%d legs in the conference", n)
	}
	third.Hangup(acd.CauseNormalClearing)
	if err := b.ctl.Transfer(ctx, c.ID(), "203"); err != nil {
		t.Fatal(err)
	}
	target := <-b.targets
	for i := 0; c.Record().Callee.Number != "203"; i++ {
		if i > 2000 {
			t.Fatalf("callee %+v after transfer", c.Record().Callee)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !b.agent.ended() || caller.ended() || target.ended() {
		t.Fatalf("after transfer: agent ended %v, caller ended %v, target ended %v", b.agent.ended(), caller.ended(), target.ended())
	}
	if err := b.ctl.Hangup(ctx, c.ID()); err != nil {
		t.Fatal(err)
	}
	end := b.waitFor(t, func(e acd.Event) bool { x, ok := e.(acd.CallEnded); return ok && x.Call.ID == c.ID() }).(acd.CallEnded)
	if !slices.Contains(end.Call.Route, "transfer:203") || !slices.Contains(end.Call.Route, "conference:202") {
		t.Fatalf("route %v", end.Call.Route)
	}
	if err := b.ctl.Hold(ctx, c.ID(), true); err == nil {
		t.Fatal("hold on an ended call")
	}
}

func TestSwitchControl_ClickToDialRingsTheExtensionThenDialsTheNumber(t *testing.T) {
	b := newBoard(t)
	id, err := b.ctl.Originate(context.Background(), "201", "+8613912345678")
	if err != nil || id == "" {
		t.Fatalf("originate: %q %v", id, err)
	}
	if got := <-b.dialed; got != "+8613912345678" {
		t.Fatalf("dialled %q", got)
	}
	c, ok := b.sw.Call(id)
	if !ok || c.Caller().Caller().Number != "201" {
		t.Fatalf("call %v from %+v", ok, c)
	}
	if err := b.ctl.Hangup(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, func(e acd.Event) bool { x, ok := e.(acd.CallEnded); return ok && x.Call.ID == id })
}
