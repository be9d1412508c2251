package queue_test

import (
	"context"
	"fmt"
	"time"

	"callbox/acd/agent"
	"callbox/acd/queue"
)

// The switch's side of a queue call: join, act on the offer, report the
// answer and the hang-up. The clock is fixed so the output is stable.
func Example() {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	d := queue.New(
		queue.WithClock(func() time.Time { return now }),
		queue.WithActions(func(a queue.Action) { fmt.Printf("action %T %+v\n", a, a) }),
		queue.WithEvents(func(e queue.Event) {
			if ae, ok := e.(agent.Event); ok {
				fmt.Printf("agent %s: %s -> %s\n", ae.Agent, ae.From, ae.To)
			}
		}))
	_ = d.SetQueue(queue.Config{Name: "sales", Members: []queue.Member{{Agent: "101"}},
		RingTime: 15 * time.Second, WrapUp: 30 * time.Second})
	d.SetAgent(agent.Profile{ID: "101", Name: "Li"})
	_ = d.Login("101", "201")

	t, _ := d.Join(queue.Call{ID: "c1", Queue: "sales", Caller: "13800000001"})
	fmt.Println("position", t.Position)
	_ = d.Answered("c1", "101") // the switch bridged the agent's leg
	now = now.Add(2 * time.Minute)
	_ = d.Hangup(context.Background(), "c1")
	now = now.Add(30 * time.Second)
	d.Tick()
	s, _ := d.Snapshot("sales")
	fmt.Println("answered", s.Current.Answered, "AHT", s.Current.AHT())
	// Output:
	// agent 101: loggedout -> available
	// agent 101: available -> ringing
	// action queue.Offer {CallID:c1 AgentID:101 Queue:sales Extension:201 RingFor:15s Callback:<nil>}
	// position 1
	// agent 101: ringing -> oncall
	// agent 101: oncall -> wrapup
	// agent 101: wrapup -> available
	// answered 1 AHT 2m30s
}
