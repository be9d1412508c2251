package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"

	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/firmware/store"
)

// ErrRunning is returned by Run when the Set runs or has run.
var ErrRunning = errors.New("trunk: set already running")

// Config tunes a Set. Zero fields take defaults.
type Config struct {
	// DownAfter unanswered OPTIONS in a row mark a trunk down (default 3);
	// UpAfter answered ones mark it up again (default 2).
	DownAfter, UpAfter int
	// PingTimeout bounds one OPTIONS (default 2 s).
	PingTimeout time.Duration
	// RegisterTimeout bounds one REGISTER exchange (default 10 s).
	RegisterTimeout time.Duration
	// RetryMin and RetryMax bound the backoff after a failed
	// registration (defaults 5 s and 5 min): it doubles from RetryMin.
	RetryMin, RetryMax time.Duration
	// RingTimeout bounds ringing on outbound calls (default 60 s).
	RingTimeout time.Duration
	// ResolveTimeout bounds the DNS lookup of a trunk's host (default 5 s);
	// ResolveEvery is how often a host name is looked up again (default
	// 5 min).
	ResolveTimeout, ResolveEvery time.Duration
}

func (c Config) withDefaults() Config {
	if c.DownAfter <= 0 {
		c.DownAfter = 3
	}
	if c.UpAfter <= 0 {
		c.UpAfter = 2
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 2 * time.Second
	}
	if c.RegisterTimeout <= 0 {
		c.RegisterTimeout = 10 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 5 * time.Second
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(5*time.Minute, c.RetryMin)
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 60 * time.Second
	}
	if c.ResolveTimeout <= 0 {
		c.ResolveTimeout = 5 * time.Second
	}
	if c.ResolveEvery <= 0 {
		c.ResolveEvery = 5 * time.Minute
	}
	return c
}

// Clock is the time the Set's loops wait on; tests drive it by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option configures a Set.
type Option func(*Set)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Set) { s.log = l } }

// WithClock sets the clock of registration refreshes, retries and
// health checks.
func WithClock(c Clock) Option { return func(s *Set) { s.clock = c } }

// Set is the box's trunks, live.
type Set struct {
	st  *store.Store
	srv *acdsip.Server
	b2b *b2bua.B2BUA
	cfg Config
	log *slog.Logger

	clock   Clock
	running atomic.Bool
	peers   atomic.Pointer[peerTable]

	mu      sync.Mutex
	entries map[string]*entry
	cl      *sipgo.Client
	base    context.Context // Run's; nil before
	closing bool            // Run is stopping: no new call watchers
	wg      sync.WaitGroup  // call watchers (Add under mu while !closing)
}

