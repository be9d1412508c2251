package firmware

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"callbox/drivers/gpio"
)

// Defaults for the appliance.
const (
	DefaultDataDir  = "/var/lib/callbox"
	DefaultHTTPAddr = ":80"
	DefaultSIPAddr  = ":5060"
	// DefaultRTPPorts is the media port range.
	DefaultRTPPorts = "10000-19999"
	// DefaultSimBasePort is simulated PSTN line 1's SIP port (line n
	// listens on base+n-1).
	DefaultSimBasePort = 5070
	// DefaultGCPercent is how far the Go heap grows past what the last
	// collection kept before the next one starts (Go's own default is
	// 100). A call's memory is mostly state that lives as long as the
	// call, and what the heap grows past it is garbage held in RAM until
	// the next collection: at 100 a recorded call's 50 KB of heap took
	// up to 100 KB of RAM, at 50 up to 75 KB. The collector then runs
	// twice as often, but only while calls are set up and torn down; a
	// call in progress allocates nothing (BENCHMARKS.md has the cost).
	DefaultGCPercent = 50
	// StopTimeout bounds the whole shutdown, from SIGTERM to exit.
	StopTimeout = 5 * time.Second
	storeFile   = "callbox.db"
	consoleSock = "console.sock"
)

// ErrBadAddr means a listen address is not host:port with a usable port.
var ErrBadAddr = errors.New("bad listen address")

// Config is everything `callbox run` is told on its command line.
type Config struct {
	DataDir  string
	HTTPAddr string
	SIPAddr  string // UDP and TCP listen address of the SIP switch; TLS listens on the next port
	// SIPFromSetup lets the SIP port, TLS port and domain saved by the
	// setup wizard (sip.json) replace those of SIPAddr: set when the
	// command line named no address.
	SIPFromSetup bool
	// SIPTLSPort is the TLS port (0: the SIP port plus one); SIPDomain the
	// domain phones register to, used as the digest realm ("" keeps the
	// switch's default).
	SIPTLSPort int
	SIPDomain  string
	// RTPPorts is the media port range, "first-last".
	RTPPorts string
	// SIPRate is the SIP requests per second allowed per source address
	// (burst five times that); 0 keeps the SIP server's defaults. A box
	// behind an SBC, or under a load test, sees one busy address.
	SIPRate float64
	// SIPMaxExpiry is the longest registration the registrar grants (0:
	// the SIP server's default, one hour); a phone asking for more gets
	// this. Sites whose phones re-register rarely, and long soak runs,
	// raise it.
	SIPMaxExpiry time.Duration
	// SimBasePort is the SIP port of simulated PSTN line 1 (0: any free
	// ports); SimPeer is where calls out on simulated lines go ("" refuses
	// them).
	SimBasePort int
	SimPeer     string
	Demo        bool
	LogLevel    slog.Level
	ConsoleTTY  string // optional serial device for the technician console
	// GCPercent is the Go collector's heap growth between collections,
	// in percent (DefaultGCPercent; 0 keeps Go's own default). The GOGC
	// environment variable, when set, wins over it.
	GCPercent int
	// DebugAddr, when set, serves Go's profiler and runtime figures on a
	// loopback address (--debug); "" serves nothing.
	DebugAddr string
	Version   string

	// Stdout is where the one-time admin password is printed; Stderr
	// receives the text log. Nil discards.
	Stdout, Stderr io.Writer

	// For tests: where to look for GPIO chips ("" is /dev), the clock, and
	// the restart backoff.
	GPIODevDir string
	DAHDIDir   string // where to look for DAHDI channels ("" is /dev/dahdi)
	Now        func() time.Time
	Backoff    Backoff
	GPIOLayout gpio.Layout
}

// StorePath is the bbolt file under DataDir.
func StorePath(dataDir string) string { return filepath.Join(dataDir, storeFile) }

// ConsoleSocket is the technician console's unix socket under DataDir.
func ConsoleSocket(dataDir string) string { return filepath.Join(dataDir, consoleSock) }

// LogPath is the rotating log file under DataDir.
func LogPath(dataDir string) string { return filepath.Join(dataDir, "log", "callbox.log") }

// Validate checks the addresses and the data directory name.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("no data directory")
	}
	if err := ValidateAddr(c.HTTPAddr); err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	if err := ValidateAddr(c.SIPAddr); err != nil {
		return fmt.Errorf("--sip: %w", err)
	}
	if _, _, err := ParsePortRange(c.RTPPorts); err != nil {
		return fmt.Errorf("--rtp-ports: %w", err)
	}
	if c.SIPRate < 0 {
		return fmt.Errorf("--sip-rate: %v is negative", c.SIPRate)
	}
	if c.SIPMaxExpiry != 0 && (c.SIPMaxExpiry < time.Minute || c.SIPMaxExpiry > 7*24*time.Hour) {
		return fmt.Errorf("--sip-max-expiry: %v is outside 1m to 168h", c.SIPMaxExpiry)
	}
	if c.SimBasePort < 0 || c.SimBasePort > 65535-16 {
		return fmt.Errorf("--sim-base-port: %w %d", ErrBadAddr, c.SimBasePort)
	}
	if c.GCPercent != 0 && (c.GCPercent < 10 || c.GCPercent > 1000) {
		return fmt.Errorf("--gc-percent: %d is outside 10 to 1000", c.GCPercent)
	}
	if err := ValidateDebugAddr(c.DebugAddr); err != nil {
		return fmt.Errorf("--debug: %w", err)
	}
	if c.SimPeer != "" {
		if _, err := netip.ParseAddrPort(c.SimPeer); err != nil {
			return fmt.Errorf("--sim-peer: %w %q: want ip:port", ErrBadAddr, c.SimPeer)
		}
	}
	return nil
}

// ErrPortRange means a port range is not "first-last" within 1024-65535.
var ErrPortRange = errors.New("bad port range")

// ParsePortRange reads "first-last"; "" is DefaultRTPPorts.
func ParsePortRange(s string) (first, last int, err error) {
	if s == "" {
		s = DefaultRTPPorts
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%w %q: want first-last", ErrPortRange, s)
	}
	first, err1 := strconv.Atoi(a)
	last, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || first < 1024 || last > 65535 || last < first+3 {
		return 0, 0, fmt.Errorf("%w %q: want first-last within 1024-65535, at least 4 ports", ErrPortRange, s)
	}
	return first, last, nil
}

// ValidateAddr accepts host:port where port is 0-65535 and host is empty,
// an IP address or a DNS name, as net.Listen would.
func ValidateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrBadAddr, addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%w %q: port must be a number from 0 to 65535", ErrBadAddr, addr)
	}
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if !validHostname(host) {
		return fmt.Errorf("%w %q: %q is neither an IP address nor a host name", ErrBadAddr, addr, host)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ParseLevel reads a --log-level value: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
