package pbx

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"callbox/acd"
	"callbox/acd/dialplan"
)

// Errors of the consultative transfer.
var (
	// ErrConsulting: the call has a consultation going; finish it first.
	ErrConsulting = errors.New("pbx: a consultation is in progress")
	// ErrNoConsult: the call has no consultation to complete or cancel
	// (or its target is still ringing, for Complete).
	ErrNoConsult = errors.New("pbx: no consultation in progress")
)

// consult is one consultative transfer: the agent's leg parked in the
// customer's call (the customer hears music) and talking to the target
// through relays outside the bridge, until Complete puts the target in
// the agent's place or Cancel gives the agent back to the customer.
type consult struct {
	call   *acd.Call
	agent  acd.Leg
	target string
	h      *handoff           // its stages, for the bus
	cancel context.CancelFunc // stops the target's ringing
	over   chan struct{}      // closed when the consultation has ended

	mu     sync.Mutex
	resume func() // unparks the agent
	abort  bool   // CancelConsult came while the target rang
	leg    acd.Leg
	stops  []func()
	ended  bool
}

// Dialable reports whether number is a number the site's extensions may
// dial by plan: an extension or an outside number with an outbound
// route (not a feature code, not refused). Callbacks are checked with it.
func Dialable(plan *dialplan.Plan, number string) bool {
	if plan == nil {
		return false
	}
	d := plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Dialed: number})
	return d.Action == dialplan.ActionExtension || d.Action == dialplan.ActionOutbound
}

// Consult starts a consultative transfer on call id: the agent's party
// is taken off the customer (who hears music) and target is reached as
// the site dials it, presenting the agent. It blocks while target rings;
// once target answers, the agent's phone talks to target and Consult
// returns nil. When target cannot be reached (or CancelConsult stops
// the ringing) the agent is given back to the customer and the error
// says why. target may be "queue:NAME": the queue's best free agent is
// rung (Config.ReachQueue), seeing the customer's call.
//
// While the consultation lasts: the agent hanging up completes the
// transfer (as on a desk phone), the target hanging up gives the agent
// back to the customer, and the customer hanging up ends it all.
func (c *Control) Consult(ctx context.Context, id, target string) error {
	call, err := c.call(id)
	if err != nil {
		return err
	}
	agent, err := agentLeg(call)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	k := &consult{call: call, agent: agent, target: target, cancel: cancel, over: make(chan struct{}),
		h: newHandoff(call, acd.HandoffConsult, agent.Caller(), target)}
	if !c.begin(id, k) {
		cancel()
		return fmt.Errorf("%w: %s", ErrConsulting, id)
	}
	resume, err := call.Park(agent)
	if err != nil {
		cancel()
		c.forget(id, k)
		return err
	}
	k.resume = resume
	// The ringing stops when the agent or the customer hangs up.
	stopWatch := c.watchRinging(rctx, cancel, call, agent)
	leg, err := c.reach(rctx, call, k.h, agent.Caller(), partyOnly{agent})
	stopWatch()
	if err != nil {
		k.h.ended(rctx)
	}
	cancel()
	if err != nil {
		k.finish(func() { k.resume() })
		c.forget(id, k)
		return err
	}
	k.mu.Lock()
	if k.abort {
		k.mu.Unlock()
		_ = leg.Hangup(acd.CauseNormalClearing)
		k.h.publish(acd.HandoffCancelled)
		k.finish(func() { k.resume() })
		c.forget(id, k)
		return fmt.Errorf("%w: %s: cancelled", ErrNoConsult, id)
	}
	k.leg = leg
	if a, b := agent.Media(), leg.Media(); a != nil && b != nil {
		k.stops = append(k.stops, a.RelayTo(b), b.RelayTo(a))
	}
	k.mu.Unlock()
	k.h.publish(acd.HandoffAnswered)
	call.AddRoute("consult:" + target)
	c.wg.Go(func() { c.watchTalk(id, k) })
	return nil
}

// watchRinging cancels the ringing when agent or the call's customer
// hangs up; stop ends the watch and waits for it.
func (c *Control) watchRinging(ctx context.Context, cancel context.CancelFunc, call *acd.Call, agent acd.Leg) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	others := call.Peers(agent)
	wg.Go(func() {
		cases := make([]<-chan struct{}, 0, len(others)+1)
		cases = append(cases, agent.Done())
		for _, o := range others {
			cases = append(cases, o.Done())
		}
		if anyDone(cases, quit, ctx.Done()) {
			cancel()
		}
	})
	return func() { close(quit); wg.Wait() }
}

