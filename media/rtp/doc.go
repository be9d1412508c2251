// Package rtp runs the RTP side of a call leg: a port pair from a
// configured range, symmetric RTP with a hijack guard, statistics, RTCP,
// a no-media timeout, and the media.Endpoint the switch bridges.
//
// Sockets are served by a relay.Engine: there is no goroutine per session.
// Packets arriving on a session's RTP port are validated, latched,
// counted, then forwarded to the session it relays to (the fast path: no
// decoding, header rewritten only where the outgoing stream needs it) and,
// when someone reads the leg, copied into a jitter buffer and decoded to
// 20 ms PCM frames.
//
// # Hearing a leg beside the relay
//
// Listen gives one more reader the leg's audio through a jitter buffer
// and a goroutine of its own, woken by every packet: right for a reader
// that must get each frame as it comes (a conference mixer input).
// Capture is the cheap way for everyone else (recordings, supervisors,
// fax-tone detection): the loop copies each audio packet into the
// capture's queue, and one timer for all the captures of a Ports drains
// the queues every 20 ms, decoding in timestamp order. Recording every
// call of a busy box costs no goroutine and no wake-up per packet.
//
// # Latching rule
//
// A phone behind NAT sends from an address its SDP does not name, so the
// session learns its peer from the media (symmetric RTP). The first valid
// packet (RTP version 2, a negotiated payload type, a well-formed header)
// latches its source address; media then goes there. Once latched, a
// packet from another address is dropped unless that address sends
// Config.LatchPackets valid packets in a row with the same SSRC and not one
// packet arrives from the latched address in between: a phone that moved
// (new NAT binding, failover of the far end) takes over after a fifth of a
// second, while a third party injecting packets during a live call never
// does. A new remote address from SDP (SetRemote) unlatches. Before the
// first packet any source can latch; that window, the call's first
// packet, is open in every symmetric-RTP implementation. RTCP is accepted
// only from the latched peer's address.
//
// # Hold
//
// SetDirection applies the direction negotiated by media/sdp. Without
// send (the peer held us with sendonly or inactive, or the box holds it),
// nothing goes toward the peer: neither relayed packets nor frames from
// the Writer nor digits.
//
// # DTMF
//
// Digits delivers RFC 4733 events (de-duplicated by timestamp) whether or
// not the leg is relayed; SendDigit sends them, or the digit's tones in
// band when telephone-event was not negotiated. For in-band detection on
// PSTN audio, feed Reader into dtmf.NewDetector.
//
// # Failover
//
// State exports what a standby needs (port, latched peer, codec,
// direction, the outgoing stream's SSRC/sequence/timestamp position);
// Restore rebuilds the leg on the same port and continues the stream.
//
// # Timeout
//
// A session expecting media (its direction receives) that gets no valid
// RTP for Config.Timeout closes the TimedOut channel and calls
// Config.OnTimeout once, at most half a Timeout late (the check runs every
// quarter Timeout); readers then fail with media.ErrTimeout. Time
// comes from Config.Clock.
package rtp
