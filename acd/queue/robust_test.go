package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"callbox/acd/agent"
)

func TestDispatcher_AgentDeletedMidCallIsStillCounted(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), WrapUp: time.Minute})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.must(h.d.Answered("c1", h.offer().AgentID))
	h.must(h.d.RemoveAgent("101"))
	h.clk.t = h.clk.t.Add(2 * time.Minute)
	h.must(h.d.Hangup(t.Context(), "c1"))
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Handled != 1 || snap.Current.TalkTime != 2*time.Minute || snap.LoggedIn != 0 {
		t.Errorf("after deletion %+v", snap)
	}
	if _, err := h.d.Agent("101"); !errors.Is(err, agent.ErrUnknownAgent) {
		t.Errorf("agent still known: %v", err)
	}
	// The member list still names 101; a new agent record with that ID
	// takes calls again.
	h.login("101")
	h.join(Call{ID: "c2", Queue: "sales"})
	if o := h.offer(); o.AgentID != "101" {
		t.Errorf("offer %+v", o)
	}
}

func TestDispatcher_AgentDeletedWhileRingingReturnsTheCall(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: Linear, Members: members("101", "102")})
	h.login("101", "102")
	h.must(h.d.Pause("102", "lunch"))
	h.join(Call{ID: "c1", Queue: "sales"})
	h.offer()
	h.must(h.d.RemoveAgent("101"))
	var cancels []Cancel
	for _, a := range h.take() {
		if c, ok := a.(Cancel); ok {
			cancels = append(cancels, c)
		}
	}
	if len(cancels) != 1 || cancels[0].Reason != CancelAgentGone {
		t.Fatalf("cancels %+v", cancels)
	}
	if err := h.d.Answered("c1", "101"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("answer from the deleted agent: %v", err)
	}
	h.must(h.d.Resume("102"))
	if o := h.offer(); o.AgentID != "102" {
		t.Errorf("offer %+v", o)
	}
}

func TestDispatcher_QueueEditedWhileCallsWait(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), MaxWait: time.Minute, RingTime: 10 * time.Second,
		Overflow: Destination{Kind: DestVoicemail, Target: "200"}})
	h.join(Call{ID: "old", Queue: "sales"})
	h.queue(Config{Name: "sales", Members: members("102"), MaxWait: time.Hour, RingTime: 30 * time.Second})
	tk := h.join(Call{ID: "new", Queue: "sales"})
	if tk.Version != 2 {
		t.Errorf("new caller on version %d", tk.Version)
	}
	// Who takes calls is the current version: 101 is no longer a member.
	h.login("101")
	h.noOffer()
	h.login("102")
	o := h.offer()
	if o.CallID != "old" || o.AgentID != "102" || o.RingFor != 10*time.Second {
		t.Fatalf("offer %+v (the old caller keeps its ring time)", o)
	}
	h.must(h.d.Rejected("old", "102"))
	h.take()
	// The old caller keeps its maximum wait and overflow.
	h.advance(time.Minute)
	rs := routes(h.take())
	if len(rs) != 1 || rs[0].CallID != "old" || rs[0].To.Target != "200" {
		t.Fatalf("routes %+v", rs)
	}
}

func TestDispatcher_QueueRemovedWhileCallsWait(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Overflow: Destination{Kind: DestQueue, Target: "backup"}})
	h.queue(Config{Name: "backup", Members: members("101")})
	h.queue(Config{Name: "solo"})
	h.join(Call{ID: "c1", Queue: "sales"})
	h.join(Call{ID: "c2", Queue: "solo"})
	h.must(h.d.RemoveQueue("sales"))
	h.must(h.d.RemoveQueue("solo"))
	rs := routes(h.take())
	if len(rs) != 2 || !rs[0].Moved || rs[1].Moved || rs[1].Reason != RouteQueueRemoved {
		t.Fatalf("routes %+v", rs)
	}
	h.login("101")
	if o := h.offer(); o.CallID != "c1" || o.Queue != "backup" {
		t.Errorf("offer %+v", o)
	}
	if err := h.d.RemoveQueue("solo"); !errors.Is(err, ErrUnknownQueue) {
		t.Errorf("second removal: %v", err)
	}
}

func TestDispatcher_LogoutWhileRingingKeepsCallWaiting(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101", "102")})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.offer()
	h.must(h.d.Logout("101"))
	h.take()
	if err := h.d.Logout("101"); !errors.Is(err, agent.ErrIllegalTransition) {
		t.Errorf("second logout: %v", err)
	}
	h.login("102")
	if o := h.offer(); o.CallID != "c1" {
		t.Errorf("offer %+v", o)
	}
	h.login("101")
	if err := h.d.Pause("101", ""); !errors.Is(err, agent.ErrUnknownReason) {
		t.Errorf("empty reason: %v", err)
	}
}

func TestDispatcher_RejectsBadConfig(t *testing.T) {
	d := New()
	bad := []Config{
		{Name: ""},
		{Name: "q", Strategy: "fastest"},
		{Name: "q", Members: members("101", "101")},
		{Name: "q", RingTime: -time.Second},
		{Name: "q", ExitKeys: map[string]Exit{"12": {Kind: ExitCallback}}},
		{Name: "q", ExitKeys: map[string]Exit{"1": {Kind: ExitFlow}}},
		{Name: "q", Overflow: Destination{Kind: DestQueue, Target: "q"}},
		{Name: "q", Requirements: []Requirement{{Skill: "", MinLevel: 1}}},
	}
	for _, c := range bad {
		if err := d.SetQueue(c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestDispatcher_RunTicksOnTheRealClock(t *testing.T) {
	offered := make(chan Offer, 4)
	cancelled := make(chan Cancel, 4)
	d := New(WithActions(func(a Action) {
		switch a := a.(type) {
		case Offer:
			offered <- a
		case Cancel:
			cancelled <- a
		}
	}))
	if err := d.SetQueue(Config{Name: "q", Members: members("101"), RingTime: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	d.SetAgent(agent.Profile{ID: "101"})
	if err := d.Login("101", "2101"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	if _, err := d.Join(Call{ID: "c1", Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	<-offered
	if c := <-cancelled; c.Reason != CancelTimeout {
		t.Errorf("cancel %+v", c)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestDispatcher_CallerHangsUpWhileAgentRings(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.offer()
	h.clk.t = h.clk.t.Add(8 * time.Second)
	h.must(h.d.Leave("c1", LeftAbandoned))
	var cancels []Cancel
	for _, a := range h.take() {
		if c, ok := a.(Cancel); ok {
			cancels = append(cancels, c)
		}
	}
	if len(cancels) != 1 || cancels[0] != (Cancel{CallID: "c1", AgentID: "101", Reason: CancelCallerLeft}) {
		t.Fatalf("cancels %+v", cancels)
	}
	s, _ := h.d.Agent("101")
	if s.State != agent.Available || s.Counters.Missed != 0 {
		t.Errorf("agent %+v", s)
	}
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Abandoned != 1 || snap.Current.AbandonedShort != 0 {
		t.Errorf("figures %+v", snap.Current)
	}
	if err := h.d.Answered("c1", "101"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("late answer: %v", err)
	}
}
