package webui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"callbox/acd/cti"
	"callbox/acd/directory/source"
	"callbox/acd/sip/guard"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
)

// Config is what the firmware gives the web server.
type Config struct {
	Addr    string        // listen address, e.g. "127.0.0.1:8080"; required, never defaulted to a wildcard
	Store   *store.Store  // required
	Status  func() Status // the appliance's status; nil reports only version, uptime and store
	Logger  *slog.Logger  // nil discards
	Now     func() time.Time
	Version string
	// CTI serves screen pops, events, call control, webhooks, tokens and
	// agent scripts; nil answers those endpoints with 503.
	CTI *cti.Hub
	// Directory is the live customer directory (its sources and their
	// health); nil answers the lookup endpoints with 503.
	Directory *source.Live
	// ACD is the live queue side (agents, queues, supervision; api_acd.go);
	// nil answers those endpoints with 503.
	ACD ACD

	// The installer's admin pages (admin*.go); each nil or "" hides or
	// disables its part. Bans and LiftBan are the SIP server's bans;
	// LogFile is the rotating log file the logs page tails; Restore takes
	// the path of an uploaded backup that store.Check passed (a temporary
	// file removed after the call) and stages it; Network lists the
	// network settings shown read-only; LoadSIP and SaveSIP read and store
	// the SIP domain and ports the setup wizard asks for.
	Bans    func() []guard.Ban
	LiftBan func(addr netip.Addr) bool
	LogFile string
	Restore func(ctx context.Context, path string) error
	Network func() []NetInterface
	LoadSIP func() (SIPSettings, error)
	SaveSIP func(SIPSettings) error
	// SIPListening is the SIP domain and ports the box listens on now,
	// and true when the command line (--sip) set them, so the stored ones
	// do not apply: the setup page, the overview and the provisioning
	// sheet show these, what phones must use. Nil: the stored ones.
	SIPListening func() (SIPSettings, bool)
	// InstallCert replaces the SIP TLS certificate with an uploaded one
	// (PEM certificate and key); nil hides the form.
	InstallCert func(certPEM, keyPEM []byte) error

	// Voicemail is the mailboxes (api_voicemail.go); nil answers those
	// endpoints with 503.
	Voicemail *voicemail.Store
	// PromptExists tells flow validation whether a prompt exists in a
	// language, shipped or uploaded; nil checks the shipped set and the
	// store's custom prompts.
	PromptExists func(lang, key string) bool
	// FaxSender tells flow validation whether the box can send faxes
	// (a fax modem line); nil looks for an enabled modem line in the
	// store.
	FaxSender func() bool
	// Retention is the purge service (admin_retention.go); nil hides the
	// purge button and the disk use of recordings.
	Retention RetentionService
}

// Errors returned by New and Run.
var (
	ErrNoStore = errors.New("webui: no store configured")
	ErrNoAddr  = errors.New("webui: no listen address configured")
)

// shutdownGrace is how long Run lets requests in flight finish.
const shutdownGrace = 2 * time.Second

// Server is the appliance's HTTP server: pages, the JSON API and /healthz.
type Server struct {
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	store     *store.Store
	startedAt time.Time
	pages     *pages
	sessions  *sessions
	limiter   *limiter
	zones     []string
	cop       *http.CrossOriginProtection
	handler   http.Handler

	setupMu   sync.Mutex  // makes the check-and-set of setup atomic
	setupDone atomic.Bool // cached once true; setup never becomes undone
	addr      atomic.Value
	dummyOnce sync.Once
	dummy     store.User // checked when a login names no user, so timing does not tell

	tokenLimit rateLimiter // API token request rate (api_cti_auth.go)
	plays      playLog     // recordings being listened to, for one audit entry each (reports.go)
	tokenUses  tokenUseLog // when each API token was last accepted (admin_tokens.go)
	hookTests  hookTestLog // the webhook test deliveries (admin_webhooks.go)
}

// New checks cfg and builds the server; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, ErrNoStore
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.startedAt = s.now()
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	if s.zones, err = timeZones(); err != nil {
		return nil, fmt.Errorf("webui: time zones: %w", err)
	}
	s.sessions = newSessions(s.now, s.store, s.log)
	s.limiter = newLimiter(s.now)
	s.cop = http.NewCrossOriginProtection()
	s.handler = s.routes()
	return s, nil
}

// Name is the service name the supervisor shows.
func (s *Server) Name() string { return "web" }

// Handler returns the server's routes, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address Run listens on, or "" before it listens (useful
// when Config.Addr has port 0).
func (s *Server) Addr() string {
	a, _ := s.addr.Load().(string)
	return a
}

// Run listens on Config.Addr and serves until ctx is done, then shuts down,
// giving requests in flight shutdownGrace to finish. It returns nil on a
// clean stop.
func (s *Server) Run(ctx context.Context) error {
	if s.cfg.Addr == "" {
		return ErrNoAddr
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("webui: listen: %w", err)
	}
	s.addr.Store(ln.Addr().String())
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation, so that
		// those in flight can finish during the shutdown grace period.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("web server listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		// Serve only returns early on a listener failure.
		return fmt.Errorf("webui: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		// Requests still running after the grace period are cut off.
		err = srv.Close()
	}
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("webui: serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("webui: shutdown: %w", err)
	}
	s.log.Info("web server stopped")
	return nil
}

