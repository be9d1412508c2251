package queue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
)

// reachClock is a fake clock the test moves while Reach's goroutines
// read it.
type reachClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *reachClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *reachClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// phoneRing is one ring of an agent's in-memory phone: the test answers
// or refuses it, or lets it ring until the queue withdraws it.
type phoneRing struct {
	ext    string
	caller acd.Party
	ctx    context.Context
	reply  chan phoneReply
}

type phoneReply struct {
	leg acd.Leg
	err error
}

func (r phoneRing) answer(t *testing.T) *memLeg {
	t.Helper()
	leg := newMemLeg("agent-"+r.ext, r.ext)
	r.reply <- phoneReply{leg: leg}
	return leg
}

func (r phoneRing) refuse(cause acd.Cause) {
	r.reply <- phoneReply{err: &acd.CauseError{Cause: cause, Err: errors.New("refused")}}
}

// reachRig is the live side with in-memory phones on a fake clock; Run
// does not run, so the test drives the dispatcher's timers with Tick.
type reachRig struct {
	t       *testing.T
	clk     *reachClock
	live    *queue.Live
	rings   chan phoneRing
	notices chan queue.OfferNotice
	sw      *acd.Switch
}

func newReachRig(t *testing.T, cfgs ...queue.Config) *reachRig {
	t.Helper()
	r := &reachRig{t: t, clk: &reachClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)},
		rings: make(chan phoneRing, 8), notices: make(chan queue.OfferNotice, 8)}
	dial := func(ctx context.Context, ext string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
		pr := phoneRing{ext: ext, caller: caller, ctx: ctx, reply: make(chan phoneReply, 1)}
		r.rings <- pr
		select {
		case rep := <-pr.reply:
			return rep.leg, rep.err
		case <-ctx.Done():
			return nil, &acd.CauseError{Cause: acd.CauseNoAnswer, Err: ctx.Err()}
		}
	}
	live, err := queue.NewLive(queue.WithDial(dial), queue.WithLiveClock(r.clk.now), queue.WithLiveLogger(quiet()),
		queue.WithOfferNotice(func(_ context.Context, n queue.OfferNotice) { r.notices <- n }),
		queue.WithDisplayName(func(_ context.Context, number string) string { return "Customer " + number }))
	if err != nil {
		t.Fatal(err)
	}
	r.live = live
	d := live.Dispatcher()
	for _, id := range []string{"101", "102", "103"} {
		d.SetAgent(agent.Profile{ID: id, Name: "agent " + id})
	}
	for _, c := range cfgs {
		if err := d.SetQueue(c); err != nil {
			t.Fatal(err)
		}
	}
	r.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		<-ctx.Done()
		return nil
	}, acd.WithLogger(quiet()))
	t.Cleanup(func() {
		// Ends the customers' calls at once.
		now, cancel := context.WithCancel(context.Background())
		cancel()
		_ = r.sw.Shutdown(now)
	})
	return r
}

// login logs agents in at extension 2<id>, a second apart.
func (r *reachRig) login(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		if err := r.live.Dispatcher().Login(id, "2"+id[1:]); err != nil {
			r.t.Fatal(err)
		}
		r.clk.add(time.Second)
	}
}

// customer makes a customer's call (the one being consulted about).
func (r *reachRig) customer() *acd.Call {
	r.t.Helper()
	leg := newMemLeg("cust", "13800000009")
	c, err := r.sw.Accept(leg, "100")
	if err != nil {
		r.t.Fatal(err)
	}
	c.Set("order", "A-17")
	return c
}

type reachResult struct {
	leg acd.Leg
	got queue.Reached
	err error
}

// reach runs Live.Reach in the background.
func (r *reachRig) reach(ctx context.Context, queueName string, c *acd.Call, rung chan<- queue.Reached) <-chan reachResult {
	out := make(chan reachResult, 1)
	go func() {
		req := queue.ReachRequest{Queue: queueName, Call: c}
		if rung != nil {
			req.Ringing = func(x queue.Reached) { rung <- x }
		}
		leg, got, err := r.live.Reach(ctx, req)
		out <- reachResult{leg, got, err}
	}()
	return out
}

func (r *reachRig) ring() phoneRing {
	r.t.Helper()
	select {
	case pr := <-r.rings:
		return pr
	case <-time.After(10 * time.Second):
		r.t.Fatal("no phone rang")
	}
	return phoneRing{}
}

