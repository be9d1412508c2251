package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
)

// Target takes a call to a named destination and returns when the call
// is done with it: an extension to ring, a queue, an IVR flow, a mailbox.
type Target func(ctx context.Context, c *acd.Call, name string) error

// GatewayDialer places a call to number over one gateway, named as the
// dialplan names it (a trunk name, a line ID). caller is who to present:
// Number is the caller ID ("" leaves the gateway's own), Via the calling
// extension, if any. callerLeg is the leg being connected (for early
// media). Failures carry a cause (acd.Reject) so that failover knows
// whether to try the next gateway.
type GatewayDialer func(ctx context.Context, name, number string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)

// AgentAction is an agent feature dialled at extension ext; arg is what
// followed the feature code (an agent number, a pause reason), maybe "".
type AgentAction func(ctx context.Context, ext, arg string) error

// Config is what the router reaches. Plan and Ring are required. The
// firmware fills every other field; a router built without one (a unit
// test, a box without that service) refuses calls for it with Q.850
// cause 79, acd.CauseServiceNotImplemented, so the caller hears a clear
// failure rather than silence.
type Config struct {
	// Plan returns the dialplan in force (Plans.Current).
	Plan func() *dialplan.Plan
	// Ring rings an extension and bridges the caller to it, following
	// its forwarding and do-not-disturb (b2bua.B2BUA.RingExtension).
	Ring Target
	// Dial rings an extension and returns the answered leg without
	// bridging it (b2bua.B2BUA.Dial), for Reach; nil refuses extensions
	// there.
	Dial func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)
	// Gateways dial out, by gateway kind.
	Gateways map[dialplan.GatewayKind]GatewayDialer
	// Queue puts the caller in a queue until an agent takes the call.
	Queue Target
	// ReachQueue rings the best free agent of a queue for a call that is
	// connected elsewhere already (queue.Live.Reach): the target
	// "queue:NAME" of Control's consultations and blind transfers. Nil
	// refuses such targets.
	ReachQueue QueueReacher
	// Requeue puts a customer back into a queue's waiting path when a
	// blind transfer to that queue found no agent after the agent handing
	// on had hung up; nil: that customer's call ends.
	Requeue Requeuer
	// Flow runs the published IVR flow of that ID.
	Flow Target
	// Voicemail lets the caller leave a message in a mailbox.
	Voicemail Target
	// HasMailbox tells whether an extension takes messages when it does
	// not answer (store.Extension.Voicemail); nil: never.
	HasMailbox func(ext string) bool
	// Mailbox is the voicemail menu of a mailbox (listen, save, delete).
	Mailbox Target
	// Pickup answers a call ringing at the named extension; "" picks up
	// any call ringing in the caller's pickup group.
	Pickup Target
	// SetDND switches do-not-disturb of an extension. Nil with Store set
	// writes store.Extension.DND.
	SetDND func(ctx context.Context, ext string, on bool) error
	// Agent features of the ACD.
	AgentLogin, AgentLogout, AgentPause, AgentUnpause AgentAction
	// FaxDestination returns, for each inbound call from a line or a
	// trunk, where the call goes when the caller's fax tone (CNG) is
	// heard during the fax window (store.Settings.FaxDestination); nil or
	// "": no fax detection.
	FaxDestination func() string
	// Listen hears the caller beside the call's other readers, for fax
	// detection; nil: no fax detection.
	Listen Listener
	// FaxWindow bounds the listening from the start of the call's
	// handling; 0: DefaultFaxWindow.
	FaxWindow time.Duration
	// Store backs the default SetDND.
	Store  *store.Store
	Logger *slog.Logger
}

// ErrConfig is returned by New for a config without its required parts.
var ErrConfig = errors.New("pbx: bad configuration")

// errUnwired is wrapped when the dialplan sends a call to a service the
// box was built without.
var errUnwired = errors.New("pbx: service not wired")

// Router routes every call: it is the switch's handler.
type Router struct {
	cfg     Config
	log     *slog.Logger
	recalls recalls // customers to put back into a queue (recall.go)
}

