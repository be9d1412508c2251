package siptest

import (
	"context"
	"fmt"
	"net/url"

	"github.com/emiago/sipgo/sip"

	"callbox/media/sdp"
)

// featureSetup adds the handlers the call features need: NOTIFY (a
// transfer's progress inside a call, message waiting outside one) and
// UPDATE (session refreshes).
func (p *Phone) featureSetup() {
	p.notifies = make(chan *sip.Request, 16)
	p.srv.OnNotify(p.dropLate(p.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		// Delivered before the answer: a box that hangs the call up once
		// the NOTIFY is answered (a transfer's final one) must not find
		// the call gone before its NOTIFY was taken.
		if c := p.callOf(req); c != nil {
			select {
			case c.frags <- string(req.Body()):
			default:
			}
		} else {
			select {
			case p.notifies <- req:
			default:
			}
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})))
	p.srv.OnUpdate(p.dropLate(func(req *sip.Request, tx sip.ServerTransaction) {
		c := p.callOf(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		c.mu.Lock()
		c.updates++
		c.mu.Unlock()
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if h := req.GetHeader("Session-Expires"); h != nil {
			res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
		}
		_ = tx.Respond(res)
	}))
}

// Notifies delivers the NOTIFY requests the phone gets outside calls
// (message waiting).
func (p *Phone) Notifies() <-chan *sip.Request { return p.notifies }

// Sipfrags delivers the bodies of the NOTIFYs received in this call: a
// transfer's progress ("SIP/2.0 200 OK").
func (c *Call) Sipfrags() <-chan string { return c.frags }

// UpdatesReceived counts the UPDATEs (session refreshes) the far end
// sent in this call.
func (c *Call) UpdatesReceived() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

// Refer asks the far end to transfer this call to referTo (a URI, see
// ReferTarget and AttendedTarget) and returns its final response.
func (c *Call) Refer(ctx context.Context, referTo string) (*sip.Response, error) {
	req := sip.NewRequest(sip.REFER, c.target())
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+referTo+">"))
	req.AppendHeader(sip.NewHeader("Referred-By", fmt.Sprintf("<sip:%s@%s>", c.p.user, c.p.localIP)))
	return c.do(ctx, req)
}

// Update sends an UPDATE without SDP (a session refresh) with extra
// headers and returns the final response.
func (c *Call) Update(ctx context.Context, hdrs ...sip.Header) (*sip.Response, error) {
	req := sip.NewRequest(sip.UPDATE, c.target())
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	return c.do(ctx, req)
}

// ReferTarget is the URI of number at the switch the phone registered
// with, for a blind transfer.
func (p *Phone) ReferTarget(number string) string {
	p.mu.Lock()
	reg := p.registrar
	p.mu.Unlock()
	return fmt.Sprintf("sip:%s@%s", number, reg)
}

// Replaces is the Replaces value (RFC 3891) that names this call's
// dialog to the switch: its Call-ID, the switch's tag as to-tag and the
// phone's as from-tag.
func (c *Call) Replaces() string {
	local, remote := c.tags()
	return fmt.Sprintf("%s;to-tag=%s;from-tag=%s", c.invite.CallID().Value(), remote, local)
}

// AttendedTarget is the Refer-To URI of an attended transfer: the far
// end of consult (another call of this phone) replaces this call's far
// end.
func (p *Phone) AttendedTarget(consult *Call, number string) string {
	return p.ReferTarget(number) + "?Replaces=" + url.QueryEscape(consult.Replaces())
}

// tags are the phone's and the far end's tags of the call's dialog.
func (c *Call) tags() (local, remote string) {
	if c.dc != nil {
		local, _ = c.invite.From().Params.Get("tag")
		if res := c.dc.InviteResponse; res != nil {
			remote, _ = res.To().Params.Get("tag")
		}
		return local, remote
	}
	remote, _ = c.invite.From().Params.Get("tag")
	local, _ = c.ds.InviteRequest.To().Params.Get("tag")
	return local, remote
}

// target is where requests inside the call go: the far end's Contact.
func (c *Call) target() sip.Uri {
	if c.dc != nil && c.dc.InviteResponse != nil && c.dc.InviteResponse.Contact() != nil {
		return c.dc.InviteResponse.Contact().Address
	}
	return c.invite.Contact().Address
}

// do sends a request inside the call's dialog.
func (c *Call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if c.dc != nil {
		return c.dc.Do(ctx, req)
	}
	req.SetDestination(c.invite.Source())
	return c.ds.Do(ctx, req)
}

// CallID is the call's Call-ID.
func (c *Call) CallID() string { return c.invite.CallID().Value() }

// Response is the final response a placed call got (nil before).
func (c *Call) Response() *sip.Response {
	if c.dc == nil {
		return nil
	}
	return c.dc.InviteResponse
}

// Invite is the INVITE that started the call.
func (c *Call) Invite() *sip.Request { return c.invite }

// onReinvite answers an INVITE inside a call (the far end's hold,
// resume or session refresh) with the call's own SDP.
func (p *Phone) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := p.callOf(req)
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.mu.Lock()
	c.reinvites++
	c.version++
	local := c.local
	local.Version = c.version
	c.mu.Unlock()
	body, _, err := sdp.Answer(offer, local)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s:%d>", p.user, p.localIP, p.laddr.Port())))
	if h := req.GetHeader("Session-Expires"); h != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
	}
	_ = tx.Respond(res)
}

// ReinvitesReceived counts the INVITEs the far end sent inside this call.
func (c *Call) ReinvitesReceived() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reinvites
}
