package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"callbox/acd"
)

// ErrNoAnswer: no agent of the queue took a consultation: the queue's
// maximum wait passed, the queue was removed or its members all left.
var ErrNoAnswer = errors.New("queue: no agent answered")

// ReachRequest asks for the best free agent of a queue for a call that
// is connected elsewhere already: an agent consults the queue, or hands
// the call to it.
type ReachRequest struct {
	// Queue is the queue's name.
	Queue string
	// Call is the customer's call: its ID, caller, route and data go to
	// the agent's screen pop (WithOfferNotice) and its caller's name to
	// the agent's phone.
	Call *acd.Call
	// CallerLeg hears the agent's early media while they ring; nil: none.
	CallerLeg acd.Leg
	// Ringing, if set, is told each agent the queue rings (before the
	// phone rings); it must return promptly.
	Ringing func(Reached)
}

// Reached is an agent a consultation rang or reached.
type Reached struct {
	Agent, Extension, Queue string
	// ID is the dispatcher's own ID of the consultation ("<call ID>~q<N>"):
	// the customer's call keeps its place with the agent who consults, so
	// the reached agent's state changes carry this ID instead.
	ID string
}

// Reach rings the best free agent of a queue for req.Call, which an
// agent is consulting about or handing on, and returns the answered leg
// unbridged: the caller connects it (a consultation's relay, a
// transfer's Call.Replace).
//
// It goes through the dispatcher as a Call with Internal set, so
// everything the ACD promises holds: the queue's strategy and skills
// choose, an agent is offered one call at a time across their queues,
// each ring lasts the queue's ring time and a miss skips the agent for
// this consultation and counts toward their auto-pause, the offer
// notice pops the customer's call on the agent's screen, and once
// answered the agent is on the call until the returned leg ends, then
// in the queue's wrap-up, which holds them in every queue. The
// consultation goes ahead of every customer waiting in the queue (an
// agent is holding a customer already) and is left out of the queue's
// figures (service level, handle time, callers waiting): it is not a
// call offered to the queue's service.
//
// Reach gives up with ErrNoAgents when no member is logged in, with
// ErrNoAnswer when the queue's maximum wait passes, the queue is
// removed or its members all leave, and with the context's cause when
// ctx ends (the agent cancelled); the agents rung are then free again
// and nobody is charged with a miss.
func (l *Live) Reach(ctx context.Context, req ReachRequest) (acd.Leg, Reached, error) {
	if req.Call == nil {
		return nil, Reached{}, fmt.Errorf("%w: no call to consult about", ErrUnknownCall)
	}
	l.mu.Lock()
	l.reaches++
	id := fmt.Sprintf("%s~q%d", req.Call.ID(), l.reaches)
	l.mu.Unlock()
	p := partyOf(req.Call)
	in := l.mb.Open(id)
	defer l.mb.Close(id)
	if _, err := l.d.Join(Call{ID: id, Queue: req.Queue, Caller: p.Number, CallerName: p.Name, Internal: true}); err != nil {
		return nil, Reached{}, err
	}
	r := &reacher{l: l, req: req, id: id, party: p, in: in, rings: map[string]*ring{},
		results: make(chan ringResult), quit: make(chan struct{})}
	return r.run(ctx)
}

// reacher is one consultation ringing a queue's agents.
type reacher struct {
	l       *Live
	req     ReachRequest
	id      string
	party   acd.Party
	in      *Inbox
	rings   map[string]*ring
	exts    map[string]string
	results chan ringResult
	quit    chan struct{}
	wg      sync.WaitGroup
	stopped bool
}

func (r *reacher) run(ctx context.Context) (acd.Leg, Reached, error) {
	defer r.stop()
	for {
		select {
		case <-ctx.Done():
			r.stop()
			if err := r.l.d.Leave(r.id, LeftAbandoned); err != nil && !errors.Is(err, ErrUnknownCall) {
				r.l.log.Warn("queue: consultation not withdrawn", "id", r.id, "err", err)
			}
			return nil, Reached{}, fmt.Errorf("queue %s: %w", r.req.Queue, context.Cause(ctx))
		case <-r.in.wake:
			for a, ok := r.in.take(); ok; a, ok = r.in.take() {
				if err := r.act(ctx, a); err != nil {
					return nil, Reached{}, err
				}
			}
		case res := <-r.results:
			if ctx.Err() != nil {
				// The cancel ended this ring too, and both were ready: the
				// ring is no miss of the agent's; the next turn withdraws.
				if res.leg != nil {
					_ = res.leg.Hangup(acd.CauseNormalClearing)
				}
				continue
			}
			leg, got, err := r.rang(res)
			if err != nil || leg != nil {
				return leg, got, err
			}
		}
	}
}