// anyDone waits for one of cs, or quit, or ctxDone; it reports whether
// one of cs closed.
func anyDone(cs []<-chan struct{}, quit <-chan struct{}, ctxDone <-chan struct{}) bool {
	merged := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, ch := range cs {
		wg.Go(func() {
			select {
			case <-ch:
				once.Do(func() { close(merged) })
			case <-stop:
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	select {
	case <-merged:
		return true
	case <-quit:
	case <-ctxDone:
	}
	return false
}

// watchTalk follows an answered consultation until it ends: the agent's
// hang-up completes it, the target's cancels it, the customer's (the
// call ending) drops the target.
func (c *Control) watchTalk(id string, k *consult) {
	k.mu.Lock()
	leg := k.leg
	k.mu.Unlock()
	select {
	case <-k.over:
	case <-k.agent.Done():
		select {
		case <-k.over: // completed by the API, which hung the agent up
			return
		default:
		}
		if err := c.complete(id, k); err != nil && !errors.Is(err, ErrNoConsult) {
			c.router.log.Info("consultation lost its call", "call_id", id, "err", err)
		}
	case <-leg.Done():
		c.cancelTalk(id, k)
	}
}

// CompleteConsult joins the customer and the consulted target and
// releases the agent's leg (hung up).
func (c *Control) CompleteConsult(_ context.Context, id string) error {
	k, err := c.consultOf(id)
	if err != nil {
		return err
	}
	k.mu.Lock()
	answered := k.leg != nil
	k.mu.Unlock()
	if !answered {
		return fmt.Errorf("%w: %s: %s still rings", ErrNoConsult, id, k.target)
	}
	return c.complete(id, k)
}

func (c *Control) complete(id string, k *consult) error {
	var err error
	done := k.finish(func() {
		k.unrelay()
		if err = k.call.Replace(k.agent, k.leg); err != nil {
			_ = k.leg.Hangup(acd.CauseNormalClearing)
			k.resume()
			k.h.publish(acd.HandoffFailed)
			return
		}
		k.call.AddRoute("transfer:" + k.target)
		// A queue's agent takes the call over: it is theirs from now on.
		if a := k.h.agent(); a != "" {
			k.call.SetAgent(a)
		}
		k.h.publish(acd.HandoffCompleted)
	})
	c.forget(id, k)
	if !done {
		return fmt.Errorf("%w: %s", ErrNoConsult, id)
	}
	return err
}

// CancelConsult ends the consultation: a ringing target is no longer
// rung, an answered one is hung up, and the agent talks to the customer
// again.
func (c *Control) CancelConsult(_ context.Context, id string) error {
	k, err := c.consultOf(id)
	if err != nil {
		return err
	}
	k.mu.Lock()
	ringing := k.leg == nil
	if ringing {
		k.abort = true
	}
	k.mu.Unlock()
	if ringing {
		// Consult itself gives the agent back when its Reach fails.
		k.cancel()
		<-k.over
		return nil
	}
	c.cancelTalk(id, k)
	return nil
}

func (c *Control) cancelTalk(id string, k *consult) {
	k.finish(func() {
		k.unrelay()
		_ = k.leg.Hangup(acd.CauseNormalClearing)
		k.resume()
		k.h.publish(acd.HandoffCancelled)
	})
	c.forget(id, k)
}

// finish runs end once, the first time the consultation ends; it
// reports whether this call ran it.
func (k *consult) finish(end func()) bool {
	k.mu.Lock()
	if k.ended {
		k.mu.Unlock()
		return false
	}
	k.ended = true
	k.mu.Unlock()
	end()
	close(k.over)
	return true
}

// unrelay stops the agent-target relays (before the bridge rewires the
// agent's media or drops it).
func (k *consult) unrelay() {
	k.mu.Lock()
	stops := k.stops
	k.stops = nil
	k.mu.Unlock()
	for _, s := range stops {
		s()
	}
}

func (c *Control) begin(id string, k *consult) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.consults == nil {
		c.consults = map[string]*consult{}
	}
	if c.consults[id] != nil {
		return false
	}
	c.consults[id] = k
	return true
}

func (c *Control) forget(id string, k *consult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.consults[id] == k {
		delete(c.consults, id)
	}
}

func (c *Control) consultOf(id string) (*consult, error) {
	c.mu.Lock()
	k := c.consults[id]
	c.mu.Unlock()
	if k == nil {
		if _, err := c.call(id); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s", ErrNoConsult, id)
	}
	return k, nil
}

// consulting refuses a change to a call while it has a consultation.
func (c *Control) consulting(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.consults[id] != nil {
		return fmt.Errorf("%w: %s", ErrConsulting, id)
	}
	return nil
}

// Close cancels the consultations in progress (their agents go back to
// their customers) and waits for their watchers.
func (c *Control) Close() {
	c.mu.Lock()
	ks := make(map[string]*consult, len(c.consults))
	for id, k := range c.consults {
		ks[id] = k
	}
	c.mu.Unlock()
	for id := range ks {
		_ = c.CancelConsult(context.Background(), id)
	}
	c.wg.Wait()
}

// partyOnly is a leg seen as a party only: the agent while the target
// rings hears the target's early media through it, but its phone is not
// told of ringing again (its call is answered).
type partyOnly struct{ acd.Leg }