func (r *reachRig) noRing() {
	r.t.Helper()
	select {
	case pr := <-r.rings:
		r.t.Fatalf("phone %s rang", pr.ext)
	default:
	}
}

func (r *reachRig) result(ch <-chan reachResult) reachResult {
	r.t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(10 * time.Second):
		r.t.Fatal("Reach did not return")
	}
	return reachResult{}
}

func (r *reachRig) state(id string) agent.Snapshot {
	r.t.Helper()
	s, err := r.live.Dispatcher().Agent(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// eventually waits for an agent's state (the dispatcher is told from
// Reach's goroutines).
func (r *reachRig) waitState(id string, want agent.State) agent.Snapshot {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := r.state(id)
		if s.State == want {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("agent %s is %s, want %s", id, s.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReach_RingsTheAgentTheStrategyPicksAndPopsTheCustomersCall(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Strategy: queue.Linear, Members: []queue.Member{{Agent: "103"}, {Agent: "102"}}})
	r.login("102", "103")
	c := r.customer()
	rung := make(chan queue.Reached, 4)
	res := r.reach(t.Context(), "support", c, rung)
	pr := r.ring()
	if pr.ext != "203" {
		t.Fatalf("rang %s, want 203 (first of the linear order)", pr.ext)
	}
	if pr.caller.Name != "Customer 13800000009" || pr.caller.Number != "13800000009" {
		t.Errorf("phone shows %+v, want the customer's number and name", pr.caller)
	}
	n := <-r.notices
	if n.CallID != c.ID() || n.Agent != "103" || n.Queue != "support" || n.Data["order"] != "A-17" {
		t.Errorf("offer notice %+v, want the customer's call and data for 103", n)
	}
	if x := <-rung; x.Agent != "103" || x.Extension != "203" {
		t.Errorf("ringing %+v", x)
	}
	leg := pr.answer(t)
	out := r.result(res)
	if out.err != nil || out.leg != leg || out.got.Agent != "103" || out.got.Extension != "203" {
		t.Fatalf("Reach = %+v", out)
	}
	if s := r.state("103"); s.State != agent.OnCall {
		t.Errorf("103 is %s, want on call", s.State)
	}
}

func TestReach_QueueSkillsDecideWhoIsRung(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}, {Agent: "102"}},
		Requirements: []queue.Requirement{{Skill: "zh", MinLevel: 3}}})
	d := r.live.Dispatcher()
	d.SetAgent(agent.Profile{ID: "101", Name: "a", Skills: []agent.Skill{{Name: "zh", Level: 1}}})
	d.SetAgent(agent.Profile{ID: "102", Name: "b", Skills: []agent.Skill{{Name: "zh", Level: 4}}})
	r.login("101", "102")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	pr := r.ring()
	if pr.ext != "202" {
		t.Fatalf("rang %s, want 202 (the only one with zh ≥ 3)", pr.ext)
	}
	pr.answer(t)
	if out := r.result(res); out.err != nil || out.got.Agent != "102" {
		t.Fatalf("Reach = %+v", out)
	}
}

func TestReach_SkipsAnAgentOnACall(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Strategy: queue.Linear, Members: []queue.Member{{Agent: "101"}, {Agent: "102"}}})
	r.login("101", "102")
	first := r.reach(t.Context(), "support", r.customer(), nil)
	r.ring().answer(t) // 101 takes a consultation and stays on it
	if out := r.result(first); out.got.Agent != "101" {
		t.Fatalf("first Reach = %+v", out)
	}
	res := r.reach(t.Context(), "support", r.customer(), nil)
	if pr := r.ring(); pr.ext != "202" {
		t.Fatalf("rang %s, want 202 (101 is busy)", pr.ext)
	} else {
		pr.answer(t)
	}
	if out := r.result(res); out.got.Agent != "102" {
		t.Fatalf("Reach = %+v", out)
	}
}

