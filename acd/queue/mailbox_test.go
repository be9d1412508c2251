package queue

import (
	"context"
	"errors"
	"sync"
	"testing"

	"callbox/acd/agent"
)

func TestMailbox_RoutesEachCallsActionsToItsInbox(t *testing.T) {
	var mu sync.Mutex
	var other []Action
	m := NewMailbox(func(a Action) { mu.Lock(); other = append(other, a); mu.Unlock() })
	d := New(WithActions(m.Deliver))
	if err := d.SetQueue(Config{Name: "q", Members: members("101")}); err != nil {
		t.Fatal(err)
	}
	d.SetAgent(agent.Profile{ID: "101"})
	in := m.Open("c1")
	defer m.Close("c1")

	// The caller's goroutine waits in its inbox, as the switch's handler would.
	got := make(chan Offer, 1)
	go func() {
		a, err := in.Next(t.Context())
		if err == nil {
			got <- a.(Offer)
		}
		close(got)
	}()
	if _, err := d.Join(Call{ID: "c1", Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Login("101", "2101"); err != nil {
		t.Fatal(err)
	}
	if o, ok := <-got; !ok || o.AgentID != "101" {
		t.Fatalf("inbox got %+v", o)
	}
	// A callback has no inbox: its preview offer goes to the fallback.
	if err := d.Rejected("c1", "101"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Join(Call{ID: "c2", Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RequestCallback(t.Context(), "c2", "13800000001"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	preview := false
	for _, a := range other {
		if o, ok := a.(Offer); ok && o.Callback != nil && o.CallID == "c2" {
			preview = true
		}
	}
	mu.Unlock()
	if !preview {
		t.Errorf("callback preview not delivered to the fallback: %+v", other)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := in.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
}
