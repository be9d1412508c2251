package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
)

// Errors of the remote answer.
var (
	// ErrNotRinging: no call rings a device of the extension (for that
	// caller), or no device has said it rings yet.
	ErrNotRinging = errors.New("b2bua: nothing rings the phone")
	// ErrAnswerRefused: every ringing device refused the NOTIFY; the
	// message carries each device's contact and SIP statuses (both, when
	// it refused in the early dialog and outside it).
	ErrAnswerRefused = errors.New("b2bua: the phone refused to answer remotely")
	// ErrNoAnswerResponse: no device answered the NOTIFY (timeout,
	// transport error).
	ErrNoAnswerResponse = errors.New("b2bua: the phone did not respond")
)

// trackDial adds a Dial to (on) or removes it from the dials a remote
// answer may find.
func (b *B2BUA) trackDial(d *dial, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !on {
		delete(b.dials, d)
		return
	}
	if b.dials == nil {
		b.dials = map[*dial]bool{}
	}
	b.dials[d] = true
}

// ringingForks returns the devices of ext ringing now (a 180 or 183
// received, no final answer), of the Dials for callerLeg (any caller
// when nil).
func (b *B2BUA) ringingForks(ext string, callerLeg acd.Leg) []*outLeg {
	b.mu.Lock()
	var ds []*dial
	for d := range b.dials {
		if d.ext == ext && (callerLeg == nil || d.caller == callerLeg) {
			ds = append(ds, d)
		}
	}
	b.mu.Unlock()
	var out []*outLeg
	for _, d := range ds {
		d.mu.Lock()
		claimed := d.claimed
		d.mu.Unlock()
		if claimed {
			continue
		}
		for _, l := range d.forks {
			l.mu.Lock()
			rang := l.provisional != nil && !l.answered
			l.mu.Unlock()
			select {
			case <-l.Done():
				rang = false
			default:
			}
			if rang {
				out = append(out, l)
			}
		}
	}
	return out
}

// AnswerRinging asks the phone of extension ext ringing for callerLeg
// (any caller when nil) to answer, by a NOTIFY with "Event: talk", the
// remote-answer request Yealink, Polycom, Grandstream and Snom desk
// phones accept when configured to trust the box. It is best effort: the
// phone decides, and answers the INVITE itself (200 OK) if it agrees.
//
// The NOTIFY goes inside the early dialog the phone's 180 opened (as
// Polycom expects); a phone that does not know that dialog (481), the
// method there (405, 501) or finds its sequence number out of order
// (500) is asked again outside any dialog, to its
// registered contact (as Yealink and Snom also take it). AnswerRinging
// returns nil once a device accepted (2xx), ErrNotRinging,
// ErrAnswerRefused (a 4xx-6xx: 489 Bad Event for a phone without the
// feature, 403 for one that does not trust the box) or
// ErrNoAnswerResponse.
func (b *B2BUA) AnswerRinging(ctx context.Context, ext string, callerLeg acd.Leg) error {
	forks := b.ringingForks(ext, callerLeg)
	if len(forks) == 0 {
		return fmt.Errorf("%w: extension %s", ErrNotRinging, ext)
	}
	dua, err := b.ua()
	if err != nil {
		return err
	}
	var refusals, failures []string
	for _, l := range forks {
		// inside says how the early dialog's NOTIFY went when the device
		// was asked again outside it.
		inside := ""
		status, err := b.talk(ctx, dua.Client, l, true)
		if err == nil && (status == 481 || status == 405 || status == 500 || status == 501) {
			inside = fmt.Sprintf("%d %s in the early dialog, then ", status, reasonPhrase(status))
			status, err = b.talk(ctx, dua.Client, l, false)
		}
		switch {
		case err != nil:
			failures = append(failures, inside+err.Error())
		case status >= 200 && status < 300:
			b.log.Info("remote answer accepted", "ext", ext, "leg", l.id, "status", status, "outside_dialog", inside != "")
			return nil
		case inside != "":
			refusals = append(refusals, fmt.Sprintf("%s: %s%d %s outside it", l.binding.Contact, inside, status, reasonPhrase(status)))
		default:
			refusals = append(refusals, fmt.Sprintf("%s: %d %s", l.binding.Contact, status, reasonPhrase(status)))
		}
	}
	if len(refusals) > 0 {
		return fmt.Errorf("%w: %s", ErrAnswerRefused, strings.Join(refusals, ", "))
	}
	return fmt.Errorf("%w: %s", ErrNoAnswerResponse, strings.Join(failures, "; "))
}

// talk sends one NOTIFY talk to a ringing device, in its early dialog or
// outside any, and returns the final status.
func (b *B2BUA) talk(ctx context.Context, cl *sipgo.Client, l *outLeg, inDialog bool) (int, error) {
	l.mu.Lock()
	prov := l.provisional
	l.mu.Unlock()
	// The INVITE is written once before the device is rung and not
	// changed after; its fields are safe to read.
	inv := l.dc.InviteRequest
	var target sip.Uri
	if err := sip.ParseUri(l.binding.Target, &target); err != nil {
		return 0, err
	}
	toTag := ""
	if prov != nil {
		if to := prov.To(); to != nil {
			toTag, _ = to.Params.Get("tag")
		}
	}
	if inDialog && toTag == "" {
		inDialog = false // nothing to address the early dialog by
	}
	if inDialog {
		if c := prov.Contact(); c != nil {
			target = c.Address
		}
	}
	req := sip.NewRequest(sip.NOTIFY, target)
	req.SetTransport(strings.ToUpper(l.binding.Transport))
	req.SetDestination(l.binding.Source.String())
	if inDialog {
		f, t := inv.From(), inv.To()
		from := &sip.FromHeader{DisplayName: f.DisplayName, Address: f.Address, Params: f.Params.Clone()}
		to := &sip.ToHeader{DisplayName: t.DisplayName, Address: t.Address, Params: t.Params.Clone()}
		if to.Params == nil {
			to.Params = sip.NewParams()
		}
		to.Params.Add("tag", toTag)
		req.AppendHeader(from)
		req.AppendHeader(to)
		callID := *inv.CallID()
		req.AppendHeader(&callID)
		// The NOTIFY reuses the INVITE's number (another method, so
		// another transaction): a phone refuses only numbers lower than
		// the last it saw, and the box's BYE, counted on from the
		// INVITE by the dialog, stays above it.
		req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.NOTIFY})
	} else {
		host := b.localAddr().Addr().String()
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "callbox", Host: host}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(16))
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: l.party.Number, Host: host}, Params: sip.NewParams()})
		callID := sip.CallIDHeader(sip.GenerateTagN(24))
		req.AppendHeader(&callID)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.NOTIFY})
	}
	req.AppendHeader(sip.NewHeader("Event", "talk"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	req.AppendHeader(b.contact(req.Transport()))
	b.setLaddr(req)
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ByeTimeout)
	defer cancel()
	res, err := cl.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", l.binding.Contact, err)
	}
	return res.StatusCode, nil
}
