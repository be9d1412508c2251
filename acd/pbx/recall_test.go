package pbx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"callbox/acd"
)

// recallHarness is a customer from a line bridged to agent 202 whose
// blind transfers to a queue go through reacher; requeued hears each
// queue the customer is put back into, and the queue then bridges them
// to queueAgent.
func recallHarness(t *testing.T, reacher QueueReacher) (h *harness, ctl *Control, id string, agent, customer, queueAgent *fakeLeg, requeued chan string) {
	t.Helper()
	agent = newLeg("agent", ext("202"))
	queueAgent = newLeg("queue-agent", ext("204"))
	requeued = make(chan string, 4)
	bridged := make(chan string, 1)
	h = newHarness(t, Config{ReachQueue: reacher,
		Ring: func(ctx context.Context, c *acd.Call, _ string) error {
			bridged <- c.ID()
			return c.Bridge(ctx, agent)
		},
		Requeue: func(ctx context.Context, c *acd.Call, queue string) error {
			requeued <- queue
			return c.Bridge(ctx, queueAgent)
		}})
	ctl = NewControl(h.sw, h.router, nil)
	t.Cleanup(ctl.Close)
	customer = newLeg("customer", line("line4", "013812345678"))
	t.Cleanup(func() { customer.end(acd.CauseNormalClearing) })
	if _, err := h.sw.Accept(customer, "202"); err != nil {
		t.Fatal(err)
	}
	id = <-bridged
	connected(t, ctl, id)
	return h, ctl, id, agent, customer, queueAgent, requeued
}

func TestRecall_CustomerLeftByTheAgentGoesToTheQueuesWaitingWhenTheQueueFindsNobody(t *testing.T) {
	noAgents := errors.New("nobody logged in")
	var agent *fakeLeg
	h, ctl, id, agent, customer, queueAgent, requeued := recallHarness(t, func(_ context.Context, r QueueReach) (acd.Leg, string, string, error) {
		r.Ringing("b", "204")
		// The agent handing on hangs up while the queue looks.
		agent.end(acd.CauseNormalClearing)
		return nil, "", "", noAgents
	})
	if err := ctl.Transfer(context.Background(), id, "queue:support"); err != nil {
		t.Fatalf("Transfer: %v, want the customer handed to the queue", err)
	}
	select {
	case q := <-requeued:
		if q != "support" {
			t.Errorf("requeued to %q, want support", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the customer was not put into the queue")
	}
	select {
	case <-customer.Done():
		t.Fatal("the customer was dropped")
	default:
	}
	if got := stageNames(stages(t, h, 2)); !slices.Equal(got, []acd.HandoffStage{acd.HandoffRinging, acd.HandoffFailed}) {
		t.Errorf("stages %v, want ringing, failed", got)
	}
	// The queue's agent takes the customer and hangs up in the end.
	until(t, func() bool { _, ok := h.sw.Call(id); return ok && ctl.Hold(context.Background(), id, false) == nil })
	queueAgent.end(acd.CauseNormalClearing)
	rec := h.end(t)
	if rec.ID != id || rec.Callee.Number != "204" {
		t.Errorf("record %s callee %+v, want the queue's agent", rec.ID, rec.Callee)
	}
}

func TestRecall_QueueWithOnlyItsWaitingLineTakesTheCustomerAndReleasesTheAgent(t *testing.T) {
	h, ctl, id, agent, customer, queueAgent, requeued := recallHarness(t, func(context.Context, QueueReach) (acd.Leg, string, string, error) {
		return nil, "", "", fmt.Errorf("%w: nobody logged in", ErrQueueWaitsOnly)
	})
	if err := ctl.Transfer(context.Background(), id, "queue:support"); err != nil {
		t.Fatalf("Transfer: %v, want the customer handed to the queue", err)
	}
	select {
	case <-agent.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the agent who handed the customer on is still connected")
	}
	select {
	case q := <-requeued:
		if q != "support" {
			t.Errorf("requeued to %q, want support", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the customer was not put into the queue")
	}
	if got := stageNames(stages(t, h, 1)); !slices.Equal(got, []acd.HandoffStage{acd.HandoffFailed}) {
		t.Errorf("stages %v, want failed", got)
	}
	until(t, func() bool { return ctl.Hold(context.Background(), id, false) == nil })
	select {
	case <-customer.Done():
		t.Fatal("the customer was dropped")
	default:
	}
	customer.end(acd.CauseNormalClearing)
	if rec := h.end(t); rec.Callee.Number != "204" {
		t.Errorf("callee %+v, want the queue's agent", rec.Callee)
	}
	<-queueAgent.Done()
}

func TestRecall_AgentStillThereGetsTheCustomerBackAndNothingIsRequeued(t *testing.T) {
	noAgents := errors.New("nobody logged in")
	_, ctl, id, agent, customer, _, requeued := recallHarness(t, func(context.Context, QueueReach) (acd.Leg, string, string, error) {
		return nil, "", "", noAgents
	})
	if err := ctl.Transfer(context.Background(), id, "queue:support"); !errors.Is(err, noAgents) {
		t.Fatalf("Transfer: %v", err)
	}
	// The agent talks to the customer again: hold works on the bridge.
	if err := ctl.Hold(context.Background(), id, true); err != nil {
		t.Fatalf("hold after the failed transfer: %v", err)
	}
	agent.end(acd.CauseNormalClearing)
	select {
	case <-customer.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the call went on after the agent hung up on the customer")
	}
	select {
	case q := <-requeued:
		t.Fatalf("requeued to %q with the agent still there", q)
	default:
	}
}

func TestRecall_CustomerWhoHungUpIsNotRequeued(t *testing.T) {
	var customer *fakeLeg
	var agent *fakeLeg
	h, ctl, id, agent, customer, _, requeued := recallHarness(t, func(ctx context.Context, r QueueReach) (acd.Leg, string, string, error) {
		agent.end(acd.CauseNormalClearing)
		customer.end(acd.CauseNormalClearing)
		<-ctx.Done()
		return nil, "", "", ctx.Err()
	})
	if err := ctl.Transfer(context.Background(), id, "queue:support"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Transfer: %v, want cancelled", err)
	}
	h.end(t)
	select {
	case q := <-requeued:
		t.Fatalf("requeued to %q a customer who hung up", q)
	default:
	}
}
