package queue

import (
	"context"
	"fmt"
	"slices"
	"time"

	"callbox/acd/agent"
	"callbox/acd/servicelevel"
)

// dispatch offers waiting calls to free agents. Calls are taken in the
// global order (priority, then place), so an agent in several queues is
// offered the most urgent call of all their queues, and each call's
// queue strategy picks among the agents free for it.
func (d *Dispatcher) dispatch() {
	d.free = d.free[:0]
	for _, s := range d.seatLst {
		if len(s.in) > 0 && s.a.State() == agent.Available {
			d.free = append(d.free, s)
		}
	}
	if len(d.free) == 0 {
		return
	}
	now := d.now()
	for _, e := range d.waiting {
		chosen := d.choose(e, now)
		if len(chosen) == 0 {
			continue
		}
		for i := range chosen {
			d.offer(e, chosen[i], now)
		}
		// Drop the agents just offered from the free list.
		d.free = slices.DeleteFunc(d.free, func(s *seat) bool { return s.a.State() != agent.Available })
		if len(d.free) == 0 {
			return
		}
	}
}

// choose returns the agents to offer e to now (none if it must wait).
// The result aliases d.cands.
func (d *Dispatcher) choose(e *entry, now time.Time) []Candidate {
	if len(e.offers) > 0 || e.q == nil {
		return nil
	}
	if e.cb != nil && (e.cb.State != CallbackPending || now.Before(e.cb.NextAttempt)) {
		return nil
	}
	d.widen(e, now)
	q := e.q
	only := ""
	if e.preferred != "" && now.Before(e.holdUntil) {
		// Hold for the preferred agent only while waiting can pay off:
		// they are a member, logged in and not paused.
		if s, ok := d.seats[e.preferred]; ok && s.a.LoggedIn() && s.a.State() != agent.Paused &&
			slices.ContainsFunc(s.in, func(m membership) bool { return m.q == q }) {
			only = e.preferred
		}
	}
	cands := d.cands[:0]
	minPen := int(^uint(0) >> 1)
	for _, s := range d.free {
		order := -1
		for _, m := range s.in {
			if m.q == q {
				order = m.order
				break
			}
		}
		if order < 0 {
			continue
		}
		id := s.a.ID()
		if (only != "" && id != only) || skipped(e, id, now) {
			continue
		}
		score, ok := match(s.a.Profile(), e.eff)
		if !ok {
			continue
		}
		m := q.cfg.Members[order]
		minPen = min(minPen, m.Penalty)
		cands = append(cands, Candidate{Agent: s.a, Member: m, Order: order, Score: score})
	}
	d.cands = cands
	if len(cands) == 0 {
		return nil
	}
	tier := cands[:0]
	for _, c := range cands {
		if c.Member.Penalty == minPen {
			tier = append(tier, c)
		}
	}
	d.view = View{CallID: e.call.ID, Caller: e.call.Caller, Preferred: e.preferred, Now: now}
	return q.strategy.Choose(&d.view, tier)
}

func skipped(e *entry, id string, now time.Time) bool {
	for _, s := range e.skipped {
		if s.agent == id && (s.until.IsZero() || now.Before(s.until)) {
			return true
		}
	}
	return false
}

// match reports whether an agent meets every requirement, and their
// score: the sum of their levels in the required skills. A requirement
// always needs the skill itself, whatever the level.
func match(p *agent.Profile, reqs []Requirement) (int, bool) {
	score := 0
	for _, r := range reqs {
		l := p.Level(r.Skill)
		if l < max(r.MinLevel, 1) {
			return 0, false
		}
		score += l
	}
	return score, true
}

// widen brings e's requirements up to date with its wait. Steps count
// from the caller's first join, so a call moved to another queue or
// kept as a callback does not start over.
func (d *Dispatcher) widen(e *entry, now time.Time) {
	steps := e.ver.Widen
	wait := now.Sub(e.joined)
	k := -1
	for i, s := range steps {
		if wait >= s.After {
			k = i
		}
	}
	if k == e.step && e.eff != nil {
		return
	}
	e.step = k
	eff := make([]Requirement, 0, len(e.ver.Requirements)+len(e.call.Requirements))
	eff = append(append(eff, e.ver.Requirements...), e.call.Requirements...)
	capLevel := 0
	for _, s := range steps[:k+1] {
		if s.Any {
			eff = eff[:0]
			break
		}
		if s.MaxLevel > 0 && (capLevel == 0 || s.MaxLevel < capLevel) {
			capLevel = s.MaxLevel
		}
	}
	if capLevel > 0 {
		for i := range eff {
			eff[i].MinLevel = min(eff[i].MinLevel, capLevel)
		}
	}
	e.eff = eff
}

