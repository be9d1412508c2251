package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"callbox/acd/sip/digest"
	"callbox/acd/sip/guard"
)

// ErrConfig is wrapped by every configuration error New returns.
var ErrConfig = errors.New("sip: bad configuration")

// Config is the switch's SIP configuration. Zero fields take defaults.
type Config struct {
	// UDP, TCP and TLS are the listen addresses ("192.0.2.10:5060").
	// Empty turns a transport off. A wildcard host (0.0.0.0, ::, or no
	// host) is refused unless AllowWildcard is set, so that the service
	// address can move between a standby pair.
	UDP, TCP, TLS string
	AllowWildcard bool

	// Realm is the digest realm (default "callbox").
	Realm string
	// UserAgent is the Server/User-Agent header value (default "callbox").
	UserAgent string

	// DataDir holds the generated TLS certificate (sip-tls-cert.pem,
	// sip-tls-key.pem). TLSCertFile and TLSKeyFile, when set, are used
	// instead (an installer's uploaded certificate).
	DataDir                 string
	TLSCertFile, TLSKeyFile string

	// MinExpires, MaxExpires and DefaultExpires bound registrations
	// (defaults 60 s, 1 h, 1 h). A shorter request gets 423.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// MaxContacts is the number of devices one extension may register
	// (default 10); beyond it the binding closest to expiry is replaced.
	MaxContacts int

	// KeepAlive is the interval of keep-alives to registered phones
	// (default 30 s; negative turns them off). KeepAliveTimeout bounds
	// each OPTIONS (default 5 s).
	KeepAlive, KeepAliveTimeout time.Duration

	// NonceLifetime is how long a digest nonce is good (default 5 min).
	NonceLifetime time.Duration
	// DigestAlgorithms are the challenges offered, in order (default MD5
	// then SHA-256). MD5 comes first because many phones, and SIPp, answer
	// only the first challenge and know only MD5; a phone that prefers
	// SHA-256 still finds it.
	DigestAlgorithms []digest.Algorithm
	// MD5OnlyAgents lists case-insensitive User-Agent substrings of
	// clients that are offered MD5 alone, because any other challenge
	// makes them give up: libre as shipped with baresip 1.x fails the
	// whole request when one WWW-Authenticate names an algorithm it lacks.
	// Default: baresip 0.x and 1.x. An empty non-nil list turns it off.
	MD5OnlyAgents []string

	// Guard holds the ban, rate-limit and scanner settings.
	Guard guard.Config
	// KnownRate and KnownBurst are the per-address rate limit of
	// addresses with a registered phone or a trunk (default ten times
	// Guard's): one office behind NAT sends all its phones' traffic from
	// one address.
	KnownRate  float64
	KnownBurst int
}

func (c Config) withDefaults() Config {
	if c.Realm == "" {
		c.Realm = "callbox"
	}
	if c.UserAgent == "" {
		c.UserAgent = "callbox"
	}
	if c.MinExpires <= 0 {
		c.MinExpires = time.Minute
	}
	if c.MaxExpires <= 0 {
		c.MaxExpires = time.Hour
	}
	if c.DefaultExpires <= 0 {
		c.DefaultExpires = time.Hour
	}
	c.DefaultExpires = min(max(c.DefaultExpires, c.MinExpires), c.MaxExpires)
	if c.MaxContacts <= 0 {
		c.MaxContacts = 10
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = 30 * time.Second
	}
	if c.KeepAliveTimeout <= 0 {
		c.KeepAliveTimeout = 5 * time.Second
	}
	if c.NonceLifetime <= 0 {
		c.NonceLifetime = 5 * time.Minute
	}
	if c.MD5OnlyAgents == nil {
		c.MD5OnlyAgents = []string{"baresip v0.", "baresip v1."}
	}
	g := guard.New(c.Guard).Config()
	if c.KnownRate <= 0 {
		c.KnownRate = 10 * g.Rate
	}
	if c.KnownBurst <= 0 {
		c.KnownBurst = 10 * g.Burst
	}
	if len(c.DigestAlgorithms) == 0 {
		c.DigestAlgorithms = []digest.Algorithm{digest.MD5, digest.SHA256}
	}
	return c
}

func (c Config) check() error {
	if c.UDP == "" && c.TCP == "" && c.TLS == "" {
		return fmt.Errorf("%w: no listener (UDP, TCP or TLS address)", ErrConfig)
	}
	if c.MinExpires > c.MaxExpires {
		return fmt.Errorf("%w: MinExpires %v above MaxExpires %v", ErrConfig, c.MinExpires, c.MaxExpires)
	}
	for _, a := range []struct{ name, addr string }{{"UDP", c.UDP}, {"TCP", c.TCP}, {"TLS", c.TLS}} {
		if a.addr == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(a.addr)
		if err != nil {
			return fmt.Errorf("%w: %s address %q: want ip:port (%v)", ErrConfig, a.name, a.addr, err)
		}
		if ap.Addr().IsUnspecified() && !c.AllowWildcard {
			return fmt.Errorf("%w: %s address %q is a wildcard; give the service address", ErrConfig, a.name, a.addr)
		}
	}
	for _, a := range c.DigestAlgorithms {
		if a != digest.MD5 && a != digest.SHA256 {
			return fmt.Errorf("%w: digest algorithm %q", ErrConfig, a)
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return fmt.Errorf("%w: TLSCertFile and TLSKeyFile go together", ErrConfig)
	}
	if c.TLS != "" && c.TLSCertFile == "" && c.DataDir == "" {
		return fmt.Errorf("%w: TLS needs DataDir for its certificate, or TLSCertFile", ErrConfig)
	}
	return nil
}
