package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
	"callbox/media/tone"
)

// cbRings tracks the agents being rung for callbacks, so a Cancel from
// the dispatcher stops the right phone.
type cbRings struct {
	mu sync.Mutex
	m  map[[2]string]*cbRing
}

type cbRing struct {
	cancel    context.CancelFunc
	withdrawn bool
}

// serveCallbacks carries out the actions of callbacks (and of callers
// whose wait has ended): it rings the agent for a callback's preview and,
// once they answer, dials the customer and bridges them.
func (l *Live) serveCallbacks(ctx context.Context) {
	rings := &cbRings{m: map[[2]string]*cbRing{}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.cbq.wake:
		}
		for a, ok := l.cbq.take(); ok; a, ok = l.cbq.take() {
			switch a := a.(type) {
			case Offer:
				if a.Callback == nil {
					// A caller who just stopped waiting: the dispatcher
					// withdraws the offer by itself at RingFor.
					continue
				}
				rctx, cancel := context.WithCancel(ctx)
				r := &cbRing{cancel: cancel}
				k := [2]string{a.CallID, a.AgentID}
				rings.mu.Lock()
				if old, ok := rings.m[k]; ok {
					old.withdrawn = true
					old.cancel()
				}
				rings.m[k] = r
				rings.mu.Unlock()
				if !l.spawn(func() {
					defer cancel()
					l.callback(ctx, rctx, a, rings, r)
				}) {
					cancel()
				}
			case Cancel:
				k := [2]string{a.CallID, a.AgentID}
				rings.mu.Lock()
				if r, ok := rings.m[k]; ok {
					r.withdrawn = true
					r.cancel()
					delete(rings.m, k)
				}
				rings.mu.Unlock()
			}
			// Dial actions are carried out by the goroutine that reported
			// the agent's answer (callback), which holds the agent's leg.
		}
	}
}

// callback runs one offer of a callback: the agent's phone rings showing
// the customer (the preview); when the agent answers, the customer is
// dialled and the two are bridged. Every outcome is reported to the
// dispatcher, which saves it and schedules retries.
func (l *Live) callback(ctx, rctx context.Context, o Offer, rings *cbRings, r *cbRing) {
	rec := o.Callback
	k := [2]string{o.CallID, o.AgentID}
	name := rec.CallerName
	if name == "" {
		name = "Callback"
	}
	ringCtx, stop := context.WithTimeout(rctx, o.RingFor+time.Second)
	party := l.announceOffer(ringCtx, OfferNotice{CallID: o.CallID, Agent: o.AgentID, Extension: o.Extension,
		Queue: o.Queue, Caller: acd.Party{Number: rec.Number, Name: name}, Waited: l.now().Sub(rec.Joined), Callback: true})
	leg, err := l.dial(ringCtx, o.Extension, party, nil)
	stop()
	rings.mu.Lock()
	withdrawn := r.withdrawn
	if rings.m[k] == r {
		delete(rings.m, k)
	}
	rings.mu.Unlock()
	if withdrawn {
		if leg != nil {
			_ = leg.Hangup(acd.CauseNormalClearing)
		}
		return
	}
	if err != nil {
		report := l.d.NoAnswer
		if rejected(err) {
			report = l.d.Rejected
		}
		if rerr := report(o.CallID, o.AgentID); rerr != nil && !errors.Is(rerr, ErrNoOffer) {
			l.log.Warn("queue: callback preview miss", "callback", o.CallID, "agent", o.AgentID, "err", rerr)
		}
		return
	}
	if err := l.d.Answered(o.CallID, o.AgentID); err != nil {
		_ = leg.Hangup(acd.CauseNormalClearing)
		return
	}
	// The agent is on the line: call the customer while they wait. If the
	// agent hangs up first, the attempt fails and the callback keeps its
	// place for a retry.
	dctx, cancel := context.WithCancel(ctx)
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-leg.Done():
			cancel()
		case <-dctx.Done():
		}
	})
	defer func() { cancel(); watch.Wait() }()
	var cust acd.Leg
	var derr error
	if l.dialOut == nil {
		derr = wrapf(ErrNoRoute, "queue: no outbound dialler for callbacks")
	} else {
		stopRingback := l.ringback(dctx, leg)
		cust, derr = l.dialOut(dctx, rec.Number, acd.Party{Name: o.Queue})
		stopRingback()
	}
	outcome := outcomeOf(derr)
	if derr == nil && dctx.Err() != nil {
		_ = cust.Hangup(acd.CauseNormalClearing)
		outcome = OutcomeFailed
	}
	bg := context.WithoutCancel(ctx)
	if err := l.d.CallbackResult(bg, o.CallID, outcome); err != nil {
		l.log.Warn("queue: callback result", "callback", o.CallID, "outcome", outcome, "err", err)
	}
	if outcome != OutcomeConnected {
		_ = leg.Hangup(acd.CauseNormalClearing)
		if cust != nil {
			_ = cust.Hangup(acd.CauseNormalClearing)
		}
		return
	}
	l.bridgeLegs(dctx, o.CallID, o.AgentID, o.Queue, leg, cust)
	if err := l.d.Hangup(bg, o.CallID); err != nil {
		l.log.Warn("queue: callback hangup report", "callback", o.CallID, "err", err)
	}
}

// outcomeOf reads a dial failure as a callback outcome.
func outcomeOf(err error) CallbackOutcome {
	if err == nil {
		return OutcomeConnected
	}
	c, _ := acd.CauseOf(err)
	switch c {
	case acd.CauseUserBusy:
		return OutcomeBusy
	case acd.CauseNoAnswer, acd.CauseNoUserResponding, acd.CauseSubscriberAbsent:
		return OutcomeNoAnswer
	case acd.CauseUnallocatedNumber, acd.CauseInvalidNumberFormat:
		return OutcomeInvalid
	}
	return OutcomeFailed
}

// ringback lets the agent hear the customer's phone ring while a
// callback is dialled, in the tones of the site's country; stop ends it
// and waits.
func (l *Live) ringback(ctx context.Context, leg acd.Leg) (stop func()) {
	ep := leg.Media()
	if ep == nil {
		return func() {}
	}
	country := "cn"
	if l.st != nil {
		if set, err := store.GetSettings(l.st); err == nil && set.Country != "" {
			country = set.Country
		}
	}
	g, err := tone.New(country, tone.Ringback)
	if err != nil {
		return func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = l.pacer.Play(pctx, g, ep.Writer()) })
	return func() { cancel(); wg.Wait() }
}
