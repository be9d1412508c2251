package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/rtp"
	"callbox/media/sdp"
)

// outLeg is a callee's side: the box placed the INVITE (UAC).
type outLeg struct {
	b       *B2BUA
	id      string
	k       key
	party   acd.Party
	binding acdsip.Binding
	dc      *sipgo.DialogClientSession
	sess    *rtp.Session
	local   sdp.Local
	ctx     context.Context // the ringing; its end sends CANCEL
	cancel  context.CancelFunc

	mu       sync.Mutex
	neg      sdp.Negotiated
	answered bool
	version  uint64
	cause    acd.Cause
	// remoteCSeq is the callee's last CSeq: its numbering is its own,
	// unrelated to the box's INVITE.
	remoteCSeq uint32
	// provisional is the device's last 180/183: its To tag and Contact
	// make the early dialog a remote answer is sent in.
	provisional *sip.Response
	acd.Ending  // Done, and acd.AfterEnd without a goroutine
	once        sync.Once
}

// ID, Caller, Media, Done and Answer implement acd.Leg (an outbound leg
// is answered when Dial returns it); Dialog exports the dialog.
func (l *outLeg) ID() string                   { return l.id }
func (l *outLeg) Caller() acd.Party            { return l.party }
func (l *outLeg) Media() media.Endpoint        { return l.sess }
func (l *outLeg) Answer(context.Context) error { return nil }

// Dialog exports the dialog once the device answered; before that (a
// fork still ringing, whose client session sipgo is still writing, or
// one that lost) it is the zero Dialog.
func (l *outLeg) Dialog() Dialog {
	l.mu.Lock()
	answered := l.answered
	l.mu.Unlock()
	if !answered {
		return Dialog{}
	}
	return clientDialog(l.dc)
}

func (l *outLeg) setNegotiated(n sdp.Negotiated) { l.mu.Lock(); l.neg = n; l.mu.Unlock() }

// EndCause implements acd.CauseReporter.
func (l *outLeg) EndCause() acd.Cause {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cause
}

// Hangup sends BYE to an answered callee, CANCEL to a ringing one. It
// waits at most one T1 for the BYE's answer (see sendBye); the leg ends
// when it returns.
func (l *outLeg) Hangup(cause acd.Cause) error {
	l.mu.Lock()
	answered := l.answered
	l.mu.Unlock()
	select {
	case <-l.Done():
		return nil
	default:
	}
	if !answered {
		l.cancel()
		l.end(cause)
		return nil
	}
	err := l.b.sendBye(l.id, func(ctx context.Context) error { return l.bye(ctx, cause) })
	l.end(cause)
	return err
}

// sendBye runs send, a BYE's transaction, as work the B2BUA owns (bounded
// by Config.ByeTimeout, ended by Run) and waits one round trip (sip.T1)
// for its outcome. A phone that answers at once is reported as before; a
// phone that no longer answers leaves the BYE's retransmissions (RFC 3261
// §17.1.2, until Timer F, the timeout or Run) to that goroutine, so the
// call hanging up, and with it the switch's shutdown, is not held for
// ByeTimeout per leg. The late outcome of such a BYE is logged.
func (b *B2BUA) sendBye(leg string, send func(ctx context.Context) error) error {
	res := make(chan error, 1)
	var claimed atomic.Bool // who owns the outcome: the waiter or the goroutine
	b.goBackground(func(base context.Context) {
		ctx, cancel := context.WithTimeout(base, b.cfg.ByeTimeout)
		defer cancel()
		err := send(ctx)
		if claimed.CompareAndSwap(false, true) {
			res <- err
			return
		}
		if err != nil {
			b.log.Info("BYE unanswered", "leg", leg, "err", err)
		}
	})
	t := time.NewTimer(sip.T1)
	defer t.Stop()
	select {
	case err := <-res:
		return err
	case <-t.C:
		if claimed.CompareAndSwap(false, true) {
			return nil
		}
		return <-res
	}
}

func (l *outLeg) bye(ctx context.Context, cause acd.Cause) error {
	target := l.dc.InviteRequest.Recipient
	if c := l.dc.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	bye := sip.NewRequest(sip.BYE, target)
	bye.AppendHeader(reasonHeader(cause))
	l.b.setLaddr(bye)
	return l.dc.WriteBye(ctx, bye)
}

