package queue

import (
	"errors"
	"slices"
	"testing"
	"time"

	"callbox/acd/agent"
)

func TestDispatcher_OffersAnswersAndWrapsUp(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), WrapUp: 30 * time.Second, RingTime: 15 * time.Second})
	h.login("101")
	tk := h.join(Call{ID: "c1", Queue: "sales", Caller: "13800000001"})
	if tk.Position != 1 || tk.Version != 1 {
		t.Errorf("ticket = %+v", tk)
	}
	o := h.offer()
	if o != (Offer{CallID: "c1", AgentID: "101", Queue: "sales", Extension: "2101", RingFor: 15 * time.Second}) {
		t.Fatalf("offer = %+v", o)
	}
	h.serve(o, time.Minute)
	if st := h.state("101"); st != agent.WrapUp {
		t.Fatalf("after hangup: %s", st)
	}
	if w := h.d.NextWake(); !w.Equal(h.clk.t.Add(30 * time.Second)) {
		t.Errorf("next wake %v", w)
	}
	h.advance(30 * time.Second)
	if st := h.state("101"); st != agent.Available {
		t.Fatalf("after wrap-up: %s", st)
	}
	var states []agent.State
	var left []Left
	for _, e := range h.evs {
		switch e := e.(type) {
		case agent.Event:
			states = append(states, e.To)
		case Left:
			left = append(left, e)
		}
	}
	if want := []agent.State{agent.Available, agent.Ringing, agent.OnCall, agent.WrapUp, agent.Available}; !slices.Equal(states, want) {
		t.Errorf("agent states %v, want %v", states, want)
	}
	if len(left) != 1 || left[0].Reason != LeftAnswered || left[0].Agent != "101" {
		t.Errorf("left = %+v", left)
	}
}

func TestDispatcher_VIPOvertakesEarlierCallers(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.join(Call{ID: "c1", Queue: "sales"})
	h.clk.t = h.clk.t.Add(time.Second)
	h.join(Call{ID: "c2", Queue: "sales"})
	h.clk.t = h.clk.t.Add(time.Second)
	tk := h.join(Call{ID: "vip", Queue: "sales", Priority: 10})
	if tk.Position != 1 {
		t.Errorf("VIP position %d, want 1", tk.Position)
	}
	if p, _ := h.d.Position("c1"); p.Position != 2 {
		t.Errorf("c1 position %d, want 2", p.Position)
	}
	h.login("101")
	if o := h.offer(); o.CallID != "vip" {
		t.Fatalf("offered %s, want vip", o.CallID)
	}
}

func TestDispatcher_AgentInSeveralQueuesGetsTheLongestWaitingCall(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.queue(Config{Name: "support", Members: members("101")})
	h.join(Call{ID: "s1", Queue: "support"})
	h.clk.t = h.clk.t.Add(10 * time.Second)
	h.join(Call{ID: "a1", Queue: "sales"})
	h.login("101")
	o := h.offer()
	if o.CallID != "s1" || o.Queue != "support" {
		t.Fatalf("offered %+v, want s1 from support", o)
	}
	// One call at a time: the sales call waits while 101 rings.
	h.advance(time.Second)
	h.noOffer()
	h.serve(o, time.Second)
	if o := h.offer(); o.CallID != "a1" {
		t.Fatalf("then offered %s", o.CallID)
	}
}

func TestDispatcher_WrapUpHoldsAgentAcrossQueues(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), WrapUp: 45 * time.Second})
	h.queue(Config{Name: "support", Members: members("101")}) // no wrap-up of its own
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.serve(h.offer(), time.Minute)
	h.join(Call{ID: "c2", Queue: "support"})
	h.advance(44 * time.Second)
	h.noOffer()
	if st := h.state("101"); st != agent.WrapUp {
		t.Fatalf("state %s", st)
	}
	h.advance(time.Second)
	if o := h.offer(); o.CallID != "c2" {
		t.Fatalf("offered %s", o.CallID)
	}
}

func TestDispatcher_EndWrapUpEarlyFreesAgent(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), WrapUp: time.Hour})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.serve(h.offer(), time.Minute)
	h.join(Call{ID: "c2", Queue: "sales"})
	h.noOffer()
	h.clk.t = h.clk.t.Add(10 * time.Second)
	h.must(h.d.EndWrapUp("101"))
	if o := h.offer(); o.CallID != "c2" {
		t.Fatalf("offered %s", o.CallID)
	}
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Handled != 1 || snap.Current.WrapTime != 10*time.Second {
		t.Errorf("handled %d wrap %v", snap.Current.Handled, snap.Current.WrapTime)
	}
}

