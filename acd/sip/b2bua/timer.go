package b2bua

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/media/rtp"
	"callbox/media/sdp"
)

// sessionTimer keeps a caller's dialog alive the RFC 4028 way: the
// refresher re-INVITEs or UPDATEs every half interval; the box hangs up
// a session nobody refreshed in time, so a phone that vanished without
// BYE does not hold a call (and its CDR) open. The RTP timeout stays as
// the second line of defence for peers without timers.
type sessionTimer struct {
	b         *B2BUA
	interval  time.Duration
	refresher string // "uac": the phone refreshes; "uas": the box does
	require   bool   // the phone supports timers: Require: timer in answers
	// peerName is the refresher as the headers name it, when the box is
	// the dialog's UAC (a callee's leg) and the roles are the other way.
	peerName string
	// reinvite: the box refreshes with a re-INVITE of the session as it
	// stands, for a peer that does not allow UPDATE.
	reinvite bool
	leg      featureLeg

	mu      sync.Mutex
	timer   rtp.Timer
	stopped bool
}

// supported is the Supported header of the box's INVITEs and answers:
// session timers, and Replaces so phones know attended transfer works.
const supported = "replaces, timer"

// errTooSmall is an offer below the box's Min-SE: answered with 422.
type errTooSmall struct{ min int }

func (e errTooSmall) Error() string { return fmt.Sprintf("session interval below %d s", e.min) }

// negotiateTimer reads an initial INVITE's timer headers (RFC 4028 §9):
// nil when the session runs without a timer.
func (b *B2BUA) negotiateTimer(req *sip.Request) (*sessionTimer, error) {
	minSE := int(b.cfg.MinSE / time.Second)
	supported := hasOption(req, "Supported", "timer")
	canUpdate := hasOption(req, "Allow", "UPDATE")
	se := sessionExpires{}
	if h := req.GetHeader("Session-Expires"); h != nil {
		var err error
		if se, err = parseSessionExpires(h.Value()); err != nil {
			return nil, err
		}
		if se.Seconds < minSE {
			return nil, errTooSmall{minSE}
		}
	} else if !supported {
		return nil, nil
	}
	want := int(b.cfg.SessionExpires / time.Second)
	floor := minSE
	if h := req.GetHeader("Min-SE"); h != nil {
		if n, err := parseDelta(h.Value()); err == nil && n > floor {
			floor = n
		}
	}
	secs := se.Seconds
	if secs == 0 || secs > want {
		secs = max(want, floor)
	}
	t := &sessionTimer{b: b, interval: time.Duration(secs) * time.Second, require: supported}
	switch {
	case se.Refresher != "":
		t.refresher = se.Refresher
	case supported:
		t.refresher = "uac"
	default:
		t.refresher = "uas"
	}
	if t.refresher == "uac" && !supported {
		// Only a phone that supports timers can be made to refresh.
		t.refresher = "uas"
	}
	// The box refreshes with UPDATE, or re-INVITE for a phone without it.
	t.reinvite = !canUpdate
	return t, nil
}

// hasOption reports whether a comma-separated header (Supported,
// Require, Allow) lists opt.
func hasOption(m interface{ GetHeaders(string) []sip.Header }, header, opt string) bool {
	for _, h := range m.GetHeaders(header) {
		if slices.ContainsFunc(strings.Split(h.Value(), ","), func(s string) bool {
			return strings.EqualFold(strings.TrimSpace(s), opt)
		}) {
			return true
		}
	}
	return false
}

// headers are what a 2xx to the INVITE or a refresh carries.
func (t *sessionTimer) headers() []sip.Header {
	name := t.refresher
	if t.peerName != "" {
		name = t.peerName
	}
	hs := []sip.Header{sip.NewHeader("Session-Expires",
		strconv.Itoa(int(t.interval/time.Second))+";refresher="+name)}
	if t.require {
		hs = append(hs, sip.NewHeader("Require", "timer"))
	}
	return hs
}

// start arms the timer for leg once the session is up.
func (t *sessionTimer) start(leg featureLeg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.leg = leg
	t.arm()
}

// arm sets the next deadline; t.mu is held.
func (t *sessionTimer) arm() {
	if t.stopped {
		return
	}
	if t.timer != nil {
		t.timer.Stop()
	}
	if t.refresher == "uas" {
		t.timer = t.b.clock.AfterFunc(t.interval/2, t.refresh)
		return
	}
	// RFC 4028 §10: the session expires SE - min(32, SE/3) after the last
	// refresh, leaving the refresher time for a slow transaction.
	t.timer = t.b.clock.AfterFunc(t.interval-min(32*time.Second, t.interval/3), t.expire)
}

