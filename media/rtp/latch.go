package rtp

import "net/netip"

// latch learns the peer from media; see the package comment for the rule.
type latch struct {
	need     int
	peer     netip.AddrPort // from SDP until latched
	latched  bool
	cand     netip.AddrPort
	candSSRC uint32
	candN    int
}

func (l *latch) reset(sdp netip.AddrPort) {
	l.peer = sdp
	l.latched = false
	l.candN = 0
}

// accept reports whether a valid packet from `from` is the peer's, and
// whether the peer just changed to it.
func (l *latch) accept(from netip.AddrPort, ssrc uint32) (ok, changed bool) {
	if !l.latched {
		l.latched = true
		l.candN = 0
		changed = l.peer != from
		l.peer = from
		return true, changed
	}
	if from == l.peer {
		l.candN = 0 // the peer is alive: no takeover
		return true, false
	}
	if l.candN > 0 && from == l.cand && ssrc == l.candSSRC {
		l.candN++
	} else {
		l.cand, l.candSSRC, l.candN = from, ssrc, 1
	}
	if l.candN >= l.need {
		l.peer = from
		l.candN = 0
		return true, true
	}
	return false, false
}