// New checks cfg and makes a Router.
func New(cfg Config) (*Router, error) {
	if cfg.Plan == nil || cfg.Ring == nil {
		return nil, fmt.Errorf("%w: Plan and Ring are required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SetDND == nil && cfg.Store != nil {
		st := cfg.Store
		cfg.SetDND = func(_ context.Context, ext string, on bool) error { return storeDND(st, ext, on) }
	}
	return &Router{cfg: cfg, log: cfg.Logger.With("component", "router")}, nil
}

// Decide is the dialplan's decision for a call, as Handle will act on it.
func (r *Router) Decide(c *acd.Call) dialplan.Decision {
	p := c.Caller().Caller()
	plan := r.cfg.Plan()
	if plan == nil {
		return dialplan.Decision{Action: dialplan.ActionReject, Rule: "no-plan", Cause: acd.CauseTemporaryFailure}
	}
	return plan.Decide(dialplan.Facts{Source: p.Source, Via: p.Via, Caller: p.Number, Dialed: c.Dialed()})
}

// handle routes one call as the dialplan decides (Handle).
func (r *Router) handle(ctx context.Context, c *acd.Call) error {
	d := r.decide(ctx, c)
	if d.Action == dialplan.ActionInbound {
		c.AddRoute(d.Rule)
		return r.inbound(ctx, c, d.Target)
	}
	return r.act(ctx, c, d)
}

// decide is Decide, logged, on the heap: the call's goroutine waits
// under handle for the whole call, and the decision (about 200 bytes)
// and the log call's arguments in handle's frame kept a queue call's
// stack just too big for the runtime to halve.
//
//go:noinline
func (r *Router) decide(ctx context.Context, c *acd.Call) *dialplan.Decision {
	d := r.Decide(c)
	r.log.DebugContext(ctx, "route", "call_id", c.ID(), "dialed", c.Dialed(), "action", d.Action, "rule", d.Rule)
	return &d
}

// act carries out a decision other than an inbound route's. It is a
// function of its own, not code in handle, so that an inbound call (a
// queue's, which waits for the whole call in the call's goroutine) does
// not have its temporaries on the stack: a small stack there is halved
// by the runtime.
//
//go:noinline
func (r *Router) act(ctx context.Context, c *acd.Call, d *dialplan.Decision) error {
	switch d.Action {
	case dialplan.ActionExtension:
		return r.ring(ctx, c, d.Target.Value)
	case dialplan.ActionEmergency:
		c.AddRoute("emergency:" + d.Number)
		return r.dialOut(ctx, c, d)
	case dialplan.ActionOutbound:
		c.AddRoute(d.Rule)
		return r.dialOut(ctx, c, d)
	case dialplan.ActionFeature:
		c.AddRoute(d.Rule)
		return r.feature(ctx, c, d)
	case dialplan.ActionReject:
		c.AddRoute("reject:" + d.Rule)
		return acd.Reject(d.Cause)
	}
	return &acd.CauseError{Cause: acd.CauseTemporaryFailure, Err: fmt.Errorf("pbx: unknown action %q", d.Action)}
}

// ring rings an extension; when nobody answers (busy, no answer, not
// registered) and the extension has a mailbox, the caller leaves a
// message there.
func (r *Router) ring(ctx context.Context, c *acd.Call, ext string) error {
	err := r.cfg.Ring(ctx, c, ext)
	if err == nil || ctx.Err() != nil || r.cfg.Voicemail == nil || r.cfg.HasMailbox == nil {
		return err
	}
	switch cause, _ := acd.CauseOf(err); cause {
	case acd.CauseUserBusy, acd.CauseNoAnswer, acd.CauseNoUserResponding, acd.CauseSubscriberAbsent:
	default:
		return err
	}
	if !r.cfg.HasMailbox(ext) {
		return err
	}
	if cause, _ := acd.CauseOf(err); cause == acd.CauseUserBusy {
		// The mailbox plays its busy greeting, when it has one.
		c.Set(voicemail.ReasonKey, voicemail.ReasonBusy)
	}
	c.SetDisposition(acd.DispositionVoicemail)
	return r.cfg.Voicemail(ctx, c, ext)
}

// inbound takes an outside call to its route's target, handing it to
// fax reception instead if the caller turns out to be a fax machine
// (fax.go).
func (r *Router) inbound(ctx context.Context, c *acd.Call, t dialplan.Target) error {
	if dest := r.faxDestination(c); dest != "" {
		return r.watchFax(ctx, c, dest, func(ctx context.Context) error { return r.target(ctx, c, t) })
	}
	return r.target(ctx, c, t)
}

// target takes an outside call to t.
func (r *Router) target(ctx context.Context, c *acd.Call, t dialplan.Target) error {
	switch t.Kind {
	case dialplan.TargetExtension:
		return r.ring(ctx, c, t.Value)
	// The targets record their own route steps: "queue:sales",
	// "flow:demo@v3" (with the flow's version), "voicemail:201".
	case dialplan.TargetQueue:
		return r.call(ctx, c, r.cfg.Queue, t)
	case dialplan.TargetFlow:
		return r.call(ctx, c, r.cfg.Flow, t)
	case dialplan.TargetVoicemail:
		c.SetDisposition(acd.DispositionVoicemail)
		return r.call(ctx, c, r.cfg.Voicemail, t)
	case dialplan.TargetExternal:
		return r.external(ctx, c, t.Value)
	}
	return &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("pbx: unknown target %s", t)}
}

