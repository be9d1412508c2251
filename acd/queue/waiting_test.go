package queue

import (
	"errors"
	"testing"
	"time"
)

func routes(acts []Action) []Route {
	var out []Route
	for _, a := range acts {
		if r, ok := a.(Route); ok {
			out = append(out, r)
		}
	}
	return out
}

func TestDispatcher_MaxWaitOverflowsToVoicemail(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), MaxWait: 90 * time.Second,
		Overflow: Destination{Kind: DestVoicemail, Target: "200"}})
	h.join(Call{ID: "c1", Queue: "sales"})
	h.advance(89 * time.Second)
	if rs := routes(h.take()); len(rs) != 0 {
		t.Fatalf("routed early: %+v", rs)
	}
	h.advance(time.Second)
	rs := routes(h.take())
	if len(rs) != 1 || rs[0] != (Route{CallID: "c1", Queue: "sales", Reason: RouteMaxWait, To: Destination{Kind: DestVoicemail, Target: "200"}}) {
		t.Fatalf("routes %+v", rs)
	}
	if _, err := h.d.Position("c1"); !errors.Is(err, ErrUnknownCall) {
		t.Error("call still queued after overflow")
	}
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Overflowed != 1 || snap.Current.LongestWait != 90*time.Second {
		t.Errorf("figures %+v", snap.Current)
	}
}

func TestDispatcher_OverflowToAnotherQueueKeepsThePlace(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", MaxWait: time.Minute, Overflow: Destination{Kind: DestQueue, Target: "backup"}})
	h.queue(Config{Name: "backup", Members: members("101")})
	h.join(Call{ID: "old", Queue: "sales"})
	h.clk.t = h.clk.t.Add(30 * time.Second)
	h.join(Call{ID: "new", Queue: "backup"})
	h.advance(30 * time.Second)
	rs := routes(h.take())
	if len(rs) != 1 || !rs[0].Moved || rs[0].To.Target != "backup" {
		t.Fatalf("routes %+v", rs)
	}
	if p, _ := h.d.Position("old"); p.Position != 1 {
		t.Errorf("moved call at position %d, want 1 (it waited longer)", p.Position)
	}
	h.login("101")
	if o := h.offer(); o.CallID != "old" || o.Queue != "backup" {
		t.Errorf("offer %+v", o)
	}
}

func TestDispatcher_JoinAndStayRulesWithoutAgents(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), JoinWhen: Unpaused, StayWhen: LoggedIn,
		Overflow: Destination{Kind: DestFlow, Target: "closed"}})
	if _, err := h.d.Join(Call{ID: "c1", Queue: "sales"}); !errors.Is(err, ErrNoAgents) {
		t.Fatalf("join with nobody logged in: %v", err)
	}
	h.login("101")
	h.must(h.d.Pause("101", "lunch"))
	if _, err := h.d.Join(Call{ID: "c1", Queue: "sales"}); !errors.Is(err, ErrNoAgents) {
		t.Fatalf("join with everyone paused: %v", err)
	}
	h.must(h.d.Resume("101"))
	h.join(Call{ID: "busy", Queue: "sales"})
	h.must(h.d.Answered("busy", h.offer().AgentID))
	h.join(Call{ID: "c2", Queue: "sales"})
	h.must(h.d.Hangup(t.Context(), "busy"))
	h.take()
	h.must(h.d.Rejected("c2", "101"))
	h.must(h.d.Pause("101", "lunch")) // paused: still logged in, c2 stays
	if rs := routes(h.take()); len(rs) != 0 {
		t.Fatalf("routed while an agent is logged in: %+v", rs)
	}
	h.must(h.d.Logout("101"))
	rs := routes(h.take())
	if len(rs) != 1 || rs[0].CallID != "c2" || rs[0].Reason != RouteEmpty || rs[0].To.Target != "closed" {
		t.Fatalf("routes %+v", rs)
	}
}

func TestDispatcher_QueueFullRefusesCallers(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", MaxCallers: 1})
	h.join(Call{ID: "c1", Queue: "sales"})
	if _, err := h.d.Join(Call{ID: "c2", Queue: "sales"}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("second caller: %v", err)
	}
	if _, err := h.d.Join(Call{ID: "c1", Queue: "sales"}); !errors.Is(err, ErrDuplicateCall) {
		t.Errorf("same call twice: %v", err)
	}
	if _, err := h.d.Join(Call{ID: "c3", Queue: "nope"}); !errors.Is(err, ErrUnknownQueue) {
		t.Errorf("unknown queue: %v", err)
	}
}