func (l *outLeg) ack(ctx context.Context) error {
	target := l.dc.InviteRequest.Recipient
	if c := l.dc.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	ack := sip.NewRequest(sip.ACK, target)
	l.b.setLaddr(ack)
	return l.dc.WriteAck(ctx, ack)
}

func (l *outLeg) end(cause acd.Cause) {
	l.once.Do(func() {
		l.mu.Lock()
		l.cause = cause
		l.mu.Unlock()
		l.cancel()
		l.b.remove(l.k)
		l.sess.Close()
		_ = l.dc.Close()
		l.End()
	})
}

// serve handles requests from the callee inside the dialog.
func (l *outLeg) serve(r *acdsip.Request) {
	switch r.Method {
	case sip.ACK:
	case sip.BYE:
		if err := l.dc.ReadBye(r.Request, r.Tx); err != nil {
			respond(r.Tx, r.Request, 500, "Server Internal Error")
			return
		}
		l.end(causeOfBye(r.Request))
	case sip.INVITE:
		seq := r.CSeq().SeqNo
		l.mu.Lock()
		if l.remoteCSeq != 0 && seq <= l.remoteCSeq {
			l.mu.Unlock()
			respond(r.Tx, r.Request, 500, "Server Internal Error") // RFC 3261 §12.2.2
			return
		}
		l.remoteCSeq = seq
		l.version++
		v := l.version
		l.mu.Unlock()
		reinvite(l.b, r, l.sess, v, l.setNegotiated)
	}
}

// acceptSDP applies the callee's SDP answer (in a 183 or the 200).
func (l *outLeg) acceptSDP(body []byte) error {
	desc, err := sdp.Parse(body)
	if err != nil {
		return err
	}
	n, err := sdp.Accept(desc, l.local)
	if err != nil {
		return err
	}
	if err := l.sess.SetCodec(n.Codec, n.DTMF); err != nil {
		return err
	}
	l.sess.SetRemote(n.Remote)
	l.sess.SetDirection(n.Direction)
	l.setNegotiated(n)
	return nil
}

// Ringer is implemented by a caller's leg that can tell its phone the
// callee is ringing: 180, or 183 with early media when early is set.
type Ringer interface {
	Ring(early bool)
}

// dial is one Dial in progress: the devices rung and who won.
type dial struct {
	b      *B2BUA
	dua    *sipgo.DialogUA // sends a device's INVITE again after a 422
	ext    string
	caller acd.Leg
	ringer Ringer
	forks  []*outLeg // set before the forks' goroutines start

	mu        sync.Mutex
	claimed   bool
	winner    *outLeg
	early     *outLeg
	stopEarly []func()
	ringing   bool
}

// claim makes l the winner if nobody has won; nil closes the race (the
// dial gave up).
func (d *dial) claim(l *outLeg) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.claimed {
		return false
	}
	d.claimed, d.winner = true, l
	return true
}

