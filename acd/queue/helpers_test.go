package queue

import (
	"math/rand/v2"
	"testing"
	"time"

	"callbox/acd/agent"
)

// harness runs a Dispatcher on a fake clock and records what it says.
type harness struct {
	t    *testing.T
	clk  *fakeClock
	d    *Dispatcher
	acts []Action
	evs  []Event
	cbs  *MemoryCallbacks
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	h := &harness{t: t, clk: &fakeClock{t: t0}, cbs: NewMemoryCallbacks()}
	h.d = h.newDispatcher(opts...)
	return h
}

func (h *harness) newDispatcher(opts ...Option) *Dispatcher {
	base := []Option{WithClock(h.clk.now), WithRand(rand.NewPCG(1, 2)), WithCallbacks(h.cbs),
		WithActions(func(a Action) { h.acts = append(h.acts, a) }),
		WithEvents(func(e Event) { h.evs = append(h.evs, e) })}
	return New(append(base, opts...)...)
}

func (h *harness) queue(c Config) {
	h.t.Helper()
	if err := h.d.SetQueue(c); err != nil {
		h.t.Fatal(err)
	}
}

// login adds agents (with skills "skill:level" pairs not needed here) and
// logs them in at extension 2<id>, one second apart so idle times differ.
func (h *harness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if h.d.roster.Get(id) == nil {
			h.d.SetAgent(agent.Profile{ID: id, Name: "agent " + id})
		}
		h.must(h.d.Login(id, "2"+id))
		h.clk.t = h.clk.t.Add(time.Second)
	}
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) join(c Call) Ticket {
	h.t.Helper()
	tk, err := h.d.Join(c)
	h.must(err)
	return tk
}

// take returns and forgets the actions so far.
func (h *harness) take() []Action {
	a := h.acts
	h.acts = nil
	return a
}

// offers returns and forgets the offers so far (other actions dropped).
func (h *harness) offers() []Offer {
	var out []Offer
	for _, a := range h.take() {
		if o, ok := a.(Offer); ok {
			out = append(out, o)
		}
	}
	return out
}

// offer expects exactly one new offer and returns it.
func (h *harness) offer() Offer {
	h.t.Helper()
	os := h.offers()
	if len(os) != 1 {
		h.t.Fatalf("offers = %+v, want one", os)
	}
	return os[0]
}

func (h *harness) noOffer() {
	h.t.Helper()
	if os := h.offers(); len(os) != 0 {
		h.t.Fatalf("unexpected offers %+v", os)
	}
}

// advance moves the clock and runs the timers.
func (h *harness) advance(d time.Duration) {
	h.clk.t = h.clk.t.Add(d)
	h.d.Tick()
}

// serve answers an offer, talks for talk and hangs up.
func (h *harness) serve(o Offer, talk time.Duration) {
	h.t.Helper()
	h.must(h.d.Answered(o.CallID, o.AgentID))
	h.clk.t = h.clk.t.Add(talk)
	h.must(h.d.Hangup(h.t.Context(), o.CallID))
}

func (h *harness) state(id string) agent.State {
	h.t.Helper()
	s, err := h.d.Agent(id)
	h.must(err)
	return s.State
}

func members(ids ...string) []Member {
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{Agent: id}
	}
	return ms
}
