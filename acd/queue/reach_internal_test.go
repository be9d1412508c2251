package queue

import (
	"errors"
	"testing"
	"time"

	"callbox/acd/agent"
)

func TestDispatcher_AConsultationGoesFirstIgnoresTheCapAndLeavesNoTrace(t *testing.T) {
	h := newHarness(t, WithPauseReasons("lunch"))
	h.queue(Config{Name: "support", Members: members("101"), MaxCallers: 1, AnnounceEvery: 30 * time.Second,
		AnnouncePosition: true})
	h.login("101")
	h.must(h.d.Pause("101", "lunch")) // logged in, taking nothing yet
	h.join(Call{ID: "cust-1", Queue: "support", Caller: "13900000001", Priority: 9})
	if _, err := h.d.Join(Call{ID: "cust-2", Queue: "support", Caller: "13900000002"}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("second customer: %v, want ErrQueueFull", err)
	}
	h.evs = nil
	tk := h.join(Call{ID: "x~q1", Queue: "support", Caller: "13900000003", Internal: true})
	if tk.Position != 1 {
		t.Errorf("consultation position %d, want 1 (ahead of the customer)", tk.Position)
	}
	if len(h.evs) != 0 {
		t.Errorf("events %+v, want none for a consultation", h.evs)
	}
	if p, err := h.d.Position("cust-1"); err != nil || p.Position != 1 {
		t.Errorf("customer position %+v %v, want 1 (a consultation is not a caller)", p, err)
	}
	h.take()
	h.advance(30 * time.Second)
	for _, a := range h.take() {
		if an, ok := a.(Announce); ok && an.CallID == "x~q1" {
			t.Errorf("the consultation got an announcement %+v", an)
		}
	}
	h.must(h.d.Resume("101"))
	if o := h.offer(); o.CallID != "x~q1" {
		t.Fatalf("offered %s first, want the consultation", o.CallID)
	}
	before, err := h.d.Snapshot("support")
	if err != nil {
		t.Fatal(err)
	}
	h.must(h.d.Answered("x~q1", "101"))
	h.must(h.d.Hangup(t.Context(), "x~q1"))
	h.advance(time.Hour) // wrap-up over
	after, err := h.d.Snapshot("support")
	if err != nil {
		t.Fatal(err)
	}
	if after.Day.Offered != before.Day.Offered || after.Day.Answered != before.Day.Answered || after.Day.Handled != before.Day.Handled {
		t.Errorf("figures moved %+v → %+v", before.Day, after.Day)
	}
	if after.Waiting != 1 {
		t.Errorf("waiting %d, want the customer only", after.Waiting)
	}
}

func TestDispatcher_AConsultationNeedsSomeoneLoggedInWhateverJoinWhenSays(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "support", Members: members("101"), JoinWhen: Always})
	h.d.SetAgent(agent.Profile{ID: "101", Name: "agent 101"})
	if _, err := h.d.Join(Call{ID: "x~q1", Queue: "support", Internal: true}); !errors.Is(err, ErrNoAgents) {
		t.Fatalf("Join: %v, want ErrNoAgents", err)
	}
	h.login("101")
	h.join(Call{ID: "x~q2", Queue: "support", Internal: true})
	h.take()
	h.must(h.d.Logout("101"))
	var routed bool
	for _, a := range h.take() {
		if r, ok := a.(Route); ok && r.CallID == "x~q2" && !r.Moved {
			routed = true
		}
	}
	if !routed {
		t.Error("the consultation was not let go when its queue's last agent left")
	}
	if _, err := h.d.Waited("x~q2"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("the consultation still waits: %v", err)
	}
}
