package b2bua

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"callbox/acd"
	"callbox/firmware/store"
)

// ErrNothingToPickUp is returned (inside an acd.CauseError) by Pickup
// when no call rings the target.
var ErrNothingToPickUp = errors.New("b2bua: no call ringing to pick up")

// ringing is a call ringing an extension that another phone may pick up.
type ringing struct {
	ext   string
	group string
	call  *acd.Call
	pick  chan pickRequest
	gone  chan struct{} // closed when the ringing stops
}

// pickRequest offers the picking phone's leg; ok tells whether it won.
type pickRequest struct {
	leg acd.Leg
	by  string
	ok  chan bool
}

// ringPickable rings extension e for c's caller (Dial) while the call
// may be picked up: directed by extension, or from e's pickup group.
func (b *B2BUA) ringPickable(ctx context.Context, c *acd.Call, e store.Extension, caller acd.Party) (acd.Leg, error) {
	rg := &ringing{ext: e.Number, group: e.PickupGroup, call: c, pick: make(chan pickRequest), gone: make(chan struct{})}
	b.mu.Lock()
	b.ringing = append(b.ringing, rg)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.ringing = slices.DeleteFunc(b.ringing, func(x *ringing) bool { return x == rg })
		b.mu.Unlock()
		close(rg.gone)
	}()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		leg acd.Leg
		err error
	}
	res := make(chan result, 1)
	go func() {
		l, err := b.Dial(dctx, e.Number, caller, c.Caller())
		res <- result{l, err}
	}()
	select {
	case r := <-res:
		return r.leg, r.err
	case p := <-rg.pick:
		cancel()
		r := <-res
		if r.err == nil {
			// A device answered at the same moment: it wins.
			p.ok <- false
			return r.leg, nil
		}
		p.ok <- true
		c.AddRoute("pickup:" + p.by)
		return p.leg, nil
	}
}

// Pickup answers, from call c, a call ringing another extension: target
// is that extension (directed pickup, e.g. feature code *8 + 201), or ""
// for any call ringing an extension of the pickup group of c's caller
// (store.Extension.PickupGroup). c's caller is answered and connected
// to the ringing call's caller; Pickup blocks until that conversation
// ends, so the router returns from c's handler only then. When nothing
// rings it fails with an acd.CauseError wrapping ErrNothingToPickUp.
func (b *B2BUA) Pickup(ctx context.Context, c *acd.Call, target string) error {
	picker := c.Caller()
	me := picker.Caller()
	group := ""
	if target == "" {
		e, err := b.extension(me.Via)
		if err != nil || e.PickupGroup == "" {
			return &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("%w: %s is in no pickup group", ErrNothingToPickUp, me.Via)}
		}
		group = e.PickupGroup
	}
	b.mu.Lock()
	var cands []*ringing
	for _, rg := range b.ringing {
		switch {
		case rg.call == c || rg.ext == me.Via:
		case target != "" && rg.ext == target, target == "" && rg.group == group:
			cands = append(cands, rg)
		}
	}
	b.mu.Unlock()
	for _, rg := range cands {
		req := pickRequest{leg: picker, by: me.Via, ok: make(chan bool, 1)}
		select {
		case rg.pick <- req:
			if !<-req.ok {
				continue
			}
		case <-rg.gone:
			continue
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		c.AddRoute("pickup:" + rg.ext)
		// Answered only now, so a phone with nothing to pick up hears a
		// refusal, not a call that hangs up.
		if err := c.Answer(ctx); err != nil {
			return err
		}
		// The picked call's bridge now holds the picker's leg and hangs
		// it up when that call ends.
		select {
		case <-picker.Done():
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return &acd.CauseError{Cause: acd.CauseNoAnswer, Err: ErrNothingToPickUp}
}
