package b2bua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/acd/dialplan"
	acdsip "callbox/acd/sip"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/rtp"
	"callbox/media/sdp"
)

// ErrNotReady is returned when a call is placed before the SIP server
// has bound its listeners.
var ErrNotReady = errors.New("b2bua: SIP server not ready")

// Config tunes the B2BUA. Zero fields take defaults.
type Config struct {
	// RingTimeout is how long a callee's devices ring before the call
	// counts as unanswered (default 30 s).
	RingTimeout time.Duration
	// MaxForwards bounds the forwarding chain of one call (default 5),
	// so that two extensions forwarding to each other end.
	MaxForwards int
	// Codecs is the preference order offered and answered (default PCMA,
	// PCMU).
	Codecs []media.Codec
	// DTMF is the telephone-event payload type offered (default 101).
	DTMF uint8
	// MediaTimeout ends a leg that receives no RTP for this long
	// (default 60 s; negative turns it off).
	MediaTimeout time.Duration
	// ByeTimeout bounds a BYE or CANCEL sent by the box (default 5 s).
	ByeTimeout time.Duration
	// SessionExpires is the session interval (RFC 4028) the box asks a
	// caller's phone that supports timers to refresh within (default 30
	// min); MinSE the shortest it accepts (default 90 s, the RFC's
	// floor; tests go lower).
	SessionExpires time.Duration
	MinSE          time.Duration
}

func (c Config) withDefaults() Config {
	if c.RingTimeout <= 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.MaxForwards <= 0 {
		c.MaxForwards = 5
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []media.Codec{media.PCMA, media.PCMU}
	}
	if c.DTMF == 0 {
		c.DTMF = 101
	}
	if c.MediaTimeout == 0 {
		c.MediaTimeout = 60 * time.Second
	}
	if c.ByeTimeout <= 0 {
		c.ByeTimeout = 5 * time.Second
	}
	if c.MinSE <= 0 {
		c.MinSE = 90 * time.Second
	}
	if c.SessionExpires <= 0 {
		c.SessionExpires = 30 * time.Minute
	}
	c.SessionExpires = max(c.SessionExpires, c.MinSE)
	return c
}

// Option configures a B2BUA.
type Option func(*B2BUA)

// WithConfig sets the configuration.
func WithConfig(c Config) Option { return func(b *B2BUA) { b.cfg = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(b *B2BUA) { b.log = l } }

// WithPlan sets where Handle gets the current dialplan; it is asked once
// per call, so an edited plan applies to the next call. Without it every
// dialled number that is an extension in the store is rung, and nothing
// else is routed.
func WithPlan(plan func() *dialplan.Plan) Option { return func(b *B2BUA) { b.plan = plan } }

// WithFallback sets the handler for the calls Handle does not route
// itself (feature codes, queues, IVR flows, outbound routes): the
// firmware's router. Without it those calls are refused with "no route".
func WithFallback(h acd.Handler) Option { return func(b *B2BUA) { b.fallback = h } }

// WithSessionClock sets the clock of the session timers (default the
// wall clock), so tests move their time by hand.
func WithSessionClock(c rtp.Clock) Option { return func(b *B2BUA) { b.clock = c } }

// WithTransfer sets how a transfer's target is reached (see
// TransferFunc): the router's dialling, so a phone can transfer to an
// outside number. Without it only extensions are reached.
func WithTransfer(f TransferFunc) Option { return func(b *B2BUA) { b.transfer = f } }

// B2BUA turns SIP dialogs into legs of the switch and places calls to
// registered phones.
type B2BUA struct {
	st       *store.Store
	srv      *acdsip.Server
	sw       *acd.Switch
	ports    *rtp.Ports
	cfg      Config
	log      *slog.Logger
	plan     func() *dialplan.Plan
	fallback acd.Handler
	transfer TransferFunc
	clock    rtp.Clock

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // background work: CANCELs, BYEs, early media

	uaOnce sync.Once
	dua    *sipgo.DialogUA
	uaErr  error

	mu      sync.Mutex
	legs    map[key]dialogLeg
	ringing []*ringing // calls ringing an extension, oldest first (pickup)
	timers  map[*outLeg]*sessionTimer
	// transferring: legs whose REFER is being carried out
	transferring map[acd.Leg]bool
	// dials: the Dials ringing phones now, for remote answer (answer.go)
	dials map[*dial]bool
}

// dialogLeg is a leg that serves requests inside its dialog.
type dialogLeg interface {
	acd.Leg
	serve(r *acdsip.Request)
}

// New makes a B2BUA on a SIP server that has not started running: it
// adds the INVITE, BYE and ACK handlers to srv and lets in-dialog
// requests through without digest. Inbound calls are handed to sw; media
// sessions come from ports.
func New(st *store.Store, srv *acdsip.Server, sw *acd.Switch, ports *rtp.Ports, opts ...Option) (*B2BUA, error) {
	if st == nil || srv == nil || sw == nil || ports == nil {
		return nil, errors.New("b2bua: store, server, switch and ports are required")
	}
	b := &B2BUA{st: st, srv: srv, sw: sw, ports: ports, log: slog.Default(), legs: map[key]dialogLeg{}}
	for _, o := range opts {
		o(b)
	}
	b.cfg = b.cfg.withDefaults()
	if b.clock == nil {
		b.clock = rtp.SystemClock{}
	}
	if b.transfer == nil {
		b.transfer = b.transferToExtension
	}
	b.log = b.log.With("component", "b2bua")
	b.base, b.cancel = context.WithCancel(context.Background())
	for method, h := range map[string]acdsip.Handler{"INVITE": b.onInvite, "BYE": b.onInDialog, "ACK": b.onInDialog,
		"REFER": b.onRefer, "UPDATE": b.onUpdate} {
		if err := srv.Handle(method, h); err != nil {
			return nil, err
		}
	}
	if err := srv.TrustDialogs(b.known); err != nil {
		return nil, err
	}
	return b, nil
}

// Name names the service for the supervisor.
func (b *B2BUA) Name() string { return "b2bua" }

// Run waits for ctx to end, then stops the background work (pending
// CANCELs and BYEs) and waits for it. The calls themselves belong to the
// switch, whose shutdown hangs them up; run the switch's shutdown first.
func (b *B2BUA) Run(ctx context.Context) error {
	<-ctx.Done()
	b.cancel()
	b.wg.Wait()
	return nil
}

// Active is the number of legs with a live dialog.
func (b *B2BUA) Active() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.legs)
}

