// Package sip is callbox's SIP switch front end, built on
// github.com/emiago/sipgo: the UDP, TCP and TLS listeners, the registrar
// and the security and robustness checks every request passes before the
// switch sees it.
//
// A request goes through one ordered pipeline (filter.go, then serve in
// server.go):
//
//  1. raw datagram or stream chunk: banned sources and sources over their
//     rate are dropped (guard; addresses of registered phones and trunks
//     have a larger allowance, Config.KnownRate, since one office behind
//     NAT is one address); on UDP, a message that does not parse is
//     answered 400 when its Via, From, To, Call-ID and CSeq can be found,
//     and dropped otherwise; known scanner user agents are dropped
//     silently;
//  2. parsed request: RFC 3261 sanity checks (validate.go) answer 400,
//     416, 420, 483 or 505 as RFC 4475 expects;
//  3. NAT: the top Via gets received and rport (RFC 3581, nat.go);
//  4. authentication: every request from a peer that is not a registered
//     phone needs a valid digest (auth.go); failures count towards a ban,
//     and extensions may be limited to networks;
//     Requests inside a dialog the switch holds (TrustDialogs: BYE,
//     re-INVITE, and the ACK of a 2xx) skip this step, as phones expect;
//     so do requests from trusted peers (TrustPeers: the SIP trunks of
//     acd/sip/trunk), which reach the handler with Request.Trunk and the
//     dialled number in Request.Dialed;
//  5. the method's handler: REGISTER (registrar.go), OPTIONS, or the
//     handlers the switch adds (WithHandler, or Handle before Run; the
//     B2BUA in acd/sip/b2bua adds INVITE, BYE and ACK).
//
// Registrations (bindings.go) are kept in memory for lookups by the switch
// (Server.Contacts) and written to the store as store.Registration records,
// so a restart keeps them; expired ones are dropped at start. The
// extension records in the store are followed live: deleting an extension
// removes its registrations, narrowing its allowed networks removes those
// that no longer fit. Registered phones get a keep-alive on an interval
// (keepalive.go): OPTIONS over UDP, a CRLF pair over TCP and TLS.
//
// Authorize is the client side of digest, for the box's own requests
// (trunk registrations and calls): it answers the strongest challenge.
//
// Server.Run owns every goroutine it starts and returns only after they
// have all stopped.
package sip
