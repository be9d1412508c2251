package firmware

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// seedQueues adds queue "support" served by Tom (agent 12, desk 203)
// with a wrap-up, and queue "billing" served by Ann (agent 13), who is
// never logged in.
func seedQueues(st *store.Store) error {
	if _, err := store.Put(st, store.Queue{Name: "support", Strategy: store.StrategyRingAll, RingSeconds: 20,
		WrapUpSeconds: 120, Members: []store.QueueMember{{Agent: "12", Level: 1, Weight: 1}}}); err != nil {
		return err
	}
	if _, err := store.Put(st, store.Agent{ID: "13", Name: "Ann", Extension: "202", Enabled: true}); err != nil {
		return err
	}
	_, err := store.Put(st, store.Queue{Name: "billing", Strategy: store.StrategyRingAll, RingSeconds: 20,
		Members: []store.QueueMember{{Agent: "13", Level: 1, Weight: 1}}})
	return err
}

// handoffLog keeps the box's CallHandoff events.
type handoffLog struct {
	mu  sync.Mutex
	all []acd.CallHandoff
}

func watchHandoffs(t *testing.T, b *ctiBox) *handoffLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := b.a.tel.bus.Subscribe(ctx, acd.WithBuffer(256))
	h := &handoffLog{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for e := range events {
			if x, ok := e.(acd.CallHandoff); ok {
				h.mu.Lock()
				h.all = append(h.all, x)
				h.mu.Unlock()
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

func (h *handoffLog) stages() []acd.HandoffStage {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]acd.HandoffStage, len(h.all))
	for i, x := range h.all {
		out[i] = x.Stage
	}
	return out
}

func (h *handoffLog) list() []acd.CallHandoff {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.all)
}

