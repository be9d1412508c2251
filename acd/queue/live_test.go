package queue_test

import (
	"context"
	"testing"
	"time"

	"callbox/acd/queue"
	"callbox/firmware/store"
	"callbox/media/audiotest"
)

func salesQueue(members ...string) store.Queue {
	q := store.Queue{Name: "sales", Strategy: store.StrategyLongestIdle, RingSeconds: 10, AnnounceSeconds: 15,
		AnnouncePosition: true, AnnounceWait: true, ServiceLevelSeconds: 20,
		ExitKeys: []store.QueueExit{{Key: "1", Kind: store.ExitKind(queue.ExitCallback)}}}
	for _, m := range members {
		q.Members = append(q.Members, store.QueueMember{Agent: m, Level: 1, Weight: 1})
	}
	return q
}

func TestLive_CallerHearsPositionAnnouncementThenAgentAnswers(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordAll)
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := r.live.FeatureLogin(context.Background(), "201", ""); err != nil {
		t.Fatalf("login by extension: %v", err)
	}
	if err := r.live.FeaturePause(context.Background(), "201", "lunch"); err != nil {
		t.Fatal(err)
	}

	caller := r.call(r.phone("301"), "500")
	r.waiting("sales", 1)
	var music, announced bool
	for i := 0; i < 40 && !(music && announced); i++ {
		x := caller.Listen(250 * time.Millisecond)
		music = music || holdMusic(x)
		announced = announced || speech(x)
	}
	if !music || !announced {
		t.Fatalf("caller heard hold music %v, an announcement %v; want both", music, announced)
	}

	if err := r.live.FeatureUnpause(context.Background(), "201", ""); err != nil {
		t.Fatal(err)
	}
	agentCall, shown := answer(t, desk)
	r.talking("101")
	if shown != "301" {
		t.Errorf("agent's phone shows %q, want the caller 301", shown)
	}
	r.agentState("101", "oncall")
	if !hears(t, caller, agentCall, 1000) {
		t.Error("agent does not hear the caller")
	}
	if !hears(t, agentCall, caller, 700) {
		t.Error("caller does not hear the agent")
	}
	hangup(t, caller, agentCall)
	r.agentState("101", "available")

	s, err := d.Snapshot("sales")
	if err != nil {
		t.Fatal(err)
	}
	if s.Day.Offered != 1 || s.Day.Answered != 1 || s.Day.Abandoned != 0 || s.Day.Handled != 1 {
		t.Errorf("day figures %+v; want 1 offered, answered and handled", s.Day)
	}
	// RecordAll: the call's recording is indexed in the store.
	eventually(t, "recording indexed", func() bool {
		recs, err := store.List[store.Recording](r.st)
		return err == nil && len(recs) == 1 && recs[0].Duration > 0
	})
}

