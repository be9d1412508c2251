package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/media"
	"callbox/media/rtp"
	"callbox/media/sdp"
)

// onInvite serves INVITEs: a new call from a phone, or a re-INVITE
// inside a dialog the box holds.
func (b *B2BUA) onInvite(ctx context.Context, r *acdsip.Request) {
	if to := r.To(); to != nil && to.Params.Has("tag") {
		if l := b.lookup(r.Request); l != nil {
			l.serve(r)
			return
		}
		respond(r.Tx, r.Request, 481, "Call/Transaction Does Not Exist")
		return
	}
	accept := b.acceptCall
	if h := r.GetHeader("Replaces"); h != nil {
		accept = b.replacing(h.Value())
	}
	l, err := b.newInbound(ctx, r, accept)
	if err != nil {
		b.log.Info("inbound call refused", "call_id", r.CallID().Value(), "err", err)
		return
	}
	// sipgo ends the INVITE transaction when this handler returns, so it
	// stays until the final response has gone out.
	select {
	case <-l.settled:
	case <-l.Done():
	case <-ctx.Done():
	}
}

// inLeg is the caller's side of a call: the box is the UAS.
type inLeg struct {
	b      *B2BUA
	id     string
	k      key
	party  acd.Party
	ds     *sipgo.DialogServerSession
	sess   *rtp.Session
	answer []byte        // the SDP answer, sent with 183 and 200
	timer  *sessionTimer // RFC 4028; nil without

	mu       sync.Mutex
	neg      sdp.Negotiated
	answered bool
	final    bool // a final response went out
	early    bool // 183 with SDP went out
	version  uint64
	cause    acd.Cause
	settled  chan struct{} // the INVITE transaction got its final response
	settle   sync.Once
	// byeing is set once a BYE, the caller's or the box's, is ending the
	// dialog: Answer's wait for the ACK then ends without one, and that
	// is no failure.
	byeing     atomic.Bool
	acd.Ending // Done, and acd.AfterEnd without a goroutine
	once       sync.Once
}

// acceptCall hands a new inbound leg to the switch as a new call.
func (b *B2BUA) acceptCall(l *inLeg, dialed string) error {
	_, err := b.sw.Accept(l, dialed)
	return err
}

func (b *B2BUA) newInbound(ctx context.Context, r *acdsip.Request, accept func(*inLeg, string) error) (*inLeg, error) {
	offer, err := sdp.Parse(r.Body())
	if err != nil {
		// Offer-less INVITEs (late offer) are not supported.
		respond(r.Tx, r.Request, 488, "Not Acceptable Here")
		return nil, err
	}
	timer, err := b.negotiateTimer(r.Request)
	if err != nil {
		if tooSmall, ok := err.(errTooSmall); ok {
			respond(r.Tx, r.Request, 422, "Session Interval Too Small",
				sip.NewHeader("Min-SE", strconv.Itoa(tooSmall.min)))
		} else {
			respond(r.Tx, r.Request, 400, "Bad Session-Expires")
		}
		return nil, err
	}
	dua, err := b.ua()
	if err != nil {
		respond(r.Tx, r.Request, 503, "Service Unavailable")
		return nil, err
	}
	ds, err := dua.ReadInvite(r.Request, r.Tx)
	if err != nil {
		respond(r.Tx, r.Request, 400, "Bad Request")
		return nil, err
	}
	_ = ds.Respond(100, "Trying", nil)
	l := &inLeg{b: b, ds: ds, Ending: acd.NewEnding(), settled: make(chan struct{}), version: 1, timer: timer}
	l.k = key{r.CallID().Value(), tagOf(ds.InviteRequest.To().Params)}
	l.id = "sip:" + l.k.callID + ";" + l.k.local
	l.party = partyOf(r)
	l.sess, err = b.openMedia(ctx, func() { _ = l.Hangup(acd.CauseRecoveryOnTimerExpiry) })
	if err != nil {
		_ = ds.Respond(503, "Service Unavailable", nil)
		return nil, err
	}
	body, neg, err := sdp.Answer(offer, b.sdpLocal(l.sess, l.version, media.SendRecv))
	if err != nil {
		l.sess.Close()
		_ = ds.Respond(488, "Not Acceptable Here", nil)
		return nil, err
	}
	if err := l.applyMedia(neg); err != nil {
		l.sess.Close()
		_ = ds.Respond(488, "Not Acceptable Here", nil)
		return nil, err
	}
	l.answer, l.neg = body, neg
	b.add(l.k, l)
	dialed := r.Recipient.User
	if dialed == "" {
		dialed = r.To().Address.User
	}
	if r.Trunk != "" {
		dialed = r.Dialed // mapped through the trunk's DIDs
	}
	if err := accept(l, dialed); err != nil {
		l.end(acd.CauseSwitchingCongestion)
		code := 503
		var se *statusError
		if errors.As(err, &se) {
			code = se.code
		}
		_ = ds.Respond(code, reasonPhrase(code), nil)
		return nil, err
	}
	// The caller's CANCEL (or a dead transaction) ends the dialog before
	// an answer; sipgo has answered 487 already. Watched without a
	// goroutine (both are cancelCtx): the watch is dropped when the leg
	// ends, and does nothing once the B2BUA is stopping.
	unwatch := context.AfterFunc(ds.Context(), func() {
		l.mu.Lock()
		answered := l.answered
		l.mu.Unlock()
		if !answered && b.base.Err() == nil {
			l.end(acd.CauseNormalClearing)
		}
	})
	context.AfterFunc(l.EndContext(), func() { unwatch() })
	return l, nil
}

