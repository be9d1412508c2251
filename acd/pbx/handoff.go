package pbx

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"callbox/acd"
	"callbox/acd/dialplan"
)

// QueueReach asks a queue for its best free agent for a call that is
// connected elsewhere already (an agent consults the queue or hands the
// call to it).
type QueueReach struct {
	// Queue is the queue's name.
	Queue string
	// Call is the customer's call: the agent's phone and screen pop show
	// its caller and data.
	Call *acd.Call
	// CallerLeg hears the agent's early media while they ring; nil: none.
	CallerLeg acd.Leg
	// Ringing is told each agent the queue rings, with their extension.
	Ringing func(agent, ext string)
}

// QueueReacher rings a queue's agents as QueueReach asks and returns
// the answered leg unbridged, with the agent's ID and extension
// (queue.Live.Reach fits through a small adapter in the firmware).
type QueueReacher func(ctx context.Context, r QueueReach) (leg acd.Leg, agent, ext string, err error)

// queuePrefix starts a target that names a queue.
const queuePrefix = "queue:"

// QueueTarget returns the queue a target names ("queue:NAME"), if it
// names one.
func QueueTarget(target string) (string, bool) {
	name, ok := strings.CutPrefix(target, queuePrefix)
	if !ok || strings.TrimSpace(name) == "" {
		return "", false
	}
	return name, true
}

// handoff is one transfer of a call as the bus hears of it: each stage
// goes out as an acd.CallHandoff with what is known by then.
type handoff struct {
	call   *acd.Call
	kind   acd.HandoffKind
	from   acd.Party
	target string

	mu        sync.Mutex
	ext, agnt string // the extension rung (and the agent a queue picked)
}

func newHandoff(call *acd.Call, kind acd.HandoffKind, from acd.Party, target string) *handoff {
	return &handoff{call: call, kind: kind, from: from, target: target}
}

// at records the extension (and agent) now rung or reached.
func (h *handoff) at(agent, ext string) {
	h.mu.Lock()
	h.agnt, h.ext = agent, ext
	h.mu.Unlock()
}

// agent is the queue agent reached, if any.
func (h *handoff) agent() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.agnt
}

// publish sends one stage.
func (h *handoff) publish(stage acd.HandoffStage) {
	h.mu.Lock()
	ext, agent := h.ext, h.agnt
	h.mu.Unlock()
	h.call.Handoff(acd.CallHandoff{Kind: h.kind, Stage: stage, From: h.from, Target: h.target,
		Extension: ext, Agent: agent})
}

// ended publishes how a reach that did not connect ended: cancelled when
// ctx ended first (the agent cancelled or a party hung up), failed when
// the target could not be reached.
func (h *handoff) ended(ctx context.Context) {
	if ctx.Err() != nil {
		h.publish(acd.HandoffCancelled)
		return
	}
	h.publish(acd.HandoffFailed)
}

// reach rings target for call, presenting caller (to an extension or a
// number; a queue's agent sees the customer), and returns the answered
// leg. It publishes the ringing stage of h: at once for an extension
// or a number, for each agent rung for a queue.
func (c *Control) reach(ctx context.Context, call *acd.Call, h *handoff, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error) {
	name, ok := QueueTarget(h.target)
	if !ok {
		name, ok = c.router.queueNumber(caller, h.target)
	}
	if ok {
		rq := c.router.cfg.ReachQueue
		if rq == nil {
			return nil, &acd.CauseError{Cause: acd.CauseServiceNotImplemented, Err: fmt.Errorf("%w: queue targets", errUnwired)}
		}
		leg, agent, ext, err := rq(ctx, QueueReach{Queue: name, Call: call, CallerLeg: callerLeg,
			Ringing: func(agent, ext string) {
				h.at(agent, ext)
				h.publish(acd.HandoffRinging)
			}})
		if err != nil {
			return nil, err
		}
		h.at(agent, ext)
		return leg, nil
	}
	h.at("", c.router.extensionOf(caller, h.target))
	h.publish(acd.HandoffRinging)
	return c.router.Reach(ctx, h.target, caller, callerLeg)
}

// extensionOf is the extension number reaches when the site dials it
// for caller, "" for an outside number or a number that goes nowhere.
func (r *Router) extensionOf(caller acd.Party, number string) string {
	return extensionIn(r.cfg.Plan(), caller, number)
}

func extensionIn(plan *dialplan.Plan, caller acd.Party, number string) string {
	if plan == nil {
		return ""
	}
	via := ""
	if caller.Source == acd.SourceExtension {
		via = caller.Via
	}
	d := plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Via: via, Caller: via, Dialed: number})
	if d.Action == dialplan.ActionExtension {
		return d.Target.Value
	}
	return ""
}

// queueNumber returns the queue a number dialled by the site reaches
// when it is no extension and no outside number: the number an inbound
// route sends to a queue by the dialled number (a DID, a queue's own
// Number). A route that would take any number (by line or caller only)
// does not count, so a mistyped number is not sent to a queue.
func (r *Router) queueNumber(caller acd.Party, number string) (string, bool) {
	plan := r.cfg.Plan()
	if plan == nil || number == "" {
		return "", false
	}
	via := ""
	if caller.Source == acd.SourceExtension {
		via = caller.Via
	}
	switch plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Via: via, Caller: via, Dialed: number}).Action {
	case dialplan.ActionExtension, dialplan.ActionOutbound, dialplan.ActionEmergency, dialplan.ActionFeature:
		return "", false
	}
	d := plan.Decide(dialplan.Facts{Source: acd.SourceTrunk, Dialed: number})
	if d.Action != dialplan.ActionInbound || d.Target.Kind != dialplan.TargetQueue {
		return "", false
	}
	// "#" is no number a DID pattern names: a route that takes it takes
	// any number.
	if any := plan.Decide(dialplan.Facts{Source: acd.SourceTrunk, Dialed: "#"}); any.Rule == d.Rule {
		return "", false
	}
	return d.Target.Value, true
}

// PhoneTransfer is how a phone's blind transfer (SIP REFER) reaches its
// target for party, the transferee (b2bua.TransferFunc).
type PhoneTransfer func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error)

// PublishHandoffs wraps a phone's blind transfer so that its stages go
// on the bus as acd.CallHandoff like those of the API's transfers:
// ringing (naming the extension when plan dials one), then completed
// once the target answered (the switch puts it in the transferor's
// place at once), or failed, or cancelled when the transferee hung up.
// From is the transferee's other party, the phone that transferred.
func PublishHandoffs(plan func() *dialplan.Plan, f PhoneTransfer) PhoneTransfer {
	return func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error) {
		from := transferor(c, party)
		h := newHandoff(c, acd.HandoffBlind, from, target)
		h.at("", extensionIn(plan(), from, target))
		h.publish(acd.HandoffRinging)
		leg, err := f(ctx, c, target, party)
		if err != nil {
			h.ended(ctx)
			return nil, err
		}
		h.publish(acd.HandoffCompleted)
		return leg, nil
	}
}

// transferor is who party (the transferee, maybe wrapped: the B2BUA
// hands it on without its media) talks to in c: the phone that
// transferred.
func transferor(c *acd.Call, party acd.Leg) acd.Party {
	for _, l := range c.Legs() {
		if l.ID() != party.ID() {
			continue
		}
		if peers := c.Peers(l); len(peers) > 0 {
			return peers[0].Caller()
		}
	}
	return acd.Party{}
}
