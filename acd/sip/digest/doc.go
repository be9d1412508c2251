// Package digest is the server side of HTTP digest authentication as SIP
// uses it (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760): it issues
// challenges, parses Authorization headers and verifies responses.
//
// A Verifier makes nonces that carry their own issue time and an HMAC, so
// no per-challenge state is kept: any nonce the Verifier did not make, or
// that was altered, is refused, and a nonce older than the lifetime is
// answered as stale (the client retries with the new nonce without asking
// the user again). State is kept only for nonces that have authenticated
// successfully: the nonce-counts already used, so that a captured request
// cannot be replayed. That table holds 65,536 nonces; a busier box (every
// INVITE answers a challenge of its own) forgets the oldest, and a
// forgotten nonce is answered as stale from then on, never accepted again.
//
// MD5 and SHA-256 are supported, with qop=auth or without qop (RFC 2069
// compatibility; such a nonce can be used only once). The "-sess"
// algorithms, qop=auth-int and userhash are not offered and are refused.
package digest
