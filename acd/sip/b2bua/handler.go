package b2bua

import (
	"context"
	"fmt"

	"callbox/acd"
	"callbox/acd/dialplan"
)

// Handle is an acd.Handler for calls between extensions: it routes the
// call with the dialplan, rings the extension (following its forwarding
// and do-not-disturb settings) and bridges the caller to the device that
// answers. Calls the dialplan sends elsewhere go to the fallback handler
// (WithFallback), or are refused with "no route".
func (b *B2BUA) Handle(ctx context.Context, c *acd.Call) error {
	d := b.decide(c)
	switch {
	case d.Action == dialplan.ActionExtension,
		d.Action == dialplan.ActionInbound && d.Target.Kind == dialplan.TargetExtension:
		return b.RingExtension(ctx, c, d.Target.Value)
	case d.Action == dialplan.ActionReject:
		c.AddRoute("reject:" + d.Rule)
		return acd.Reject(d.Cause)
	case b.fallback != nil:
		return b.fallback(ctx, c)
	}
	return &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("no handler for %s", d.Rule)}
}

// decide asks the current dialplan; without one, a dialled extension
// that exists is rung and anything else goes to the fallback handler, or
// is an unallocated number without one.
func (b *B2BUA) decide(c *acd.Call) dialplan.Decision {
	p := c.Caller().Caller()
	if b.plan != nil {
		if plan := b.plan(); plan != nil {
			return plan.Decide(dialplan.Facts{Source: p.Source, Via: p.Via, Caller: p.Number, Dialed: c.Dialed()})
		}
	}
	if _, err := b.extension(c.Dialed()); err == nil {
		return dialplan.Decision{Action: dialplan.ActionExtension, Rule: "extension",
			Target: dialplan.Target{Kind: dialplan.TargetExtension, Value: c.Dialed()}}
	}
	if b.fallback != nil {
		return dialplan.Decision{Rule: "fallback"} // the router decides
	}
	return dialplan.Decision{Action: dialplan.ActionReject, Rule: "no-route", Cause: acd.CauseUnallocatedNumber}
}

// RingExtension rings extension ext for the call's caller and bridges
// them; it returns when the bridge ends (see acd.Call.Bridge). It honours
// the extension's settings: ForwardAlways before ringing,
// do-not-disturb as busy, ForwardBusy when busy, ForwardNoAnswer when
// unanswered or not registered. Forwarding follows extensions only, at
// most Config.MaxForwards hops and never in a loop.
func (b *B2BUA) RingExtension(ctx context.Context, c *acd.Call, ext string) error {
	caller := c.Caller().Caller()
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		if hop > b.cfg.MaxForwards || seen[ext] {
			return &acd.CauseError{Cause: acd.CauseExchangeRoutingError, Err: fmt.Errorf("forwarding loop at %s", ext)}
		}
		seen[ext] = true
		c.AddRoute("ext:" + ext)
		e, err := b.extension(ext)
		if err != nil {
			return err
		}
		if e.ForwardAlways != "" {
			ext = e.ForwardAlways
			continue
		}
		var leg acd.Leg
		if e.DND {
			err = &acd.CauseError{Cause: acd.CauseUserBusy, Err: fmt.Errorf("extension %s: do not disturb", ext)}
		} else {
			leg, err = b.ringPickable(ctx, c, e, caller)
		}
		if err == nil {
			return c.Bridge(ctx, leg)
		}
		cause, _ := acd.CauseOf(err)
		next := ""
		switch cause {
		case acd.CauseUserBusy:
			next = e.ForwardBusy
		case acd.CauseNoAnswer, acd.CauseNoUserResponding, acd.CauseSubscriberAbsent:
			next = e.ForwardNoAnswer
		}
		if next == "" {
			return err
		}
		ext = next
	}
}