// external sends an outside call back out to number by the outbound
// routes, as if the site dialled it.
func (r *Router) external(ctx context.Context, c *acd.Call, number string) error {
	plan := r.cfg.Plan()
	if plan == nil {
		return acd.Reject(acd.CauseTemporaryFailure)
	}
	d := plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Dialed: number})
	switch d.Action {
	case dialplan.ActionOutbound, dialplan.ActionEmergency:
		c.AddRoute("external:" + number)
		return r.dialOut(ctx, c, &d)
	case dialplan.ActionExtension:
		return r.ring(ctx, c, d.Target.Value)
	}
	c.AddRoute("reject:external-" + d.Rule)
	cause := d.Cause
	if !cause.Valid() {
		cause = acd.CauseNoRoute
	}
	return &acd.CauseError{Cause: cause, Err: fmt.Errorf("pbx: external number %s: %s", number, d.Rule)}
}

// siteDialled is the decision for number dialled by the site itself
// (a transfer, a callback, a forward): as if extension via dialled it,
// or no extension in particular when via is "".
func (r *Router) siteDialled(via, number string) dialplan.Decision {
	plan := r.cfg.Plan()
	if plan == nil {
		return dialplan.Decision{Action: dialplan.ActionReject, Rule: "no-plan", Cause: acd.CauseTemporaryFailure}
	}
	return plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Via: via, Caller: via, Dialed: number})
}

// Connect takes call c to number as the site would dial it: an extension
// is rung, an outside number goes out by the outbound routes; the caller
// is bridged to whoever answers. It serves IVR transfers and queue exits.
func (r *Router) Connect(ctx context.Context, c *acd.Call, number string) error {
	return r.external(ctx, c, number)
}

// Reach places a call to number as the site would dial it and returns
// the answered leg without bridging it: for blind transfers (the B2BUA's
// TransferFunc) and queue callbacks. caller is presented; callerLeg,
// which may be nil, hears early media. Via of caller, when an extension,
// decides which outbound routes it may use.
func (r *Router) Reach(ctx context.Context, number string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error) {
	via := ""
	if caller.Source == acd.SourceExtension {
		via = caller.Via
	}
	d := r.siteDialled(via, number)
	switch d.Action {
	case dialplan.ActionExtension:
		if r.cfg.Dial == nil {
			return nil, &acd.CauseError{Cause: acd.CauseServiceNotImplemented, Err: fmt.Errorf("%w: extension dialling", errUnwired)}
		}
		return r.cfg.Dial(ctx, d.Target.Value, caller, callerLeg)
	case dialplan.ActionOutbound, dialplan.ActionEmergency:
		present := acd.Party{Number: d.CallerID, Name: caller.Name, Source: caller.Source, Via: caller.Via}
		leg, _, err := r.dialGateways(ctx, &d, present, callerLeg)
		return leg, err
	}
	cause := d.Cause
	if !cause.Valid() {
		cause = acd.CauseNoRoute
	}
	return nil, &acd.CauseError{Cause: cause, Err: fmt.Errorf("pbx: %s: %s", number, d.Rule)}
}

// call runs a target function, refusing the call when it is not wired.
func (r *Router) call(ctx context.Context, c *acd.Call, f Target, t dialplan.Target) error {
	if f == nil {
		r.log.WarnContext(ctx, "route to a service the box was built without", "call_id", c.ID(), "target", t.String())
		return &acd.CauseError{Cause: acd.CauseServiceNotImplemented, Err: fmt.Errorf("%w: %s", errUnwired, t.Kind)}
	}
	return f(ctx, c, t.Value)
}

// dialOut dials d.Number over d.Gateways in order and bridges the caller
// to the first that connects.
func (r *Router) dialOut(ctx context.Context, c *acd.Call, d *dialplan.Decision) error {
	from := c.Caller().Caller()
	present := acd.Party{Number: d.CallerID, Name: from.Name, Source: from.Source, Via: from.Via}
	leg, gw, err := r.dialGateways(ctx, d, present, c.Caller())
	if err != nil {
		r.log.InfoContext(ctx, "dial out failed", "call_id", c.ID(), "number", d.Number, "err", err)
		return err
	}
	c.AddRoute(gw)
	return c.Bridge(ctx, leg)
}

