package cti

import (
	"context"
	"encoding/json"
	"testing"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/firmware/store"
)

func currentOf(t *testing.T, e Event) Current {
	t.Helper()
	var c Current
	if err := json.Unmarshal(e.Data, &c); err != nil {
		t.Fatalf("current %s: %v", e.Data, err)
	}
	return c
}

// clickToDial publishes what the switch says of a click-to-dial from
// extension 201 to the customer: ringing (the extension is the caller),
// then answered and ended with the originator's call data.
func clickToDial(id string) (ring, answered, ended acd.CallRecord) {
	ring = acd.CallRecord{ID: id, Caller: acd.Party{Number: "201", Source: acd.SourceExtension}, Dialed: "013812345678",
		Direction: acd.DirectionOut, Start: t0}
	answered = ring
	answered.Data = map[string]string{OriginatorKey: "201"}
	ended = answered
	return ring, answered, ended
}

func TestOriginated_PopsTheDialledCustomerAndHistoryNamesTheAgentWithTheWrapUp(t *testing.T) {
	late := &lateLookup{}
	r := newRig(t, Config{Lookup: late})
	put(t, r.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	put(t, r.st, store.Agent{ID: "11", Name: "Ann", Extension: "201", Enabled: true})
	late.l = builtinDirectory(t, r.st, []directory.Source{})
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	ann, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)

	ring, answered, ended := clickToDial("out-1")
	r.bus.Publish(acd.CallRinging{Call: ring})
	next(t, all, EventCallRinging)
	r.hub.Originated(OriginateInfo{CallID: "out-1", Agent: "11", Extension: "201", Number: "013812345678"})

	got := seen(t, ann, EventCallCurrent, EventCallOffered)
	cur := currentOf(t, got[EventCallCurrent])
	if cur.CallID != "out-1" || cur.Kind != KindOutbound || cur.Ended {
		t.Fatalf("current %+v", cur)
	}
	p := popOf(t, got[EventCallOffered])
	if p.Kind != KindOutbound || p.Agent != "11" || !p.Found || p.Customer.Name != "Li Lei" || p.Number != "+8613812345678" {
		t.Fatalf("pop %+v", p)
	}
	if c, ok := r.hub.CurrentCall(ctx, "11"); !ok || c.CallID != "out-1" {
		t.Fatalf("CurrentCall: %+v %v", c, ok)
	}
	if !r.hub.Involved("out-1", "11") {
		t.Fatal("the agent who dialled is not involved in the call")
	}

	// Answered: the call data names the extension; nothing pops again.
	r.bus.Publish(acd.CallAnswered{Call: answered})
	next(t, all, EventCallAnswered)
	r.bus.Publish(acd.CallEnded{Call: ended})
	gone := currentOf(t, next(t, ann, EventCallCurrent))
	if gone.CallID != "out-1" || !gone.Ended {
		t.Fatalf("ended current %+v", gone)
	}
	for _, e := range drain(ann) {
		if e.Type == EventCallOffered {
			t.Fatalf("a second pop: %s", e.Data)
		}
	}
	if _, ok := r.hub.CurrentCall(ctx, "11"); ok {
		t.Fatal("the ended call is still current")
	}
	ct := waitContact(t, r.st, "out-1", func(c store.Contact) bool { return c.Agent != "" })
	if ct.Agent != "11" || ct.Direction != store.DirectionOut || ct.Number != "+8613812345678" || ct.CustomerID != "c1" {
		t.Fatalf("contact %+v", ct)
	}
	// Wrap-up after the hang-up, as after a queue call.
	if err := r.hub.WrapUpAs(ctx, "out-1", "11", "sale", "ordered"); err != nil {
		t.Fatal(err)
	}
	waitContact(t, r.st, "out-1", func(c store.Contact) bool { return c.Summary == "sale\nordered" && c.Agent == "11" })
}

func TestOriginated_ACallDialledElsewhereIsAdoptedFromItsCallData(t *testing.T) {
	r := newRig(t, Config{})
	put(t, r.st, store.Agent{ID: "11", Name: "Ann", Extension: "201", Enabled: true})
	ctx := context.Background()
	ann, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)

	ring, answered, ended := clickToDial("out-2")
	r.bus.Publish(acd.CallRinging{Call: ring})
	r.bus.Publish(acd.CallAnswered{Call: answered})
	got := seen(t, ann, EventCallCurrent, EventCallOffered)
	if p := popOf(t, got[EventCallOffered]); p.Kind != KindOutbound || p.Caller.Number != "013812345678" {
		t.Fatalf("pop %+v", p)
	}
	r.bus.Publish(acd.CallEnded{Call: ended})
	waitContact(t, r.st, "out-2", func(c store.Contact) bool { return c.Agent == "11" })

	// Ended before anyone told the hub: the history still names the agent.
	ring3, _, quick := clickToDial("out-3")
	r.bus.Publish(acd.CallRinging{Call: ring3})
	r.bus.Publish(acd.CallEnded{Call: quick})
	waitContact(t, r.st, "out-3", func(c store.Contact) bool { return c.Agent == "11" })
}

func TestCurrentCall_FollowsACompletedTransferUntilTheCallEnds(t *testing.T) {
	r := xferRig(t, newDesk().agentAt)
	ctx := context.Background()
	ann, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)
	bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)

	// Ann answers the queue call: it is hers.
	r.bus.Publish(acd.CallAnswered{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Agent: "11", Queue: "sales"}})
	if c := currentOf(t, next(t, ann, EventCallCurrent)); c.CallID != "call-1" || c.Kind != KindQueue {
		t.Fatalf("Ann's current %+v", c)
	}

	// She hands it to Bo's extension; once it is completed it is Bo's.
	r.handoff(acd.HandoffBlind, acd.HandoffRinging, "202", "202", "")
	next(t, bo, EventCallOffered)
	r.handoff(acd.HandoffBlind, acd.HandoffCompleted, "202", "202", "")
	if c := currentOf(t, next(t, bo, EventCallCurrent)); c.CallID != "call-1" || c.Kind != KindTransfer || c.Ended {
		t.Fatalf("Bo's current %+v", c)
	}
	if c := currentOf(t, next(t, ann, EventCallCurrent)); c.CallID != "call-1" || !c.Ended {
		t.Fatalf("Ann's current after the transfer %+v", c)
	}

	// Bo's console reloads: the hub names the call and has Bo's pop of it.
	cur, ok := r.hub.CurrentCall(ctx, "12")
	if !ok || cur.CallID != "call-1" {
		t.Fatalf("Bo's current call: %+v %v", cur, ok)
	}
	p, err := r.hub.PopFor(ctx, cur.CallID, "12")
	if err != nil || p.Customer.Name != "Li Lei" || p.Handoff == nil || p.Handoff.FromAgent != "11" {
		t.Fatalf("Bo's pop after a reload: %+v %v", p, err)
	}
	if _, ok := r.hub.CurrentCall(ctx, "11"); ok {
		t.Fatal("the call is still Ann's")
	}

	r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Agent: "11", Queue: "sales"}})
	next(t, all, EventCallEnded)
	if c := currentOf(t, next(t, bo, EventCallCurrent)); !c.Ended {
		t.Fatalf("Bo's current after the end %+v", c)
	}
	if _, ok := r.hub.CurrentCall(ctx, "12"); ok {
		t.Fatal("the ended call is still Bo's")
	}
}
