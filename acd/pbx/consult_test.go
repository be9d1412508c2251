package pbx

import (
	"context"
	"errors"
	"slices"
	"testing"

	"callbox/acd"
)

// consultHarness is a call from 201 bridged to agent 202, whose control
// reaches 203 as target.
func consultHarness(t *testing.T) (h *harness, ctl *Control, id string, agent, target *fakeLeg) {
	t.Helper()
	agent = newLeg("agent", ext("202"))
	target = newLeg("target", ext("203"))
	h, ctl, bridged := bridgedHarness(t, agent, func(ctx context.Context, e string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
		if e != "203" {
			return nil, acd.Reject(acd.CauseUnallocatedNumber)
		}
		return target, nil
	})
	t.Cleanup(ctl.Close)
	if _, err := h.sw.Accept(newLeg("caller", line("line4", "013812345678")), "202"); err != nil {
		t.Fatal(err)
	}
	id = <-bridged
	connected(t, ctl, id)
	return h, ctl, id, agent, target
}

func TestConsult_CompleteJoinsCustomerAndTargetAndReleasesTheAgent(t *testing.T) {
	h, ctl, id, agent, target := consultHarness(t)
	ctx := context.Background()
	if err := ctl.CompleteConsult(ctx, id); !errors.Is(err, ErrNoConsult) {
		t.Fatalf("complete without a consultation: %v", err)
	}
	if err := ctl.Consult(ctx, id, "5555"); err == nil {
		t.Fatal("a consultation of an unknown number succeeded")
	}
	if err := ctl.Consult(ctx, id, "203"); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Consult(ctx, id, "203"); !errors.Is(err, ErrConsulting) {
		t.Fatalf("second consultation: %v", err)
	}
	if err := ctl.Hold(ctx, id, true); !errors.Is(err, ErrConsulting) {
		t.Fatalf("hold during a consultation: %v", err)
	}
	if err := ctl.CompleteConsult(ctx, id); err != nil {
		t.Fatal(err)
	}
	<-agent.Done()
	select {
	case <-target.Done():
		t.Fatal("the target was hung up by the completion")
	default:
	}
	target.end(acd.CauseNormalClearing)
	rec := h.end(t)
	if !slices.Contains(rec.Route, "consult:203") || !slices.Contains(rec.Route, "transfer:203") || rec.Callee.Number != "203" {
		t.Fatalf("record %+v", rec)
	}
}

func TestConsult_CancelGivesTheAgentBackAndHangsUpTheTarget(t *testing.T) {
	h, ctl, id, agent, target := consultHarness(t)
	ctx := context.Background()
	if err := ctl.Consult(ctx, id, "203"); err != nil {
		t.Fatal(err)
	}
	if err := ctl.CancelConsult(ctx, id); err != nil {
		t.Fatal(err)
	}
	<-target.Done()
	if err := ctl.Hold(ctx, id, true); err != nil {
		t.Fatalf("hold after the consultation: %v", err)
	}
	select {
	case <-agent.Done():
		t.Fatal("the agent was hung up by the cancel")
	default:
	}
	agent.end(acd.CauseNormalClearing)
	if rec := h.end(t); rec.Callee.Number != "202" {
		t.Fatalf("record %+v", rec)
	}
}

func TestConsult_AgentHangingUpCompletesTheTransfer(t *testing.T) {
	h, ctl, id, agent, target := consultHarness(t)
	if err := ctl.Consult(context.Background(), id, "203"); err != nil {
		t.Fatal(err)
	}
	agent.end(acd.CauseNormalClearing)
	until(t, func() bool { return !errors.Is(ctl.Hold(context.Background(), id, false), ErrConsulting) })
	target.end(acd.CauseNormalClearing)
	if rec := h.end(t); rec.Callee.Number != "203" {
		t.Fatalf("record %+v", rec)
	}
}

func TestConsult_TargetHangingUpGivesTheAgentBack(t *testing.T) {
	h, ctl, id, agent, target := consultHarness(t)
	if err := ctl.Consult(context.Background(), id, "203"); err != nil {
		t.Fatal(err)
	}
	target.end(acd.CauseNormalClearing)
	until(t, func() bool { return ctl.Hold(context.Background(), id, false) == nil })
	agent.end(acd.CauseNormalClearing)
	if rec := h.end(t); rec.Callee.Number != "202" {
		t.Fatalf("record %+v", rec)
	}
}
