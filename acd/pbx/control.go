package pbx

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"callbox/acd"
)

// ErrUnknownCall is returned by Control for a call ID the switch does
// not hold.
var ErrUnknownCall = errors.New("pbx: unknown call")

// ErrNoPeer is returned by Control for a call with nobody connected to
// the caller (still in the IVR or a queue).
var ErrNoPeer = errors.New("pbx: the call has no connected party")

// Control is call control for the CTI API: click-to-dial, hang-up, hold,
// blind transfer and conference on the switch's calls. Numbers are
// reached as the site dials them (Router.Reach).
type Control struct {
	sw     *acd.Switch
	router *Router
	dial   func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)
	// display names a number for a phone's screen (nil: the party's own
	// name).
	display func(ctx context.Context, number string) string

	mu       sync.Mutex
	consults map[string]*consult // by call ID
	wg       sync.WaitGroup      // consultation watchers (Close waits)
}

// NewControl makes call control over sw; dial rings an extension
// (b2bua.B2BUA.Dial).
func NewControl(sw *acd.Switch, r *Router,
	dial func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)) *Control {
	return &Control{sw: sw, router: r, dial: dial}
}

// Originate rings extension ext, showing number, and once it answers
// hands its leg to the switch as a call from ext to number: the router
// then places the call as if ext had dialled it. It blocks while ext
// rings and returns the new call's ID.
func (c *Control) Originate(ctx context.Context, ext, number string) (string, error) {
	leg, err := c.dial(ctx, ext, acd.Party{Number: number, Name: number}, nil)
	if err != nil {
		return "", err
	}
	call, err := c.sw.Accept(leg, number)
	if err != nil {
		_ = leg.Hangup(acd.CauseSwitchingCongestion)
		return "", err
	}
	call.Set(agentKey, ext)
	return call.ID(), nil
}

// SetDisplayName sets how a blind transfer's target phone names the
// customer handed on (a directory lookup, cti.Hub.DisplayName); "" keeps
// the caller's own name. Call it before calls are controlled.
func (c *Control) SetDisplayName(fn func(ctx context.Context, number string) string) { c.display = fn }

// shown is party as a target's phone should show it.
func (c *Control) shown(ctx context.Context, party acd.Party) acd.Party {
	if c.display != nil && party.Number != "" {
		if name := c.display(ctx, party.Number); name != "" {
			party.Name = name
		}
	}
	return party
}

func (c *Control) call(id string) (*acd.Call, error) {
	call, ok := c.sw.Call(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCall, id)
	}
	return call, nil
}

// agentKey is the call variable naming the extension a click-to-dial
// came from.
const agentKey = "cti.agent"

// agentLeg is the party the box acts for (the agent's phone): the
// extension that placed a click-to-dial; else, of a two-party call, the party connected to the caller when it is a phone
// (a queue call, an extension called), else the caller when it is a
// phone (click-to-dial, an extension dialling out), else the connected
// party.
func agentLeg(call *acd.Call) (acd.Leg, error) {
	caller := call.Caller()
	peers := call.Peers(caller)
	if len(peers) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoPeer, call.ID())
	}
	if ext, ok := call.Get(agentKey); ok {
		// Click-to-dial: the extension that asked is the agent, also
		// when it called another extension.
		for _, l := range append([]acd.Leg{caller}, peers...) {
			if p := l.Caller(); p.Source == acd.SourceExtension && (p.Number == ext || p.Via == ext) {
				return l, nil
			}
		}
	}
	p := peers[len(peers)-1]
	if len(peers) == 1 && p.Caller().Source != acd.SourceExtension && caller.Caller().Source == acd.SourceExtension {
		return caller, nil
	}
	return p, nil
}

// Hangup ends the call: the caller's leg is hung up and the switch
// clears the rest.
func (c *Control) Hangup(_ context.Context, id string) error {
	call, err := c.call(id)
	if err != nil {
		return err
	}
	return call.Caller().Hangup(acd.CauseNormalClearing)
}