// refreshed notes a refresh from the phone (re-INVITE or UPDATE).
func (t *sessionTimer) refreshed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refresher == "uac" {
		t.arm()
	}
}

func (t *sessionTimer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

// expire ends a session the phone stopped refreshing.
func (t *sessionTimer) expire() {
	t.mu.Lock()
	leg, stopped := t.leg, t.stopped
	t.mu.Unlock()
	if stopped || leg == nil {
		return
	}
	t.b.log.Info("session timer expired", "leg", leg.ID())
	_ = leg.Hangup(acd.CauseRecoveryOnTimerExpiry)
}

// refresh is the box's own refresh: an UPDATE without SDP (RFC 4028
// §7.4), or a re-INVITE offering the session unchanged; a peer that does
// not answer it is gone.
func (t *sessionTimer) refresh() {
	t.mu.Lock()
	leg, stopped := t.leg, t.stopped
	t.mu.Unlock()
	if stopped || leg == nil {
		return
	}
	t.b.goBackground(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 32*time.Second)
		defer cancel()
		method := sip.UPDATE
		if t.reinvite {
			method = sip.INVITE
		}
		req := leg.newRequest(method)
		for _, h := range t.headers() {
			req.AppendHeader(h)
		}
		req.AppendHeader(sip.NewHeader("Supported", supported))
		var res *sip.Response
		var err error
		if t.reinvite {
			res, err = t.b.reoffer(ctx, leg, req)
		} else {
			res, err = leg.do(ctx, req)
		}
		if ctx.Err() != nil && t.b.base.Err() != nil {
			return // the box is stopping
		}
		if err != nil || res.StatusCode == 408 || res.StatusCode == 481 {
			t.b.log.Info("session refresh failed", "leg", leg.ID(), "err", err)
			_ = leg.Hangup(acd.CauseRecoveryOnTimerExpiry)
			return
		}
		if res.StatusCode == 405 || res.StatusCode == 501 {
			// The peer cannot be refreshed this way; the RTP timeout
			// still ends the call if the peer vanishes.
			t.b.log.Warn("session refresh refused, timer stopped", "leg", leg.ID(), "status", res.StatusCode)
			t.stop()
			return
		}
		t.mu.Lock()
		t.arm()
		t.mu.Unlock()
	})
}

// onUpdate serves UPDATE inside a dialog (RFC 3311): a session refresh,
// possibly with a new SDP offer.
func (b *B2BUA) onUpdate(_ context.Context, r *acdsip.Request) {
	l := b.lookup(r.Request)
	fl, ok := asFeatureLeg(l)
	if !ok {
		respond(r.Tx, r.Request, 481, "Call/Transaction Does Not Exist")
		return
	}
	if len(r.Body()) > 0 {
		s, _ := SessionOf(l)
		version := nextVersion(l)
		reinvite(b, r, s, version, func(n sdp.Negotiated) { noteNegotiated(l, n) })
		return
	}
	var hdrs []sip.Header
	if t := fl.sessionTimer(); t != nil {
		t.refreshed()
		hdrs = t.headers()
	}
	respond(r.Tx, r.Request, 200, "OK", hdrs...)
}

// offerTimer asks a callee for a session timer (RFC 4028 §7.1): the box
// supports timers, proposes its interval and asks the callee to refresh
// (a UAS must keep a refresher the request names, §9), so no re-INVITE
// of the box's own is needed; a callee without timers ignores it all.
func (b *B2BUA) offerTimer(req *sip.Request) {
	req.AppendHeader(sip.NewHeader("Supported", supported))
	req.AppendHeader(sip.NewHeader("Session-Expires",
		strconv.Itoa(int(b.cfg.SessionExpires/time.Second))+";refresher=uas"))
	req.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(int(b.cfg.MinSE/time.Second))))
}

