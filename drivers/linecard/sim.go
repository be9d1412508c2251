package linecard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/media"
	"callbox/media/rtp"
)

// SimConfig describes the simulated lines.
type SimConfig struct {
	// Lines is how many lines to simulate (default 2).
	Lines int
	// Addr is the loopback address the lines listen on (default
	// 127.0.0.1).
	Addr netip.Addr
	// BasePort is line 1's SIP port; line n listens on BasePort+n-1
	// (default 5070). 0 picks free ports (tests).
	BasePort int
	// Peer is where calls dialled out on a line are sent (the SIP
	// endpoint that plays the far end: SIPp, baresip). Unset refuses
	// calls out with ErrNoPeer.
	Peer netip.AddrPort
	// Ports allocates the RTP ports of the lines' calls (required).
	Ports *rtp.Ports
	// Codecs is the preference order for calls (default PCMA, PCMU).
	Codecs []media.Codec
	Now    func() time.Time
	Logger *slog.Logger
}

// Sim is a set of simulated PSTN lines.
type Sim struct {
	lines []*SimLine
}

// NewSim binds every line's SIP socket and starts serving. Close stops
// them all.
func NewSim(cfg SimConfig) (*Sim, error) {
	if cfg.Ports == nil {
		return nil, errors.New("linecard: SimConfig.Ports is required")
	}
	if cfg.Lines <= 0 {
		cfg.Lines = 2
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []media.Codec{media.PCMA, media.PCMU}
	}
	s := &Sim{}
	for n := 1; n <= cfg.Lines; n++ {
		port := 0
		if cfg.BasePort > 0 {
			port = cfg.BasePort + n - 1
		}
		l, err := newSimLine(n, netip.AddrPortFrom(cfg.Addr, uint16(port)), cfg)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.lines = append(s.lines, l)
	}
	return s, nil
}

// Channels returns the lines as Channels, line 1 first.
func (s *Sim) Channels() []Channel {
	out := make([]Channel, len(s.lines))
	for i, l := range s.lines {
		out[i] = l
	}
	return out
}

// Lines returns the simulated lines, line 1 first.
func (s *Sim) Lines() []*SimLine { return append([]*SimLine(nil), s.lines...) }

// Close stops every line.
func (s *Sim) Close() error {
	var errs []error
	for _, l := range s.lines {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// SimLine is one simulated line: a SIP user agent on its own port.
type SimLine struct {
	id    string
	user  string
	cfg   SimConfig
	log   *slog.Logger
	addr  netip.AddrPort
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cl    *sipgo.Client
	pc    net.PacketConn
	dsc   *sipgo.DialogServerCache
	dcc   *sipgo.DialogClientCache
	serve sync.WaitGroup // the UDP server
	work  sync.WaitGroup // call handlers and watchers

	events    chan Event
	ready     chan struct{} // closed when the dialog caches are set up
	closed    chan struct{}
	closeOnce sync.Once
	// life ends when Close begins, so a BYE to a peer that went away does
	// not hold the line's shutdown for byeTimeout.
	life    context.Context
	endLife context.CancelFunc

	mu    sync.Mutex
	state lineState
	call  *simCall
}

// simCall is the call a line is in.
type simCall struct {
	sess   *rtp.Session
	answer chan chan error // OffHook asks the INVITE handler to answer
	hangup chan struct{}   // OnHook
	once   sync.Once
	done   chan struct{} // closed when the call is cleaned up
}

func (c *simCall) hangUp() { c.once.Do(func() { close(c.hangup) }) }

func newSimLine(n int, addr netip.AddrPort, cfg SimConfig) (*SimLine, error) {
	l := &SimLine{id: fmt.Sprintf("sim:%d", n), user: fmt.Sprintf("line%d", n), cfg: cfg,
		events: make(chan Event, 64), ready: make(chan struct{}), closed: make(chan struct{})}
	l.life, l.endLife = context.WithCancel(context.Background())
	l.log = cfg.Logger.With("line", l.id)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callbox-linesim"))
	if err != nil {
		return nil, fmt.Errorf("linecard: %s: %w", l.id, err)
	}
	l.ua = ua
	if l.srv, err = sipgo.NewServer(ua); err != nil {
		ua.Close()
		return nil, fmt.Errorf("linecard: %s: %w", l.id, err)
	}
	pc, err := net.ListenPacket("udp", addr.String())
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("linecard: %s: listen %s: %w", l.id, addr, err)
	}
	l.pc = pc
	l.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	l.srv.OnInvite(l.whenReady(l.onInvite))
	l.srv.OnAck(l.whenReady(func(req *sip.Request, tx sip.ServerTransaction) { _ = l.dsc.ReadAck(req, tx) }))
	l.srv.OnBye(l.whenReady(l.onBye))
	l.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	l.serve.Go(func() { _ = l.srv.ServeUDP(pc) })
	// Requests must leave from the listening socket, which sipgo finds
	// in its pool only once ServeUDP has put it there.
	for i := 0; ua.TransportLayer().Pool("udp").Size() == 0; i++ {
		if i > 5000 {
			l.Close()
			return nil, fmt.Errorf("linecard: %s: UDP listener never started", l.id)
		}
		time.Sleep(time.Millisecond) // bounded wait for sipgo's start-up
	}
	if l.cl, err = sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(l.addr.String())); err != nil {
		l.Close()
		return nil, fmt.Errorf("linecard: %s: %w", l.id, err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: l.user,
		Host: l.addr.Addr().String(), Port: int(l.addr.Port())}}
	l.dsc = sipgo.NewDialogServerCache(l.cl, contact)
	l.dcc = sipgo.NewDialogClientCache(l.cl, contact)
	close(l.ready)
	return l, nil
}