// agentState is an agent's state in the box's ACD.
func agentState(t *testing.T, b *ctiBox, id string) agent.State {
	t.Helper()
	s, err := b.a.tel.parts.queue.Dispatcher().Agent(id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

// queueCallToLily logs Lily and Tom in, puts a PSTN customer through
// queue "sales" to Lily's desk 201 and returns the customer's and
// Lily's ends of the call and its ID.
func queueCallToLily(t *testing.T, b *ctiBox, desk *siptest.Phone) (customer, lily *siptest.Call, id string) {
	t.Helper()
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	b.want(http.StatusNoContent, b.tom, "POST", "/api/v1/agents/12/login", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	customer, err := b.pstn("013812345678").Dial(ctx, "80081")
	if err != nil {
		t.Fatal(err)
	}
	lily = incoming(t, desk, "Lily's desk")
	answer(t, lily)
	if err := customer.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	id = b.activeCall()
	if !hears(customer, lily, 1000) {
		t.Fatal("Lily does not hear the customer")
	}
	return customer, lily, id
}

func TestQueueReach_AgentConsultsAQueueAndTheCallGoesToItsAgentWithTheHandoffs(t *testing.T) {
	b := newCTIBox(t, seedQueues)
	desk, tomDesk := b.phone("201"), b.phone("203")
	log := watchHandoffs(t, b)
	customer, lily, id := queueCallToLily(t, b, desk)

	// Bad input: a queue the site does not have is a field error.
	if out := b.want(http.StatusBadRequest, b.lily, "POST", "/api/v1/calls/"+id+"/consult",
		map[string]string{"target": "queue:nosuch"}); !strings.Contains(out, `"target"`) {
		t.Fatalf("the unknown queue is not named by field: %s", out)
	}

	// Nobody is logged in to billing: the consultation fails at once and
	// Lily talks to the customer again.
	if out := b.want(http.StatusConflict, b.lily, "POST", "/api/v1/calls/"+id+"/consult",
		map[string]string{"target": "queue:billing"}); !strings.Contains(out, "Nobody is logged in") {
		t.Errorf("the refusal does not say why: %s", out)
	}
	if !hears(customer, lily, 1000) || !hears(lily, customer, 700) {
		t.Fatal("Lily and the customer do not hear each other after the failed consultation")
	}

	// Lily consults support: Tom's desk rings showing the customer, Tom
	// answers and talks to Lily while the customer holds.
	consult := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/consult", map[string]string{"target": "queue:support"})
	tom := incoming(t, tomDesk, "Tom's desk")
	if _, number, _ := tom.From(); number != "013812345678" {
		t.Errorf("Tom's phone shows %q, want the customer's number", number)
	}
	settle(t, "Tom ringing", func() bool { return agentState(t, b, "12") == agent.Ringing })
	answer(t, tom)
	asyncResult(t, consult, http.StatusNoContent, "consult")
	if st := agentState(t, b, "12"); st != agent.OnCall {
		t.Errorf("Tom is %s while consulted, want on call", st)
	}
	if !hears(tom, lily, 700) || !hears(lily, tom, 1000) {
		t.Fatal("Lily and Tom do not hear each other")
	}
	if hears(tom, customer, 700) {
		t.Fatal("the customer hears the consultation")
	}

	// Lily completes: she leaves, the customer and Tom talk.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/consult/complete", nil)
	ended(t, lily, "Lily's leg")
	if !hears(tom, customer, 700) || !hears(customer, tom, 1000) {
		t.Fatal("the customer and Tom do not hear each other")
	}
	settle(t, "Lily in wrap-up", func() bool { return agentState(t, b, "11") != agent.OnCall })

	// The handoff's stages were published, naming Tom and his desk.
	settle(t, "ringing, answered, completed", func() bool {
		return slices.Equal(log.stages()[1:], []acd.HandoffStage{acd.HandoffRinging, acd.HandoffAnswered, acd.HandoffCompleted})
	})
	all := log.list()
	if all[0].Stage != acd.HandoffFailed || all[0].Target != "queue:billing" {
		t.Errorf("billing's handoff %+v, want failed", all[0])
	}
	for _, x := range all[1:] {
		if x.Kind != acd.HandoffConsult || x.Target != "queue:support" || x.Agent != "12" || x.Extension != "203" || x.Call.ID != id {
			t.Errorf("handoff %s: %+v", x.Stage, x)
		}
	}

	// Tom hangs up: the call ends and Tom is in wrap-up.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tom.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, customer, "the customer's leg")
	settle(t, "Tom in wrap-up", func() bool { return agentState(t, b, "12") == agent.WrapUp })
}

func TestQueueReach_QueueDeletedWhileTheConsultationRingsFailsAndFreesTheAgent(t *testing.T) {
	b := newCTIBox(t, seedQueues)
	desk, tomDesk := b.phone("201"), b.phone("203")
	log := watchHandoffs(t, b)
	customer, lily, id := queueCallToLily(t, b, desk)

	consult := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/consult", map[string]string{"target": "queue:support"})
	tom := incoming(t, tomDesk, "Tom's desk")
	settle(t, "Tom ringing", func() bool { return agentState(t, b, "12") == agent.Ringing })
	if _, err := store.Delete[store.Queue](b.a.store, "support"); err != nil {
		t.Fatal(err)
	}
	asyncResult(t, consult, http.StatusConflict, "consult of a deleted queue")
	ended(t, tom, "Tom's ringing")
	settle(t, "Tom available", func() bool { return agentState(t, b, "12") == agent.Available })
	if !hears(customer, lily, 1000) || !hears(lily, customer, 700) {
		t.Fatal("Lily and the customer do not hear each other after the failed consultation")
	}
	settle(t, "ringing then failed", func() bool {
		return slices.Equal(log.stages(), []acd.HandoffStage{acd.HandoffRinging, acd.HandoffFailed})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := customer.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, lily, "Lily's leg")
}

func TestQueueReach_BlindTransferToAQueueHandsTheCustomerToItsAgent(t *testing.T) {
	b := newCTIBox(t, seedQueues)
	desk, tomDesk := b.phone("201"), b.phone("203")
	log := watchHandoffs(t, b)
	customer, lily, id := queueCallToLily(t, b, desk)

	transfer := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/transfer", map[string]string{"target": "queue:support"})
	tom := incoming(t, tomDesk, "Tom's desk")
	answer(t, tom)
	asyncResult(t, transfer, http.StatusNoContent, "blind transfer")
	ended(t, lily, "Lily's leg")
	if !hears(tom, customer, 700) || !hears(customer, tom, 1000) {
		t.Fatal("the customer and Tom do not hear each other")
	}
	settle(t, "ringing, completed", func() bool {
		return slices.Equal(log.stages(), []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCompleted})
	})
	if x := log.list()[1]; x.Kind != acd.HandoffBlind || x.Agent != "12" || x.Extension != "203" {
		t.Errorf("completed %+v", x)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := customer.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, tom, "Tom's leg")
	settle(t, "Tom in wrap-up", func() bool { return agentState(t, b, "12") == agent.WrapUp })
}

func TestQueueReach_APhonesBlindTransferPublishesItsHandoff(t *testing.T) {
	b := newCTIBox(t, seedQueues)
	desk, tomDesk := b.phone("201"), b.phone("203")
	log := watchHandoffs(t, b)
	customer, lily, _ := queueCallToLily(t, b, desk)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := lily.Refer(ctx, desk.ReferTarget("203")); err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("REFER: %v %v", res, err)
	}
	tom := incoming(t, tomDesk, "Tom's desk")
	answer(t, tom)
	if !hears(tom, customer, 700) {
		t.Fatal("the customer does not hear Tom")
	}
	settle(t, "ringing, completed", func() bool {
		return slices.Equal(log.stages(), []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCompleted})
	})
	for _, x := range log.list() {
		if x.Kind != acd.HandoffBlind || x.Target != "203" || x.Extension != "203" || x.From.Number != "201" {
			t.Errorf("handoff %+v", x)
		}
	}
	if err := customer.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, tom, "Tom's leg")
}
