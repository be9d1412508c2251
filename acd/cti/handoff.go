package cti

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// EventCallHandoff carries each stage of a blind or consultative
// transfer (Handoff): to the target agent when one is logged in where
// the transfer rings, else to the agent handing the call on.
const EventCallHandoff = "call.handoff"

// HandoffInfo is who handed a call to the agent whose pop carries it.
type HandoffInfo struct {
	Kind          acd.HandoffKind  `json:"kind"`
	Stage         acd.HandoffStage `json:"stage"`
	FromAgent     string           `json:"fromAgent,omitempty"`
	FromName      string           `json:"fromName,omitempty"`
	FromExtension string           `json:"fromExtension,omitempty"`
	// Target is the target as the handing agent gave it ("2002",
	// "queue:support", an outside number).
	Target string    `json:"target"`
	At     time.Time `json:"at"`
}

// Handoff is the data of a call.handoff event.
type Handoff struct {
	CallID string `json:"callId"`
	HandoffInfo
	From      acd.Party `json:"from"`
	Extension string    `json:"extension,omitempty"`
	// Agent is the target agent, when one is logged in where it rings.
	Agent  string    `json:"agent,omitempty"`
	Caller acd.Party `json:"caller"`
	Queue  string    `json:"queue,omitempty"`
}

// transfer is the hub's state of a call's latest handoff.
type transfer struct {
	info  HandoffInfo
	agent string // the target agent; "" pops nothing
	// prev is the offer before the target rang, the call's again when
	// the transfer is withdrawn.
	prev *OfferInfo
	// prevPop is the agent whose pop was the call's latest before.
	prevPop string
}

// open: the target is being rung or talks to the handing agent.
func (t *transfer) open() bool {
	return t.info.Stage == acd.HandoffRinging || t.info.Stage == acd.HandoffAnswered
}

// handoff turns a stage of a transfer into the target agent's pop and a
// call.handoff event. A target where nobody is logged in (or outside
// the box) gets no pop; the event still goes out.
func (h *Hub) handoff(e acd.CallHandoff) {
	target := e.Agent
	if target == "" && e.Extension != "" {
		target, _ = h.agentAt(e.Extension)
	}
	from, fromName, same := h.sameTransfer(e)
	if !same {
		if from = h.agentOfParty(e.From); from == "" {
			from = h.handlerOf(e.Call)
		}
		if fromName = h.agentName(from); fromName == "" {
			fromName = e.From.Name
		}
	}
	if target == from {
		target = "" // a call handed back to the same agent is still theirs
	}
	info := HandoffInfo{Kind: e.Kind, Stage: e.Stage, FromAgent: from, FromName: fromName,
		FromExtension: partyExtension(e.From), Target: e.Target, At: h.now()}
	if e.Stage == acd.HandoffRinging {
		h.handoffRinging(e, info, target)
	} else {
		h.handoffStage(e, info, target)
	}
	to := target
	if to == "" {
		to = from
	}
	h.publish(EventCallHandoff, to, Handoff{CallID: e.Call.ID, HandoffInfo: info, From: e.From, Extension: e.Extension,
		Agent: target, Caller: e.Call.Caller, Queue: e.Call.Queue})
}

// handoffRinging pops the customer's call to the target agent: a new
// pop, or the queue's own offer of the call to that agent updated
// with who hands it over (one pop per call and agent). A queue moving
// on to another agent takes the pop back from the one who did not
// answer (a call.handoff failed for them).
func (h *Hub) handoffRinging(e acd.CallHandoff, info HandoffInfo, target string) {
	id := e.Call.ID
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	c := h.calls[id]
	if c == nil {
		c = &call{rec: e.Call}
		h.calls[id] = c
	} else if !c.ended {
		c.rec = e.Call
	}
	old := c.xfer
	if old != nil && old.open() && target != "" && old.agent == target {
		// The same target rung again (a repeated stage): its pop stands.
		old.info = info
		h.mu.Unlock()
		return
	}
	t := &transfer{info: info, agent: target, prev: c.offer, prevPop: c.latestAgent()}
	queueFirst := target != "" && c.offer != nil && c.offer.Agent == target
	if queueFirst {
		t.prev = c.before
		if t.prevPop == target {
			t.prevPop = ""
		}
		if c.before != nil {
			t.prevPop = c.before.Agent
		}
	}
	var missed string
	if old != nil && old.open() && old.info.Kind == info.Kind && old.info.Target == info.Target {
		// The same transfer rings someone else now: what was before it
		// stays what it was before, and the agent passed over loses the pop.
		t.prev, t.prevPop = old.prev, old.prevPop
		if old.agent != "" {
			missed = old.agent
			c.withdraw(old)
		}
	}
	c.xfer = t
	var o OfferInfo
	if target != "" && !queueFirst {
		delete(c.pops, target) // an older pop of this call (an offer not taken) is not this one
		o = OfferInfo{CallID: id, Agent: target, Extension: e.Extension, Queue: c.rec.Queue, Caller: c.rec.Caller,
			Route: slices.Clone(c.rec.Route), Data: maps.Clone(c.rec.Data)}
		if first := c.pops[t.prevPop]; first != nil {
			// What the first agent was shown of the caller's way in
			// (their wait, the skills asked, what the queue said of the
			// IVR) goes on; the record's own path and digits come first.
			o.Waited, o.Skills = first.Waited, slices.Clone(first.Skills)
			if len(o.Route) == 0 {
				o.Route = slices.Clone(first.Route)
			}
			if len(o.Data) == 0 {
				o.Data = maps.Clone(first.Data)
			}
		}
		c.before, c.offer = c.offer, &o
		h.wg.Go(func() { h.Offered(h.base, o) })
	}
	h.mu.Unlock()
	if missed != "" {
		gone := info
		gone.Stage = acd.HandoffFailed
		h.publish(EventCallHandoff, missed, Handoff{CallID: id, HandoffInfo: gone, From: e.From, Agent: missed,
			Caller: e.Call.Caller, Queue: e.Call.Queue})
	}
	if queueFirst {
		// The queue's offer to the target came first: its pop (or the
		// one being built, whose show adds this) gets the handoff.
		h.update(id, target, nil)
	}
}

