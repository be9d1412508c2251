package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/media"
	"callbox/media/sdp"
)

// TrunkCall is one call out over a SIP trunk, as acd/sip/trunk prepares
// it: where to send the INVITE, who to present, how to authenticate.
type TrunkCall struct {
	// Trunk names the trunk; it is the callee's Via.
	Trunk string
	// Number is the Request-URI user: the number as the carrier wants it
	// (prefix applied).
	Number string
	// Host and Port make the Request-URI and To host (Port 0: default).
	Host string
	Port int
	// Transport is "udp", "tcp" or "tls".
	Transport string
	// Destination is the "ip:port" to send to; empty resolves Host.
	Destination string
	// FromUser, FromName and FromHost make the From header (FromHost
	// empty: the box's address).
	FromUser, FromName, FromHost string
	// AssertedIdentity is the P-Asserted-Identity value; empty for none.
	AssertedIdentity string
	// Privacy adds "Privacy: id" (RFC 3323): the carrier withholds the
	// asserted number from the called party.
	Privacy bool
	// Username and Password answer the carrier's 401 or 407.
	Username, Password string
	// Codecs restricts the offer (empty: the B2BUA's).
	Codecs []media.Codec
	// RingTimeout bounds ringing (default the B2BUA's RingTimeout).
	RingTimeout time.Duration
}

// maxTrunkAuth bounds the challenges answered for one INVITE: a second
// challenge may mean a stale nonce, a third means wrong credentials.
const maxTrunkAuth = 2

// ErrTrunkAuth is wrapped by DialTrunk errors when the carrier kept
// refusing the trunk's credentials.
var ErrTrunkAuth = errors.New("b2bua: trunk refused the credentials")

// DialTrunk places tc and returns the leg once the far end answers. The
// callee's early media (183 with SDP) is relayed to callerLeg, and a
// callerLeg that is a Ringer hears of ringing. A 401 or 407 is answered
// with tc's credentials. The INVITE offers a session timer (RFC 4028),
// as Dial does to phones: a 422 is retried once with the carrier's
// Min-SE, and the timer the 200 agrees to runs on the leg, so a carrier
// that stops refreshing (or answering the box's refreshes) is hung up
// with recovery on timer expiry. Failures carry a cause (acd.CauseOf): the final
// response's (RFC 3398), a temporary failure for refused credentials (a
// third challenge, or 403 to the authenticated INVITE: the trunk's
// fault, so a failover may try another), recovery on timer
// expiry for no answer from the carrier, no answer after RingTimeout of
// ringing.
func (b *B2BUA) DialTrunk(ctx context.Context, tc TrunkCall, callerLeg acd.Leg) (acd.Leg, error) {
	dua, err := b.ua()
	if err != nil {
		return nil, err
	}
	timeout := tc.RingTimeout
	if timeout <= 0 {
		timeout = b.cfg.RingTimeout
	}
	ringCtx, stopRing := context.WithTimeout(ctx, timeout)
	defer stopRing()
	d := &dial{b: b, dua: dua, caller: callerLeg}
	if r, ok := callerLeg.(Ringer); ok {
		d.ringer = r
	}
	l, err := b.trunkInvite(ringCtx, dua, tc)
	if err != nil {
		return nil, &acd.CauseError{Cause: acd.CauseNetworkOutOfOrder, Err: err}
	}
	status, err := b.trunkAwait(d, dua, l, tc)
	d.endEarly()
	if err == nil {
		return l, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case errors.Is(err, ErrTrunkAuth):
		return nil, &acd.CauseError{Cause: acd.CauseTemporaryFailure, Err: err}
	case ringCtx.Err() != nil && d.rang():
		// Checked before the status: the CANCEL's 487 is ours.
		return nil, &acd.CauseError{Cause: acd.CauseNoAnswer, Err: fmt.Errorf("trunk %s: %s did not answer", tc.Trunk, tc.Number)}
	case ringCtx.Err() == nil && status >= 300:
		return nil, &acd.CauseError{Cause: acd.CauseFromSIP(status), Err: err}
	}
	// No final answer at all, or silence after 100 Trying until the
	// timeout: the carrier's failure, which another route may not have.
	return nil, &acd.CauseError{Cause: acd.CauseRecoveryOnTimerExpiry, Err: err}
}

