package firmware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"callbox/webui"
)

// The setup wizard asks for the SIP domain and ports. They are kept in
// <data>/sip.json, not in the store, because they decide how the box
// listens before the store's services run, and a technician can read and
// fix the file from the console. They apply at the next start, unless
// `callbox run --sip` names an address: the command line wins.

const sipSettingsFile = "sip.json"

// ErrSIPSettings is returned for SIP settings that cannot be used.
var ErrSIPSettings = errors.New("bad SIP settings")

// loadSIPSettings reads the saved settings; none saved is the zero value.
func loadSIPSettings(dataDir string) (webui.SIPSettings, error) {
	var s webui.SIPSettings
	b, err := os.ReadFile(filepath.Join(dataDir, sipSettingsFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return webui.SIPSettings{}, fmt.Errorf("%w: %s: %w", ErrSIPSettings, sipSettingsFile, err)
	}
	if err := checkSIPSettings(s); err != nil {
		return webui.SIPSettings{}, err
	}
	return s, nil
}

// saveSIPSettings checks s and writes it whole (a temporary file renamed).
func saveSIPSettings(dataDir string, s webui.SIPSettings) error {
	if err := checkSIPSettings(s); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSynced(filepath.Join(dataDir, sipSettingsFile), bytes.NewReader(append(b, '\n')))
}

func checkSIPSettings(s webui.SIPSettings) error {
	for _, p := range []int{s.Port, s.TLSPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%w: port %d", ErrSIPSettings, p)
		}
	}
	if s.Port != 0 && s.Port == s.TLSPort {
		return fmt.Errorf("%w: TLS needs a port of its own", ErrSIPSettings)
	}
	if s.Domain != "" && !validHostname(s.Domain) && net.ParseIP(s.Domain) == nil {
		return fmt.Errorf("%w: domain %q", ErrSIPSettings, s.Domain)
	}
	return nil
}

// applySIPSettings puts the saved settings into cfg when the command line
// left the SIP address to them.
func applySIPSettings(cfg Config) (Config, error) {
	if !cfg.SIPFromSetup {
		return cfg, nil
	}
	s, err := loadSIPSettings(cfg.DataDir)
	if err != nil {
		return cfg, err
	}
	if s.Port != 0 {
		host, _, err := net.SplitHostPort(cfg.SIPAddr)
		if err != nil {
			return cfg, fmt.Errorf("%w %q: %w", ErrBadAddr, cfg.SIPAddr, err)
		}
		cfg.SIPAddr = net.JoinHostPort(host, strconv.Itoa(s.Port))
	}
	cfg.SIPTLSPort, cfg.SIPDomain = s.TLSPort, s.Domain
	return cfg, nil
}
