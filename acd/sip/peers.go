package sip

import (
	"net/netip"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Peer is an outside SIP peer recognised without digest: an
// IP-authenticated trunk, or a carrier sending to the Contact the box
// registered with it.
type Peer struct {
	// Trunk names the trunk (store.Trunk.Name).
	Trunk string
	// Dialed is the number the call is for, already mapped through the
	// trunk's DID list; empty for requests that are not calls.
	Dialed string
	// Refuse, when not zero, is the status the request is answered with
	// instead (404 for a number the trunk does not carry).
	Refuse int
}

// Peers recognises trusted peers (acd/sip/trunk implements it).
type Peers interface {
	// Identify reports whether req from src comes from a trusted peer,
	// and which. It must not block: it runs for every request.
	Identify(req *sipmsg.Request, src netip.AddrPort) (Peer, bool)
	// Known reports whether addr belongs to a trusted peer, for the
	// larger rate allowance known addresses get.
	Known(addr netip.Addr) bool
}

// TrustPeers sets who may send requests without digest besides
// registered phones (OPTIONS) and dialogs the switch holds. It returns
// ErrRunning once Run has started.
func (s *Server) TrustPeers(p Peers) error {
	if s.running.Load() {
		return ErrRunning
	}
	s.peers = p
	return nil
}

// peer identifies req as a trusted peer's; false without Peers.
func (s *Server) peer(req *sipmsg.Request, src netip.AddrPort) (Peer, bool) {
	if s.peers == nil {
		return Peer{}, false
	}
	return s.peers.Identify(req, src)
}

// knownAddr reports whether addr is a registered phone's or a trusted
// peer's: a NATed office sends every phone's traffic from one address,
// which the per-address rate limit must not take for a flood.
func (s *Server) knownAddr(addr netip.Addr) bool {
	if s.reg.knownAddr(addr) {
		return true
	}
	return s.peers != nil && s.peers.Known(addr)
}