// partyOf is the caller as the authenticated extension presents itself.
func partyOf(r *acdsip.Request) acd.Party {
	if r.Trunk != "" {
		return trunkParty(r)
	}
	p := acd.Party{Source: acd.SourceExtension, Number: r.Extension.Number, Name: r.Extension.Name,
		Via: r.Extension.Number}
	if from := r.From(); from != nil {
		if p.Name == "" {
			p.Name = from.DisplayName
		}
		if p.Number == "" {
			p.Number = from.Address.User
		}
	}
	return p
}

func (l *inLeg) applyMedia(n sdp.Negotiated) error {
	if err := l.sess.SetCodec(n.Codec, n.DTMF); err != nil {
		return err
	}
	l.sess.SetRemote(n.Remote)
	// Until the answer the box may send early media but expects none, so
	// a call that rings for long is not taken for a dead one.
	dir := media.Inactive
	if n.Direction.Sends() {
		dir = media.SendOnly
	}
	l.sess.SetDirection(dir)
	return nil
}

// ID, Caller, Media and Done implement acd.Leg; Dialog exports the
// dialog (see DialogOf).
func (l *inLeg) ID() string            { return l.id }
func (l *inLeg) Caller() acd.Party     { return l.party }
func (l *inLeg) Media() media.Endpoint { return l.sess }
func (l *inLeg) Dialog() Dialog        { return serverDialog(l.ds) }

// EndCause implements acd.CauseReporter.
func (l *inLeg) EndCause() acd.Cause {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cause
}

// Ring sends 180 Ringing, or 183 Session Progress with the SDP answer
// when early is set (the callee's early media is relayed to the caller).
func (l *inLeg) Ring(early bool) {
	l.mu.Lock()
	if l.final || (l.early && early) {
		l.mu.Unlock()
		return
	}
	l.early = l.early || early
	l.mu.Unlock()
	contact := l.b.contact(l.ds.InviteRequest.Transport())
	if early {
		_ = l.ds.Respond(183, "Session Progress", l.answer, sip.NewHeader("Content-Type", "application/sdp"), contact)
		return
	}
	_ = l.ds.Respond(180, "Ringing", nil, contact)
}

// Answer sends 200 with the SDP answer and waits for the ACK.
func (l *inLeg) Answer(ctx context.Context) error {
	l.mu.Lock()
	if l.answered {
		l.mu.Unlock()
		return nil
	}
	select {
	case <-l.Done():
		l.mu.Unlock()
		return acd.ErrHungUp
	default:
	}
	l.answered, l.final = true, true
	l.mu.Unlock()
	l.mu.Lock()
	l.sess.SetDirection(l.neg.Direction)
	l.mu.Unlock()
	res := sip.NewSDPResponseFromRequest(l.ds.InviteRequest, l.answer)
	res.AppendHeader(l.b.contact(l.ds.InviteRequest.Transport()))
	res.AppendHeader(sip.NewHeader("Supported", supported))
	if l.timer != nil {
		for _, h := range l.timer.headers() {
			res.AppendHeader(h)
		}
	}
	// WriteResponse sends the 200, retransmits it, and returns once the
	// ACK came, or with an error when the dialog ended first.
	err := l.ds.WriteResponse(res)
	if err != nil && l.byeing.Load() {
		// A BYE overtook the ACK (RFC 3261 §15 lets the caller send it
		// as soon as it has the 200, and UDP may reorder the two): the
		// call was answered and the BYE ends it with its own cause; the
		// dialog's end stopped the 200's retransmissions.
		err = nil
	}
	if l.timer != nil && err == nil {
		// Armed once the dialog has its response: a refresh builds on it.
		l.timer.start(l)
	}
	l.settle.Do(func() { close(l.settled) })
	if err != nil {
		l.end(acd.CauseTemporaryFailure)
		return fmt.Errorf("b2bua: answer: %w", err)
	}
	return nil
}

