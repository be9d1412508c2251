package pbx

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
)

// queueHarness is a call from a line bridged to agent 202, whose control
// reaches extension 203 and, through reacher, queues; plan, when given,
// replaces the test plan.
func queueHarness(t *testing.T, reacher QueueReacher, plan ...*dialplan.Plan) (h *harness, ctl *Control, id string, agent, target *fakeLeg) {
	t.Helper()
	agent = newLeg("agent", ext("202"))
	target = newLeg("target", ext("203"))
	dial := func(_ context.Context, e string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
		if e != "203" {
			return nil, acd.Reject(acd.CauseUnallocatedNumber)
		}
		return target, nil
	}
	bridged := make(chan string, 1)
	var current func() *dialplan.Plan // nil: the test plan
	if len(plan) > 0 {
		current = func() *dialplan.Plan { return plan[0] }
	}
	h = newHarness(t, Config{Plan: current, Dial: dial, ReachQueue: reacher, Ring: func(ctx context.Context, c *acd.Call, _ string) error {
		bridged <- c.ID()
		return c.Bridge(ctx, agent)
	}})
	ctl = NewControl(h.sw, h.router, dial)
	t.Cleanup(ctl.Close)
	caller := newLeg("caller", line("line4", "013812345678"))
	// The customer hangs up first, so the switch shuts down at once.
	t.Cleanup(func() { caller.end(acd.CauseNormalClearing) })
	if _, err := h.sw.Accept(caller, "202"); err != nil {
		t.Fatal(err)
	}
	id = <-bridged
	connected(t, ctl, id)
	return h, ctl, id, agent, target
}

// stages reads the bus until n handoffs came, and returns them.
func stages(t *testing.T, h *harness, n int) []acd.CallHandoff {
	t.Helper()
	var out []acd.CallHandoff
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case e := <-h.ended:
			if x, ok := e.(acd.CallHandoff); ok {
				out = append(out, x)
			}
		case <-timeout:
			t.Fatalf("handoffs %+v, want %d", out, n)
		}
	}
	return out
}

func stageNames(hs []acd.CallHandoff) []acd.HandoffStage {
	out := make([]acd.HandoffStage, len(hs))
	for i, x := range hs {
		out[i] = x.Stage
	}
	return out
}

func TestHandoff_ConsultToAQueueConnectsItsAgentAndCompletesToThem(t *testing.T) {
	var asked QueueReach
	var target *fakeLeg
	reacher := func(_ context.Context, r QueueReach) (acd.Leg, string, string, error) {
		asked = r
		r.Ringing("b", "204")
		return target, "b", "204", nil
	}
	h, ctl, id, agent, _ := queueHarness(t, reacher)
	target = newLeg("queue-agent", ext("204"))
	if err := ctl.Consult(context.Background(), id, "queue:support"); err != nil {
		t.Fatal(err)
	}
	if asked.Queue != "support" || asked.Call == nil || asked.Call.ID() != id || asked.CallerLeg == nil {
		t.Fatalf("asked the queue %+v", asked)
	}
	if err := ctl.CompleteConsult(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	<-agent.Done()
	got := stages(t, h, 3)
	if want := []acd.HandoffStage{acd.HandoffRinging, acd.HandoffAnswered, acd.HandoffCompleted}; !slices.Equal(stageNames(got), want) {
		t.Fatalf("stages %v, want %v", stageNames(got), want)
	}
	for _, x := range got {
		if x.Kind != acd.HandoffConsult || x.Target != "queue:support" || x.Agent != "b" || x.Extension != "204" ||
			x.From.Number != "202" || x.Call.ID != id {
			t.Errorf("handoff %+v", x)
		}
	}
	target.end(acd.CauseNormalClearing)
	rec := h.end(t)
	if rec.Agent != "b" || !slices.Contains(rec.Route, "transfer:queue:support") {
		t.Errorf("record agent %q route %v: the call is the queue agent's", rec.Agent, rec.Route)
	}
}

func TestHandoff_ConsultToAQueueThatFailsGivesTheAgentBack(t *testing.T) {
	noAgents := errors.New("nobody logged in")
	h, ctl, id, agent, _ := queueHarness(t, func(context.Context, QueueReach) (acd.Leg, string, string, error) {
		return nil, "", "", noAgents
	})
	if err := ctl.Consult(context.Background(), id, "queue:support"); !errors.Is(err, noAgents) {
		t.Fatalf("Consult: %v", err)
	}
	got := stages(t, h, 1)
	if got[0].Stage != acd.HandoffFailed || got[0].Target != "queue:support" {
		t.Errorf("handoff %+v, want failed", got[0])
	}
	select {
	case <-agent.Done():
		t.Fatal("the agent was hung up")
	default:
	}
	// The agent talks to the customer again: hold works, no consultation.
	if err := ctl.Hold(context.Background(), id, false); err != nil {
		t.Errorf("hold after the failed consultation: %v", err)
	}
}

func TestHandoff_CancelWhileAQueueRingsIsCancelled(t *testing.T) {
	rang := make(chan struct{})
	h, ctl, id, _, _ := queueHarness(t, func(ctx context.Context, r QueueReach) (acd.Leg, string, string, error) {
		r.Ringing("b", "204")
		close(rang)
		<-ctx.Done()
		return nil, "", "", ctx.Err()
	})
	errc := make(chan error, 1)
	go func() { errc <- ctl.Consult(context.Background(), id, "queue:support") }()
	<-rang
	until(t, func() bool { return ctl.CancelConsult(context.Background(), id) == nil })
	if err := <-errc; err == nil {
		t.Fatal("Consult succeeded after its cancel")
	}
	if got := stageNames(stages(t, h, 2)); !slices.Equal(got, []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCancelled}) {
		t.Errorf("stages %v", got)
	}
}