// handoffStage follows a transfer after its target rang: answered and
// completed update the target's pop (completed makes it the call's
// handler); cancelled and failed withdraw it.
func (h *Hub) handoffStage(e acd.CallHandoff, info HandoffInfo, target string) {
	id := e.Call.ID
	h.mu.Lock()
	c := h.calls[id]
	if c == nil {
		h.mu.Unlock()
		return
	}
	t := c.xfer
	if t == nil || t.agent != target {
		t = &transfer{agent: target, prev: c.offer, prevPop: c.latestAgent()}
		c.xfer = t
	}
	t.info = info
	switch e.Stage {
	case acd.HandoffCompleted:
		if info.FromAgent != "" && (len(c.from) == 0 || c.from[len(c.from)-1] != info.FromAgent) {
			c.from = append(c.from, info.FromAgent)
		}
		c.handler = target
		if target != "" {
			if c.received == nil {
				c.received = map[string]HandoffInfo{}
			}
			c.received[target] = info
		}
		if p := c.pops[target]; p != nil {
			c.pop = p
		}
	case acd.HandoffCancelled, acd.HandoffFailed:
		c.withdraw(t)
		h.mu.Unlock()
		return
	}
	var cur []Current
	if e.Stage == acd.HandoffCompleted && target != "" && !c.ended {
		// The call is the target's now, and no longer the handing agent's.
		cur = h.dropCurrent(id, target)
		if old, ok := h.current[target]; !ok || old.CallID != id {
			cur = append(cur, h.setCurrent(target, id, KindTransfer))
		}
	}
	h.mu.Unlock()
	h.publishCurrent(cur)
	if target != "" {
		h.update(id, target, nil)
	}
}

// withdraw takes a transfer's pop back from its target: the call's
// offer and latest pop are again those before the transfer. Call with
// h.mu held.
func (c *call) withdraw(t *transfer) {
	if t.agent == "" {
		return
	}
	delete(c.pops, t.agent)
	if c.offer != nil && c.offer.Agent == t.agent {
		c.offer = t.prev
	}
	if c.pop != nil && c.pop.Agent == t.agent {
		c.pop = c.pops[t.prevPop]
		if c.pop == nil {
			c.pop = c.pops[c.rec.Agent]
		}
	}
}

// show finishes a pop with the call's notes and handoff, keeps it and
// publishes it: as an offer, or as an update when the agent has this
// call's pop from the same transfer already (a queue target's offer
// notice and the transfer's ringing both pop it).
func (h *Hub) show(p Pop) Pop {
	h.popMu.Lock()
	defer h.popMu.Unlock()
	typ := EventCallOffered
	h.mu.Lock()
	if c := h.calls[p.CallID]; c != nil {
		if t := c.xfer; t != nil && t.open() && t.agent == p.Agent && c.pops[p.Agent] != nil {
			typ = EventPopUpdated
		}
		c.attach(&p)
		c.keep(p)
	}
	h.mu.Unlock()
	h.publish(typ, p.Agent, p)
	return p
}

