package queue_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
	"callbox/acd/siptest"
	"callbox/drivers/linecard"
	"callbox/firmware/store"
	"callbox/media/mix"
	"callbox/media/record"
)

func TestLive_SupervisorListensThenBarges(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk, boss := r.phone("201"), r.phone("401")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101")

	done := make(chan error, 1)
	go func() { done <- r.live.Supervise(context.Background(), "101", "401", mix.Listen) }()
	sup, _ := answer(t, boss)
	if !hears(t, caller, sup, 1000) || !hears(t, agentCall, sup, 700) {
		t.Error("listening supervisor does not hear both sides")
	}
	if !hears(t, caller, agentCall, 1000) || !hears(t, agentCall, caller, 700) {
		t.Error("caller and agent stopped hearing each other under supervision")
	}
	if !silent(t, sup, agentCall, 1500) || !silent(t, sup, caller, 1500) {
		t.Error("a listening supervisor is heard")
	}
	if err := r.live.SetSupervision("101", mix.Barge); err != nil {
		t.Fatal(err)
	}
	if !hears(t, sup, caller, 1500) || !hears(t, sup, agentCall, 1500) {
		t.Error("barge is not heard by both")
	}
	hangup(t, sup, sup)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Supervise: %v", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("Supervise did not return when the supervisor hung up")
	}
	if !hears(t, caller, agentCall, 1000) {
		t.Error("call broken after the supervisor left")
	}
	hangup(t, caller, agentCall)
}

func TestLive_OnDemandRecordingIsIndexedAndVerifies(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordOnDemand)
	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101") // StartRecording succeeded
	// Both sides talk for a second, one after the other.
	if err := caller.Play(ctxT(t), 1000, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := agentCall.Play(ctxT(t), 700, time.Second); err != nil {
		t.Fatal(err)
	}
	hangup(t, agentCall, caller)
	var rec store.Recording
	eventually(t, "recording indexed", func() bool {
		recs, err := store.List[store.Recording](r.st)
		if err != nil || len(recs) != 1 {
			return false
		}
		rec = recs[0]
		return true
	})
	ok, err := record.Verify(filepath.Join(r.dir, filepath.FromSlash(rec.Path)), rec.SHA256)
	if err != nil || !ok || rec.Duration < 1500*time.Millisecond {
		t.Fatalf("recording %+v verifies %v (%v)", rec, ok, err)
	}
}

func TestLive_ExitKeyAndMaxWaitGoThroughTheRouter(t *testing.T) {
	sales := salesQueue("101")
	sales.ExitKeys = append(sales.ExitKeys, store.QueueExit{Key: "9", Kind: store.ExitKind(queue.ExitVoicemail), Target: "201"})
	sales.MaxWaitSeconds, sales.Overflow = 1, "flow:after-hours"
	support := salesQueue("101")
	support.Name = "support"
	support.ExitKeys = []store.QueueExit{{Key: "9", Kind: store.ExitKind(queue.ExitVoicemail), Target: "202"}}
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{sales, support}, queue.RecordNone)
	if err := r.live.Dispatcher().Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := r.live.Dispatcher().Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	a := r.call(r.phone("301"), "501")
	r.waiting("support", 1)
	digits(t, a, "9")
	if d := r.routedTo(); d.String() != "vm:202" {
		t.Errorf("exit key 9 went to %q, want vm:202", d)
	}
	b := r.call(r.phone("302"), "500")
	if d := r.routedTo(); d.String() != "flow:after-hours" {
		t.Errorf("after the maximum wait the caller went to %q, want flow:after-hours", d)
	}
	for _, c := range []interface{ Done() <-chan struct{} }{a, b} {
		select {
		case <-c.Done():
		case <-ctxT(t).Done():
			t.Fatal("routed call not ended")
		}
	}
	s, _ := r.live.Dispatcher().Snapshot("sales")
	if s.Day.Offered != 1 || s.Day.Overflowed != 1 {
		t.Errorf("sales figures %+v; want one offered, overflowed", s.Day)
	}
}