// progress passes a callee's 180 or 183 on to the caller, and relays the
// first early media.
func (d *dial) progress(l *outLeg, res *sip.Response) {
	l.mu.Lock()
	l.provisional = res
	l.mu.Unlock()
	early := res.StatusCode == 183 && len(res.Body()) > 0
	if early {
		if err := l.acceptSDP(res.Body()); err != nil {
			early = false
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.claimed {
		return
	}
	if early && d.early == nil && d.caller != nil && d.caller.Media() != nil {
		d.early = l
		a, b := d.caller.Media(), l.sess
		d.stopEarly = append(d.stopEarly, a.RelayTo(b), b.RelayTo(a))
	} else if !early && d.ringing {
		return
	}
	d.ringing = true
	if d.ringer != nil {
		d.ringer.Ring(early && d.early == l)
	}
}

func (d *dial) endEarly() {
	d.mu.Lock()
	stops := d.stopEarly
	d.stopEarly = nil
	d.mu.Unlock()
	for _, s := range stops {
		s()
	}
}

// forkResult is how one device's INVITE ended.
type forkResult struct {
	leg    *outLeg
	status int   // final status; 200 for the winner
	err    error // transport failure, cancel
}

// Dial rings every registered device of extension ext, presenting
// caller, and returns the leg of the first device to answer; the others
// are CANCELed. caller is the leg being connected (its media gets the
// first callee's early media; a Ringer hears of ringing); it may be nil.
// Dial gives up after Config.RingTimeout or when ctx ends. Failures carry
// a cause (acd.CauseOf): unallocated number (404) for an unknown
// extension, subscriber absent (480) when no device is registered, user
// busy (486), no answer on timeout, or the cause of the devices' final
// responses.
func (b *B2BUA) Dial(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error) {
	e, err := b.extension(ext)
	if err != nil {
		return nil, err
	}
	binds := b.srv.Contacts(ext)
	if len(binds) == 0 {
		return nil, &acd.CauseError{Cause: acd.CauseSubscriberAbsent, Err: fmt.Errorf("extension %s not registered", ext)}
	}
	dua, err := b.ua()
	if err != nil {
		return nil, err
	}
	d := &dial{b: b, dua: dua, ext: ext, caller: callerLeg}
	if r, ok := callerLeg.(Ringer); ok {
		d.ringer = r
	}
	ringCtx, stopRing := context.WithTimeout(ctx, b.cfg.RingTimeout)
	defer stopRing()
	results := make(chan forkResult, len(binds))
	started := 0
	callee := acd.Party{Number: e.Number, Name: e.Name, Source: acd.SourceExtension, Via: e.Number}
	for _, bind := range binds {
		l, err := b.invite(ringCtx, dua, bind, caller, callee)
		if err != nil {
			b.log.Info("invite failed", "ext", ext, "contact", bind.Contact, "err", err)
			continue
		}
		d.forks = append(d.forks, l)
	}
	for _, l := range d.forks {
		started++
		b.wg.Go(func() { results <- d.await(l) })
	}
	b.trackDial(d, true)
	defer b.trackDial(d, false)
	if started == 0 {
		return nil, &acd.CauseError{Cause: acd.CauseDestinationOutOfOrder, Err: errors.New("no device could be called")}
	}
	var fails []forkResult
	for len(fails) < started {
		select {
		case r := <-results:
			if r.status >= 200 && r.status < 300 && r.err == nil {
				// Returning ends ringCtx: the other devices are CANCELed.
				d.endEarly()
				return r.leg, nil
			}
			fails = append(fails, r)
		case <-ringCtx.Done():
			d.claim(nil)
			d.endEarly()
			// A device may have won just before the race closed.
			if w := d.won(); w != nil {
				return w, nil
			}
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			cause := acd.CauseNoUserResponding
			if d.rang() {
				cause = acd.CauseNoAnswer
			}
			return nil, &acd.CauseError{Cause: cause, Err: fmt.Errorf("extension %s did not answer", ext)}
		}
	}
	d.endEarly()
	return nil, &acd.CauseError{Cause: failureCause(fails), Err: fmt.Errorf("extension %s: every device refused", ext)}
}

func (d *dial) won() *outLeg {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.winner
}

func (d *dial) rang() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ringing
}

// failureCause picks the cause reported when every device refused: busy
// wins (RFC 3261 §16.7 prefers 6xx, and a busy desk phone is what a
// caller must hear), then the first other refusal.
func failureCause(fails []forkResult) acd.Cause {
	best := 0
	for _, f := range fails {
		switch {
		case f.status == 486 || f.status == 600:
			return acd.CauseUserBusy
		case f.status >= 300 && (best == 0 || best == 408 || best == 480 || best == 487):
			best = f.status
		}
	}
	if best == 0 {
		return acd.CauseDestinationOutOfOrder
	}
	return acd.CauseFromSIP(best)
}

// extension reads ext from the store; an unknown one is an unallocated
// number.
func (b *B2BUA) extension(ext string) (store.Extension, error) {
	e, err := store.Get[store.Extension](b.st, ext)
	if errors.Is(err, store.ErrNotFound) {
		return e, &acd.CauseError{Cause: acd.CauseUnallocatedNumber, Err: err}
	}
	return e, err
}

// invite sends the INVITE to one device.
func (b *B2BUA) invite(ctx context.Context, dua *sipgo.DialogUA, bind acdsip.Binding, caller, callee acd.Party) (*outLeg, error) {
	var target sip.Uri
	if err := sip.ParseUri(bind.Target, &target); err != nil {
		return nil, err
	}
	l := &outLeg{b: b, binding: bind, party: callee, Ending: acd.NewEnding(), version: 1}
	legCtx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	var err error
	l.sess, err = b.openMedia(ctx, func() { _ = l.Hangup(acd.CauseRecoveryOnTimerExpiry) })
	if err != nil {
		cancel()
		return nil, err
	}
	l.local = b.sdpLocal(l.sess, 1, media.SendRecv)
	offer, err := sdp.Offer(l.local)
	if err != nil {
		cancel()
		l.sess.Close()
		return nil, err
	}
	host := b.localAddr().Addr().String()
	if caller.Number == "" {
		caller.Number = "anonymous" // RFC 3323 §4.1.1.3
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetTransport(strings.ToUpper(bind.Transport))
	req.SetDestination(bind.Source.String())
	tag := sip.GenerateTagN(16)
	from := &sip.FromHeader{DisplayName: DisplayName(caller.Name), Address: sip.Uri{Scheme: "sip", User: caller.Number, Host: host},
		Params: sip.NewParams()}
	from.Params.Add("tag", tag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: callee.Number, Host: host}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(sip.GenerateTagN(24))
	req.AppendHeader(&callID)
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", assertedIdentity(caller, host)))
	b.offerTimer(req)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(b.contact(req.Transport()))
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
	l.ctx = legCtx
	return l, nil
}

// displayNameSafe drops quotes and backslashes and turns line breaks into
// spaces. A Replacer builds its tables on first use, so it is made once.
var displayNameSafe = strings.NewReplacer(`"`, "", `\`, "", "\r", " ", "\n", " ")

// DisplayName makes a name safe inside the quotes of a SIP display name
// (those sipgo writes around a From name, or a P-Asserted-Identity's).
func DisplayName(n string) string { return displayNameSafe.Replace(n) }

// assertedIdentity is the P-Asserted-Identity value (RFC 3325) for caller.
func assertedIdentity(p acd.Party, host string) string {
	uri := "<sip:" + p.Number + "@" + host + ">"
	if p.Name == "" {
		return uri
	}
	return `"` + DisplayName(p.Name) + `" ` + uri
}

// await waits for one device's final response; it is the fork's
// goroutine. A device that answers after another won is sent ACK and
// BYE; one that fails is released.
func (d *dial) await(l *outLeg) forkResult {
	opts := sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.StatusCode == 180 || res.StatusCode == 183 {
			d.progress(l, res)
		}
		return nil
	}}
	err := l.dc.WaitAnswer(l.ctx, opts)
	res := l.dc.InviteResponse
	if res != nil && res.StatusCode == 422 && l.ctx.Err() == nil {
		// The device wants a longer session interval: once, with its
		// Min-SE (RFC 4028 §7.4).
		next, ok, rerr := d.b.retryTooSmall(d.dua, l, res)
		if rerr != nil {
			d.b.log.Info("retry after 422 failed", "leg", l.id, "err", rerr)
		}
		if ok {
			_ = l.dc.Close()
			l.dc = next
			err = l.dc.WaitAnswer(l.ctx, opts)
			res = l.dc.InviteResponse
		}
	}
	if res != nil && res.IsSuccess() {
		ctx, cancel := context.WithTimeout(d.b.base, d.b.cfg.ByeTimeout)
		defer cancel()
		_ = l.ack(ctx)
		if err != nil || !d.claim(l) {
			l.markAnswered()
			_ = l.bye(ctx, acd.CauseNormalClearing)
			l.end(acd.CauseNormalClearing)
			return forkResult{leg: l, status: 487, err: errors.New("lost the race")}
		}
		if serr := l.acceptSDP(res.Body()); serr != nil {
			l.markAnswered()
			_ = l.bye(ctx, acd.CauseIncompatibleDestination)
			l.end(acd.CauseIncompatibleDestination)
			d.unclaim(l)
			return forkResult{leg: l, status: 488, err: serr}
		}
		l.markAnswered()
		d.b.startCalleeTimer(l, res)
		return forkResult{leg: l, status: res.StatusCode}
	}
	status := 0
	if res != nil && res.StatusCode >= 300 {
		status = res.StatusCode
	}
	if err == nil {
		err = errors.New("no final response")
	}
	cause := acd.CauseNormalClearing
	if status != 0 {
		cause = acd.CauseFromSIP(status)
	}
	l.end(cause)
	return forkResult{leg: l, status: status, err: errFinal(status, err)}
}

func errFinal(status int, err error) error {
	if status >= 300 {
		return nil
	}
	return err
}

// unclaim reopens the race after the winner turned out unusable.
func (d *dial) unclaim(l *outLeg) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.winner == l {
		d.claimed, d.winner = false, nil
	}
}

func (l *outLeg) markAnswered() {
	l.mu.Lock()
	l.answered = true
	l.mu.Unlock()
}