// New makes a Set for the trunks in st, on SIP server srv (before it
// runs: New installs the trunk check on it) with outbound calls placed
// by b2b.
func New(st *store.Store, srv *acdsip.Server, b2b *b2bua.B2BUA, cfg Config, opts ...Option) (*Set, error) {
	if st == nil || srv == nil || b2b == nil {
		return nil, errors.New("trunk: store, SIP server and B2BUA are required")
	}
	s := &Set{st: st, srv: srv, b2b: b2b, cfg: cfg.withDefaults(), log: slog.Default(), clock: realClock{},
		entries: map[string]*entry{}}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("component", "trunk")
	s.peers.Store(&peerTable{})
	if err := srv.TrustPeers(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Name names the service for the supervisor.
func (s *Set) Name() string { return "trunks" }

// Run waits for the SIP server to be ready, starts every enabled trunk
// and follows the store until ctx ends; then it unregisters the trunks
// and waits for everything it started.
func (s *Set) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	select {
	case <-s.srv.Ready():
	case <-ctx.Done():
		return nil
	}
	ua := s.srv.UserAgent()
	local := s.localAddr()
	cl, err := sipgo.NewClient(ua, sipgo.WithClientLogger(s.log), sipgo.WithClientHostname(local.Addr().String()),
		sipgo.WithClientPort(int(local.Port())))
	if err != nil {
		return fmt.Errorf("trunk: client: %w", err)
	}
	seq := s.st.Seq()
	s.mu.Lock()
	s.cl, s.base = cl, ctx
	s.mu.Unlock()
	s.reconcile(ctx)
	s.follow(ctx, seq)

	s.mu.Lock()
	s.closing = true
	all := make([]*entry, 0, len(s.entries))
	for name, e := range s.entries {
		all = append(all, e)
		delete(s.entries, name)
	}
	s.mu.Unlock()
	s.publishPeers()
	for _, e := range all {
		e.stop()
	}
	s.wg.Wait()
	return nil
}

// follow applies trunk changes from the store's feed until ctx ends,
// resubscribing (and reconciling with a full read) when the store
// dropped it.
func (s *Set) follow(ctx context.Context, after uint64) {
	last := after
	for ctx.Err() == nil {
		got := false
		for ch := range s.st.Subscribe(ctx, last) {
			got = true
			last = ch.Seq
			if ch.Kind == store.KindTrunk {
				s.apply(ctx, ch.Key)
			}
		}
		if ctx.Err() != nil {
			return
		}
		if oldest := s.st.OldestSeq(); oldest > 0 && last+1 < oldest {
			last = s.st.Seq()
			s.reconcile(ctx)
		}
		if !got {
			select {
			case <-ctx.Done():
			case <-s.clock.After(time.Second):
			}
		}
	}
}

// reconcile brings every trunk in line with the store.
func (s *Set) reconcile(ctx context.Context) {
	recs, err := store.List[store.Trunk](s.st)
	if err != nil {
		s.log.Error("trunk: list", "error", err)
		return
	}
	names := map[string]bool{}
	for _, t := range recs {
		names[t.Name] = true
		s.apply(ctx, t.Name)
	}
	s.mu.Lock()
	var gone []string
	for name := range s.entries {
		if !names[name] {
			gone = append(gone, name)
		}
	}
	s.mu.Unlock()
	for _, name := range gone {
		s.apply(ctx, name)
	}
}

// apply makes trunk name match its record: started, restarted with the
// new settings, or stopped (and unregistered) when deleted or disabled.
func (s *Set) apply(ctx context.Context, name string) {
	t, err := store.Get[store.Trunk](s.st, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("trunk: read", "trunk", name, "error", err)
		return
	}
	found := err == nil
	s.mu.Lock()
	old := s.entries[name]
	if old != nil && found && reflect.DeepEqual(old.rec, t) {
		s.mu.Unlock()
		return
	}
	delete(s.entries, name)
	s.mu.Unlock()
	if old != nil {
		old.stop()
		s.log.Info("trunk: stopped", "trunk", name)
	}
	if found {
		e := s.newEntry(ctx, t)
		if old != nil {
			e.chans = old.chans
		}
		s.mu.Lock()
		s.entries[name] = e
		s.mu.Unlock()
		e.start(ctx)
		s.log.Info("trunk: started", "trunk", name, "enabled", t.Enabled, "register", t.Register)
	}
	s.publishPeers()
}

// entry returns the running trunk called name.
func (s *Set) entry(name string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[name]
}

// Status is one trunk's state for the status page.
type Status struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Register tells whether the trunk registers; Registered whether it
	// is registered now, until RegisteredUntil. RegisterError is the
	// last failure, NextRegister the next attempt (refresh or retry).
	Register        bool      `json:"register"`
	Registered      bool      `json:"registered"`
	RegisterError   string    `json:"registerError,omitempty"`
	RegisteredUntil time.Time `json:"registeredUntil,omitzero"`
	NextRegister    time.Time `json:"nextRegister,omitzero"`
	// Health is HealthUp, HealthDown, HealthUnknown or HealthOff.
	Health    Health        `json:"health"`
	RTT       time.Duration `json:"rtt"`
	LastError string        `json:"lastError,omitempty"`
	// Channels is the outbound calls up now; MaxChannels their limit (0:
	// none).
	Channels    int `json:"channels"`
	MaxChannels int `json:"maxChannels"`
}

// Health is a trunk's state by OPTIONS.
type Health string

// The health states.
const (
	HealthUp      Health = "up"
	HealthDown    Health = "down"
	HealthUnknown Health = "unknown" // no verdict yet
	HealthOff     Health = "off"     // no OPTIONS checks (OptionsInterval 0)
)

// Status reports every trunk in the store's records that the Set runs,
// by name.
func (s *Set) Status() []Status {
	s.mu.Lock()
	es := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		es = append(es, e)
	}
	s.mu.Unlock()
	out := make([]Status, 0, len(es))
	for _, e := range es {
		out = append(out, e.status())
	}
	slices.SortFunc(out, func(a, b Status) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Key is the message key of the state's label in firmware/i18n (sip.go).
func (h Health) Key() string { return "sip.trunks.health." + string(h) }