// Hangup ends the leg: a final error response before answer, BYE after
// (awaited at most one T1, see sendBye).
func (l *inLeg) Hangup(cause acd.Cause) error {
	l.mu.Lock()
	select {
	case <-l.Done():
		l.mu.Unlock()
		return nil
	default:
	}
	answered, final := l.answered, l.final
	l.final = true
	l.mu.Unlock()
	var err error
	switch {
	case !final:
		err = l.ds.Respond(cause.SIPStatus(), reasonPhrase(cause.SIPStatus()), nil, reasonHeader(cause))
		l.settle.Do(func() { close(l.settled) })
	case answered:
		l.byeing.Store(true)
		bye := l.newBye(cause)
		err = l.b.sendBye(l.id, func(ctx context.Context) error { return l.ds.WriteBye(ctx, bye) })
	}
	l.end(cause)
	return err
}

func (l *inLeg) newBye(cause acd.Cause) *sip.Request {
	inv := l.ds.InviteRequest
	bye := sip.NewRequest(sip.BYE, inv.Contact().Address)
	bye.SetTransport(inv.Transport())
	bye.AppendHeader(reasonHeader(cause))
	l.b.setLaddr(bye)
	return bye
}

// end releases the leg once.
func (l *inLeg) end(cause acd.Cause) {
	l.once.Do(func() {
		l.mu.Lock()
		l.cause = cause
		l.mu.Unlock()
		l.b.remove(l.k)
		if l.timer != nil {
			l.timer.stop()
		}
		l.sess.Close()
		_ = l.ds.Close()
		l.End()
	})
}

// serve handles requests inside the caller's dialog.
func (l *inLeg) serve(r *acdsip.Request) {
	switch r.Method {
	case sip.ACK:
		_ = l.ds.ReadAck(r.Request, r.Tx)
	case sip.BYE:
		// Set before ReadBye ends the dialog, which wakes Answer.
		l.byeing.Store(true)
		if err := l.ds.ReadBye(r.Request, r.Tx); err != nil {
			respond(r.Tx, r.Request, 500, "Server Internal Error")
			return
		}
		l.end(causeOfBye(r.Request))
	case sip.INVITE:
		if err := l.ds.ReadRequest(r.Request, r.Tx); err != nil {
			respond(r.Tx, r.Request, 500, "Server Internal Error")
			return
		}
		l.mu.Lock()
		l.version++
		v := l.version
		l.mu.Unlock()
		reinvite(l.b, r, l.sess, v, func(n sdp.Negotiated) {
			l.mu.Lock()
			l.neg = n
			l.mu.Unlock()
		})
	}
}

// reinvite answers an offer inside an established dialog (hold, resume,
// a new address): the session takes the new direction and peer.
//
// A refresh of the session timer comes this way too, and a change of
// direction is a hold or resume the leg's call hears of (see hold.go).
func reinvite(b *B2BUA, r *acdsip.Request, s *rtp.Session, version uint64, note func(sdp.Negotiated)) {
	l := b.lookup(r.Request)
	var before sdp.Negotiated
	if l != nil {
		before, _ = negotiated(l)
	}
	offer, err := sdp.Parse(r.Body())
	if err != nil {
		respond(r.Tx, r.Request, 488, "Not Acceptable Here")
		return
	}
	body, n, err := sdp.Answer(offer, b.sdpLocal(s, version, media.SendRecv))
	if err != nil {
		respond(r.Tx, r.Request, 488, "Not Acceptable Here")
		return
	}
	if err := s.SetCodec(n.Codec, n.DTMF); err != nil {
		respond(r.Tx, r.Request, 488, "Not Acceptable Here")
		return
	}
	if n.Remote != s.Peer() && n.Remote.Addr().IsValid() && !n.Remote.Addr().IsUnspecified() {
		s.SetRemote(n.Remote)
	}
	s.SetDirection(n.Direction)
	note(n)
	res := sip.NewSDPResponseFromRequest(r.Request, body)
	res.AppendHeader(b.contact(r.Transport()))
	if fl, ok := asFeatureLeg(l); ok {
		if t := fl.sessionTimer(); t != nil {
			t.refreshed()
			for _, h := range t.headers() {
				res.AppendHeader(h)
			}
		}
	}
	_ = r.Tx.Respond(res)
	if l != nil {
		b.noteHold(l, before.Direction, n.Direction)
	}
}

// causeOfBye reads the Q.850 cause of a BYE's Reason header (RFC 3326),
// normal clearing when there is none.
func causeOfBye(req *sip.Request) acd.Cause {
	if h := req.GetHeader("Reason"); h != nil {
		if c, ok := parseReason(h.Value()); ok {
			return c
		}
	}
	return acd.CauseNormalClearing
}

func reasonHeader(c acd.Cause) sip.Header {
	return sip.NewHeader("Reason", "Q.850;cause="+strconv.Itoa(int(c))+";text=\""+c.String()+"\"")
}

// Both legs are watched without a goroutine (acd.AfterEnd).
var (
	_ acd.EndContexter = (*inLeg)(nil)
	_ acd.EndContexter = (*outLeg)(nil)
)
