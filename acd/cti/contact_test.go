package cti

import (
	"context"
	"errors"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/firmware/store"
)

// waitContact waits for the call's history entry to satisfy ok.
func waitContact(t *testing.T, st *store.Store, callID string, ok func(store.Contact) bool) store.Contact {
	t.Helper()
	for i := 0; ; i++ {
		ct, err := store.Get[store.Contact](st, contactID(callID))
		if err == nil && ok(ct) {
			return ct
		}
		if i > 2000 {
			t.Fatalf("contact of %s: %+v %v", callID, ct, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHub_EndedCallsJoinTheCustomerHistoryWithTheirWrapUp(t *testing.T) {
	late := &lateLookup{}
	r := newRig(t, Config{Lookup: late})
	put(t, r.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	late.l = builtinDirectory(t, r.st, []directory.Source{})
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)

	r.ringing("call-5", "013812345678")
	next(t, all, EventCallRinging)
	r.hub.Offered(ctx, OfferInfo{CallID: "call-5", Agent: "11", Caller: acd.Party{Number: "013812345678"}})
	// The agent files the wrap-up while still on the call...
	if err := r.hub.WrapUp(ctx, "call-5", "sale", "55 inch TV, delivery Friday"); err != nil {
		t.Fatal(err)
	}
	end := acd.CallRecord{ID: "call-5", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine}, Direction: acd.DirectionIn,
		Agent: "11", Start: t0, Queue: "sales"}
	r.bus.Publish(acd.CallEnded{Call: end})
	ct := waitContact(t, r.st, "call-5", func(c store.Contact) bool { return c.Summary != "" })
	if ct.Number != "+8613812345678" || ct.CustomerID != "c1" || ct.Agent != "11" || ct.CallID != "call-5" ||
		ct.Summary != "sale\n55 inch TV, delivery Friday" || ct.Direction != store.DirectionIn {
		t.Fatalf("contact %+v", ct)
	}
	// ...and corrects it afterwards.
	if err := r.hub.WrapUp(ctx, "call-5", "callback", ""); err != nil {
		t.Fatal(err)
	}
	waitContact(t, r.st, "call-5", func(c store.Contact) bool { return c.Summary == "callback" })

	// The next pop of this caller shows the call.
	r.ringing("call-6", "+8613812345678")
	p := r.hub.Offered(ctx, OfferInfo{CallID: "call-6", Agent: "12", Caller: acd.Party{Number: "+8613812345678"}})
	if len(p.History) != 1 || p.History[0].Summary != "callback" {
		t.Fatalf("history %+v", p.History)
	}

	// Calls between extensions have no history entry.
	r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-7", Caller: acd.Party{Number: "201", Source: acd.SourceExtension}, Dialed: "202"}})
	next(t, all, EventCallEnded)
	next(t, all, EventCallEnded)
	if err := r.hub.WrapUp(ctx, "call-7", "x", ""); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("wrap-up of an internal call: %v", err)
	}
	if err := r.hub.WrapUp(ctx, "call-5", "bad\ncode", ""); !errors.Is(err, ErrWrapUp) {
		t.Fatalf("bad code: %v", err)
	}
}
