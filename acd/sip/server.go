package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/sip/digest"
	"callbox/acd/sip/guard"
	"callbox/firmware/store"
)

// ErrRunning is returned by Run when the Server is running or has run:
// a Server serves once; make a new one to start again. (A Run that
// failed before its listeners were up may be repeated.)
var ErrRunning = errors.New("sip: server already running")

// Request is a request that passed the checks, handed to a method handler
// added with WithHandler.
type Request struct {
	*sipmsg.Request
	Tx     sipmsg.ServerTransaction
	Source netip.AddrPort
	// Extension is who authenticated the request; zero when the request
	// came from a registered phone and needed no digest (OPTIONS), or
	// from a trunk.
	Extension store.Extension
	// Trunk names the trunk a request came from without digest (see
	// TrustPeers); Dialed is then the number called, mapped through the
	// trunk's DID list.
	Trunk, Dialed string
}

// Handler serves one authenticated request. It must answer r.Tx.
type Handler func(ctx context.Context, r *Request)

// Server is the SIP front end: listeners, registrar and checks.
type Server struct {
	cfg      Config
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	ticker   func(time.Duration) (<-chan time.Time, func())
	guard    *guard.Guard
	known    *guard.Guard // rate buckets of registered phones and trusted peers
	peers    Peers
	verifier *digest.Verifier
	reg      *registry
	handlers map[string]Handler
	inDialog func(*sipmsg.Request) bool
	parser   *sipmsg.Parser

	running atomic.Bool
	ready   chan struct{}
	// cert is the TLS listener's certificate; InstallCertificate swaps it
	// for new handshakes.
	cert atomic.Pointer[tls.Certificate]

	mu    sync.Mutex
	addrs map[string]netip.AddrPort
	udp   net.PacketConn
	ua    *sipgo.UserAgent
	cl    *sipgo.Client
	ctx   context.Context // Run's, for handlers

	inflight inflight
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the time source for expiry, nonces and bans.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTicker replaces time.NewTicker for the housekeeping loop (keep-alives
// and expiry); tests drive it by hand. It returns the channel and a stop
// function.
func WithTicker(f func(time.Duration) (<-chan time.Time, func())) Option {
	return func(s *Server) { s.ticker = f }
}

// WithHandler serves method (INVITE, BYE, ...) with h once the request is
// authenticated. Without a handler a method is answered 405.
func WithHandler(method string, h Handler) Option {
	return func(s *Server) { s.handlers[method] = h }
}

// New checks cfg and returns a Server that serves the extensions in st.
// Nothing listens until Run.
func New(st *store.Store, cfg Config, opts ...Option) (*Server, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: no store", ErrConfig)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		st:       st,
		log:      slog.Default(),
		now:      time.Now,
		handlers: map[string]Handler{},
		parser:   sipmsg.NewParser(),
		ready:    make(chan struct{}),
		addrs:    map[string]netip.AddrPort{},
		ticker: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("component", "sip")
	s.guard = guard.New(cfg.Guard, guard.WithClock(s.now), guard.WithLogger(s.log), guard.WithBanHook(s.keepBan))
	kc := s.guard.Config()
	kc.Rate, kc.Burst = cfg.KnownRate, cfg.KnownBurst
	s.known = guard.New(kc, guard.WithClock(s.now), guard.WithLogger(s.log))
	s.verifier = digest.NewVerifier(cfg.Realm, digest.WithClock(s.now), digest.WithLifetime(cfg.NonceLifetime),
		digest.WithAlgorithms(cfg.DigestAlgorithms...))
	s.reg = newRegistry(s)
	return s, nil
}

// Name names the service for the supervisor.
func (s *Server) Name() string { return "sip" }

// Ready is closed once every listener is bound.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the bound address of transport ("udp", "tcp", "tls"),
// valid after Ready; the zero value when that transport is off.
func (s *Server) Addr(transport string) netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[transport]
}

// Bans lists the addresses banned now, oldest first; Ban.Reason is a
// message key of firmware/i18n (sip.go).
func (s *Server) Bans() []guard.Ban { return s.guard.Bans() }

// Lift ends the ban of addr (an admin's decision, logged) and reports
// whether there was one.
func (s *Server) Lift(addr netip.Addr) bool {
	ok := s.guard.Lift(addr)
	s.forgetBan(addr)
	if !ok {
		s.log.Info("sip: no ban to lift", "addr", addr)
	}
	return ok
}

// Run binds the listeners, serves until ctx ends, then closes everything
// and waits for every goroutine it started. It returns nil after a clean
// shutdown, or the error that stopped a listener.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	// Until the listeners are up nothing has started, so a failure there
	// (the port taken by another program at boot) leaves the Server as
	// new and the supervisor's next Run tries again.
	started := false
	defer func() {
		if !started {
			s.running.Store(false)
		}
	}()
	seq := s.st.Seq()
	if err := s.reg.load(); err != nil {
		return err
	}
	if err := s.loadBans(); err != nil {
		return fmt.Errorf("sip: stored bans: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.cfg.UserAgent),
		sipgo.WithUserAgentTransportLayerOptions(
			sipmsg.WithTransportLayerLogger(s.log),
			sipmsg.WithTransportLayerReadFilter(s.filter),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sipmsg.WithTransactionLayerLogger(s.log),
			sipmsg.WithTransactionLayerUnhandledResponseHandler(func(*sipmsg.Response) {}),
		),
	)
	if err != nil {
		return fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(s.log))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip: server: %w", err)
	}
	srv.OnNoRoute(s.serve)
	cl, err := sipgo.NewClient(ua, sipgo.WithClientLogger(s.log))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip: client: %w", err)
	}

	ls, err := s.listen()
	if err != nil {
		ua.Close()
		return err
	}
	started = true
	s.mu.Lock()
	s.ua, s.cl, s.ctx = ua, cl, ctx
	s.mu.Unlock()

	// Listener goroutines end when their sockets close; the workers
	// (housekeeping, change feed) must be gone before the transport layer
	// closes, or a late keep-alive could open a socket nobody closes.
	var serving, workers sync.WaitGroup
	errc := make(chan error, len(ls)+1)
	for _, l := range ls {
		serving.Go(func() {
			if err := l.serve(srv); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("sip: %s listener: %w", l.name, err)
			}
		})
	}
	workers.Go(func() { s.reg.follow(ctx, seq) })
	workers.Go(func() { s.housekeeping(ctx) })
	s.awaitUDPPooled(ctx, ua)
	close(s.ready)
	s.log.Info("sip: listening", "udp", s.cfg.UDP, "tcp", s.cfg.TCP, "tls", s.cfg.TLS)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	workers.Wait()
	for _, l := range ls {
		l.close()
	}
	// New requests are refused from here; wait for the ones being served
	// before the transaction layer goes away under them.
	s.inflight.close()
	ua.Close()
	serving.Wait()
	s.log.Info("sip: stopped")
	return runErr
}