// nextWiden returns when e's requirements widen next (zero: never).
func nextWiden(e *entry) time.Time {
	if e.step+1 < len(e.ver.Widen) {
		return e.joined.Add(e.ver.Widen[e.step+1].After)
	}
	return time.Time{}
}

func (d *Dispatcher) offer(e *entry, c Candidate, now time.Time) {
	id := c.Agent.ID()
	if err := d.roster.Offer(id, e.call.ID, e.qname); err != nil {
		d.log.Error("queue: offer refused", "call", e.call.ID, "agent", id, "err", err)
		return
	}
	e.offers = append(e.offers, offer{agent: id, deadline: now.Add(e.ver.RingTime)})
	if r, ok := e.q.strategy.(Rememberer); ok {
		r.Remember(c)
	}
	o := Offer{CallID: e.call.ID, AgentID: id, Queue: e.qname, Extension: c.Agent.Extension(), RingFor: e.ver.RingTime}
	if e.cb != nil {
		e.cb.State = CallbackOffered
		cb := *e.cb
		cb.Requirements = slices.Clone(cb.Requirements)
		o.Callback = &cb
	}
	d.act(o)
}

func (d *Dispatcher) findOffer(callID, agentID string) (*entry, int, error) {
	e, ok := d.calls[callID]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	for i, o := range e.offers {
		if o.agent == agentID {
			return e, i, nil
		}
	}
	return nil, 0, fmt.Errorf("%w: call %s agent %s", ErrNoOffer, callID, agentID)
}

// removeOffer forgets agentID's offer for e; a callback with no offer
// left is pending again.
func (d *Dispatcher) removeOffer(e *entry, agentID string) {
	e.offers = slices.DeleteFunc(e.offers, func(o offer) bool { return o.agent == agentID })
	if e.cb != nil && len(e.offers) == 0 && e.cb.State == CallbackOffered {
		e.cb.State = CallbackPending
	}
}

// cancelOffers withdraws every offer of e; the agents are available again
// and not charged with a miss.
func (d *Dispatcher) cancelOffers(e *entry, why CancelReason) {
	for _, o := range slices.Clone(e.offers) {
		if _, err := d.roster.Decline(o.agent, e.call.ID, false); err != nil {
			d.log.Error("queue: cancel offer", "call", e.call.ID, "agent", o.agent, "err", err)
		}
		d.removeOffer(e, o.agent)
		d.act(Cancel{CallID: e.call.ID, AgentID: o.agent, Reason: why})
	}
}

// Answered reports that agentID answered the offer of callID. For a live
// caller the call leaves the queue and the agent is on it; for a
// callback the agent took the preview and the dispatcher sends Dial.
// Other agents ringing for the call (ring-all) get Cancel. ErrNoOffer
// means the offer was already withdrawn (it timed out, the caller left):
// the switch hangs up the agent's leg.
func (d *Dispatcher) Answered(callID, agentID string) error {
	d.mu.Lock()
	defer d.unlock()
	e, _, err := d.findOffer(callID, agentID)
	if err != nil {
		return err
	}
	if err := d.roster.Answer(agentID, callID); err != nil {
		return err
	}
	d.removeOffer(e, agentID)
	d.cancelOffers(e, CancelAnsweredElsewhere)
	now := d.now()
	ac := &active{callID: callID, queue: e.qname, agent: agentID, answered: now, wrap: e.ver.WrapUp}
	d.active[callID] = ac
	if e.cb != nil {
		e.cb.State = CallbackDialing
		e.cb.Attempts++
		e.cb.Agent = agentID
		e.cb.UpdatedAt = now
		ac.cb = e
		d.act(Dial{CallbackID: callID, AgentID: agentID, Number: e.cb.Number, Queue: e.qname, Attempt: e.cb.Attempts})
		d.dispatch()
		return nil
	}
	d.removeEntry(e)
	if e.call.Internal {
		// A consultation is not a handled call of the queue.
		ac.uncounted = true
		d.dispatch()
		return nil
	}
	waited := now.Sub(e.qJoined)
	d.sl.Waited(e.qname, now, waited, e.ver.ServiceLevel, servicelevel.Answered)
	d.ev(Left{Queue: e.qname, CallID: callID, Reason: LeftAnswered, Agent: agentID, Waited: waited, At: now})
	if e.call.Caller != "" {
		d.history[e.call.Caller] = lastAgent{agent: agentID, at: now}
	}
	d.dispatch()
	return nil
}