// status returns the appliance's status from the firmware, or the server's
// own view when the firmware gave none.
func (s *Server) status() Status {
	if s.cfg.Status != nil {
		return s.cfg.Status()
	}
	return s.defaultStatus()
}

// routes lists every endpoint with who may use it. Each handler runs behind
// s.wrap, which enforces the access rule written next to it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, a access, h handlerFunc) { mux.Handle(pattern, s.wrap(a, h)) }

	mux.Handle("GET /assets/", assetHandler())
	handle("GET /healthz", access{kind: open}, s.healthz)

	handle("GET /setup", access{kind: setupOnly}, s.setupForm)
	handle("POST /setup", access{kind: setupOnly}, s.setupSubmit)
	handle("POST /lang", access{kind: anyone, beforeSetup: true}, s.switchLang)
	handle("GET /login", access{kind: anyone}, s.loginForm)
	handle("POST /login", access{kind: anyone}, s.loginSubmit)
	handle("POST /logout", access{kind: anyone}, s.logout)

	allRoles := []store.Role{store.RoleAdmin, store.RoleSupervisor, store.RoleAgent}
	watchers := []store.Role{store.RoleAdmin, store.RoleSupervisor}
	admins := []store.Role{store.RoleAdmin}

	handle("GET /{$}", page(allRoles...), s.home)
	handle("GET /password", access{kind: loggedIn, roles: allRoles, passwordPage: true}, s.passwordForm)
	handle("POST /password", access{kind: loggedIn, roles: allRoles, passwordPage: true}, s.passwordSubmit)
	handle("GET /status", page(watchers...), s.statusPage)

	handle("GET /api/v1/session", api(allRoles...), s.apiSession)
	handle("GET /api/v1/status", api(watchers...), s.apiStatus)
	handle("GET /api/v1/settings", api(admins...), s.apiGetSettings)
	handle("PUT /api/v1/settings", api(admins...), s.apiPutSettings)
	handle("GET /api/v1/extensions", api(admins...), s.apiListExtensions)
	handle("POST /api/v1/extensions", api(admins...), s.apiCreateExtension)
	handle("GET /api/v1/extensions/{number}", api(admins...), s.apiGetExtension)
	handle("PUT /api/v1/extensions/{number}", api(admins...), s.apiPutExtension)
	handle("DELETE /api/v1/extensions/{number}", api(admins...), s.apiDeleteExtension)
	handle("GET /api/v1/users", api(admins...), s.apiListUsers)
	handle("POST /api/v1/users", api(admins...), s.apiCreateUser)
	handle("GET /api/v1/users/{name}", api(admins...), s.apiGetUser)
	handle("PUT /api/v1/users/{name}", api(admins...), s.apiPutUser)
	handle("DELETE /api/v1/users/{name}", api(admins...), s.apiDeleteUser)
	s.ctiRoutes(handle, allRoles, watchers, admins)
	s.messageRoutes(handle, allRoles, watchers, admins)
	s.flowRoutes(handle, admins)
	s.voicemailRoutes(handle, allRoles, watchers, admins)
	s.acdRoutes(handle, allRoles, watchers)
	// The installer's admin pages (admin*.go).
	s.adminRoutes(handle, admins)
	// Who is logged in, and logging a session out (session_admin.go).
	s.sessionRoutes(handle, admins)
	s.customersRoutes(handle, watchers, admins)
	// Prompts, voicemail boxes and wrap-up codes (admin_prompts*.go, admin_voicemail*.go).
	s.promptRoutes(handle, admins)
	s.voicemailPageRoutes(handle, admins)
	// Customer data sources, API tokens and webhooks (admin_sources.go).
	s.adminDataRoutes(handle, admins)
	// The IVR designer and the reports (designer*.go, reports*.go).
	s.designerRoutes(handle, admins)
	s.reportRoutes(handle, watchers)
	// The agent console and the supervisor's wallboard (agent*.go, wallboard*.go).
	s.agentRoutes(handle)
	// Follow-up tasks of the agents (api_followups.go).
	s.followupRoutes(handle, allRoles, watchers)
	// The retention policy, purge and legal hold (admin_retention.go).
	s.retentionRoutes(handle, watchers, admins)
	handle("/api/", access{kind: anyone, api: true}, s.apiNotFound)
	handle("/", access{kind: anyone}, s.notFound)
	return s.accessLog(s.noteTokenUse(mux))
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs every request at debug level, and refusals (4xx other
// than 404, and 5xx) at info and above, so that an installer can see a
// misbehaving client without turning on debug logs.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		switch {
		case rec.code >= 500:
			level = slog.LevelError
		case rec.code >= 400 && rec.code != http.StatusNotFound:
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.code,
			"addr", clientAddr(r), "ms", s.now().Sub(start).Milliseconds())
	})
}
