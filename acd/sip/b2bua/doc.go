// Package b2bua is callbox's back-to-back user agent: it turns SIP
// INVITE dialogs into acd.Legs and places calls to registered phones.
//
// Every call has two independent dialogs, one per side, each with its own
// RTP session from media/rtp; the switch bridges the sessions with the
// relay fast path, so the box anchors all media.
//
//   - An INVITE from a phone (authenticated by acd/sip) becomes an inbound
//     Leg: 100 Trying at once, 180 or 183 with early media while the
//     callee rings, 200 with the SDP answer negotiated by media/sdp when
//     the switch answers, CANCEL before that ends it with 487, BYE from
//     either side ends it, a re-INVITE changes the media direction (hold
//     and resume).
//   - Dial rings every registered device of an extension at once (Server
//     Contacts, with their NAT-rewritten targets), presenting the caller
//     in the From display name and P-Asserted-Identity. The first device
//     to answer wins; the others are CANCELed (or, when two answer at
//     once, sent BYE). Final responses map to Q.850 causes (acd.Cause).
//   - Handle is an acd.Handler for extension-to-extension calls: it asks
//     the dialplan, honours do-not-disturb and forwarding (always, busy,
//     no answer) from the extension's store record, and bridges.
//
// Each leg's dialog state (Call-ID, tags, CSeq, route set, remote target)
// is available as a plain Dialog record for replication.
package b2bua
