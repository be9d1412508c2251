package b2bua

import (
	"callbox/acd"
	"callbox/media"
	"callbox/media/sdp"
)

// Hold and resume: a phone holds with a re-INVITE (or UPDATE) offering
// sendonly or inactive, so the box's answer stops sending to it. The
// bridge is told (acd.Call.Hold) and plays the switch's music on hold to
// the parties the phone held, instead of relaying the phone's audio; the
// next offer that receives again resumes the relay.

// negotiated is a leg's current media agreement.
func negotiated(l dialogLeg) (sdp.Negotiated, bool) {
	switch l := l.(type) {
	case *inLeg:
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.neg, true
	case *outLeg:
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.neg, true
	}
	return sdp.Negotiated{}, false
}

// nextVersion bumps the version of the SDP a leg sends (RFC 4566 o=).
func nextVersion(l dialogLeg) uint64 {
	switch l := l.(type) {
	case *inLeg:
		l.mu.Lock()
		defer l.mu.Unlock()
		l.version++
		return l.version
	case *outLeg:
		l.mu.Lock()
		defer l.mu.Unlock()
		l.version++
		return l.version
	}
	return 1
}

// noteNegotiated keeps a leg's new media agreement.
func noteNegotiated(l dialogLeg, n sdp.Negotiated) {
	switch l := l.(type) {
	case *inLeg:
		l.mu.Lock()
		l.neg = n
		l.mu.Unlock()
	case *outLeg:
		l.setNegotiated(n)
	}
}

// holds reports whether a direction (the box's side of it) means the
// phone has put the call on hold: the box may not send to it.
func holds(d media.Direction) bool { return !d.Sends() }

// noteHold tells the leg's call that the phone held or resumed, when its
// direction changed that way.
func (b *B2BUA) noteHold(l dialogLeg, before, after media.Direction) {
	if holds(before) == holds(after) {
		return
	}
	c, ok := b.sw.CallOf(l.ID())
	if !ok {
		return
	}
	if err := c.Hold(l, holds(after)); err != nil {
		b.log.Debug("hold not applied", "leg", l.ID(), "err", err)
	}
}

// callOf is the call a B2BUA leg is in.
func (b *B2BUA) callOf(l acd.Leg) (*acd.Call, bool) { return b.sw.CallOf(l.ID()) }