// act carries out one of the dispatcher's actions for the consultation;
// an error ends it.
func (r *reacher) act(ctx context.Context, a Action) error {
	switch a := a.(type) {
	case Offer:
		r.offer(ctx, a)
	case Cancel:
		if g, ok := r.rings[a.AgentID]; ok {
			g.cancel()
			delete(r.rings, a.AgentID)
		}
	case Route:
		// The dispatcher has let the consultation go already.
		return fmt.Errorf("%w: queue %s (%s)", ErrNoAnswer, a.Queue, a.Reason)
	}
	return nil
}

// offer rings an agent in a goroutine the reacher owns. Only the first
// ring of a ring-all passes early media on: the consulting agent hears
// one phone ringing, not a mix.
func (r *reacher) offer(ctx context.Context, o Offer) {
	if old, ok := r.rings[o.AgentID]; ok {
		old.cancel()
	}
	// The dispatcher times the offer out at RingFor (a Cancel); the extra
	// second lets that report win the race.
	rctx, cancel := context.WithTimeout(ctx, o.RingFor+time.Second)
	g := &ring{cancel: cancel}
	early := r.req.CallerLeg
	if len(r.rings) > 0 {
		early = nil
	}
	r.rings[o.AgentID] = g
	if r.exts == nil {
		r.exts = map[string]string{}
	}
	r.exts[o.AgentID] = o.Extension
	rec := r.req.Call.Record()
	n := OfferNotice{CallID: r.req.Call.ID(), Agent: o.AgentID, Extension: o.Extension, Queue: o.Queue,
		Caller: r.party, Route: rec.Route, Data: rec.Data}
	if r.req.Ringing != nil {
		r.req.Ringing(Reached{Agent: o.AgentID, Extension: o.Extension, Queue: o.Queue, ID: r.id})
	}
	r.wg.Go(func() {
		defer cancel()
		party := r.l.announceOffer(rctx, n)
		leg, err := r.l.dial(rctx, o.Extension, party, early)
		select {
		case r.results <- ringResult{agent: o.AgentID, r: g, leg: leg, err: err}:
		case <-r.quit:
			if leg != nil {
				_ = leg.Hangup(acd.CauseNormalClearing)
			}
		}
	})
}

// rang settles a ring that ended: a miss is reported and the
// consultation waits on; an answer ends it with the agent's leg, which
// holds the agent on the call until it ends.
func (r *reacher) rang(res ringResult) (acd.Leg, Reached, error) {
	if cur, ok := r.rings[res.agent]; !ok || cur != res.r {
		if res.leg != nil {
			_ = res.leg.Hangup(acd.CauseNormalClearing)
		}
		return nil, Reached{}, nil
	}
	delete(r.rings, res.agent)
	d := r.l.d
	if res.err != nil {
		report := d.NoAnswer
		if rejected(res.err) {
			report = d.Rejected
		}
		if err := report(r.id, res.agent); err != nil && !errors.Is(err, ErrNoOffer) && !errors.Is(err, ErrUnknownCall) {
			r.l.log.Warn("queue: report miss", "id", r.id, "agent", res.agent, "err", err)
		}
		return nil, Reached{}, nil
	}
	if err := d.Answered(r.id, res.agent); err != nil {
		_ = res.leg.Hangup(acd.CauseNormalClearing)
		return nil, Reached{}, nil
	}
	got := Reached{Agent: res.agent, Extension: r.exts[res.agent], Queue: r.req.Queue, ID: r.id}
	leg, id := res.leg, r.id
	// The agent is on the call until their leg ends, whoever it is
	// bridged to by then; Run waits for the watch.
	watched := r.l.spawn(func() {
		select {
		case <-leg.Done():
		case <-r.l.background().Done():
		}
		if err := d.Hangup(context.Background(), id); err != nil {
			r.l.log.Warn("queue: consultation hangup report", "id", id, "err", err)
		}
	})
	if !watched {
		_ = leg.Hangup(acd.CauseNormalClearing)
		if err := d.Hangup(context.Background(), id); err != nil {
			r.l.log.Warn("queue: consultation hangup report", "id", id, "err", err)
		}
		return nil, Reached{}, fmt.Errorf("queue %s: %w", r.req.Queue, context.Canceled)
	}
	return leg, got, nil
}

// stop ends every ring still going and waits for them; an agent who
// answers after this is hung up. Idempotent.
func (r *reacher) stop() {
	if r.stopped {
		return
	}
	r.stopped = true
	close(r.quit)
	for _, g := range r.rings {
		g.cancel()
	}
	r.rings = nil
	r.wg.Wait()
}
