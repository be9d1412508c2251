package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/media"
)

// TransferFunc reaches the target of a transfer: target is the
// Refer-To user part (an extension or an outside number), party the leg
// that will be connected to the new leg (present its caller ID). It
// returns the answered leg, or an error with a cause (acd.CauseOf) when
// the target cannot be reached. ctx ends when party hangs up. party has
// no media while the target rings (its Media is nil): the bridge plays
// it music, so a dialler must not relay early media into it.
type TransferFunc func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error)

// transferToExtension is the default TransferFunc: ring an extension
// (busy when it is on do-not-disturb).
func (b *B2BUA) transferToExtension(ctx context.Context, _ *acd.Call, target string, party acd.Leg) (acd.Leg, error) {
	e, err := b.extension(target)
	if err != nil {
		return nil, err
	}
	if e.DND {
		return nil, &acd.CauseError{Cause: acd.CauseUserBusy, Err: fmt.Errorf("extension %s: do not disturb", target)}
	}
	// No early media to the transferee: it hears music until the target
	// answers.
	return b.Dial(ctx, target, party.Caller(), nil)
}

// statusError carries the SIP status an INVITE is refused with.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return fmt.Sprintf("%d: %v", e.code, e.err) }
func (e *statusError) Unwrap() error { return e.err }

// onRefer serves REFER inside a call (RFC 3515): a blind transfer to
// the Refer-To target, or an attended one when Refer-To embeds Replaces
// (RFC 5589 §7), joining the far ends of two calls through the box. The
// transferor hears of the progress in NOTIFYs with message/sipfrag
// bodies, unless it asked for none (Refer-Sub: false, RFC 4488).
func (b *B2BUA) onRefer(_ context.Context, r *acdsip.Request) {
	l, ok := asFeatureLeg(b.lookup(r.Request))
	if !ok {
		respond(r.Tx, r.Request, 481, "Call/Transaction Does Not Exist")
		return
	}
	h := r.GetHeader("Refer-To")
	if h == nil {
		respond(r.Tx, r.Request, 400, "Missing Refer-To")
		return
	}
	target, err := parseReferTo(h.Value())
	if err != nil {
		respond(r.Tx, r.Request, 400, "Bad Refer-To")
		return
	}
	c, ok := b.callOf(l)
	peers := []acd.Leg(nil)
	if ok {
		peers = c.Peers(l)
	}
	if len(peers) != 1 {
		b.log.Debug("refer declined", "leg", l.ID(), "in_call", ok, "peers", len(peers))
		// Nothing to transfer, or a conference: a transfer needs exactly
		// one party to hand on.
		respond(r.Tx, r.Request, 603, "Declined")
		return
	}
	t := &transfer{b: b, l: l, c: c, party: peers[0], target: target,
		subscribe: !strings.EqualFold(headerValue(r.Request, "Refer-Sub"), "false")}
	if target.Replaces != nil {
		t.other, t.otherCall = b.replacedPeer(*target.Replaces)
		if t.other == nil || t.otherCall == c {
			respond(r.Tx, r.Request, 603, "Declined")
			return
		}
	}
	if !b.beginTransfer(l) {
		// One transfer at a time per dialog: its NOTIFYs carry no id.
		respond(r.Tx, r.Request, 491, "Request Pending")
		return
	}
	resume, err := c.Park(l)
	if err != nil {
		b.endTransfer(l)
		respond(r.Tx, r.Request, 603, "Declined")
		return
	}
	t.resume = resume
	var hdrs []sip.Header
	if !t.subscribe {
		hdrs = append(hdrs, sip.NewHeader("Refer-Sub", "false"))
	}
	respond(r.Tx, r.Request, 202, "Accepted", hdrs...)
	b.goBackground(t.run)
}

// transfer is one REFER being carried out.
type transfer struct {
	b         *B2BUA
	l         featureLeg // the transferor's leg, parked
	c         *acd.Call
	party     acd.Leg // the transferee: l's peer
	target    referTarget
	subscribe bool
	resume    func()

	// attended: the leg to connect party to, and its call
	other     acd.Leg
	otherCall *acd.Call
}

func (t *transfer) run(ctx context.Context) {
	defer t.b.endTransfer(t.l)
	t.notify(ctx, 100, false)
	leg, err := t.reach(ctx)
	if err != nil {
		code := 503
		if cause, ok := acd.CauseOf(err); ok {
			code = cause.SIPStatus()
		}
		t.b.log.Info("transfer failed", "leg", t.l.ID(), "target", t.target.User, "err", err)
		t.notify(ctx, code, true)
		t.resume()
		return
	}
	// The transferor may hang up as soon as it reads this; it is parked,
	// so that does not end the call.
	t.notify(ctx, 200, true)
	t.c.AddRoute("transfer:" + t.target.User)
	if err := t.c.Replace(t.l, leg); err != nil {
		t.b.log.Info("transfer lost its call", "leg", t.l.ID(), "err", err)
		_ = leg.Hangup(acd.CauseNormalClearing)
		t.resume()
	}
}

