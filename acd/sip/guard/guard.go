package guard

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config holds the limits. The zero value of a field means its default.
type Config struct {
	// MaxFailures failed authentications within FailWindow ban the
	// address for BanFor. Defaults 5, 10 minutes, 1 hour.
	MaxFailures int
	FailWindow  time.Duration
	BanFor      time.Duration
	// Rate is the sustained requests per second allowed per address and
	// Burst the bucket size. Defaults 20/s and 100.
	Rate  float64
	Burst int
	// Scanners lists case-insensitive substrings of User-Agent values
	// whose requests are dropped without an answer. Default
	// DefaultScanners.
	Scanners []string
	// MaxTracked bounds each table (addresses with failures, buckets).
	// Default 65536.
	MaxTracked int
}

// DefaultScanners are user agents of SIP scanning and brute-force tools.
var DefaultScanners = []string{
	"friendly-scanner", "sipvicious", "sipcli", "vaxsipuseragent",
	"sundayddr", "iwar", "sip-scan", "sipsak", "smap", "siparmyknife",
	"pplsip", "sipptk", "voip-scanner",
}

func (c Config) withDefaults() Config {
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.FailWindow <= 0 {
		c.FailWindow = 10 * time.Minute
	}
	if c.BanFor <= 0 {
		c.BanFor = time.Hour
	}
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Burst <= 0 {
		c.Burst = 100
	}
	if c.Scanners == nil {
		c.Scanners = DefaultScanners
	}
	if c.MaxTracked <= 0 {
		c.MaxTracked = 1 << 16
	}
	lower := make([]string, 0, len(c.Scanners))
	for _, s := range c.Scanners {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			lower = append(lower, s)
		}
	}
	c.Scanners = lower
	return c
}

// Ban is one banned address (a host, or an IPv6 /64).
type Ban struct {
	Prefix   netip.Prefix
	Since    time.Time
	Until    time.Time
	Failures int
	Reason   string // the last failure, as the caller named it (acd/sip: an i18n key)
}

// Guard keeps the per-address state. It is safe for concurrent use.
type Guard struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	onBan  func(Ban)
	mu     sync.Mutex
	fails  map[netip.Prefix][]time.Time
	bans   map[netip.Prefix]Ban
	bucket map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Option configures a Guard.
type Option func(*Guard)

// WithClock sets the time source.
func WithClock(now func() time.Time) Option { return func(g *Guard) { g.now = now } }

// WithLogger sets the logger bans are reported to.
func WithLogger(l *slog.Logger) Option { return func(g *Guard) { g.log = l } }

// WithBanHook calls f (outside the Guard's lock) for every new ban, so the
// owner can publish it.
func WithBanHook(f func(Ban)) Option { return func(g *Guard) { g.onBan = f } }

