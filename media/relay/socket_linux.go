//go:build linux

package relay

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sizes of the loop's buffers. A datagram longer than MaxPacket is
// truncated by the kernel and dropped by the loop (G.711 RTP is 172 bytes).
const (
	MaxBatch  = 32
	MaxPacket = 1500
)

// Named errors of the package.
var (
	ErrClosed     = errors.New("relay: socket closed")
	ErrEngineDown = errors.New("relay: engine closed")
	ErrWouldBlock = errors.New("relay: send buffer full, datagram dropped")
)

// Handler receives the datagrams of one socket. HandleBatch runs on the
// engine's loop goroutine: it must not block, and must not keep b or its
// buffers after it returns.
type Handler interface {
	HandleBatch(b *Batch)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(b *Batch)

// HandleBatch calls fn(b).
func (fn HandlerFunc) HandleBatch(b *Batch) { fn(b) }

// Socket is one non-blocking UDP socket served by an Engine.
type Socket struct {
	mu      sync.RWMutex // held for reading around every system call on fd
	fd      int          // -1 once closed
	family  int
	local   netip.AddrPort
	handler Handler
	loop    poller
	engine  *Engine
	slot    uint32
	gen     uint32
}

// LocalAddr is the address the socket is bound to.
func (s *Socket) LocalAddr() netip.AddrPort { return s.local }

// WriteTo sends one datagram from s to the given address, from any
// goroutine. A full send buffer drops the datagram and returns
// ErrWouldBlock: late audio is worse than lost audio.
func (s *Socket) WriteTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	var raw rawAddr
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fd < 0 {
		return ErrClosed
	}
	alen := putAddr(&raw, s.family, to)
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&raw)), uintptr(alen))
	switch e {
	case 0:
		return nil
	case unix.EAGAIN:
		return ErrWouldBlock
	}
	return fmt.Errorf("relay: send to %v: %w", to, e)
}

// Close stops serving the socket and closes it. It is safe to call more
// than once and from any goroutine except a Handler (the loop holds the
// poll set while handlers run).
func (s *Socket) Close() error {
	s.loop.remove(s)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	s.engine.open.Add(-1)
	if err != nil {
		return fmt.Errorf("relay: close %v: %w", s.local, err)
	}
	return nil
}

// openUDP makes a bound non-blocking UDP socket.
func openUDP(addr netip.AddrPort) (fd, family int, local netip.AddrPort, err error) {
	family = unix.AF_INET
	if addr.Addr().Is6() && !addr.Addr().Is4In6() {
		family = unix.AF_INET6
	}
	fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, 0, local, fmt.Errorf("relay: socket: %w", err)
	}
	var raw rawAddr
	alen := putAddr(&raw, family, addr)
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&raw)), uintptr(alen))
	if e != 0 {
		unix.Close(fd)
		return -1, 0, local, fmt.Errorf("relay: bind %v: %w", addr, e)
	}
	var got rawAddr
	glen := uint32(rawAddrLen)
	_, _, e = unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&got)), uintptr(unsafe.Pointer(&glen)))
	if e != 0 {
		unix.Close(fd)
		return -1, 0, local, fmt.Errorf("relay: getsockname: %w", e)
	}
	return fd, family, getAddr(&got), nil
}

// Batch is what one read system call returned for one socket, plus the
// forwards the handler asked for. Buffers belong to the loop.
type Batch struct {
	// Now is the loop's monotonic clock, in nanoseconds, when the socket
	// was found ready.
	Now int64
	// Socket is the socket the datagrams arrived on.
	Socket *Socket

	n    int
	bufs [MaxBatch][MaxPacket]byte
	lens [MaxBatch]int
	from [MaxBatch]netip.AddrPort

	nfwd int
	fwd  [MaxBatch]forward
}

type forward struct {
	i, n int
	via  *Socket
	to   netip.AddrPort
}

// Len is the number of datagrams in the batch.
func (b *Batch) Len() int { return b.n }

// Packet returns datagram i and its source. The slice may be rewritten in
// place (up to MaxPacket bytes) before Forward.
func (b *Batch) Packet(i int) ([]byte, netip.AddrPort) {
	return b.bufs[i][:b.lens[i]], b.from[i]
}

// Forward queues the first n bytes of datagram i to be sent from socket
// via to address to, once HandleBatch returns.
func (b *Batch) Forward(i, n int, via *Socket, to netip.AddrPort) {
	if n > MaxPacket {
		n = MaxPacket
	}
	b.fwd[b.nfwd] = forward{i: i, n: n, via: via, to: to}
	b.nfwd++
}
