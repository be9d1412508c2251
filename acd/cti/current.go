package cti

import (
	"context"
	"errors"
	"slices"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// EventCallCurrent tells an agent that a call became, or stopped being,
// their current call (Hub.CurrentCall): the console follows calls the
// queue's agent state does not show, such as a click-to-dial or a call
// transferred to the agent's extension.
const EventCallCurrent = "call.current"

// OriginatorKey is the call variable naming the extension that asked for
// a click-to-dial (the call control sets it when it originates).
const OriginatorKey = "cti.agent"

// Kinds of an agent's current call and of a pop (Pop.Kind).
const (
	// KindQueue: a queue offered the call and the agent answered it.
	KindQueue = "queue"
	// KindTransfer: another agent handed the call over.
	KindTransfer = "transfer"
	// KindOutbound: the agent placed the call (click-to-dial).
	KindOutbound = "outbound"
)

// Current is an agent's current call, the data of EventCallCurrent.
type Current struct {
	CallID string    `json:"callId"`
	Agent  string    `json:"agent"`
	Kind   string    `json:"kind"`
	Since  time.Time `json:"since"`
	// Ended: the call is no longer the agent's (it ended or was handed on).
	Ended bool `json:"ended,omitempty"`
}

// OriginateInfo is a click-to-dial the call control has placed.
type OriginateInfo struct {
	CallID string
	// Agent placed the call; "" names the agent at Extension.
	Agent     string
	Extension string
	// Number is the customer's number as dialled.
	Number string
}

// Originated makes a click-to-dial the agent's current call: the call's
// history entry names the agent, the agent may wrap it up like a queue
// call, and a pop of kind KindOutbound (EventCallOffered) shows the
// dialled customer's record, looked up by number. It returns at once; the
// pop follows when the lookup answers or Config.PopTimeout passes. A call
// that has ended already, or with no agent to name, gets no pop.
func (h *Hub) Originated(o OriginateInfo) {
	if o.Agent == "" {
		o.Agent = h.agentOfExtension(o.Extension)
	}
	if o.Agent == "" || o.CallID == "" {
		return
	}
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	c := h.calls[o.CallID]
	if c == nil {
		c = &call{rec: acd.CallRecord{ID: o.CallID, Dialed: o.Number, Direction: acd.DirectionOut}}
		h.calls[o.CallID] = c
	}
	if c.ended || c.outbound != "" {
		h.mu.Unlock()
		return
	}
	c.outbound = o.Agent
	if c.handler == "" {
		c.handler = o.Agent
	}
	cur := h.setCurrent(o.Agent, o.CallID, KindOutbound)
	offer := OfferInfo{CallID: o.CallID, Agent: o.Agent, Extension: o.Extension, Caller: acd.Party{Number: o.Number},
		Data: map[string]string{}, Kind: KindOutbound}
	h.wg.Go(func() { h.Offered(h.base, offer) })
	h.mu.Unlock()
	h.publish(EventCallCurrent, o.Agent, cur)
}

// adoptOriginated follows a click-to-dial the hub was not told of
// (another part of the box originated it): the extension in the call's
// OriginatorKey names the agent. On answer the call gets the agent's pop;
// on the end only the history entry's agent.
func (h *Hub) adoptOriginated(rec acd.CallRecord, ended bool) {
	ext := rec.Data[OriginatorKey]
	if ext == "" {
		return
	}
	h.mu.Lock()
	c := h.calls[rec.ID]
	known := c != nil && (c.outbound != "" || c.handler != "")
	h.mu.Unlock()
	if known || rec.Agent != "" {
		return
	}
	agent := h.agentOfExtension(ext)
	if agent == "" {
		return
	}
	if !ended {
		h.Originated(OriginateInfo{CallID: rec.ID, Agent: agent, Extension: ext, Number: rec.Dialed})
		return
	}
	h.mu.Lock()
	if c := h.calls[rec.ID]; c != nil && c.handler == "" {
		c.handler = agent
	}
	h.mu.Unlock()
}

// agentOfExtension names the agent logged in at ext, else the one agent
// whose stored extension it is (click-to-dial needs no queue login).
func (h *Hub) agentOfExtension(ext string) string {
	if ext == "" {
		return ""
	}
	if id, ok := h.agentAt(ext); ok {
		return id
	}
	var id string
	n := 0
	err := store.ListFunc(h.st, "", func(a store.Agent) bool {
		if a.Extension == ext {
			id = a.ID
			n++
		}
		return n < 2
	})
	if err != nil || n != 1 {
		return ""
	}
	return id
}

// setCurrent makes callID the agent's current call and returns it. Call
// with h.mu held.
func (h *Hub) setCurrent(agent, callID, kind string) Current {
	if cur, ok := h.current[agent]; ok && cur.CallID == callID {
		return cur
	}
	cur := Current{CallID: callID, Agent: agent, Kind: kind, Since: h.now()}
	h.current[agent] = cur
	return cur
}

// dropCurrent forgets callID as the current call of every agent but
// keep and returns what it forgot. Call with h.mu held.
func (h *Hub) dropCurrent(callID, keep string) []Current {
	var out []Current
	for a, cur := range h.current {
		if cur.CallID == callID && a != keep {
			delete(h.current, a)
			cur.Ended = true
			out = append(out, cur)
		}
	}
	return out
}

// publishCurrent sends each change of a current call to its agent.
func (h *Hub) publishCurrent(list []Current) {
	for _, cur := range list {
		h.publish(EventCallCurrent, cur.Agent, cur)
	}
}

// CurrentCall returns the call an agent has now, as far as the hub
// knows: the queue call they answered, the call handed to them, or the
// call they placed, until it ends or they hand it on. A console that
// reloads finds its call here, also one the queue does not know of.
func (h *Hub) CurrentCall(ctx context.Context, agent string) (Current, bool) {
	if ctx.Err() != nil {
		return Current{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cur, ok := h.current[agent]
	return cur, ok
}

// messageAudience are the agents an inbound message that nobody holds
// goes to at once: those logged in who are members of its queue (every
// member when none is logged in, so the inbox of whoever logs in first is
// current), or every logged-in agent when it has no queue.
func (h *Hub) messageAudience(queue string) []string {
	h.mu.Lock()
	in := make([]string, 0, len(h.loggedIn))
	for a, on := range h.loggedIn {
		if on {
			in = append(in, a)
		}
	}
	h.mu.Unlock()
	slices.Sort(in)
	if queue == "" {
		return in
	}
	q, err := store.Get[store.Queue](h.st, queue)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.Warn("cti: message queue", "queue", queue, "err", err)
		}
		return in
	}
	var members, on []string
	for _, m := range q.Members {
		members = append(members, m.Agent)
		if slices.Contains(in, m.Agent) {
			on = append(on, m.Agent)
		}
	}
	if len(on) > 0 {
		return on
	}
	return members
}
