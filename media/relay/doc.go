// Package relay moves RTP datagrams between UDP sockets on the fast path.
//
// An Engine runs a few poll loops (one per CPU by default), each an epoll
// instance over non-blocking UDP sockets. When a socket is readable the
// loop drains it with recvmmsg into buffers the loop owns, hands the batch
// to the socket's Handler, and sends whatever the handler forwarded with
// one sendmmsg per destination socket. No goroutine per socket, no
// allocation per packet, and no failed read per packet (the loop only
// reads sockets epoll reported ready).
//
// Rewriter keeps one outgoing RTP stream continuous (SSRC, sequence,
// timestamp) while its source changes: a new SSRC from the far end, a
// prompt replacing the relayed audio, or a relay rebuilt after failover.
//
// Options.Backend selects BackendURing instead: io_uring (Linux 6.0+)
// with a multishot recvmsg armed on every socket, receive buffers from a
// provided-buffer ring, and forwards queued as sendmsg entries, so one
// io_uring_enter per wake-up moves many datagrams. Both backends pass the
// same tests; BENCHMARKS.md has what each costs. Epoll is the default: on
// the machine measured, io_uring did not cost less per packet inside the
// box (BENCHMARKS.md) and needs a newer kernel.
//
// The engine is Linux-only: it is the appliance's platform, and epoll,
// io_uring, recvmmsg and sendmmsg are what make it fast.
package relay
