package cti

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/store"
)

// liveDirectory runs the directory the firmware runs (the built-in source
// with its five-minute cache) over st until the test ends.
func liveDirectory(t *testing.T, st *store.Store) *source.Live {
	t.Helper()
	l := source.NewLive(st, directory.PlanCN, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("directory Run: %v", err)
		}
	})
	for i := 0; len(l.Health()) == 0; i++ {
		if i > 2000 {
			t.Fatal("the directory never built its sources")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return l
}

func TestHub_PopShowsACustomersEditedNameOnTheNextCall(t *testing.T) {
	late := &lateLookup{}
	r := newRig(t, Config{Lookup: late})
	late.l = liveDirectory(t, r.st)
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	// offer pops a call from the number and ends it, so that the next call
	// does not share its lookup (the hub shares one between the active
	// calls from a number).
	offer := func(callID string) Pop {
		p := r.hub.Offered(ctx, OfferInfo{CallID: callID, Agent: "11", Extension: "201", Queue: "sales",
			Caller: acd.Party{Number: "013812345678"}})
		r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: callID, Caller: acd.Party{Number: "013812345678"}, Agent: "11"}})
		next(t, all, EventCallEnded)
		return p
	}
	if p := offer("call-0"); p.Found {
		t.Fatalf("pop before the customer exists: %+v", p)
	}
	c := store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}
	put(t, r.st, c)
	if p := offer("call-1"); !p.Found || p.Customer.Name != "Li Lei" {
		t.Fatalf("pop right after the customer was added: %+v", p)
	}
	c.Name = "Li Leilei"
	put(t, r.st, c)
	if p := offer("call-2"); p.Customer.Name != "Li Leilei" {
		t.Fatalf("pop after the name was edited: %+v", p)
	}
}