func (b *B2BUA) known(req *sip.Request) bool {
	k, ok := keyOfRequest(req)
	if !ok {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok = b.legs[k]
	return ok
}

func (b *B2BUA) add(k key, l dialogLeg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.legs[k] = l
}

func (b *B2BUA) remove(k key) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.legs, k)
}

func (b *B2BUA) lookup(req *sip.Request) dialogLeg {
	k, ok := keyOfRequest(req)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.legs[k]
}

// goBackground runs f as background work the B2BUA owns; Run waits for it.
func (b *B2BUA) goBackground(f func(ctx context.Context)) {
	b.wg.Go(func() { f(b.base) })
}

// ua returns the dialog user agent, made on first use once the server
// runs.
func (b *B2BUA) ua() (*sipgo.DialogUA, error) {
	ua := b.srv.UserAgent()
	if ua == nil {
		return nil, ErrNotReady
	}
	b.uaOnce.Do(func() {
		local := b.localAddr()
		cl, err := sipgo.NewClient(ua, sipgo.WithClientLogger(b.log), sipgo.WithClientHostname(local.Addr().String()),
			sipgo.WithClientPort(int(local.Port())))
		if err != nil {
			b.uaErr = fmt.Errorf("b2bua: client: %w", err)
			return
		}
		b.dua = &sipgo.DialogUA{Client: cl, RewriteContact: true,
			ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callbox",
				Host: local.Addr().String(), Port: int(local.Port())}}}
	})
	return b.dua, b.uaErr
}

// localAddr is the address the box's SIP requests come from: UDP, else
// TCP.
func (b *B2BUA) localAddr() netip.AddrPort {
	if a := b.srv.Addr("udp"); a.IsValid() {
		return a
	}
	return b.srv.Addr("tcp")
}

// contact is the box's Contact for a dialog on transport ("UDP",
// "TCP", "TLS"): the listener of that transport, so the peer's requests
// in the dialog come back the same way.
func (b *B2BUA) contact(transport string) *sip.ContactHeader {
	tr := strings.ToLower(transport)
	a := b.srv.Addr(tr)
	if !a.IsValid() {
		a = b.localAddr()
	}
	u := sip.Uri{Scheme: "sip", User: "callbox", Host: a.Addr().String(), Port: int(a.Port())}
	switch tr {
	case "tcp":
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	case "tls":
		u.Scheme = "sips"
	}
	return &sip.ContactHeader{Address: u}
}

// setLaddr makes a UDP request leave from the listening socket, so a
// phone's NAT sees the five-tuple it registered through.
func (b *B2BUA) setLaddr(req *sip.Request) {
	if req.Transport() != "UDP" {
		return
	}
	if a := b.srv.Addr("udp"); a.IsValid() {
		req.Laddr = sip.Addr{IP: a.Addr().AsSlice(), Port: int(a.Port())}
	}
}

// onInDialog serves BYE and ACK.
func (b *B2BUA) onInDialog(_ context.Context, r *acdsip.Request) {
	l := b.lookup(r.Request)
	if l == nil {
		if !r.IsAck() {
			respond(r.Tx, r.Request, 481, "Call/Transaction Does Not Exist")
		}
		return
	}
	l.serve(r)
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// sdpLocal is what the box offers or answers with for a session.
func (b *B2BUA) sdpLocal(s *rtp.Session, version uint64, dir media.Direction) sdp.Local {
	return sdp.Local{Addr: s.LocalAddr(), Codecs: b.cfg.Codecs, DTMF: b.cfg.DTMF, Direction: dir,
		SessionID: uint64(s.SSRC()), Version: version}
}

// openMedia opens an RTP session for a leg; timeout hangs the leg up.
// It starts inactive: no media is expected before SDP says otherwise.
func (b *B2BUA) openMedia(ctx context.Context, onTimeout func()) (*rtp.Session, error) {
	return rtp.Open(ctx, b.ports, rtp.Config{Timeout: b.cfg.MediaTimeout, OnTimeout: onTimeout, Logger: b.log,
		Direction: media.Inactive})
}