// dialGateways dials d.Number over d.Gateways in order (acd.DialInOrder)
// and returns the answered leg and the gateway that carried it.
func (r *Router) dialGateways(ctx context.Context, d *dialplan.Decision, present acd.Party, callerLeg acd.Leg) (acd.Leg, string, error) {
	gws := make([]string, len(d.Gateways))
	for i, g := range d.Gateways {
		gws[i] = g.String()
	}
	return acd.DialInOrder(ctx, gws, func(ctx context.Context, gateway string) (acd.Leg, error) {
		kind, name, _ := strings.Cut(gateway, ":")
		dial := r.cfg.Gateways[dialplan.GatewayKind(kind)]
		if dial == nil {
			// Retryable: another kind of gateway may still carry the call.
			return nil, &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("%w: %s gateways", errUnwired, kind)}
		}
		return dial(ctx, name, d.Number, present, callerLeg)
	})
}

// feature carries out a feature code dialled at an extension. Features
// that change a setting answer the call and hang up once done: the phone
// hears that the code was taken.
func (r *Router) feature(ctx context.Context, c *acd.Call, d *dialplan.Decision) error {
	ext := c.Caller().Caller().Via
	switch d.Feature {
	case dialplan.FeatureVoicemail:
		box := d.Arg
		if box == "" {
			box = ext
		}
		return r.call(ctx, c, r.cfg.Mailbox, dialplan.Target{Kind: dialplan.TargetVoicemail, Value: box})
	case dialplan.FeaturePickup:
		return r.pickup(ctx, c, "")
	case dialplan.FeatureDirectedPickup:
		return r.pickup(ctx, c, d.Arg)
	case dialplan.FeatureDNDOn, dialplan.FeatureDNDOff:
		if r.cfg.SetDND == nil {
			return r.unwired(ctx, c, d.Feature)
		}
		return r.setting(ctx, c, r.cfg.SetDND(ctx, ext, d.Feature == dialplan.FeatureDNDOn))
	case dialplan.FeatureAgentLogin:
		return r.agent(ctx, c, r.cfg.AgentLogin, d)
	case dialplan.FeatureAgentLogout:
		return r.agent(ctx, c, r.cfg.AgentLogout, d)
	case dialplan.FeatureAgentPause:
		return r.agent(ctx, c, r.cfg.AgentPause, d)
	case dialplan.FeatureAgentUnpause:
		return r.agent(ctx, c, r.cfg.AgentUnpause, d)
	}
	return r.unwired(ctx, c, d.Feature)
}

func (r *Router) pickup(ctx context.Context, c *acd.Call, target string) error {
	if r.cfg.Pickup == nil {
		return r.unwired(ctx, c, dialplan.FeaturePickup)
	}
	return r.cfg.Pickup(ctx, c, target)
}

func (r *Router) agent(ctx context.Context, c *acd.Call, f AgentAction, d *dialplan.Decision) error {
	if f == nil {
		return r.unwired(ctx, c, d.Feature)
	}
	return r.setting(ctx, c, f(ctx, c.Caller().Caller().Via, d.Arg))
}

// setting ends a feature call: answered and cleared when the change was
// made, refused with the error's cause (or "call rejected") when not.
func (r *Router) setting(ctx context.Context, c *acd.Call, err error) error {
	if err != nil {
		r.log.InfoContext(ctx, "feature refused", "call_id", c.ID(), "dialed", c.Dialed(), "err", err)
		if _, ok := acd.CauseOf(err); ok {
			return err
		}
		return &acd.CauseError{Cause: acd.CauseCallRejected, Err: err}
	}
	return c.Answer(ctx)
}

func (r *Router) unwired(ctx context.Context, c *acd.Call, f dialplan.Feature) error {
	r.log.WarnContext(ctx, "feature the box was built without", "call_id", c.ID(), "feature", f)
	return &acd.CauseError{Cause: acd.CauseServiceNotImplemented, Err: fmt.Errorf("%w: %s", errUnwired, f)}
}

// storeDND writes an extension's do-not-disturb flag.
func storeDND(st *store.Store, ext string, on bool) error {
	e, err := store.Get[store.Extension](st, ext)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &acd.CauseError{Cause: acd.CauseUnallocatedNumber, Err: err}
		}
		return err
	}
	if e.DND == on {
		return nil
	}
	e.DND = on
	_, err = store.Put(st, e)
	return err
}