// whenReady holds a request that arrives while the line is still being
// set up (the socket serves before the dialog caches exist), and refuses
// it if the line closes instead.
func (l *SimLine) whenReady(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		select {
		case <-l.ready:
			h(req, tx)
		case <-l.closed:
			if req.Method != sip.ACK {
				_ = tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
			}
		}
	}
}

// ID implements Channel.
func (l *SimLine) ID() string { return l.id }

// Addr is the line's SIP address: INVITE it to ring the line.
func (l *SimLine) Addr() netip.AddrPort { return l.addr }

// Events implements Channel.
func (l *SimLine) Events() <-chan Event { return l.events }

func (l *SimLine) emit(e Event) {
	e.At = l.cfg.Now()
	select {
	case l.events <- e:
	default:
		l.log.Warn("linesim: event dropped, nobody reading", "event", e.Kind)
	}
}

// Media implements Channel: the RTP session of the current call, nil
// when the line is idle.
func (l *SimLine) Media() media.Endpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.call == nil {
		return nil
	}
	return l.call.sess
}

// OffHook implements Channel: the ringing call is answered with 200 OK
// (and SDP); it returns once the caller's ACK came.
func (l *SimLine) OffHook(ctx context.Context) error {
	l.mu.Lock()
	c := l.call
	ringing := l.state == lineRinging
	l.mu.Unlock()
	if !ringing {
		return ErrNotRinging
	}
	reply := make(chan error, 1)
	select {
	case c.answer <- reply:
	case <-c.done:
		return ErrNotRinging
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// OnHook implements Channel.
func (l *SimLine) OnHook() error {
	l.mu.Lock()
	c := l.call
	l.mu.Unlock()
	if c == nil {
		return nil
	}
	c.hangUp()
	<-c.done
	return nil
}

// SendDigit implements Channel with an RFC 4733 event (or in-band tones
// when the far end negotiated none).
func (l *SimLine) SendDigit(ctx context.Context, digit byte) error {
	l.mu.Lock()
	c := l.call
	l.mu.Unlock()
	if c == nil {
		return ErrNotRinging
	}
	return c.sess.SendDigit(ctx, digit, 100*time.Millisecond)
}

// Close implements Channel: calls are hung up, the socket closed and
// every goroutine waited for; Events is closed.
func (l *SimLine) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.endLife()
		l.work.Wait()
		l.ua.Close()
		if l.pc != nil {
			l.pc.Close()
		}
		l.serve.Wait()
		close(l.events)
	})
	return nil
}

// begin claims the idle line for a new call.
func (l *SimLine) begin(state lineState, sess *rtp.Session) (*simCall, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != lineIdle {
		return nil, false
	}
	select {
	case <-l.closed:
		return nil, false
	default:
	}
	l.work.Add(1)
	c := &simCall{sess: sess, answer: make(chan chan error), hangup: make(chan struct{}), done: make(chan struct{})}
	l.state, l.call = state, c
	return c, true
}

func (l *SimLine) setState(s lineState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = s
}

// end frees the line after a call.
func (l *SimLine) end(c *simCall) {
	c.sess.Close()
	l.mu.Lock()
	l.state, l.call = lineIdle, nil
	l.mu.Unlock()
	close(c.done)
	l.work.Done()
}

// forwardDigits turns the call's RFC 4733 digits into events until the
// call ends.
func (l *SimLine) forwardDigits(c *simCall) {
	for {
		select {
		case d := <-c.sess.Digits():
			l.emit(Event{Kind: EventDigit, Digit: d})
		case <-c.done:
			return
		}
	}
}