// New returns a Guard with cfg (zero fields take their defaults).
func New(cfg Config, opts ...Option) *Guard {
	g := &Guard{
		cfg:    cfg.withDefaults(),
		now:    time.Now,
		log:    slog.Default(),
		fails:  map[netip.Prefix][]time.Time{},
		bans:   map[netip.Prefix]Ban{},
		bucket: map[netip.Prefix]*bucket{},
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Config returns the effective configuration.
func (g *Guard) Config() Config { return g.cfg }

// PrefixOf is what a ban of a covers: the host for IPv4, its /64 for
// IPv6 (one subscriber's network).
func PrefixOf(a netip.Addr) netip.Prefix { return key(a) }

// key is the accounting unit of an address.
func key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.WithZone("").Prefix(64)
	return p
}

// Banned reports whether addr is banned now.
func (g *Guard) Banned(addr netip.Addr) bool {
	k := key(addr)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bannedLocked(k, g.now())
}

func (g *Guard) bannedLocked(k netip.Prefix, now time.Time) bool {
	b, ok := g.bans[k]
	if !ok {
		return false
	}
	if now.Before(b.Until) {
		return true
	}
	delete(g.bans, k)
	return false
}

// Allow reports whether a message from addr may be processed: the address
// is not banned and its token bucket has a token, which it takes.
func (g *Guard) Allow(addr netip.Addr) bool {
	k := key(addr)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bannedLocked(k, now) {
		return false
	}
	b := g.bucket[k]
	if b == nil {
		if len(g.bucket) >= g.cfg.MaxTracked {
			g.pruneBucketsLocked(now)
		}
		b = &bucket{tokens: float64(g.cfg.Burst), last: now}
		g.bucket[k] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(float64(g.cfg.Burst), b.tokens+el*g.cfg.Rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// pruneBucketsLocked drops full buckets (idle addresses lose nothing);
// under a flood of distinct sources, it drops arbitrary ones, which only
// gives those sources a fresh burst.
func (g *Guard) pruneBucketsLocked(now time.Time) {
	full := float64(g.cfg.Burst) / g.cfg.Rate
	for k, b := range g.bucket {
		if now.Sub(b.last).Seconds() >= full {
			delete(g.bucket, k)
		}
	}
	for k := range g.bucket {
		if len(g.bucket) < g.cfg.MaxTracked {
			break
		}
		delete(g.bucket, k)
	}
}

// Fail records a failed authentication from addr and reports whether the
// address is now banned. reason is kept for the admin's list.
func (g *Guard) Fail(addr netip.Addr, reason string) bool {
	k := key(addr)
	now := g.now()
	g.mu.Lock()
	if g.bannedLocked(k, now) {
		g.mu.Unlock()
		return true
	}
	cut := now.Add(-g.cfg.FailWindow)
	ts := g.fails[k]
	ts = slices.DeleteFunc(ts, func(t time.Time) bool { return !t.After(cut) })
	ts = append(ts, now)
	if len(ts) < g.cfg.MaxFailures {
		if len(g.fails) >= g.cfg.MaxTracked {
			g.pruneFailsLocked(cut)
		}
		g.fails[k] = ts
		g.mu.Unlock()
		return false
	}
	delete(g.fails, k)
	b := Ban{Prefix: k, Since: now, Until: now.Add(g.cfg.BanFor), Failures: len(ts), Reason: reason}
	g.bans[k] = b
	g.mu.Unlock()
	g.log.Warn("sip: address banned", "addr", k.String(), "failures", b.Failures,
		"window", g.cfg.FailWindow, "until", b.Until, "reason", reason)
	if g.onBan != nil {
		g.onBan(b)
	}
	return true
}

func (g *Guard) pruneFailsLocked(cut time.Time) {
	for k, ts := range g.fails {
		if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
			delete(g.fails, k)
		}
	}
	for k := range g.fails {
		if len(g.fails) < g.cfg.MaxTracked {
			break
		}
		delete(g.fails, k)
	}
}

// Bans lists the bans in force, oldest first.
func (g *Guard) Bans() []Ban {
	now := g.now()
	g.mu.Lock()
	out := make([]Ban, 0, len(g.bans))
	for k, b := range g.bans {
		if now.Before(b.Until) {
			out = append(out, b)
		} else {
			delete(g.bans, k)
		}
	}
	g.mu.Unlock()
	slices.SortFunc(out, func(a, b Ban) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return a.Prefix.Addr().Compare(b.Prefix.Addr())
	})
	return out
}

// Lift removes the ban on addr (and its failure history) and reports
// whether there was one.
func (g *Guard) Lift(addr netip.Addr) bool {
	k := key(addr)
	g.mu.Lock()
	_, ok := g.bans[k]
	delete(g.bans, k)
	delete(g.fails, k)
	g.mu.Unlock()
	if ok {
		g.log.Info("sip: ban lifted", "addr", k.String())
	}
	return ok
}

// Restore puts back a ban kept from before a restart; one already over
// is ignored and reported false. It does not call the ban hook: the
// owner is reading back what it kept.
func (g *Guard) Restore(b Ban) bool {
	k := key(b.Prefix.Addr())
	if !b.Prefix.IsValid() || !g.now().Before(b.Until) {
		return false
	}
	b.Prefix = k
	g.mu.Lock()
	g.bans[k] = b
	g.mu.Unlock()
	return true
}

// IsScanner reports whether userAgent belongs to a known scanner.
func (g *Guard) IsScanner(userAgent string) bool {
	if userAgent == "" {
		return false
	}
	ua := strings.ToLower(userAgent)
	for _, s := range g.cfg.Scanners {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}