func TestLive_QueueEditedWhileCallerWaitsReachesTheNewMember(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201"), agentRec("102", "202")}, []store.Queue{salesQueue("101")},
		queue.RecordNone)
	d := r.live.Dispatcher()
	other := r.phone("202")
	if err := d.Login("102", "202"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	r.waiting("sales", 1)
	q := salesQueue("101", "102")
	if _, err := store.Put(r.st, q); err != nil {
		t.Fatal(err)
	}
	agentCall, shown := answer(t, other)
	r.talking("102")
	if shown != "301" {
		t.Errorf("new member got %q", shown)
	}
	hangup(t, caller, agentCall)
}

func TestLive_JoinRefusedOverflowsToAnotherQueue(t *testing.T) {
	sales := salesQueue("101")
	sales.JoinWhen, sales.Overflow = store.PresenceLoggedIn, "support"
	support := salesQueue("102")
	support.Name = "support"
	r := startRig(t, []store.Agent{agentRec("101", "201"), agentRec("102", "202")}, []store.Queue{sales, support},
		queue.RecordNone)
	other := r.phone("202")
	if err := r.live.Dispatcher().Login("102", "202"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, shown := answer(t, other)
	r.talking("102")
	if shown != "301" {
		t.Errorf("support agent got %q", shown)
	}
	hangup(t, caller, agentCall)
}

func TestLive_UndialableCallbackNumberKeepsCallerWaiting(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	a := r.call(r.phone("301"), "500")
	r.waiting("sales", 1)
	// Callback, "enter another number", a number too short to dial.
	digits(t, a, "1")
	eventually(t, "confirm prompt", func() bool { return speech(a.Listen(200 * time.Millisecond)) })
	digits(t, a, "212#")
	eventually(t, "refusal heard", func() bool { return speech(a.Listen(200 * time.Millisecond)) })
	if cbs := d.Callbacks(); len(cbs) != 0 {
		t.Fatalf("callbacks %+v after an undialable number", cbs)
	}
	r.waiting("sales", 1)
	// Again with a good one.
	digits(t, a, "12305#")
	select {
	case <-a.Done():
	case <-ctxT(t).Done():
		t.Fatal("callback not booked")
	}
	if cbs := d.Callbacks(); len(cbs) != 1 || cbs[0].Number != "305" {
		t.Fatalf("callbacks %+v; want one to 305", cbs)
	}
}

func TestLive_CallbackRetriesAfterNoAnswerAndStoresTheOutcome(t *testing.T) {
	q := salesQueue("101")
	q.CallbackTries, q.CallbackRetrySeconds = 3, 60
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{q}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk, cust := r.phone("201"), r.phone("301")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	a := r.call(cust, "500")
	r.waiting("sales", 1)
	digits(t, a, "1")
	eventually(t, "confirm prompt", func() bool { return speech(a.Listen(200 * time.Millisecond)) })
	digits(t, a, "1")
	<-a.Done()
	if err := d.Resume("101"); err != nil {
		t.Fatal(err)
	}
	preview, _ := answer(t, desk)
	in, err := cust.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Reject(486, "Busy Here"); err != nil {
		t.Fatal(err)
	}
	<-preview.Done()
	eventually(t, "busy outcome stored", func() bool {
		recs, err := store.List[store.Callback](r.st)
		return err == nil && len(recs) == 1 && recs[0].Outcome == string(queue.OutcomeBusy) &&
			recs[0].State == string(queue.CallbackPending) && recs[0].Attempts == 1
	})
	// The retry is due a minute later.
	r.skew.Store(int64(61 * time.Second))
	d.Tick()
	preview, _ = answer(t, desk)
	back, _ := answer(t, cust)
	if !hears(t, back, preview, 1000) {
		t.Error("no audio on the retried callback")
	}
	hangup(t, back, preview)
	eventually(t, "connected outcome stored", func() bool {
		recs, err := store.List[store.Callback](r.st)
		return err == nil && len(recs) == 1 && recs[0].Outcome == string(queue.OutcomeConnected) &&
			recs[0].State == string(queue.CallbackDone) && recs[0].Attempts == 2
	})
}

func TestLive_PSTNLineCallerQueuesAndReachesAgent(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	sim, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: r.ports, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	line := sim.Lines()[0]
	r.wg.Go(func() { _ = acd.NewLine(line, "line1").Run(r.ctx, r.sw) })

	d := r.live.Dispatcher()
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	// The exchange's side of the line: a phone whose From is the caller ID.
	pstn := siptest.NewPhone(t, siptest.WithUser("13800000001", "unused"))
	_, _ = pstn.Register(ctxT(t), line.Addr()) // only aims Dial at the line
	caller := r.call(pstn, "88880000")
	r.waiting("sales", 1)
	eventually(t, "hold music on the line", func() bool { return holdMusic(caller.Listen(300 * time.Millisecond)) })
	if err := d.Resume("101"); err != nil {
		t.Fatal(err)
	}
	agentCall, shown := answer(t, desk)
	r.talking("101")
	if shown != "13800000001" {
		t.Errorf("agent sees %q, want the line's caller ID", shown)
	}
	if !hears(t, caller, agentCall, 1000) || !hears(t, agentCall, caller, 700) {
		t.Error("line caller and agent do not hear each other")
	}
	hangup(t, caller, agentCall)
}

func TestLive_AgentWhoRejectsTwiceIsAutoPaused(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	set := store.DefaultSettings()
	set.AutoPauseAfter = 2
	if _, err := store.Put(r.st, set); err != nil {
		t.Fatal(err)
	}
	d := r.live.Dispatcher()
	// Run applies it from the feed too; applying it here makes it certain
	// before the first offer.
	if err := d.ApplyStore(r.st); err != nil {
		t.Fatal(err)
	}
	desk := r.phone("201")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	reject := func() {
		in, err := desk.Incoming(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Reject(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
	}
	a := r.call(r.phone("301"), "500")
	reject()
	b := r.call(r.phone("302"), "500")
	reject()
	r.agentState("101", "paused")
	if s, _ := d.Agent("101"); s.Reason != agent.ReasonNoAnswer || s.Counters.Missed != 2 {
		t.Errorf("agent %+v; want paused for no answer after 2 misses", s)
	}
	r.waiting("sales", 2)
	for _, c := range []*siptest.Call{a, b} {
		if err := c.Hangup(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	r.waiting("sales", 0)
	if s, _ := d.Snapshot("sales"); s.Day.Abandoned != 2 {
		t.Errorf("figures %+v; want 2 abandoned", s.Day)
	}
}

func TestLive_AgentTransfersTheCallerAndIsFreeAtOnce(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk, colleague := r.phone("201"), r.phone("202")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101")
	res, err := agentCall.Refer(ctxT(t), desk.ReferTarget("202"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	target, shown := answer(t, colleague)
	if shown != "301" {
		t.Errorf("transfer target sees %q, want the caller 301", shown)
	}
	select {
	case <-agentCall.Done():
	case <-ctxT(t).Done():
		t.Fatal("the agent's leg stayed up after the transfer")
	}
	// The agent is free while the transferred call goes on.
	r.agentState("101", "available")
	if !hears(t, caller, target, 1000) || !hears(t, target, caller, 700) {
		t.Error("caller and transfer target do not hear each other")
	}
	hangup(t, caller, target)
	if s, _ := d.Snapshot("sales"); s.Day.Answered != 1 || s.Day.Handled != 1 {
		t.Errorf("figures %+v; want the call answered and handled once", s.Day)
	}
}

func TestLive_BookedCallbackSurvivesARestart(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause("101", "lunch"); err != nil {
		t.Fatal(err)
	}
	a := r.call(r.phone("301"), "500")
	r.waiting("sales", 1)
	digits(t, a, "1")
	eventually(t, "confirm prompt", func() bool { return speech(a.Listen(200 * time.Millisecond)) })
	digits(t, a, "1")
	<-a.Done()
	// A new live side on the same store (the box restarted) has the
	// callback in its place.
	again, err := queue.NewLive(queue.WithStore(r.st), queue.WithDial(r.b.Dial), queue.WithLiveLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	cbs := again.Dispatcher().Callbacks()
	if len(cbs) != 1 || cbs[0].Number != "301" || cbs[0].State != queue.CallbackPending {
		t.Fatalf("after restart: %+v", cbs)
	}
}