func TestLive_CallbackKeepsPlaceAndAgentIsCalledFirst(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	pa := r.phone("301")
	a := r.call(pa, "500")
	r.waiting("sales", 1)
	b := r.call(r.phone("302"), "500")
	r.waiting("sales", 2)

	// A asks for a callback to the number they call from.
	if err := a.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	eventually(t, "confirm prompt", func() bool { return speech(a.Listen(200 * time.Millisecond)) })
	if err := a.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-ctxT(t).Done():
		t.Fatal("box did not hang up after booking the callback")
	}
	cbs := d.Callbacks()
	if len(cbs) != 1 || cbs[0].Number != "301" {
		t.Fatalf("callbacks %+v; want one to 301", cbs)
	}
	r.waiting("sales", 1)

	// The agent becomes free: the callback, first in line, rings the agent
	// first (preview with the customer's number), then the customer.
	if err := d.Resume("101"); err != nil {
		t.Fatal(err)
	}
	agentCall, shown := answer(t, desk)
	if shown != "301" {
		t.Fatalf("agent's first call shows %q; want the callback to 301 ahead of caller 302", shown)
	}
	// While the customer's phone rings, the agent hears ringback (China:
	// 450 Hz).
	custCall, err := pa.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := custCall.Ring(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "agent hears ringback", func() bool {
		return audiotest.HasTone(agentCall.Listen(300*time.Millisecond), 450, 0.5)
	})
	if err := custCall.Answer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !hears(t, agentCall, custCall, 700) || !hears(t, custCall, agentCall, 1000) {
		t.Error("agent and called-back customer do not hear each other")
	}
	hangup(t, custCall, agentCall)
	eventually(t, "callback stored as done", func() bool {
		recs, err := store.List[store.Callback](r.st)
		return err == nil && len(recs) == 1 && recs[0].State == string(queue.CallbackDone) &&
			recs[0].Outcome == string(queue.OutcomeConnected)
	})

	// Then caller 302.
	second, shown := answer(t, desk)
	r.talking("101")
	if shown != "302" {
		t.Errorf("agent's second call shows %q, want 302", shown)
	}
	hangup(t, b, second)
	r.agentState("101", "available")

	s, _ := d.Snapshot("sales")
	if s.Day.Offered != 2 || s.Day.Answered != 1 || s.Day.Callbacks != 1 || s.Day.Handled != 2 {
		t.Errorf("day figures %+v; want offered 2, answered 1, callbacks 1, handled 2", s.Day)
	}
	// Close the interval and store it: the stored figures are the same.
	r.skew.Store(int64(16 * time.Minute))
	if _, err := r.live.FlushIntervals(context.Background()); err != nil {
		t.Fatal(err)
	}
	ivs, err := queue.StoredIntervals(r.st, "sales", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct{ offered, answered, callbacks, handled int }
	for _, iv := range ivs {
		sum.offered += iv.Offered
		sum.answered += iv.Answered
		sum.callbacks += iv.Callbacks
		sum.handled += iv.Handled
	}
	if sum.offered != 2 || sum.answered != 1 || sum.callbacks != 1 || sum.handled != 2 {
		t.Errorf("stored intervals %+v sum to %+v", ivs, sum)
	}
}

func TestLive_WrapUpHoldsAgentAcrossTwoQueues(t *testing.T) {
	sales := salesQueue("101")
	sales.WrapUpSeconds = 600
	support := salesQueue("101")
	support.Name, support.WrapUpSeconds = "support", 600
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{sales, support}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	a := r.call(r.phone("301"), "500")
	first, _ := answer(t, desk)
	r.talking("101")
	hangup(t, a, first)
	r.agentState("101", "wrapup")

	b := r.call(r.phone("302"), "501")
	r.waiting("support", 1)
	if s, _ := d.Agent("101"); s.State != "wrapup" {
		t.Fatalf("agent is %s with a support caller waiting; wrap-up from sales must hold them", s.State)
	}
	if err := d.EndWrapUp("101"); err != nil {
		t.Fatal(err)
	}
	second, shown := answer(t, desk)
	r.talking("101")
	if shown != "302" {
		t.Errorf("after wrap-up the agent gets %q, want 302", shown)
	}
	hangup(t, b, second)
}

func TestLive_VIPCallerOvertakes(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	r.vip["303"] = 10
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	plain := r.call(r.phone("301"), "500")
	r.waiting("sales", 1)
	vip := r.call(r.phone("303"), "500")
	r.waiting("sales", 2)
	if err := d.Resume("101"); err != nil {
		t.Fatal(err)
	}
	first, shown := answer(t, desk)
	r.talking("101")
	if shown != "303" {
		t.Fatalf("agent's first call is from %q; the VIP 303 should overtake 301", shown)
	}
	hangup(t, vip, first)
	second, shown := answer(t, desk)
	r.talking("101")
	if shown != "301" {
		t.Errorf("second call from %q, want 301", shown)
	}
	hangup(t, plain, second)
}

func TestLive_AgentDeletedMidCallKeepsTheCallAndCountsIt(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101")
	if _, err := store.Delete[store.Agent](r.st, "101"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "agent removed", func() bool { _, err := d.Agent("101"); return err != nil })
	if !hears(t, caller, agentCall, 1000) {
		t.Error("the call broke when the agent record was deleted")
	}
	hangup(t, agentCall, caller)
	eventually(t, "call counted", func() bool {
		s, _ := d.Snapshot("sales")
		return s.Day.Handled == 1 && s.Day.Answered == 1
	})
}