func TestDispatcher_AnnouncesPositionAndWaitOnSchedule(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101", "102"), AnnounceEvery: 30 * time.Second,
		AnnouncePosition: true, AnnounceWait: true, AssumedHandleTime: 4 * time.Minute, Lang: "zh"})
	h.login("101", "102")
	h.must(h.d.Pause("101", "lunch"))
	h.must(h.d.Pause("102", "lunch"))
	h.must(h.d.Resume("101"))
	h.join(Call{ID: "busy", Queue: "sales"})
	h.must(h.d.Answered("busy", h.offer().AgentID))
	h.join(Call{ID: "c1", Queue: "sales"})
	h.clk.t = h.clk.t.Add(10 * time.Second)
	tk := h.join(Call{ID: "c2", Queue: "sales", Lang: "en"})
	if tk.Position != 2 || tk.EstimatedWait != 8*time.Minute {
		t.Fatalf("ticket %+v, want position 2, 8 min (2 x 4 min, one agent staffed)", tk)
	}
	h.take()
	h.advance(20 * time.Second) // c1's first announcement
	h.advance(10 * time.Second) // c2's
	var got []Announce
	for _, a := range h.take() {
		if an, ok := a.(Announce); ok {
			got = append(got, an)
		}
	}
	want := []Announce{
		{CallID: "c1", Queue: "sales", Lang: "zh", Position: 1, EstimatedWait: 4 * time.Minute, SayPosition: true, SayWait: true, EstimatedMinutes: 4},
		{CallID: "c2", Queue: "sales", Lang: "en", Position: 2, EstimatedWait: 8 * time.Minute, SayPosition: true, SayWait: true, EstimatedMinutes: 8},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("announcements\n%+v\nwant\n%+v", got, want)
	}
	h.advance(30 * time.Second)
	if n := len(h.take()); n != 2 {
		t.Errorf("second round: %d actions", n)
	}
}

func TestDispatcher_EstimatedWaitFollowsRecentHandleTimes(t *testing.T) {
	h := newHarness(t)
	// N = 3: alpha = 2/(3+1) = 0.5.
	h.queue(Config{Name: "sales", Members: members("101"), HandleSamples: 3})
	h.login("101")
	for i, talk := range []time.Duration{100 * time.Second, 200 * time.Second, 50 * time.Second} {
		h.join(Call{ID: string(rune('a' + i)), Queue: "sales"})
		h.serve(h.offer(), talk)
	}
	// Mean: 100 -> 100 + 0.5*(200-100) = 150 -> 150 + 0.5*(50-150) = 100.
	snap, _ := h.d.Snapshot("sales")
	if snap.EstimatedWait != 100*time.Second {
		t.Errorf("estimate %v, want 100s", snap.EstimatedWait)
	}
	if snap.Current.AHT() != 350*time.Second/3 {
		t.Errorf("AHT %v", snap.Current.AHT())
	}
}

func TestDispatcher_ExitKeysFollowTheJoinedVersion(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", ExitKeys: map[string]Exit{"1": {Kind: ExitCallback}, "0": {Kind: ExitVoicemail, Target: "200"}}})
	h.join(Call{ID: "c1", Queue: "sales"})
	h.queue(Config{Name: "sales"}) // keys removed for new callers
	if x, ok := h.d.ExitKey("c1", "0"); !ok || x.Target != "200" {
		t.Errorf("key 0: %+v %v", x, ok)
	}
	if _, ok := h.d.ExitKey("c1", "5"); ok {
		t.Error("unset key has an exit")
	}
	h.must(h.d.Leave("c1", LeftExit))
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Abandoned != 0 || snap.Current.Overflowed != 1 {
		t.Errorf("an exit counted as %+v", snap.Current)
	}
}

func TestDispatcher_ServiceLevelMatchesWhatHappened(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), ServiceLevel: 20 * time.Second, WrapUp: 10 * time.Second})
	h.login("101")
	h.must(h.d.Pause("101", "lunch"))
	h.join(Call{ID: "fast", Queue: "sales"})
	h.clk.t = h.clk.t.Add(3 * time.Second)
	h.must(h.d.Leave("fast", LeftAbandoned)) // short abandon
	h.join(Call{ID: "gone", Queue: "sales"})
	h.clk.t = h.clk.t.Add(40 * time.Second)
	h.must(h.d.Leave("gone", LeftAbandoned))
	h.join(Call{ID: "slow", Queue: "sales"})
	h.clk.t = h.clk.t.Add(30 * time.Second)
	h.must(h.d.Resume("101"))
	h.serve(h.offer(), time.Minute)
	h.advance(10 * time.Second)
	h.join(Call{ID: "quick", Queue: "sales"})
	h.clk.t = h.clk.t.Add(5 * time.Second)
	o := h.offer()
	h.serve(o, 2*time.Minute)
	h.advance(10 * time.Second)
	snap, _ := h.d.Snapshot("sales")
	c := snap.Current
	if c.Offered != 4 || c.Answered != 2 || c.AnsweredInSL != 1 || c.Abandoned != 2 || c.AbandonedShort != 1 {
		t.Fatalf("counts %+v", c)
	}
	// SL = 1 in SL / (4 offered - 1 short abandon). ASA = (30 + 5) / 2:
	// a wait ends when the agent answers, so "quick" rang for its 5 s.
	if c.ServiceLevel() != 100.0/3 || c.ASA() != (30+5)*time.Second/2 || c.LongestWait != 40*time.Second {
		t.Errorf("SL %v ASA %v longest %v", c.ServiceLevel(), c.ASA(), c.LongestWait)
	}
	if c.AHT() != (60+10+120+10)*time.Second/2 || c.AvgWrapUp() != 10*time.Second {
		t.Errorf("AHT %v wrap %v", c.AHT(), c.AvgWrapUp())
	}
	if snap.LoggedIn != 1 || snap.Available != 1 || snap.Waiting != 0 {
		t.Errorf("live %+v", snap)
	}
	h.clk.t = h.clk.t.Add(15 * time.Minute)
	if ivs := h.d.DrainIntervals(); len(ivs) != 1 || ivs[0].Offered != 4 {
		t.Errorf("drained %+v", ivs)
	}
}