// Rejected reports that agentID declined the offer of callID: the agent
// is skipped for this call, and it counts toward their auto-pause.
func (d *Dispatcher) Rejected(callID, agentID string) error {
	return d.missed(callID, agentID, "")
}

// NoAnswer reports that agentID's phone rang out (or could not be
// reached) for callID; treated like Rejected.
func (d *Dispatcher) NoAnswer(callID, agentID string) error {
	return d.missed(callID, agentID, "")
}

func (d *Dispatcher) missed(callID, agentID string, cancel CancelReason) error {
	d.mu.Lock()
	defer d.unlock()
	e, _, err := d.findOffer(callID, agentID)
	if err != nil {
		return err
	}
	d.miss(e, agentID, cancel)
	d.checkEmpty()
	d.dispatch()
	return nil
}

// miss settles an offer that was not answered; cancel, when set, tells
// the switch to stop the ringing.
func (d *Dispatcher) miss(e *entry, agentID string, cancel CancelReason) {
	if _, err := d.roster.Decline(agentID, e.call.ID, true); err != nil {
		d.log.Error("queue: decline", "call", e.call.ID, "agent", agentID, "err", err)
	}
	d.removeOffer(e, agentID)
	sk := skip{agent: agentID}
	if e.ver.SkipFor > 0 {
		sk.until = d.now().Add(e.ver.SkipFor)
	}
	e.skipped = append(e.skipped, sk)
	if cancel != "" {
		d.act(Cancel{CallID: e.call.ID, AgentID: agentID, Reason: cancel})
	}
}

// Hangup reports that an answered call ended (either side hung up). The
// agent goes to wrap-up for the queue's time (their own when set), which
// holds them in every queue; the call is counted when wrap-up ends.
func (d *Dispatcher) Hangup(ctx context.Context, callID string) error {
	d.mu.Lock()
	defer d.unlock()
	ac, ok := d.active[callID]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	if ac.cb != nil && ac.cb.cb.State == CallbackDialing {
		// The bridge ended before the switch reported the dial: the
		// attempt failed; the callback keeps its place for a retry.
		rec := d.attempt(ac, OutcomeFailed)
		d.dispatch()
		return d.saveCallback(ctx, rec)
	}
	d.endTalk(ac, ac.wrap)
	d.dispatch()
	return nil
}

// endTalk moves the agent of ac out of the call with wrap-up wrap.
func (d *Dispatcher) endTalk(ac *active, wrap time.Duration) {
	a := d.roster.Get(ac.agent)
	if a == nil || a.State() != agent.OnCall || a.CallID() != ac.callID {
		// The agent was deleted mid-call: count the call all the same.
		ac.talk = d.now().Sub(ac.answered)
		d.handled(ac, 0)
		return
	}
	talk, err := d.roster.Hangup(ac.agent, ac.callID, wrap)
	if err != nil {
		d.log.Error("queue: hangup", "call", ac.callID, "agent", ac.agent, "err", err)
	}
	ac.talk = talk
	if a.State() != agent.WrapUp {
		d.handled(ac, 0)
	}
}

// handled counts a finished call and feeds the queue's handle-time mean.
func (d *Dispatcher) handled(ac *active, wrap time.Duration) {
	delete(d.active, ac.callID)
	if ac.uncounted {
		return
	}
	d.sl.Handled(ac.queue, d.now(), ac.talk, wrap)
	q, ok := d.queues[ac.queue]
	if !ok {
		return
	}
	h := ac.talk + wrap
	if q.samples == 0 {
		q.aht = h
	} else {
		alpha := 2 / float64(q.cfg.HandleSamples+1)
		q.aht += time.Duration(alpha * float64(h-q.aht))
	}
	q.samples++
}
