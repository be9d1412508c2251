package firmware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"callbox/drivers/gpio"
	"callbox/firmware/console"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/prompt"
	"callbox/webui"
)

// Named errors of New.
var (
	// ErrDataDir means the data directory cannot be created, read or written.
	ErrDataDir = errors.New("data directory unusable")
	// ErrStoreOpen means the store file could not be opened; the wrapped
	// error says why (store.ErrCorrupt, store.ErrLocked, ...).
	ErrStoreOpen = errors.New("store cannot be opened")
)

// stopMargin is kept from StopTimeout for closing the store and the log
// after the services have stopped.
const stopMargin = 500 * time.Millisecond

// Appliance is the running box: the one wiring struct.
type Appliance struct {
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	logFile *RotatingFile
	store   *store.Store
	board   *gpio.Board
	web     *webui.Server
	sup     *supervisor
	tel     *telephony
	restart chan struct{} // a restart was asked for (restart.go)
	// debug is the loopback profiler (--debug), nil when off; debugAddr
	// holds its address once listening.
	debug     *debugServer
	debugAddr atomicString

	services []Service

	mu        sync.Mutex
	startedAt time.Time
	booted    bool
	pattern   string // what the status LED shows, to set it only on change
}

// New opens the data directory, the log file and the store, seeds the
// demo configuration when asked, makes sure an administrator exists,
// probes the hardware and builds the
// services. Nothing listens until Run.
func New(ctx context.Context, cfg Config) (*Appliance, error) {
	cfg = withDefaults(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	cfg, err := applySIPSettings(cfg)
	if err != nil {
		return nil, err
	}
	logFile, err := OpenRotating(LogPath(cfg.DataDir), logMaxBytes, logKeep)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrDataDir, cfg.DataDir, err)
	}
	a := &Appliance{cfg: cfg, now: cfg.Now, logFile: logFile, restart: make(chan struct{}, 1)}
	a.log = newLogger(cfg.LogLevel, cfg.Stderr, logFile)
	if err := a.build(ctx); err != nil {
		a.close(true)
		return nil, err
	}
	return a, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Backoff == (Backoff{}) {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.GPIOLayout.Name == "" && cfg.GPIOLayout.Lines == nil {
		cfg.GPIOLayout = gpio.DefaultLayout
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	return cfg
}

// prepareDataDir creates dir if needed and checks that files can be made
// in it, so that a read-only or misnamed directory fails here, clearly,
// and not later inside bbolt.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%w: %w", ErrDataDir, err)
	}
	if _, err := os.ReadDir(dir); err != nil {
		return fmt.Errorf("%w: %w", ErrDataDir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDataDir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func (a *Appliance) build(ctx context.Context) error {
	cfg := a.cfg
	applyPendingRestore(cfg.DataDir, a.log)
	st, err := store.Open(StorePath(cfg.DataDir), store.WithLogger(a.log), store.WithClock(a.now))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStoreOpen, err)
	}
	a.store = st
	settings, err := store.GetSettings(st)
	if err != nil {
		return fmt.Errorf("%w: settings: %w", ErrStoreOpen, err)
	}
	if cfg.Demo {
		if err := seedDemo(ctx, st, a.now, a.log, cfg.Stdout, settings.Lang, cfg.DataDir); err != nil {
			return fmt.Errorf("demo configuration: %w", err)
		}
	}
	if err := ensureAdmin(ctx, st, a.now, a.log, cfg.Stdout, settings.Lang); err != nil {
		return fmt.Errorf("administrator: %w", err)
	}
	a.board, err = gpio.Probe(ctx, gpio.ProbeConfig{Layout: cfg.GPIOLayout, DevDir: cfg.GPIODevDir, Logger: a.log,
		Options: []gpio.Option{gpio.WithClock(a.now)}})
	if err != nil {
		return err
	}
	a.sup = newSupervisor(a.log, a.now, cfg.Backoff, a.showState)
	if a.tel, err = a.buildTelephony(); err != nil {
		return err
	}
	a.web, err = webui.New(webui.Config{Addr: cfg.HTTPAddr, Store: st, Status: a.Status, Logger: a.log,
		Now: a.now, Version: cfg.Version, CTI: a.tel.parts.cti, Directory: a.tel.parts.directory, ACD: a.tel.parts.queue,
		Bans: a.tel.srv.Bans, LiftBan: a.tel.srv.Lift, LogFile: LogPath(cfg.DataDir), Restore: a.stageRestore,
		Network:     networkView,
		LoadSIP:     func() (webui.SIPSettings, error) { return loadSIPSettings(cfg.DataDir) },
		SaveSIP:     func(s webui.SIPSettings) error { return saveSIPSettings(cfg.DataDir, s) },
		InstallCert: a.tel.srv.InstallCertificate,
		// What phones must use: --sip may set other ports than setup saved.
		SIPListening: a.sipListening,
		Retention:    a.tel.parts.retention, // the purge's button, last run and disk use
		// Voicemail boxes and the flow checks' prompt lookup (shipped,
		// uploaded, or stored and not yet mirrored to the directory).
		Voicemail:    a.tel.parts.voicemail.Store(),
		PromptExists: prompt.Exists(st, prompt.NewLibrary(filepath.Join(cfg.DataDir, "prompts")))})
	if err != nil {
		return err
	}
	shell := console.NewShell(&backend{version: cfg.Version, store: st, now: a.now, status: a.Status}, cfg.Version, settings.Lang)
	sockShell := *shell
	sockShell.AllowBackup = true
	// Order matters: the front panel first so the LED shows the boot, the
	// switch (media, SIP, calls, lines) next, the web UI last so it only
	// answers once everything under it runs.
	a.services = []Service{a.board,
		&panel{board: a.board, store: st, now: a.now, log: a.log, out: cfg.Stdout, lang: settings.Lang},
		console.NewSocketServer(ConsoleSocket(cfg.DataDir), &sockShell, a.log)}
	if cfg.ConsoleTTY != "" {
		a.services = append(a.services, console.NewTTY(cfg.ConsoleTTY, shell, a.log))
	}
	a.services = append(a.services, a.tel.services...)
	a.services = append(a.services, a.web)
	if cfg.DebugAddr != "" {
		a.debug = &debugServer{addr: cfg.DebugAddr, log: a.log, now: a.now, bound: a.debugAddr.Store,
			calls: a.tel.debugFigures}
		a.services = append(a.services, a.debug)
	}
	return nil
}

