package linecard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/media"
	"callbox/media/rtp"
	"callbox/media/sdp"
)

// dtmfPT is the telephone-event payload type the lines offer.
const dtmfPT = 101

// byeTimeout bounds a BYE to a peer that went away.
const byeTimeout = 5 * time.Second

func (l *SimLine) local(sess *rtp.Session) sdp.Local {
	return sdp.Local{Addr: sess.LocalAddr(), Codecs: l.cfg.Codecs, DTMF: dtmfPT}
}

func (l *SimLine) openSession() (*rtp.Session, error) {
	return rtp.Open(context.Background(), l.cfg.Ports, rtp.Config{Codec: l.cfg.Codecs[0], Timeout: -1,
		Logger: l.log})
}

// onInvite is a call from the "PSTN": the line rings with the From user
// as caller ID until the box goes off-hook, the caller cancels or the
// box refuses. The handler then stays for the life of the call.
func (l *SimLine) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	respond := func(code int, reason string) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		respond(488, "Not Acceptable Here")
		return
	}
	sess, err := l.openSession()
	if err != nil {
		l.log.Warn("linesim: no RTP port", "err", err)
		respond(503, "Service Unavailable")
		return
	}
	answer, neg, err := sdp.Answer(offer, l.local(sess))
	if err != nil {
		sess.Close()
		respond(488, "Not Acceptable Here")
		return
	}
	if err := sess.SetCodec(neg.Codec, neg.DTMF); err != nil {
		sess.Close()
		respond(488, "Not Acceptable Here")
		return
	}
	sess.SetRemote(neg.Remote)
	sess.SetDirection(neg.Direction)
	c, ok := l.begin(lineRinging, sess)
	if !ok {
		sess.Close()
		respond(486, "Busy Here")
		return
	}
	defer l.end(c)
	dlg, err := l.dsc.ReadInvite(req, tx)
	if err != nil {
		respond(400, "Bad Request")
		return
	}
	defer dlg.Close()
	if err := dlg.Respond(180, "Ringing", nil); err != nil {
		return
	}
	from := req.From()
	ev := Event{Kind: EventRing, Dialed: req.Recipient.User}
	if from != nil {
		ev.CallerID = CallerID{Number: from.Address.User, Name: from.DisplayName}
	}
	l.emit(ev)

	select {
	case reply := <-c.answer:
		err := dlg.RespondSDP(answer)
		reply <- err
		if err != nil {
			l.emit(Event{Kind: EventHangup})
			return
		}
	case <-c.hangup:
		_ = dlg.Respond(486, "Busy Here", nil)
		return
	case <-dlg.Context().Done():
		l.emit(Event{Kind: EventHangup, Cause: 487})
		return
	case <-l.closed:
		_ = dlg.Respond(503, "Service Unavailable", nil)
		return
	}
	l.setState(lineUp)
	l.work.Go(func() { l.forwardDigits(c) })
	l.connected(c, dlg.Context(), dlg.Bye)
}

// connected waits out an answered call: the far end's BYE ends it with
// EventHangup, OnHook or Close send our BYE.
func (l *SimLine) connected(c *simCall, dialog context.Context, bye func(context.Context) error) {
	select {
	case <-dialog.Done():
		l.emit(Event{Kind: EventHangup})
	case <-c.hangup:
		l.sendBye(bye)
	case <-l.closed:
		l.sendBye(bye)
	}
}

func (l *SimLine) sendBye(bye func(context.Context) error) {
	ctx, cancel := context.WithTimeout(l.life, byeTimeout)
	defer cancel()
	if err := bye(ctx); err != nil {
		l.log.Info("linesim: BYE failed", "err", err)
	}
}

// onBye ends whichever dialog the BYE belongs to.
func (l *SimLine) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := l.dsc.ReadBye(req, tx); err == nil {
		return
	}
	if err := l.dcc.ReadBye(req, tx); err == nil {
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

// Dial implements Channel: an INVITE to the configured peer with number
// as the Request-URI user and callerID as the From user. It returns when
// the peer answers; a refusal is ErrRejected wrapped with the status.
func (l *SimLine) Dial(ctx context.Context, number, callerID string) error {
	if !l.cfg.Peer.IsValid() {
		return ErrNoPeer
	}
	sess, err := l.openSession()
	if err != nil {
		return fmt.Errorf("linecard: %s: %w", l.id, err)
	}
	c, ok := l.begin(lineDialing, sess)
	if !ok {
		sess.Close()
		return ErrBusy
	}
	dlg, err := l.invite(ctx, c, number, callerID)
	if err != nil {
		l.end(c)
		return err
	}
	l.setState(lineUp)
	l.emit(Event{Kind: EventAnswer})
	l.work.Go(func() { l.forwardDigits(c) })
	l.work.Go(func() {
		defer l.end(c)
		defer dlg.Close()
		l.connected(c, dlg.Context(), dlg.Bye)
	})
	return nil
}

func (l *SimLine) invite(ctx context.Context, c *simCall, number, callerID string) (*sipgo.DialogClientSession, error) {
	local := l.local(c.sess)
	offer, err := sdp.Offer(local)
	if err != nil {
		return nil, err
	}
	if callerID == "" {
		callerID = l.user
	}
	peer := l.cfg.Peer
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: callerID, Host: l.addr.Addr().String(),
		Port: int(l.addr.Port())}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: peer.Addr().String(), Port: int(peer.Port())},
		Params: sip.NewParams()}
	recipient := sip.Uri{Scheme: "sip", User: number, Host: peer.Addr().String(), Port: int(peer.Port())}
	dlg, err := l.dcc.Invite(ctx, recipient, offer, from, to, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, fmt.Errorf("linecard: %s: INVITE: %w", l.id, err)
	}
	// OnHook or Close while ringing out cancels the INVITE.
	wctx, cancel := context.WithCancel(ctx)
	var watch sync.WaitGroup
	defer watch.Wait()
	defer cancel()
	watch.Go(func() {
		select {
		case <-c.hangup:
		case <-l.closed:
		case <-wctx.Done():
		}
		cancel()
	})
	if err := dlg.WaitAnswer(wctx, sipgo.AnswerOptions{}); err != nil {
		dlg.Close()
		var rerr *sipgo.ErrDialogResponse
		if errors.As(err, &rerr) {
			return nil, &RejectedError{Status: rerr.Res.StatusCode, Reason: rerr.Res.Reason}
		}
		var verr sipgo.ErrDialogResponse
		if errors.As(err, &verr) {
			return nil, &RejectedError{Status: verr.Res.StatusCode, Reason: verr.Res.Reason}
		}
		return nil, fmt.Errorf("linecard: %s: %w", l.id, err)
	}
	desc, err := sdp.Parse(dlg.InviteResponse.Body())
	var neg sdp.Negotiated
	if err == nil {
		neg, err = sdp.Accept(desc, local)
	}
	if err == nil {
		err = c.sess.SetCodec(neg.Codec, neg.DTMF)
	}
	if err != nil {
		_ = dlg.Ack(ctx)
		l.sendBye(dlg.Bye)
		dlg.Close()
		return nil, fmt.Errorf("linecard: %s: answer SDP: %w", l.id, err)
	}
	c.sess.SetRemote(neg.Remote)
	c.sess.SetDirection(neg.Direction)
	if err := dlg.Ack(ctx); err != nil {
		dlg.Close()
		return nil, fmt.Errorf("linecard: %s: ACK: %w", l.id, err)
	}
	return dlg, nil
}

var _ media.Endpoint = (*rtp.Session)(nil)
