package pbx

import (
	"context"
	"errors"
	"slices"
	"testing"

	"callbox/acd"
)

// bridgedHarness is a switch whose calls to an extension bridge to agent.
func bridgedHarness(t *testing.T, agent *fakeLeg, dial func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error)) (*harness, *Control, chan string) {
	t.Helper()
	bridged := make(chan string, 1)
	h := newHarness(t, Config{Dial: dial, Ring: func(ctx context.Context, c *acd.Call, _ string) error {
		bridged <- c.ID()
		return c.Bridge(ctx, agent)
	}})
	return h, NewControl(h.sw, h.router, dial), bridged
}

// connected waits until the call's bridge takes requests.
func connected(t *testing.T, ctl *Control, id string) {
	t.Helper()
	until(t, func() bool { return ctl.Hold(context.Background(), id, false) == nil })
}

func TestControl_TransferPutsTheTargetInThePartysPlace(t *testing.T) {
	agent := newLeg("agent", ext("202"))
	target := newLeg("target", ext("203"))
	h, ctl, bridged := bridgedHarness(t, agent, func(_ context.Context, e string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
		if e != "203" {
			return nil, acd.Reject(acd.CauseUnallocatedNumber)
		}
		return target, nil
	})
	caller := newLeg("caller", ext("201"))
	if _, err := h.sw.Accept(caller, "202"); err != nil {
		t.Fatal(err)
	}
	id := <-bridged
	connected(t, ctl, id)
	if err := ctl.Transfer(context.Background(), id, "5555"); err == nil {
		t.Fatal("a transfer to an unknown number succeeded")
	}
	if err := ctl.Transfer(context.Background(), id, "203"); err != nil {
		t.Fatal(err)
	}
	<-agent.Done() // the transferring party is hung up
	target.end(acd.CauseNormalClearing)
	rec := h.end(t)
	if !slices.Contains(rec.Route, "transfer:203") || rec.Callee.Number != "203" {
		t.Fatalf("record %+v", rec)
	}
}

func TestControl_HoldAndHangupFindTheCall(t *testing.T) {
	agent := newLeg("agent", ext("202"))
	h, ctl, bridged := bridgedHarness(t, agent, nil)
	ctx := context.Background()
	if err := ctl.Hangup(ctx, "nope"); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("hang-up of an unknown call: %v", err)
	}
	caller := newLeg("caller", ext("201"))
	if _, err := h.sw.Accept(caller, "202"); err != nil {
		t.Fatal(err)
	}
	id := <-bridged
	connected(t, ctl, id)
	if err := ctl.Hold(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Hangup(ctx, id); err != nil {
		t.Fatal(err)
	}
	h.end(t)
	<-agent.Done()
}

func TestControl_OriginateRingsTheExtensionThenDialsTheNumber(t *testing.T) {
	var rec recorder
	desk := newLeg("desk", ext("201"))
	h := newHarness(t, Config{Ring: rec.target("ring")})
	ctl := NewControl(h.sw, h.router, func(_ context.Context, e string, shown acd.Party, _ acd.Leg) (acd.Leg, error) {
		rec.add("dial:" + e + " showing " + shown.Number)
		return desk, nil
	})
	id, err := ctl.Originate(context.Background(), "201", "203")
	if err != nil || id == "" {
		t.Fatalf("originate: %q %v", id, err)
	}
	end := h.end(t)
	if got := rec.got(); !slices.Equal(got, []string{"dial:201 showing 203", "ring:203"}) || end.Caller.Number != "201" {
		t.Fatalf("steps %q, record %+v", got, end)
	}
}
