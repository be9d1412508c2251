// Package guard protects the SIP switch from the Internet's background
// noise: it bans an address after repeated failed authentications
// (fail2ban-style), rate-limits requests per address with a token bucket,
// recognises the user agents of known SIP scanners, and checks
// per-extension allowed networks.
//
// Addresses are accounted per host for IPv4 and per /64 for IPv6, since
// one IPv6 client owns a whole /64. All tables are bounded, so a flood
// of spoofed source addresses costs memory only up to a fixed limit.
// Time comes from an injected clock.
package guard
