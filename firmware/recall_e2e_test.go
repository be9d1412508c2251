package firmware

import (
	"context"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/siptest"
)

// loud reports whether c hears more than silence (the queue's music).
func loud(c *siptest.Call) bool {
	x := c.Listen(800 * time.Millisecond)
	if len(x) == 0 {
		return false
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum/float64(len(x))) > 100
}

func TestRecall_BlindTransferToAnUnstaffedQueueKeepsTheCustomerWaitingUntilAnAgentLogsIn(t *testing.T) {
	b := newCTIBox(t, seedQueues)
	desk, tomDesk := b.phone("201"), b.phone("203")
	log := watchHandoffs(t, b)

	// Only Lily is logged in: a PSTN customer reaches her through sales.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	customer, err := b.pstn("013812345678").Dial(ctx, "80081")
	if err != nil {
		t.Fatal(err)
	}
	lily := incoming(t, desk, "Lily's desk")
	answer(t, lily)
	if err := customer.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	id := b.activeCall()
	if !hears(customer, lily, 1000) {
		t.Fatal("Lily does not hear the customer")
	}

	// Lily hands the customer to support, where nobody is logged in, and
	// is done with the call: her leg ends, the customer stays.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/transfer", map[string]string{"target": "queue:support"})
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	_ = lily.Hangup(hctx)
	ended(t, lily, "Lily's leg")
	settle(t, "Lily out of the call", func() bool { return agentState(t, b, "11") != agent.OnCall })
	settle(t, "the customer waiting in support", func() bool {
		calls := b.a.tel.sw.Calls()
		return len(calls) == 1 && calls[0].ID == id && calls[0].Queue == "support"
	})
	alive(t, customer, "the customer's call")
	if !loud(customer) {
		t.Error("the waiting customer hears silence, not the queue's music")
	}
	if got := log.stages(); !slices.Equal(got, []acd.HandoffStage{acd.HandoffFailed}) {
		t.Errorf("stages %v, want failed (the queue takes the customer)", got)
	}

	// Tom logs in to support: his desk rings with the customer, he
	// answers and they talk.
	b.want(http.StatusNoContent, b.tom, "POST", "/api/v1/agents/12/login", nil)
	tom := incoming(t, tomDesk, "Tom's desk")
	if _, number, _ := tom.From(); number != "013812345678" {
		t.Errorf("Tom's phone shows %q, want the customer's number", number)
	}
	answer(t, tom)
	alive(t, customer, "the customer's call")
	if !hears(tom, customer, 700) || !hears(customer, tom, 1000) {
		t.Fatal("the customer and Tom do not hear each other")
	}
	if st := agentState(t, b, "12"); st != agent.OnCall {
		t.Errorf("Tom is %s, want on call", st)
	}
	if err := customer.Hangup(hctx); err != nil {
		t.Fatal(err)
	}
	ended(t, tom, "Tom's leg")
	settle(t, "Tom in wrap-up", func() bool { return agentState(t, b, "12") == agent.WrapUp })
}
