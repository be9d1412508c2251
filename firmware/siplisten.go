package firmware

import (
	"net/netip"

	"callbox/webui"
)

// sipListening is what the box's SIP server listens on now, for the
// pages that tell an installer where phones register (setup, overview,
// provisioning sheet), and whether the command line (--sip) set it, in
// which case the settings saved by setup do not apply. Before the server
// has bound its listeners, it is what the configuration asks for.
func (a *Appliance) sipListening() (webui.SIPSettings, bool) {
	cfg := a.cfg
	s := webui.SIPSettings{Domain: cfg.SIPDomain}
	if p := a.tel.srv.Addr("udp"); p.IsValid() {
		s.Port = int(p.Port())
	} else if p := a.tel.srv.Addr("tcp"); p.IsValid() {
		s.Port = int(p.Port())
	}
	if p := a.tel.srv.Addr("tls"); p.IsValid() {
		s.TLSPort = int(p.Port())
	}
	if s.Port == 0 || s.TLSPort == 0 {
		// Not bound yet: the addresses the configuration gives.
		if _, udp, tls, _, err := sipAddrs(cfg.SIPAddr, cfg.SIPTLSPort); err == nil {
			if p, err := netip.ParseAddrPort(udp); err == nil && s.Port == 0 {
				s.Port = int(p.Port())
			}
			if p, err := netip.ParseAddrPort(tls); err == nil && s.TLSPort == 0 {
				s.TLSPort = int(p.Port())
			}
		}
	}
	return s, !cfg.SIPFromSetup
}
