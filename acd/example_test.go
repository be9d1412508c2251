package acd_test

import (
	"context"
	"fmt"
	"sync"

	"callbox/acd"
	"callbox/media"
)

// phone is a minimal Leg: it answers at once and hangs up when told.
type phone struct {
	number string
	done   chan struct{}
	once   sync.Once
}

func newPhone(number string) *phone { return &phone{number: number, done: make(chan struct{})} }

func (p *phone) ID() string { return "leg-" + p.number }
func (p *phone) Caller() acd.Party {
	return acd.Party{Number: p.number, Source: acd.SourceLine, Via: "fxo1"}
}
func (p *phone) Answer(context.Context) error { return nil }
func (p *phone) Hangup(acd.Cause) error       { p.once.Do(func() { close(p.done) }); return nil }
func (p *phone) Media() media.Endpoint        { return nil }
func (p *phone) Done() <-chan struct{}        { return p.done }

// A handler answers, bridges the caller to an agent's leg and returns
// when the agent hangs up; the switch hangs up the caller and publishes
// CallEnded, which a subscriber (the CDR writer, the web UI) reads.
func ExampleSwitch() {
	agent := newPhone("201")
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		c.AddRoute("queue:sales")
		go agent.Hangup(acd.CauseNormalClearing) // the agent ends the conversation
		return c.Bridge(ctx, agent)
	})
	events := sw.Bus().Subscribe(context.Background())
	if _, err := sw.Accept(newPhone("13800138000"), "01088886601"); err != nil {
		fmt.Println(err)
		return
	}
	for e := range events {
		if end, ok := e.(acd.CallEnded); ok {
			r := end.Call
			fmt.Println(r.Caller.Number, "->", r.Dialed, "via", r.Caller.Origin(), "route", r.RouteString())
			fmt.Println("answered:", !r.Answer.IsZero(), "ended by:", r.HangupSide, "cause:", r.Cause)
			break
		}
	}
	_ = sw.Shutdown(context.Background())
	// Output:
	// 13800138000 -> 01088886601 via line:fxo1 route queue:sales
	// answered: true ended by: callee cause: normal clearing
}