// Hold puts the customer on hold for the agent (see agentLeg): they hear
// the switch's music instead of the agent, and the agent hears nothing;
// on false it takes them off it.
func (c *Control) Hold(_ context.Context, id string, on bool) error {
	call, err := c.call(id)
	if err != nil {
		return err
	}
	if err := c.consulting(id); err != nil {
		return err
	}
	p, err := agentLeg(call)
	if err != nil {
		return err
	}
	return call.Hold(p, on)
}

// Transfer sends the customer to target (an extension, a number or
// "queue:NAME"): the agent's leg (see agentLeg) leaves, the customer
// hears music while target rings, and target takes the agent's place
// once it answers. When target cannot be reached the customer stays
// with the agent.
//
// A queue is reached through Config.ReachQueue, as a commercial ACD's
// transfer to a queue works: the customer holds while the queue offers
// the call to its best free agent (ahead of the customers waiting
// there, since this one has waited once already), showing the customer
// on that agent's phone and screen; the agent handing on may hang up at
// once and goes to wrap-up, and the call is the new agent's (CDR agent,
// wrap-up when they hang up). Transfer returns once an agent answers or
// the queue gives up. Every stage goes on the bus as an acd.CallHandoff.
// When the queue gives up (no answer within its max wait, the queue
// removed, nobody logged in to a queue that refuses callers then) and
// the agent handing on is still there, they get the customer back and
// Transfer returns the queue's error. The customer is never dropped
// otherwise: if the agent hung up meanwhile, or the queue has nobody to
// ring but takes callers (ErrQueueWaitsOnly), the failed stage goes out,
// the agent's leg ends and the customer waits in the queue like any
// caller, ahead of those there (Config.Requeue); Transfer returns nil.
func (c *Control) Transfer(ctx context.Context, id, target string) error {
	call, err := c.call(id)
	if err != nil {
		return err
	}
	if err := c.consulting(id); err != nil {
		return err
	}
	p, err := agentLeg(call)
	if err != nil {
		return err
	}
	resume, err := call.Park(p)
	if err != nil {
		return err
	}
	// The target sees who is handed on: the agent's other party.
	party := call.Caller()
	if party == p {
		if ps := call.Peers(p); len(ps) > 0 {
			party = ps[0]
		}
	}
	h := newHandoff(call, acd.HandoffBlind, p.Caller(), target)
	// The ringing stops when the party handed on hangs up (a queue may
	// take long); the transferring agent may hang up meanwhile.
	rctx, cancel := context.WithCancel(ctx)
	quit := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		if anyDone([]<-chan struct{}{party.Done()}, quit, rctx.Done()) {
			cancel()
		}
	})
	// No early media: the party hears the bridge's music meanwhile.
	leg, err := c.reach(rctx, call, h, c.shown(ctx, party.Caller()), nil)
	close(quit)
	watch.Wait()
	if err != nil {
		h.ended(rctx)
		cancel()
		// An agent who hung up meanwhile cannot take the customer back,
		// and a queue with only its waiting line takes them as it takes
		// callers: the customer waits there (the handler takes them once
		// resume ends the bridge), and the agent's part is done.
		if _, requeued := c.requeue(call, p, party, target, err); requeued {
			_ = p.Hangup(acd.CauseNormalClearing)
			resume()
			return nil
		}
		resume()
		return err
	}
	cancel()
	call.AddRoute("transfer:" + target)
	if err := call.Replace(p, leg); err != nil {
		_ = leg.Hangup(acd.CauseNormalClearing)
		resume()
		h.publish(acd.HandoffFailed)
		return err
	}
	// A queue's agent takes the call over: it is theirs from now on.
	if a := h.agent(); a != "" {
		call.SetAgent(a)
	}
	h.publish(acd.HandoffCompleted)
	return nil
}

// Conference reaches target and adds it to the call: everyone hears
// everyone else.
func (c *Control) Conference(ctx context.Context, id, target string) error {
	call, err := c.call(id)
	if err != nil {
		return err
	}
	leg, err := c.router.Reach(ctx, target, call.Caller().Caller(), nil)
	if err != nil {
		return err
	}
	call.AddRoute("conference:" + target)
	if err := call.Conference(ctx, leg); err != nil {
		_ = leg.Hangup(acd.CauseNormalClearing)
		return err
	}
	return nil
}