func TestDispatcher_RejectSkipsAgentForThatCallOnly(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: Linear, Members: members("101", "102")})
	h.login("101", "102")
	h.join(Call{ID: "c1", Queue: "sales"})
	o := h.offer()
	if o.AgentID != "101" {
		t.Fatalf("first offer to %s", o.AgentID)
	}
	h.must(h.d.Rejected("c1", "101"))
	if o := h.offer(); o.AgentID != "102" {
		t.Fatalf("after reject offered to %s", o.AgentID)
	}
	h.must(h.d.NoAnswer("c1", "102"))
	h.noOffer() // both skipped for c1
	h.join(Call{ID: "c2", Queue: "sales"})
	if o := h.offer(); o.CallID != "c2" || o.AgentID != "101" {
		t.Fatalf("c2 offer %+v", o)
	}
	if err := h.d.Rejected("c1", "101"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("stale report: %v", err)
	}
	if err := h.d.Answered("nope", "101"); !errors.Is(err, ErrUnknownCall) {
		t.Errorf("unknown call: %v", err)
	}
}

func TestDispatcher_RingTimeoutCountsAsMissedAndAutoPauses(t *testing.T) {
	h := newHarness(t, WithAutoPause(2))
	h.queue(Config{Name: "sales", Members: members("101"), RingTime: 10 * time.Second})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.offer()
	h.advance(10 * time.Second)
	var cancels []Cancel
	for _, a := range h.take() {
		if c, ok := a.(Cancel); ok {
			cancels = append(cancels, c)
		}
	}
	if len(cancels) != 1 || cancels[0].Reason != CancelTimeout {
		t.Fatalf("cancels %+v", cancels)
	}
	h.join(Call{ID: "c2", Queue: "sales"})
	h.offer()
	h.advance(10 * time.Second)
	snap, _ := h.d.Agent("101")
	if snap.State != agent.Paused || snap.Reason != agent.ReasonNoAnswer {
		t.Fatalf("after two misses: %s %q", snap.State, snap.Reason)
	}
	h.take()
	h.must(h.d.Resume("101"))
	h.noOffer() // 101 is skipped for c1 and c2, which they let ring out
	h.join(Call{ID: "c3", Queue: "sales"})
	if o := h.offer(); o.CallID != "c3" {
		t.Errorf("after resume offered %+v", o)
	}
}

func TestDispatcher_RingAllCancelsTheOthersOnAnswer(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: RingAll, Members: members("101", "102", "103")})
	h.login("101", "102", "103")
	h.join(Call{ID: "c1", Queue: "sales"})
	if os := h.offers(); len(os) != 3 {
		t.Fatalf("ring-all offers %+v", os)
	}
	h.must(h.d.Answered("c1", "102"))
	var cancelled []string
	for _, a := range h.take() {
		if c, ok := a.(Cancel); ok && c.Reason == CancelAnsweredElsewhere {
			cancelled = append(cancelled, c.AgentID)
		}
	}
	if !slices.Equal(cancelled, []string{"101", "103"}) {
		t.Errorf("cancelled %v", cancelled)
	}
	if h.state("101") != agent.Available || h.state("102") != agent.OnCall {
		t.Errorf("states %s %s", h.state("101"), h.state("102"))
	}
	if s, _ := h.d.Agent("101"); s.Counters.Missed != 0 {
		t.Error("a cancelled ring counted as missed")
	}
}

func TestDispatcher_SkillRequirementsWidenOverWaitingTime(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "support", Strategy: Skills, Members: members("101", "102", "103"),
		Widen: []WidenStep{{After: 120 * time.Second, Any: true}, {After: 60 * time.Second, MaxLevel: 1}}})
	h.d.SetAgent(agent.Profile{ID: "101", Skills: []agent.Skill{{Name: "zh", Level: 5}, {Name: "billing", Level: 1}}})
	h.d.SetAgent(agent.Profile{ID: "102", Skills: []agent.Skill{{Name: "en", Level: 5}}})
	h.d.SetAgent(agent.Profile{ID: "103", Skills: []agent.Skill{{Name: "zh", Level: 5}, {Name: "billing", Level: 4}}})
	h.login("101", "102", "103")
	h.must(h.d.Pause("103", "lunch"))
	h.join(Call{ID: "c1", Queue: "support", Requirements: []Requirement{{Skill: "zh", MinLevel: 1}, {Skill: "billing", MinLevel: 3}}})
	h.noOffer()
	if w := h.d.NextWake(); !w.Equal(h.clk.t.Add(60 * time.Second)) {
		t.Errorf("next wake %v, want the first widening", w)
	}
	h.advance(59 * time.Second)
	h.noOffer()
	h.advance(time.Second) // 60 s: billing >= 1 is enough
	o := h.offer()
	if o.AgentID != "101" {
		t.Fatalf("after 60 s offered to %s", o.AgentID)
	}
	h.must(h.d.Rejected("c1", "101"))
	h.noOffer() // 102 speaks no Chinese
	h.advance(60 * time.Second)
	if o := h.offer(); o.AgentID != "102" {
		t.Fatalf("after 120 s offered to %s", o.AgentID)
	}
}