// startCalleeTimer arms the timer a callee's 2xx agreed to, if any: the
// box refreshes with UPDATE when it is the refresher (uac) and the callee
// allows UPDATE, or expects the callee's refreshes (uas).
func (b *B2BUA) startCalleeTimer(l *outLeg, res *sip.Response) {
	h := res.GetHeader("Session-Expires")
	if h == nil {
		return
	}
	se, err := parseSessionExpires(h.Value())
	if err != nil || se.Seconds < int(b.cfg.MinSE/time.Second) {
		return
	}
	t := &sessionTimer{b: b, interval: time.Duration(se.Seconds) * time.Second, require: true}
	// Seen from the callee's dialog the box is the UAC.
	switch se.Refresher {
	case "uas":
		t.refresher = "uac" // in the timer's terms: the peer refreshes
	default:
		// The callee made the box refresh after all: with UPDATE, or
		// re-INVITE when the callee does not allow UPDATE.
		t.refresher = "uas"
		t.reinvite = !hasOption(res, "Allow", "UPDATE")
	}
	t.peerName = se.Refresher
	if t.peerName == "" {
		t.peerName = "uac"
	}
	b.mu.Lock()
	if b.timers == nil {
		b.timers = map[*outLeg]*sessionTimer{}
	}
	b.timers[l] = t
	b.mu.Unlock()
	t.start(l)
	b.goBackground(func(ctx context.Context) {
		select {
		case <-l.Done():
		case <-ctx.Done():
		}
		t.stop()
		b.mu.Lock()
		delete(b.timers, l)
		b.mu.Unlock()
	})
}

// reoffer sends req, an in-dialog INVITE, offering leg's session as it
// stands (same address, codecs and direction, a new SDP version), and
// ACKs a 2xx. The answer's media is not applied: a refresh changes
// nothing, and the peer's media stays latched.
func (b *B2BUA) reoffer(ctx context.Context, leg featureLeg, req *sip.Request) (*sip.Response, error) {
	s, ok := SessionOf(leg)
	if !ok {
		return nil, fmt.Errorf("b2bua: %s has no session", leg.ID())
	}
	n, _ := negotiated(leg)
	offer, err := sdp.Offer(b.sdpLocal(s, nextVersion(leg), n.Direction))
	if err != nil {
		return nil, err
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	res, err := leg.do(ctx, req)
	if err != nil || !res.IsSuccess() {
		return res, err
	}
	ack := leg.newRequest(sip.ACK)
	return res, leg.write(ack)
}

// maxRetrySE bounds the interval a 422 can push the box to: a peer
// asking for more than a day is not worth a second INVITE.
const maxRetrySE = 86400

// retryInterval reads a 422 Session Interval Too Small (RFC 4028 §6):
// the Min-SE the peer wants, when a retry with it can succeed (above
// what req offered, and sane); ok false ends the call with the 422.
func retryInterval(req *sip.Request, res *sip.Response) (secs int, ok bool) {
	h := res.GetHeader("Min-SE")
	if h == nil {
		return 0, false
	}
	n, err := parseDelta(h.Value())
	if err != nil || n > maxRetrySE {
		return 0, false
	}
	if o := req.GetHeader("Session-Expires"); o != nil {
		if se, err := parseSessionExpires(o.Value()); err == nil && n <= se.Seconds {
			return 0, false // the peer refused what it asks for
		}
	}
	return n, true
}

// raiseInterval rewrites req's timer offer after a 422 (RFC 4028 §7.4):
// Session-Expires and Min-SE both become the peer's Min-SE, the
// refresher as first offered.
func raiseInterval(req *sip.Request, secs int) {
	refresher := "uas"
	if o := req.GetHeader("Session-Expires"); o != nil {
		if se, err := parseSessionExpires(o.Value()); err == nil && se.Refresher != "" {
			refresher = se.Refresher
		}
	}
	req.RemoveHeader("Session-Expires")
	req.RemoveHeader("Min-SE")
	req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(secs)+";refresher="+refresher))
	req.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(secs)))
}

// retryTooSmall answers a 422 to l's INVITE with the INVITE again, its
// interval raised to the peer's Min-SE; false when the 422 gives no
// usable Min-SE, so the call fails with it. The caller closes the old
// dialog session and waits on the new one.
func (b *B2BUA) retryTooSmall(dua *sipgo.DialogUA, l *outLeg, res *sip.Response) (*sipgo.DialogClientSession, bool, error) {
	secs, ok := retryInterval(l.dc.InviteRequest, res)
	if !ok {
		return nil, false, nil
	}
	b.log.Info("session interval too small, retrying", "leg", l.id, "min_se", secs)
	dc, err := b.reinviteWith(dua, l, func(req *sip.Request) error {
		raiseInterval(req, secs)
		return nil
	})
	return dc, err == nil, err
}