func TestHandoff_ConsultToAnExtensionNamesItAndCancelsWhenTheTargetHangsUp(t *testing.T) {
	h, ctl, id, _, target := queueHarness(t, nil)
	if err := ctl.Consult(context.Background(), id, "203"); err != nil {
		t.Fatal(err)
	}
	target.end(acd.CauseNormalClearing)
	got := stages(t, h, 3)
	if want := []acd.HandoffStage{acd.HandoffRinging, acd.HandoffAnswered, acd.HandoffCancelled}; !slices.Equal(stageNames(got), want) {
		t.Fatalf("stages %v, want %v", stageNames(got), want)
	}
	if got[0].Extension != "203" || got[0].Agent != "" || got[0].Kind != acd.HandoffConsult {
		t.Errorf("ringing %+v", got[0])
	}
}

func TestHandoff_BlindTransfersPublishRingingAndTheirEnd(t *testing.T) {
	var target *fakeLeg
	h, ctl, id, agent, _ := queueHarness(t, func(_ context.Context, r QueueReach) (acd.Leg, string, string, error) {
		if r.CallerLeg != nil {
			t.Error("a blind transfer passed early media on")
		}
		r.Ringing("c", "205")
		return target, "c", "205", nil
	})
	target = newLeg("queue-agent", ext("205"))
	if err := ctl.Transfer(context.Background(), id, "5555"); err == nil {
		t.Fatal("a transfer to an unknown number succeeded")
	}
	if err := ctl.Transfer(context.Background(), id, "queue:support"); err != nil {
		t.Fatal(err)
	}
	<-agent.Done()
	got := stages(t, h, 4)
	if want := []acd.HandoffStage{acd.HandoffRinging, acd.HandoffFailed, acd.HandoffRinging, acd.HandoffCompleted}; !slices.Equal(stageNames(got), want) {
		t.Fatalf("stages %v, want %v", stageNames(got), want)
	}
	if got[0].Extension != "" || got[0].Target != "5555" || got[0].Kind != acd.HandoffBlind {
		t.Errorf("first %+v", got[0])
	}
	if got[3].Agent != "c" || got[3].Extension != "205" || got[3].Target != "queue:support" {
		t.Errorf("completed %+v", got[3])
	}
	target.end(acd.CauseNormalClearing)
	if rec := h.end(t); rec.Agent != "c" {
		t.Errorf("record agent %q, want c", rec.Agent)
	}
}

func TestHandoff_QueueTargetsWithoutAReacherAreRefused(t *testing.T) {
	_, ctl, id, _, _ := queueHarness(t, nil)
	err := ctl.Consult(context.Background(), id, "queue:support")
	if c, ok := acd.CauseOf(err); !ok || c != acd.CauseServiceNotImplemented {
		t.Fatalf("Consult: %v, want cause 79", err)
	}
}

