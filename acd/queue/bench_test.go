package queue

import (
	"fmt"
	"testing"
	"time"

	"callbox/acd/agent"
)

// benchDispatcher builds 2,000 agents in 20 queues of 300 members (each
// agent in 3 queues, with skills) and 500 waiting calls spread over the
// queues, some VIP, some with requirements. Agents answer calls until
// free agents run out; the busy state is what a decision runs against.
func benchDispatcher(b *testing.B, strategy StrategyName, free int) (*Dispatcher, *fakeClock) {
	b.Helper()
	clk := &fakeClock{t: t0}
	d := New(WithClock(clk.now))
	const agents, queues, calls = 2000, 20, 500
	for i := range agents {
		skills := []agent.Skill{{Name: "zh", Level: 1 + i%10}, {Name: "billing", Level: 1 + i%7}}
		d.SetAgent(agent.Profile{ID: fmt.Sprint(1000 + i), Skills: skills})
	}
	for q := range queues {
		var ms []Member
		for i := range agents {
			if i%queues == q || (i+7)%queues == q || (i+13)%queues == q {
				ms = append(ms, Member{Agent: fmt.Sprint(1000 + i), Penalty: i % 2, Level: 1 + i%10})
			}
		}
		if err := d.SetQueue(Config{Name: fmt.Sprint("q", q), Strategy: strategy, Members: ms,
			Widen: []WidenStep{{After: time.Minute, MaxLevel: 1}}}); err != nil {
			b.Fatal(err)
		}
	}
	// Everyone logs in; all but free agents are on (non-queue) calls and
	// the free ones are paused while the calls join, so they all wait.
	for i, a := range d.roster.All() {
		id := a.ID()
		must(b, d.Login(id, id))
		if i < agents-free {
			must(b, d.roster.Offer(id, "busy"+id, "q0"))
			must(b, d.roster.Answer(id, "busy"+id))
		} else {
			must(b, d.roster.Pause(id, "lunch"))
		}
	}
	for i := range calls {
		clk.t = clk.t.Add(100 * time.Millisecond)
		c := Call{ID: fmt.Sprint("w", i), Queue: fmt.Sprint("q", i%queues), Priority: i % 50 / 49}
		if i%3 == 0 {
			c.Requirements = []Requirement{{Skill: "zh", MinLevel: 5}, {Skill: "billing", MinLevel: 3}}
		}
		if _, err := d.Join(c); err != nil {
			b.Fatal(err)
		}
	}
	if len(d.waiting) != calls {
		b.Fatalf("%d waiting", len(d.waiting))
	}
	for _, a := range d.roster.All() {
		if a.State() == agent.Paused {
			must(b, d.roster.Resume(a.ID())) // free, without dispatching yet
		}
	}
	return d, clk
}

// BenchmarkDispatch_OneAgentFrees measures the common decision: one
// agent becomes free while 500 calls wait over its queues; the
// dispatcher finds the most urgent call that agent may take and offers
// it. The offer is then withdrawn (not timed) so each iteration decides
// against the same state.
func BenchmarkDispatch_OneAgentFrees(b *testing.B) {
	for _, s := range []StrategyName{LongestIdle, Skills, RingAll} {
		b.Run(string(s), func(b *testing.B) {
			d, _ := benchDispatcher(b, s, 1)
			b.ReportAllocs()
			for b.Loop() {
				d.dispatch()
				b.StopTimer()
				undo(b, d)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkDispatch_ManyAgentsFree measures a decision pass that pairs
// 200 free agents with 500 waiting calls.
func BenchmarkDispatch_ManyAgentsFree(b *testing.B) {
	d, _ := benchDispatcher(b, LongestIdle, 200)
	b.ReportAllocs()
	for b.Loop() {
		d.dispatch()
		b.StopTimer()
		undo(b, d)
		b.StartTimer()
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// undo withdraws every outstanding offer without skipping anyone.
func undo(b *testing.B, d *Dispatcher) {
	n := 0
	for _, e := range d.waiting {
		for _, o := range e.offers {
			if _, err := d.roster.Decline(o.agent, e.call.ID, false); err != nil {
				b.Fatal(err)
			}
			n++
		}
		e.offers = e.offers[:0]
	}
	if n == 0 {
		b.Fatal("the decision offered nothing")
	}
}

// BenchmarkTick measures one timer pass over 500 waiting calls (ring
// timeouts, maximum waits, announcements, widening) with 2,000 agents.
func BenchmarkTick(b *testing.B) {
	d, _ := benchDispatcher(b, LongestIdle, 0)
	b.ReportAllocs()
	for b.Loop() {
		d.Tick()
	}
}

// BenchmarkJoin measures a caller joining behind 500 others (position,
// estimate, a dispatch pass with no agent free).
func BenchmarkJoin(b *testing.B) {
	d, _ := benchDispatcher(b, LongestIdle, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := fmt.Sprint("j", i)
		i++
		if _, err := d.Join(Call{ID: id, Queue: "q3"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := d.Leave(id, LeftAbandoned); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