func TestDispatcher_SkillsPicksBestMatchAmongQualified(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "support", Strategy: Skills, Members: members("101", "102")})
	h.d.SetAgent(agent.Profile{ID: "101", Skills: []agent.Skill{{Name: "billing", Level: 3}}})
	h.d.SetAgent(agent.Profile{ID: "102", Skills: []agent.Skill{{Name: "billing", Level: 9}}})
	h.login("101", "102")
	h.join(Call{ID: "c1", Queue: "support", Requirements: []Requirement{{Skill: "billing", MinLevel: 3}}})
	if o := h.offer(); o.AgentID != "102" {
		t.Errorf("offered to %s, want the level-9 agent", o.AgentID)
	}
}

func TestDispatcher_LowerPenaltyTierFirst(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: RingAll, Members: []Member{{Agent: "101", Penalty: 2}, {Agent: "102"}, {Agent: "103"}}})
	h.login("101", "102", "103")
	h.must(h.d.Pause("103", "lunch"))
	h.join(Call{ID: "c1", Queue: "sales"})
	if os := h.offers(); len(os) != 1 || os[0].AgentID != "102" {
		t.Fatalf("offers %+v, want only 102", os)
	}
	h.must(h.d.Rejected("c1", "102"))
	if o := h.offer(); o.AgentID != "101" {
		t.Errorf("penalty-2 agent not used when the tier below was exhausted: %+v", o)
	}
}

func TestDispatcher_CallerReturnsToPreviousAgent(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: Linear, Members: members("101", "102"),
		AffinityFor: time.Hour, AffinityHold: 30 * time.Second})
	h.login("101", "102")
	h.must(h.d.Pause("101", "lunch"))
	h.join(Call{ID: "c1", Queue: "sales", Caller: "13800000001"})
	h.serve(h.offer(), time.Minute) // 102 served them
	h.must(h.d.Resume("101"))
	h.join(Call{ID: "c2", Queue: "sales", Caller: "13800000001"})
	if o := h.offer(); o.AgentID != "102" {
		t.Fatalf("returning caller offered to %s, want 102", o.AgentID)
	}
	h.serve(Offer{CallID: "c2", AgentID: "102"}, time.Second)
	// After AffinityFor the queue strategy (linear: 101 first) decides.
	h.clk.t = h.clk.t.Add(time.Hour)
	h.join(Call{ID: "c3", Queue: "sales", Caller: "13800000001"})
	if o := h.offer(); o.AgentID != "101" {
		t.Errorf("after the affinity period offered to %s, want 101", o.AgentID)
	}
}

func TestDispatcher_AffinityHoldEndsThenStrategyDecides(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: Linear, Members: members("101", "102"), AffinityHold: 30 * time.Second})
	h.login("101", "102")
	h.join(Call{ID: "busy", Queue: "sales"})
	h.must(h.d.Answered("busy", h.offer().AgentID)) // 101 on a call
	h.join(Call{ID: "c1", Queue: "sales", Designated: "101"})
	h.noOffer() // 102 is free, but c1 holds for 101
	h.advance(29 * time.Second)
	h.noOffer()
	h.advance(time.Second)
	if o := h.offer(); o.AgentID != "102" {
		t.Fatalf("after the hold offered to %s", o.AgentID)
	}
}

func TestDispatcher_DesignatedAgentFirst(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Strategy: Linear, Members: members("101", "102", "103")})
	h.login("101", "102", "103")
	h.join(Call{ID: "c1", Queue: "sales", Designated: "103"})
	if o := h.offer(); o.AgentID != "103" {
		t.Errorf("offered to %s", o.AgentID)
	}
}

func TestDispatcher_SkipForLetsAnAgentTryTheCallAgain(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), SkipFor: 5 * time.Second})
	h.login("101")
	h.join(Call{ID: "c1", Queue: "sales"})
	h.must(h.d.Rejected("c1", h.offer().AgentID))
	h.advance(4 * time.Second)
	h.noOffer()
	if w := h.d.NextWake(); !w.Equal(h.clk.t.Add(time.Second)) {
		t.Errorf("next wake %v", w)
	}
	h.advance(time.Second)
	if o := h.offer(); o.AgentID != "101" {
		t.Errorf("offer %+v", o)
	}
}

func TestDispatcher_NoHoldForADesignatedAgentOutsideTheQueue(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), AffinityHold: time.Minute})
	h.queue(Config{Name: "other", Members: members("102")})
	h.login("101", "102")
	h.join(Call{ID: "c1", Queue: "sales", Designated: "102"})
	if o := h.offer(); o.AgentID != "101" {
		t.Errorf("offer %+v", o)
	}
}