func TestReach_MovesOnAfterTheRingTimeAndCountsTheMiss(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Strategy: queue.Linear, RingTime: 15 * time.Second,
		Members: []queue.Member{{Agent: "101"}, {Agent: "102"}}})
	r.login("101", "102")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	if pr := r.ring(); pr.ext != "201" {
		t.Fatalf("rang %s first", pr.ext)
	}
	r.clk.add(15 * time.Second)
	r.live.Dispatcher().Tick()
	pr := r.ring()
	if pr.ext != "202" {
		t.Fatalf("rang %s after the ring time, want 202", pr.ext)
	}
	pr.answer(t)
	if out := r.result(res); out.err != nil || out.got.Agent != "102" {
		t.Fatalf("Reach = %+v", out)
	}
	s := r.waitState("101", agent.Available)
	if s.Counters.Missed != 1 {
		t.Errorf("101 missed %d offers, want 1", s.Counters.Missed)
	}
}

func TestReach_RejectionMovesOnAndAutoPauseCounts(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Strategy: queue.Linear, Members: []queue.Member{{Agent: "101"}, {Agent: "102"}}})
	r.login("101", "102")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	r.ring().refuse(acd.CauseUserBusy)
	pr := r.ring()
	if pr.ext != "202" {
		t.Fatalf("rang %s after 201 refused", pr.ext)
	}
	pr.answer(t)
	r.result(res)
	if s := r.state("101"); s.Counters.MissedInRow != 1 {
		t.Errorf("101 missed in a row %d, want 1", s.Counters.MissedInRow)
	}
}

func TestReach_GoesAheadOfWaitingCustomersButWaitsForARingingAgent(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}}})
	r.login("101")
	d := r.live.Dispatcher()
	// A customer's call rings 101 (no caller goroutine: its offers go to
	// the callback worker, which leaves them to time out).
	if _, err := d.Join(queue.Call{ID: "cust-1", Queue: "support", Caller: "13900000001"}); err != nil {
		t.Fatal(err)
	}
	if s := r.state("101"); s.State != agent.Ringing || s.CallID != "cust-1" {
		t.Fatalf("101 is %+v, want ringing for cust-1", s)
	}
	// A second customer waits; then an agent consults the queue.
	if _, err := d.Join(queue.Call{ID: "cust-2", Queue: "support", Caller: "13900000002", Priority: 5}); err != nil {
		t.Fatal(err)
	}
	c := r.customer()
	res := r.reach(t.Context(), "support", c, nil)
	// The consultation waits under its own ID (see Reached.ID).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := d.Waited(c.ID() + "~q1"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the consultation never joined")
		}
	}
	r.noRing() // one offer at a time: 101 is ringing for cust-1
	snap, err := d.Snapshot("support")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Waiting != 2 {
		t.Errorf("waiting %d, want 2 (the consultation is not a caller)", snap.Waiting)
	}
	// cust-1's ring times out: the consultation goes before cust-2 (even a VIP).
	if err := d.NoAnswer("cust-1", "101"); err != nil {
		t.Fatal(err)
	}
	pr := r.ring()
	if pr.ext != "201" {
		t.Fatalf("rang %s", pr.ext)
	}
	pr.answer(t)
	out := r.result(res)
	if out.err != nil || out.got.Agent != "101" {
		t.Fatalf("Reach = %+v", out)
	}
	if s := r.state("101"); s.CallID != out.got.ID {
		t.Errorf("101 is on %q, want the consultation %q", s.CallID, out.got.ID)
	}
}

func TestReach_WrapUpHoldsTheAgentInEveryQueueAfterTheirLegEnds(t *testing.T) {
	r := newReachRig(t,
		queue.Config{Name: "support", WrapUp: 30 * time.Second, Members: []queue.Member{{Agent: "102"}}},
		queue.Config{Name: "sales", Members: []queue.Member{{Agent: "102"}}})
	r.login("102")
	before, err := r.live.Dispatcher().Snapshot("support")
	if err != nil {
		t.Fatal(err)
	}
	res := r.reach(t.Context(), "support", r.customer(), nil)
	r.ring().answer(t)
	out := r.result(res)
	if out.err != nil {
		t.Fatal(out.err)
	}
	_ = out.leg.Hangup(acd.CauseNormalClearing)
	r.waitState("102", agent.WrapUp)
	d := r.live.Dispatcher()
	if _, err := d.Join(queue.Call{ID: "cust-9", Queue: "sales", Caller: "13900000009"}); err != nil {
		t.Fatal(err)
	}
	if s := r.state("102"); s.State != agent.WrapUp {
		t.Fatalf("102 is %s while a sales call waits, want wrap-up", s.State)
	}
	r.clk.add(30 * time.Second)
	d.Tick()
	if s := r.state("102"); s.State != agent.Ringing || s.CallID != "cust-9" {
		t.Errorf("after wrap-up 102 is %+v, want ringing for the sales call", s)
	}
	after, err := d.Snapshot("support")
	if err != nil {
		t.Fatal(err)
	}
	if after.Current.Offered != before.Current.Offered || after.Current.Answered != before.Current.Answered ||
		after.Day.Handled != before.Day.Handled {
		t.Errorf("support figures moved: %+v → %+v (a consultation is not a call of the queue)", before, after)
	}
}