// trunkInvite opens the leg's media and sends the first INVITE.
func (b *B2BUA) trunkInvite(ctx context.Context, dua *sipgo.DialogUA, tc TrunkCall) (*outLeg, error) {
	target := sip.Uri{Scheme: "sip", User: tc.Number, Host: tc.Host, Port: tc.Port}
	transport := strings.ToUpper(tc.Transport)
	if transport == "" {
		transport = "UDP"
	}
	switch transport {
	case "TCP":
		target.UriParams = sip.NewParams()
		target.UriParams.Add("transport", "tcp")
	case "TLS":
		target.Scheme = "sips"
	}
	callee := acd.Party{Number: tc.Number, Source: acd.SourceTrunk, Via: tc.Trunk}
	l := &outLeg{b: b, party: callee, Ending: acd.NewEnding(), version: 1}
	legCtx, cancel := context.WithCancel(ctx)
	l.cancel, l.ctx = cancel, legCtx
	var err error
	l.sess, err = b.openMedia(ctx, func() { _ = l.Hangup(acd.CauseRecoveryOnTimerExpiry) })
	if err != nil {
		cancel()
		return nil, err
	}
	l.local = b.sdpLocal(l.sess, 1, media.SendRecv)
	if len(tc.Codecs) > 0 {
		l.local.Codecs = tc.Codecs
	}
	offer, err := sdp.Offer(l.local)
	if err != nil {
		cancel()
		l.sess.Close()
		return nil, err
	}
	fromHost := tc.FromHost
	if fromHost == "" {
		fromHost = b.localAddr().Addr().String()
	}
	fromUser := tc.FromUser
	if fromUser == "" {
		fromUser = "anonymous"
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetTransport(transport)
	if tc.Destination != "" {
		req.SetDestination(tc.Destination)
	}
	tag := sip.GenerateTagN(16)
	from := &sip.FromHeader{DisplayName: DisplayName(tc.FromName), Address: sip.Uri{Scheme: "sip", User: fromUser, Host: fromHost},
		Params: sip.NewParams()}
	from.Params.Add("tag", tag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: tc.Number, Host: tc.Host, Port: tc.Port}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(sip.GenerateTagN(24))
	req.AppendHeader(&callID)
	if tc.AssertedIdentity != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", tc.AssertedIdentity))
	}
	if tc.Privacy {
		req.AppendHeader(sip.NewHeader("Privacy", "id"))
	}
	b.offerTimer(req)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(b.contact(transport))
	req.SetBody(offer)
	b.setLaddr(req)
	l.k = key{string(callID), tag}
	l.id = "sip:" + l.k.callID + ";" + tag
	b.add(l.k, l)
	dc, err := dua.WriteInvite(legCtx, req)
	if err != nil {
		b.remove(l.k)
		cancel()
		l.sess.Close()
		return nil, err
	}
	l.dc = dc
	return l, nil
}