func TestQueueTarget_ParsesOnlyNamedQueues(t *testing.T) {
	for in, want := range map[string]string{"queue:sales": "sales", "queue:": "", "queue: ": "", "203": "", "Queue:x": ""} {
		got, ok := QueueTarget(in)
		if got != want || ok != (want != "") {
			t.Errorf("QueueTarget(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestPublishHandoffs_APhonesBlindTransferPublishesItsStages(t *testing.T) {
	h, _, id, _, target := queueHarness(t, nil)
	call, ok := h.sw.Call(id)
	if !ok {
		t.Fatal("no call")
	}
	plan := h.router.cfg.Plan
	refused := errors.New("busy")
	fail := PublishHandoffs(plan, func(context.Context, *acd.Call, string, acd.Leg) (acd.Leg, error) { return nil, refused })
	reach := PublishHandoffs(plan, func(context.Context, *acd.Call, string, acd.Leg) (acd.Leg, error) { return target, nil })
	if _, err := fail(context.Background(), call, "203", call.Caller()); !errors.Is(err, refused) {
		t.Fatalf("failing transfer: %v", err)
	}
	// The B2BUA hands the transferee on wrapped (without its media).
	wrapped := struct{ acd.Leg }{call.Caller()}
	if leg, err := reach(context.Background(), call, "203", wrapped); err != nil || leg != target {
		t.Fatalf("transfer: %v %v", leg, err)
	}
	got := stages(t, h, 4)
	if want := []acd.HandoffStage{acd.HandoffRinging, acd.HandoffFailed, acd.HandoffRinging, acd.HandoffCompleted}; !slices.Equal(stageNames(got), want) {
		t.Fatalf("stages %v, want %v", stageNames(got), want)
	}
	for _, x := range got {
		if x.Kind != acd.HandoffBlind || x.Extension != "203" || x.From.Number != "202" || x.Target != "203" {
			t.Errorf("handoff %+v", x)
		}
	}
}

func TestControl_BlindTransferShowsTheCustomerByTheirDirectoryName(t *testing.T) {
	agent := newLeg("agent", ext("202"))
	target := newLeg("target", ext("203"))
	shown := make(chan acd.Party, 1)
	h, ctl, bridged := bridgedHarness(t, agent, func(_ context.Context, _ string, p acd.Party, _ acd.Leg) (acd.Leg, error) {
		shown <- p
		return target, nil
	})
	ctl.SetDisplayName(func(_ context.Context, number string) string { return "★ Wang " + number })
	caller := newLeg("caller", line("line4", "013812345678"))
	if _, err := h.sw.Accept(caller, "202"); err != nil {
		t.Fatal(err)
	}
	id := <-bridged
	connected(t, ctl, id)
	if err := ctl.Transfer(context.Background(), id, "203"); err != nil {
		t.Fatal(err)
	}
	if p := <-shown; p.Number != "013812345678" || p.Name != "★ Wang 013812345678" {
		t.Errorf("the target's phone shows %+v", p)
	}
	caller.end(acd.CauseNormalClearing)
	h.end(t)
}

func TestHandoff_ANumberAnInboundRouteSendsToAQueueReachesTheQueue(t *testing.T) {
	p, err := dialplan.Compile(dialplan.Config{Country: "cn", Extensions: []string{"201", "202", "203"},
		Inbound: []dialplan.InboundRoute{
			{Name: "did-queue-support", DID: "600", Target: dialplan.Target{Kind: dialplan.TargetQueue, Value: "support"}},
			{Name: "desk", Via: "line4", Target: dialplan.Target{Kind: dialplan.TargetExtension, Value: "202"}},
			{Name: "anything", Target: dialplan.Target{Kind: dialplan.TargetQueue, Value: "sales"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{Plan: func() *dialplan.Plan { return p }, Ring: func(context.Context, *acd.Call, string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]string{"600": "support", "5555": "", "203": "", "": ""} {
		got, ok := r.queueNumber(ext("202"), number)
		if got != want || ok != (want != "") {
			t.Errorf("queueNumber(%q) = %q, %v; want %q", number, got, ok, want)
		}
	}
	var asked string
	h, ctl, id, _, _ := queueHarness(t, func(_ context.Context, q QueueReach) (acd.Leg, string, string, error) {
		asked = q.Queue
		return nil, "", "", errors.New("nobody")
	}, p)
	if err := ctl.Consult(context.Background(), id, "600"); err == nil || asked != "support" {
		t.Fatalf("Consult 600: %v, asked %q", err, asked)
	}
	if x := stages(t, h, 1)[0]; x.Target != "600" || x.Stage != acd.HandoffFailed {
		t.Errorf("handoff %+v", x)
	}
}

func TestHandoff_BlindTransferToAQueueStopsWhenTheCustomerHangsUp(t *testing.T) {
	rang := make(chan struct{})
	var caller acd.Leg
	h, ctl, id, _, _ := queueHarness(t, func(ctx context.Context, r QueueReach) (acd.Leg, string, string, error) {
		caller = r.Call.Caller()
		r.Ringing("b", "204")
		close(rang)
		<-ctx.Done()
		return nil, "", "", ctx.Err()
	})
	errc := make(chan error, 1)
	go func() { errc <- ctl.Transfer(context.Background(), id, "queue:support") }()
	<-rang
	_ = caller.Hangup(acd.CauseNormalClearing)
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Transfer: %v, want cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the queue still rings for a customer who hung up")
	}
	if got := stageNames(stages(t, h, 2)); !slices.Equal(got, []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCancelled}) {
		t.Errorf("stages %v", got)
	}
}

func FuzzQueueTarget(f *testing.F) {
	for _, s := range []string{"queue:sales", "queue:", "203", "queue:  ", "queue:支持", "queue:queue:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		name, ok := QueueTarget(target)
		if ok && (queuePrefix+name != target || strings.TrimSpace(name) == "") {
			t.Fatalf("QueueTarget(%q) = %q", target, name)
		}
		if !ok && name != "" {
			t.Fatalf("QueueTarget(%q) = %q, false", target, name)
		}
	})
}