// reach returns the leg to connect the transferee to: the new call to
// the target (blind), or the far end of the replaced dialog taken out of
// its call (attended).
func (t *transfer) reach(ctx context.Context) (acd.Leg, error) {
	if t.other != nil {
		if err := t.otherCall.Release(t.other); err != nil {
			return nil, &acd.CauseError{Cause: acd.CauseNormalUnspecified, Err: err}
		}
		return t.other, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	wg.Go(func() {
		select {
		case <-t.party.Done():
			cancel()
		case <-stop:
		}
	})
	return t.b.transfer(ctx, t.c, t.target.User, medialess{t.party})
}

// medialess is a leg seen without its media: the transferee while the
// bridge plays it music.
type medialess struct{ acd.Leg }

// Media is nil: the leg's audio belongs to the bridge.
func (medialess) Media() media.Endpoint { return nil }

// notify sends the transferor a NOTIFY with the sipfrag of the status
// (RFC 3515 §2.4.5); final ones end the implicit subscription.
func (t *transfer) notify(ctx context.Context, code int, final bool) {
	if !t.subscribe {
		return
	}
	select {
	case <-t.l.Done():
		return
	default:
	}
	req := t.l.newRequest(sip.NOTIFY)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody(fmt.Appendf(nil, "SIP/2.0 %d %s\r\n", code, reasonPhrase(code)))
	ctx, cancel := context.WithTimeout(ctx, t.b.cfg.ByeTimeout)
	defer cancel()
	if _, err := t.l.do(ctx, req); err != nil {
		t.b.log.Debug("transfer NOTIFY failed", "leg", t.l.ID(), "err", err)
	}
}

// beginTransfer marks l as transferring; false if it already is.
func (b *B2BUA) beginTransfer(l acd.Leg) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.transferring == nil {
		b.transferring = map[acd.Leg]bool{}
	}
	if b.transferring[l] {
		return false
	}
	b.transferring[l] = true
	return true
}

func (b *B2BUA) endTransfer(l acd.Leg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.transferring, l)
}

// replacedPeer finds the dialog a Replaces names among the box's legs
// and returns the party that leg is talking to, with its call.
func (b *B2BUA) replacedPeer(rep replaces) (acd.Leg, *acd.Call) {
	x := b.legByReplaces(rep)
	if x == nil {
		return nil, nil
	}
	c, ok := b.callOf(x)
	if !ok {
		return nil, nil
	}
	peers := c.Peers(x)
	if len(peers) != 1 {
		return nil, nil
	}
	return peers[0], c
}

// legByReplaces looks a Replaces up: to-tag is the box's tag; a phone
// that swapped the tags is forgiven.
func (b *B2BUA) legByReplaces(rep replaces) dialogLeg {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.legs[key{rep.CallID, rep.ToTag}]; ok {
		return l
	}
	return b.legs[key{rep.CallID, rep.FromTag}]
}

// replacing is the accept step of an INVITE with Replaces (RFC 3891):
// the new leg takes the place of the replaced one in its call, which is
// hung up, instead of starting a call of its own.
func (b *B2BUA) replacing(v string) func(*inLeg, string) error {
	return func(n *inLeg, _ string) error {
		rep, err := parseReplaces(v)
		if err != nil {
			return &statusError{400, err}
		}
		x := b.legByReplaces(rep)
		if x == nil {
			return &statusError{481, errors.New("replaced dialog not found")}
		}
		c, ok := b.callOf(x)
		if !ok {
			return &statusError{481, errors.New("replaced dialog is in no call")}
		}
		if rep.EarlyOnly {
			// Only a dialog still ringing may be replaced, and the box
			// replaces confirmed ones only (RFC 3891 §3).
			return &statusError{486, errors.New("early-only Replaces of a confirmed dialog")}
		}
		if err := c.Replace(x, n); err != nil {
			return &statusError{481, err}
		}
		c.AddRoute("replaces")
		ctx, cancel := context.WithTimeout(b.base, 5*time.Second)
		defer cancel()
		if err := n.Answer(ctx); err != nil {
			b.log.Info("answer of replacing INVITE failed", "leg", n.ID(), "err", err)
		}
		return nil
	}
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return strings.TrimSpace(h.Value())
	}
	return ""
}