// trunkAwait waits for the carrier's final response, answering
// challenges, and returns the final status (0 when there was none).
// On success the leg is answered and owns its dialog; otherwise it has
// ended.
func (b *B2BUA) trunkAwait(d *dial, dua *sipgo.DialogUA, l *outLeg, tc TrunkCall) (int, error) {
	opts := sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.StatusCode == 180 || res.StatusCode == 183 {
			d.progress(l, res)
		}
		return nil
	}}
	retried := false
	for auth := 0; ; {
		err := l.dc.WaitAnswer(l.ctx, opts)
		res := l.dc.InviteResponse
		if err == nil && res != nil && res.IsSuccess() {
			return res.StatusCode, b.trunkAnswered(d, l, res)
		}
		status := 0
		if res != nil && res.StatusCode >= 300 {
			status = res.StatusCode
		}
		if status == 422 && !retried && l.ctx.Err() == nil {
			// Once: a carrier that refuses its own Min-SE is broken.
			retried = true
			next, ok, rerr := b.retryTooSmall(dua, l, res)
			if ok {
				_ = l.dc.Close()
				l.dc = next
				continue
			}
			if rerr != nil {
				l.end(acd.CauseTemporaryFailure)
				return status, fmt.Errorf("trunk %s: retry after 422: %w", tc.Trunk, rerr)
			}
		}
		if (status == 401 || status == 407) && l.ctx.Err() == nil {
			if auth >= maxTrunkAuth || tc.Password == "" {
				l.end(acd.CauseTemporaryFailure)
				return status, fmt.Errorf("%w: trunk %s answered %d", ErrTrunkAuth, tc.Trunk, status)
			}
			next, aerr := b.reinviteAuth(dua, l, res, tc)
			if aerr != nil {
				l.end(acd.CauseTemporaryFailure)
				return status, fmt.Errorf("%w: %v", ErrTrunkAuth, aerr)
			}
			_ = l.dc.Close()
			l.dc = next
			auth++
			continue
		}
		if status == 403 && auth > 0 {
			// Refused after the credentials went out: the carrier does
			// not accept them.
			l.end(acd.CauseTemporaryFailure)
			return status, fmt.Errorf("%w: trunk %s answered 403 to the credentials", ErrTrunkAuth, tc.Trunk)
		}
		if err == nil {
			err = errors.New("no final response")
		}
		cause := acd.CauseNormalClearing
		if status != 0 {
			cause = acd.CauseFromSIP(status)
		}
		l.end(cause)
		if status != 0 {
			return status, fmt.Errorf("trunk %s: %s answered %d", tc.Trunk, tc.Number, status)
		}
		return 0, fmt.Errorf("trunk %s: %w", tc.Trunk, err)
	}
}

// reinviteAuth sends the INVITE again with credentials for the
// challenge in res (RFC 3261 §22.2).
func (b *B2BUA) reinviteAuth(dua *sipgo.DialogUA, l *outLeg, res *sip.Response, tc TrunkCall) (*sipgo.DialogClientSession, error) {
	return b.reinviteWith(dua, l, func(req *sip.Request) error {
		return acdsip.Authorize(req, res, tc.Username, tc.Password)
	})
}

// reinviteWith sends l's initial INVITE again, changed by edit, after a
// final refusal the box can cure (a challenge, a 422): the same dialog
// identifiers, CSeq one higher, a new transaction.
func (b *B2BUA) reinviteWith(dua *sipgo.DialogUA, l *outLeg, edit func(*sip.Request) error) (*sipgo.DialogClientSession, error) {
	req := l.dc.InviteRequest.Clone()
	req.RemoveHeader("Via")
	if cseq := req.CSeq(); cseq != nil {
		cseq.SeqNo++
	}
	if err := edit(req); err != nil {
		return nil, err
	}
	b.setLaddr(req)
	return dua.WriteInvite(l.ctx, req)
}

// trunkAnswered acknowledges the carrier's 2xx and starts the leg's
// media; an unusable SDP answer ends the call.
func (b *B2BUA) trunkAnswered(d *dial, l *outLeg, res *sip.Response) error {
	ctx, cancel := context.WithTimeout(b.base, b.cfg.ByeTimeout)
	defer cancel()
	_ = l.ack(ctx)
	d.claim(l)
	l.markAnswered()
	if err := l.acceptSDP(res.Body()); err != nil {
		_ = l.bye(ctx, acd.CauseIncompatibleDestination)
		l.end(acd.CauseIncompatibleDestination)
		return &acd.CauseError{Cause: acd.CauseIncompatibleDestination, Err: err}
	}
	b.startCalleeTimer(l, res)
	return nil
}
