package firmware

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	// StopTimeout bounds the whole shutdown, from SIGTERM to exit.
	StopTimeout = 5 * time.Second
	storeFile   = "callbox.db"
	consoleSock = "console.sock"
)

// ErrBadAddr means a listen address is not host:port with a usable port.
var ErrBadAddr = errors.New("bad listen address")

// Config is everything `callbox run` is told on its command line.
type Config struct {
	DataDir    string
	HTTPAddr   string
	SIPAddr    string // validated and kept for the SIP switch
	Demo       bool
	LogLevel   slog.Level
	ConsoleTTY string // optional serial device for the technician console
	Version    string

	// Stdout is where the one-time admin password is printed; Stderr
	// receives the text log. Nil discards.
	Stdout, Stderr io.Writer

	// For tests: where to look for GPIO chips ("" is /dev), the clock, and
	// the restart backoff.
	GPIODevDir string
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
	return nil
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