// Logger returns the appliance's logger.
func (a *Appliance) Logger() *slog.Logger { return a.log }

// DebugAddr is the address the debug listener listens on, once it does
// ("" when --debug is off or it has not started yet).
func (a *Appliance) DebugAddr() string { return a.debugAddr.Load() }

// WebAddr is the address the web UI listens on, once it does.
func (a *Appliance) WebAddr() string { return a.web.Addr() }

// Run starts the services in order and keeps them running until ctx is
// done or a restart is asked for (a restore from the web UI), then stops
// them in reverse order, all within StopTimeout, and closes the store. It
// returns an error when a service would not stop, and errRestart after a
// clean stop for a restart.
func (a *Appliance) Run(ctx context.Context) error {
	a.mu.Lock()
	a.startedAt = a.now()
	a.mu.Unlock()
	a.showState()
	if bypass, err := a.board.Relay("bypass"); err == nil {
		// Energised, the relay routes the PSTN lines into the box; when the
		// box stops or loses power they fall through to the bypass phone.
		if err := bypass.Set(true); err != nil {
			a.log.Error("bypass relay", "err", err)
		}
	}
	// Services get a context of their own: they are stopped one by one in
	// reverse order, not all at once when ctx ends.
	svcCtx := context.WithoutCancel(ctx)
	for _, svc := range a.services {
		a.sup.start(svcCtx, svc)
	}
	a.mu.Lock()
	a.booted = true
	a.mu.Unlock()
	a.showState()
	a.log.Info("callbox running", "version", a.cfg.Version, "data", a.cfg.DataDir, "http", a.cfg.HTTPAddr,
		"sip", a.cfg.SIPAddr, "gpio", a.board.Chip().Label(), "gcPercent", gcPercent())
	restart := false
	select {
	case <-ctx.Done():
		a.log.Info("callbox stopping", "reason", context.Cause(ctx))
	case <-a.restart:
		restart = true
		a.log.Info("callbox restarting")
	}
	err := a.sup.stop(StopTimeout - stopMargin)
	if err != nil {
		// A stuck service may still use the store, so it stays open; the
		// process exit releases its lock, and bbolt's file stays
		// consistent whatever was in flight.
		a.log.Error("stop", "err", err)
	}
	a.close(err == nil)
	if restart && err == nil {
		return errRestart
	}
	return err
}

// close releases what New opened, in reverse order: the front panel goes
// dark and the bypass relay drops (the PSTN lines fall through to the
// bypass phone), then the store and the log close.
func (a *Appliance) close(closeStore bool) {
	if a.tel != nil {
		a.tel.close()
	}
	if a.board != nil {
		if led, err := a.board.LED("status"); err == nil {
			led.Set(gpio.Off)
		}
		if bypass, err := a.board.Relay("bypass"); err == nil {
			bypass.Set(false)
		}
		if err := a.board.Close(); err != nil {
			a.log.Warn("gpio close", "err", err)
		}
	}
	if a.store != nil && closeStore {
		if err := a.store.Close(); err != nil {
			a.log.Error("store close", "err", err)
		}
	}
	a.mu.Lock()
	started := !a.startedAt.IsZero()
	a.mu.Unlock()
	if started {
		a.log.Info("callbox stopped")
	}
	a.logFile.Close()
}

// showState drives the status LED: booting until every service has been
// started, fault while any is restarting, running otherwise.
func (a *Appliance) showState() {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := gpio.Booting
	if a.booted {
		p = gpio.Running
		for _, s := range a.sup.states() {
			if s.State == webui.StateRestarting || s.State == webui.StateFailed {
				p = gpio.Fault
			}
		}
	}
	if p.Name == a.pattern {
		return
	}
	a.pattern = p.Name
	if led, err := a.board.LED("status"); err == nil {
		if err := led.Set(p); err != nil {
			a.log.Warn("status LED", "err", err)
		}
	}
}

// Run builds the appliance from cfg and runs it until ctx is done,
// building it again after each restart it asks for.
func Run(ctx context.Context, cfg Config) error {
	setGCPercent(cfg.GCPercent)
	for {
		a, err := New(ctx, cfg)
		if err != nil {
			return err
		}
		if err := a.Run(ctx); !errors.Is(err, errRestart) {
			return err
		}
	}
}

// Explain turns an error from New or a subcommand into a sentence for the
// person at the terminal, in lang.
func Explain(lang i18n.Lang, err error) string {
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return i18n.T(lang, "cli.err.corrupt", err)
	case errors.Is(err, store.ErrLocked):
		return i18n.T(lang, "cli.err.locked", err)
	case errors.Is(err, store.ErrNewerSchema):
		return i18n.T(lang, "cli.err.newer", err)
	case errors.Is(err, store.ErrBadBackup):
		return i18n.T(lang, "cli.err.bad_backup", err)
	case errors.Is(err, ErrDataDir):
		return i18n.T(lang, "cli.err.datadir", err)
	}
	return i18n.T(lang, "cli.err.other", err)
}
