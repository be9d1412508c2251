// Package quality measures how a leg's audio travels: per-stream receive
// statistics with the RFC 3550 sequence, loss and interarrival-jitter
// rules, RTCP sender and receiver reports (built and parsed), and a mean
// opinion score estimated with a simplified ITU-T G.107 E-model for the
// call record.
//
// The receive statistics sit on the packet fast path: Update does no
// allocation and no locking; the owner serialises access.
package quality