// awaitUDPPooled waits (bounded, pacing) until sipgo has put the UDP
// listener into its connection pool, which its serving goroutine does:
// a request sent from the listening port before that (a trunk's first
// REGISTER right after Ready) would make sipgo bind the port again and
// fail.
func (s *Server) awaitUDPPooled(ctx context.Context, ua *sipgo.UserAgent) {
	a := s.Addr("udp")
	if !a.IsValid() {
		return
	}
	for range 400 {
		if c, err := ua.TransportLayer().GetConnection("udp", a.String()); err == nil && c != nil {
			_, _ = c.TryClose() // GetConnection took a reference
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.log.Warn("sip: UDP listener not pooled yet", "addr", a)
}

// listener is one bound socket and how sipgo serves it.
type listener struct {
	name  string
	serve func(*sipgo.Server) error
	close func()
}

func (s *Server) listen() ([]listener, error) {
	var out []listener
	fail := func(err error) ([]listener, error) {
		for _, l := range out {
			l.close()
		}
		return nil, err
	}
	if s.cfg.UDP != "" {
		pc, err := net.ListenPacket("udp", s.cfg.UDP)
		if err != nil {
			return fail(fmt.Errorf("sip: udp %s: %w", s.cfg.UDP, err))
		}
		s.mu.Lock()
		s.udp = pc
		s.addrs["udp"] = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		s.mu.Unlock()
		out = append(out, listener{"udp", func(srv *sipgo.Server) error { return srv.ServeUDP(pc) }, func() { pc.Close() }})
	}
	if s.cfg.TCP != "" {
		l, err := net.Listen("tcp", s.cfg.TCP)
		if err != nil {
			return fail(fmt.Errorf("sip: tcp %s: %w", s.cfg.TCP, err))
		}
		s.mu.Lock()
		s.addrs["tcp"] = l.Addr().(*net.TCPAddr).AddrPort()
		s.mu.Unlock()
		out = append(out, listener{"tcp", func(srv *sipgo.Server) error { return ignoreClosed(srv.ServeTCP(l)) }, func() { l.Close() }})
	}
	if s.cfg.TLS != "" {
		host, _, _ := net.SplitHostPort(s.cfg.TLS)
		cert, err := loadCertificate(s.cfg, host, s.now())
		if err != nil {
			return fail(err)
		}
		s.cert.Store(&cert)
		conf := &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil }}
		l, err := tls.Listen("tcp", s.cfg.TLS, conf)
		if err != nil {
			return fail(fmt.Errorf("sip: tls %s: %w", s.cfg.TLS, err))
		}
		s.mu.Lock()
		s.addrs["tls"] = l.Addr().(*net.TCPAddr).AddrPort()
		s.mu.Unlock()
		out = append(out, listener{"tls", func(srv *sipgo.Server) error { return ignoreClosed(srv.ServeTLS(l)) }, func() { l.Close() }})
	}
	return out, nil
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// inflight counts requests being served so shutdown can wait for them.
// Unlike a bare WaitGroup it refuses new entries once closing, which
// keeps Add and Wait from racing.
type inflight struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

func (f *inflight) leave() { f.wg.Done() }

func (f *inflight) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}