// update changes an agent's pop of a call with f (nil: only the call's
// notes and handoff, anew) and publishes it; nothing when the agent has
// no pop of the call.
func (h *Hub) update(callID, agent string, f func(*Pop)) {
	h.popMu.Lock()
	defer h.popMu.Unlock()
	h.mu.Lock()
	c := h.calls[callID]
	if c == nil || c.pops[agent] == nil {
		h.mu.Unlock()
		return
	}
	p := *c.pops[agent]
	if f != nil {
		f(&p)
	}
	c.attach(&p)
	c.keep(p)
	h.mu.Unlock()
	h.publish(EventPopUpdated, agent, p)
}

// attach puts the call's notes, the other agents' wrap-ups and the
// handoff to p's agent into p. Call with h.mu held.
func (c *call) attach(p *Pop) {
	p.Notes = slices.Clone(c.notes)
	for a, w := range c.wraps {
		if a != p.Agent {
			p.Notes = append(p.Notes, w)
		}
	}
	slices.SortStableFunc(p.Notes, func(a, b Note) int { return a.At.Compare(b.At) })
	p.Handoff = nil
	if t := c.xfer; t != nil && t.agent != "" && t.agent == p.Agent && t.open() {
		info := t.info
		p.Handoff = &info
	} else if info, ok := c.received[p.Agent]; ok && p.Agent != "" {
		p.Handoff = &info
	}
}

// latestAgent is the agent of the call's latest pop, or "". Call with
// h.mu held.
func (c *call) latestAgent() string {
	if c.pop == nil {
		return ""
	}
	return c.pop.Agent
}

// keep stores p as its agent's pop of the call and the latest. Call
// with h.mu held.
func (c *call) keep(p Pop) {
	if c.pops == nil {
		c.pops = map[string]*Pop{}
	}
	c.pops[p.Agent] = &p
	c.pop = &p
}

// PopFor returns an agent's pop of a call: the target of a transfer has
// its own beside the pop of the agent who handed the call on.
func (h *Hub) PopFor(ctx context.Context, callID, agent string) (Pop, error) {
	if err := ctx.Err(); err != nil {
		return Pop{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil || c.pops[agent] == nil {
		return Pop{}, fmt.Errorf("%w: %q for agent %q", ErrUnknownCall, callID, agent)
	}
	return *c.pops[agent], nil
}

// Involved reports whether an agent has a part in a call: offered it,
// handling it, handed it on or being handed it.
func (h *Hub) Involved(callID, agent string) bool {
	if agent == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil {
		return false
	}
	return c.pops[agent] != nil || c.rec.Agent == agent || (c.offer != nil && c.offer.Agent == agent) ||
		c.handler == agent || slices.Contains(c.from, agent)
}

// sameTransfer finds the open transfer e is a later stage of (same kind
// and target) and returns who hands the call on in it: the target
// agent's offer must not be taken for the handing agent.
func (h *Hub) sameTransfer(e acd.CallHandoff) (from, name string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[e.Call.ID]
	if c == nil || c.xfer == nil || !c.xfer.open() || c.xfer.info.Kind != e.Kind || c.xfer.info.Target != e.Target {
		return "", "", false
	}
	return c.xfer.info.FromAgent, c.xfer.info.FromName, true
}

// handlerOf is the agent a call belongs to now, as far as the hub knows.
func (h *Hub) handlerOf(rec acd.CallRecord) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[rec.ID]
	switch {
	case c != nil && c.handler != "":
		return c.handler
	case rec.Agent != "":
		return rec.Agent
	case c == nil:
		return ""
	case c.rec.Agent != "":
		return c.rec.Agent
	case c.offer != nil:
		return c.offer.Agent
	}
	return ""
}

// agentAt names the agent logged in at extension ext.
func (h *Hub) agentAt(ext string) (string, bool) {
	if ext == "" {
		return "", false
	}
	if h.cfg.AgentAt != nil {
		return h.cfg.AgentAt(ext)
	}
	h.mu.Lock()
	in := maps.Clone(h.loggedIn)
	h.mu.Unlock()
	var id string
	err := store.ListFunc(h.st, "", func(a store.Agent) bool {
		if a.Extension == ext && in[a.ID] {
			id = a.ID
			return false
		}
		return true
	})
	if err != nil {
		h.log.Warn("cti: agents", "err", err)
	}
	return id, id != ""
}

// agentOfParty names the agent at the phone of p (an extension).
func (h *Hub) agentOfParty(p acd.Party) string {
	id, _ := h.agentAt(partyExtension(p))
	return id
}

// partyExtension is the extension of a party on a desk phone, else "".
func partyExtension(p acd.Party) string {
	if p.Source != acd.SourceExtension && p.Source != "" {
		return ""
	}
	if p.Via != "" {
		return p.Via
	}
	return p.Number
}

// agentName is an agent's name as the store has it, or "".
func (h *Hub) agentName(id string) string {
	if id == "" {
		return ""
	}
	a, err := store.Get[store.Agent](h.st, id)
	if err != nil {
		return ""
	}
	return a.Name
}