func TestReach_CancelWhileRingingFreesTheAgentWithoutAMiss(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}}})
	r.login("101")
	ctx, cancel := context.WithCancel(t.Context())
	res := r.reach(ctx, "support", r.customer(), nil)
	r.ring()
	cancel()
	out := r.result(res)
	if !errors.Is(out.err, context.Canceled) {
		t.Fatalf("Reach: %v, want context.Canceled", out.err)
	}
	s := r.state("101")
	if s.State != agent.Available || s.Counters.Missed != 0 {
		t.Errorf("101 is %s with %d missed, want available with none", s.State, s.Counters.Missed)
	}
}

func TestReach_NobodyLoggedInFailsAtOnce(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}}})
	out := r.result(r.reach(t.Context(), "support", r.customer(), nil))
	if !errors.Is(out.err, queue.ErrNoAgents) {
		t.Fatalf("Reach: %v, want ErrNoAgents", out.err)
	}
	out = r.result(r.reach(t.Context(), "nosuch", r.customer(), nil))
	if !errors.Is(out.err, queue.ErrUnknownQueue) {
		t.Fatalf("Reach: %v, want ErrUnknownQueue", out.err)
	}
}

func TestReach_MaxWaitEndsWithNoAnswerNotOverflow(t *testing.T) {
	r := newReachRig(t,
		queue.Config{Name: "support", MaxWait: time.Minute, RingTime: 20 * time.Second, Members: []queue.Member{{Agent: "101"}},
			Overflow: queue.Destination{Kind: queue.DestQueue, Target: "sales"}},
		queue.Config{Name: "sales", Members: []queue.Member{{Agent: "102"}}})
	r.login("101", "102")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	if pr := r.ring(); pr.ext != "201" {
		t.Fatalf("rang %s", pr.ext)
	}
	r.clk.add(20 * time.Second)
	r.live.Dispatcher().Tick() // 101 let it ring out: skipped from now on
	r.clk.add(40 * time.Second)
	r.live.Dispatcher().Tick()
	out := r.result(res)
	if !errors.Is(out.err, queue.ErrNoAnswer) {
		t.Fatalf("Reach: %v, want ErrNoAnswer", out.err)
	}
	r.noRing()
	if s := r.state("102"); s.State != agent.Available {
		t.Errorf("102 (overflow queue) is %s, want untouched", s.State)
	}
	r.waitState("101", agent.Available)
}

func TestReach_QueueRemovedWhileRingingFailsCleanly(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}}})
	r.login("101")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	r.ring()
	if err := r.live.Dispatcher().RemoveQueue("support"); err != nil {
		t.Fatal(err)
	}
	out := r.result(res)
	if !errors.Is(out.err, queue.ErrNoAnswer) {
		t.Fatalf("Reach: %v, want ErrNoAnswer", out.err)
	}
	s := r.waitState("101", agent.Available)
	if s.Counters.Missed != 0 {
		t.Errorf("101 missed %d", s.Counters.Missed)
	}
}

func TestReach_QueueEditedToDropEveryoneLoggedInFailsCleanly(t *testing.T) {
	r := newReachRig(t, queue.Config{Name: "support", Members: []queue.Member{{Agent: "101"}}})
	r.login("101")
	res := r.reach(t.Context(), "support", r.customer(), nil)
	r.ring()
	d := r.live.Dispatcher()
	if err := d.SetQueue(queue.Config{Name: "support", Members: []queue.Member{{Agent: "103"}}}); err != nil {
		t.Fatal(err)
	}
	d.Tick()
	out := r.result(res)
	if !errors.Is(out.err, queue.ErrNoAnswer) {
		t.Fatalf("Reach: %v, want ErrNoAnswer (nobody of the edited queue is logged in)", out.err)
	}
	s := r.waitState("101", agent.Available)
	if s.Counters.Missed != 0 {
		t.Errorf("101 missed %d", s.Counters.Missed)
	}
}
