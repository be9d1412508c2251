//go:build linux

package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Options tune an Engine. The zero value is a good default.
type Options struct {
	// Loops is the number of poll loops (goroutines); default GOMAXPROCS.
	Loops int
	// Batch is the most datagrams read per recvmmsg call (1..MaxBatch,
	// default MaxBatch).
	Batch int
	// Window, when positive, makes each loop wait at least this long
	// between polls, so that one epoll_wait finds many sockets ready.
	// It adds up to Window of latency.
	Window time.Duration
	// Logger receives loop failures; default slog.Default().
	Logger *slog.Logger
	// Backend picks how loops wait and move datagrams: BackendEpoll
	// (the default) or BackendURing.
	Backend Backend
}

// Backend is a loop implementation.
type Backend uint8

// Backends.
const (
	// BackendEpoll: epoll_wait, then recvmmsg on each ready socket and
	// sendmmsg per destination socket.
	BackendEpoll Backend = iota
	// BackendURing: io_uring (Linux 6.0+) with a multishot recvmsg armed
	// on every socket, buffers from a provided-buffer ring, and sends
	// queued as sendmsg entries: one io_uring_enter per wake-up moves
	// many datagrams.
	BackendURing
)

// poller is one loop of an engine.
type poller interface {
	add(s *Socket) error
	remove(s *Socket)
	wake()
	run()
	release() // after run has returned and sockets are closed
	counters() Stats
	// sockets lists the sockets still registered, for Close.
	sockets() []*Socket
}

// Stats counts what an engine did since it started.
type Stats struct {
	Received  uint64 // datagrams read
	Forwarded uint64 // datagrams sent by forwards
	Dropped   uint64 // forwards the kernel refused (full buffer, bad address)
	Polls     uint64 // epoll_wait calls that returned events
}

// Engine serves many UDP sockets with a few poll loops.
type Engine struct {
	loops  []poller
	next   atomic.Uint32
	wg     sync.WaitGroup
	closed atomic.Bool
	epoch  time.Time
	open   atomic.Int64 // sockets listening and not closed
}

// NewEngine starts the poll loops. Close stops them.
func NewEngine(opts Options) (*Engine, error) {
	if opts.Loops <= 0 {
		opts.Loops = runtime.GOMAXPROCS(0)
	}
	if opts.Batch <= 0 || opts.Batch > MaxBatch {
		opts.Batch = MaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{epoch: time.Now()}
	for range opts.Loops {
		var l poller
		var err error
		if opts.Backend == BackendURing {
			l, err = newURingLoop(e, opts)
		} else {
			l, err = newLoop(e, opts)
		}
		if err != nil {
			e.Close()
			return nil, err
		}
		e.loops = append(e.loops, l)
	}
	for _, l := range e.loops {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			l.run()
		}()
	}
	return e, nil
}

// Now is the engine's monotonic clock in nanoseconds, the clock of
// Batch.Now.
func (e *Engine) Now() int64 { return int64(time.Since(e.epoch)) }

// Listen binds a UDP socket to addr (port 0 picks one) and serves it:
// every datagram that arrives goes to h on a loop goroutine. The error
// wraps the system error (errors.Is(err, unix.EADDRINUSE) for a taken
// port).
func (e *Engine) Listen(addr netip.AddrPort, h Handler) (*Socket, error) {
	if e.closed.Load() {
		return nil, ErrEngineDown
	}
	fd, family, local, err := openUDP(addr)
	if err != nil {
		return nil, err
	}
	l := e.loops[int(e.next.Add(1))%len(e.loops)]
	s := &Socket{fd: fd, family: family, local: local, handler: h, loop: l, engine: e}
	if err := l.add(s); err != nil {
		unix.Close(fd)
		return nil, err
	}
	e.open.Add(1)
	return s, nil
}

// Sockets is the number of sockets listening now (opened by Listen and
// not yet closed): two per RTP session, so a figure that must return to
// zero when no call is up.
func (e *Engine) Sockets() int { return int(e.open.Load()) }

// Stats sums the loops' counters.
func (e *Engine) Stats() Stats {
	var st Stats
	for _, l := range e.loops {
		c := l.counters()
		st.Received += c.Received
		st.Forwarded += c.Forwarded
		st.Dropped += c.Dropped
		st.Polls += c.Polls
	}
	return st
}

// Close stops the loops, waits for them, and closes sockets still open.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	for _, l := range e.loops {
		l.wake()
	}
	e.wg.Wait()
	for _, l := range e.loops {
		for _, s := range l.sockets() {
			s.Close()
		}
		l.release()
	}
	return nil
}

// wakeToken marks the eventfd in epoll events; sockets use their slot.
const wakeToken = -1

type loop struct {
	e    *Engine
	opts Options
	epfd int
	evfd int

	mu    sync.Mutex // guards slots, gens, free; held while serving a poll
	slots []*Socket
	gens  []uint32
	free  []uint32

	batch Batch
	rhdr  [MaxBatch]unix.Mmsghdr
	riov  [MaxBatch]unix.Iovec
	rname [MaxBatch]rawAddr
	shdr  [MaxBatch]unix.Mmsghdr
	siov  [MaxBatch]unix.Iovec
	sname [MaxBatch]rawAddr

	received, forwarded, dropped, polls atomic.Uint64
}

func newLoop(e *Engine, opts Options) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("relay: epoll: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("relay: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeToken}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, fmt.Errorf("relay: epoll add: %w", err)
	}
	l := &loop{e: e, opts: opts, epfd: epfd, evfd: evfd}
	for i := range MaxBatch {
		l.riov[i].Base = &l.batch.bufs[i][0]
		l.riov[i].SetLen(MaxPacket)
		l.rhdr[i].Hdr.Iov = &l.riov[i]
		l.rhdr[i].Hdr.SetIovlen(1)
		l.rhdr[i].Hdr.Name = (*byte)(unsafe.Pointer(&l.rname[i]))
		l.shdr[i].Hdr.Iov = &l.siov[i]
		l.shdr[i].Hdr.SetIovlen(1)
		l.shdr[i].Hdr.Name = (*byte)(unsafe.Pointer(&l.sname[i]))
	}
	return l, nil
}

func (l *loop) counters() Stats {
	return Stats{Received: l.received.Load(), Forwarded: l.forwarded.Load(), Dropped: l.dropped.Load(), Polls: l.polls.Load()}
}

func (l *loop) sockets() []*Socket {
	l.mu.Lock()
	defer l.mu.Unlock()
	open := make([]*Socket, 0, len(l.slots))
	for _, s := range l.slots {
		if s != nil {
			open = append(open, s)
		}
	}
	return open
}

func (l *loop) release() {
	unix.Close(l.epfd)
	unix.Close(l.evfd)
}

func (l *loop) wake() {
	one := [8]byte{1}
	unix.Write(l.evfd, one[:])
}

func (l *loop) add(s *Socket) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var slot uint32
	if n := len(l.free); n > 0 {
		slot = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		slot = uint32(len(l.slots))
		l.slots = append(l.slots, nil)
		l.gens = append(l.gens, 0)
	}
	l.gens[slot]++
	s.slot, s.gen = slot, l.gens[slot]
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(slot), Pad: int32(s.gen)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, s.fd, &ev); err != nil {
		l.free = append(l.free, slot)
		return fmt.Errorf("relay: epoll add: %w", err)
	}
	l.slots[slot] = s
	return nil
}

// remove takes s out of the poll set. Once it returns, the loop will not
// read s again; an event already returned for it is ignored because the
// slot's generation changed.
func (l *loop) remove(s *Socket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if int(s.slot) >= len(l.slots) || l.slots[s.slot] != s {
		return
	}
	s.mu.RLock()
	if s.fd >= 0 {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	}
	s.mu.RUnlock()
	l.slots[s.slot] = nil
	l.gens[s.slot]++
	l.free = append(l.free, s.slot)
}

func (l *loop) run() {
	var events [256]unix.EpollEvent
	for {
		start := time.Now()
		n, err := unix.EpollWait(l.epfd, events[:], -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			l.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "relay loop stopped", slog.Any("err", err))
			return
		}
		if l.e.closed.Load() {
			return
		}
		l.polls.Add(1)
		now := l.e.Now()
		l.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == wakeToken {
				continue
			}
			slot := uint32(ev.Fd)
			if int(slot) >= len(l.slots) || l.gens[slot] != uint32(ev.Pad) || l.slots[slot] == nil {
				continue
			}
			l.serve(l.slots[slot], now)
		}
		l.mu.Unlock()
		if w := l.opts.Window; w > 0 {
			// Pacing: let more sockets become ready before the next poll.
			if d := w - time.Since(start); d > 0 {
				time.Sleep(d)
			}
		}
	}
}

// serve reads one batch from s, lets its handler decide, and sends the
// forwards.
func (l *loop) serve(s *Socket, now int64) {
	b := &l.batch
	for i := range l.opts.Batch {
		l.rhdr[i].Hdr.Namelen = rawAddrLen
		l.rhdr[i].Hdr.Flags = 0
	}
	s.mu.RLock()
	if s.fd < 0 {
		s.mu.RUnlock()
		return
	}
	// MSG_DONTWAIT never blocks, so the raw call skips the scheduler's
	// syscall bookkeeping.
	r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&l.rhdr[0])),
		uintptr(l.opts.Batch), unix.MSG_DONTWAIT, 0, 0)
	s.mu.RUnlock()
	if e != 0 || r == 0 {
		return
	}
	n := int(r)
	b.n = 0
	for i := range n {
		if l.rhdr[i].Hdr.Flags&unix.MSG_TRUNC != 0 {
			continue
		}
		// Compact valid datagrams to the front (rare: only after a
		// truncated one).
		if b.n != i {
			copy(b.bufs[b.n][:], b.bufs[i][:l.rhdr[i].Len])
		}
		b.lens[b.n] = int(l.rhdr[i].Len)
		b.from[b.n] = getAddr(&l.rname[i])
		b.n++
	}
	l.received.Add(uint64(n))
	b.Now = now
	b.Socket = s
	b.nfwd = 0
	s.handler.HandleBatch(b)
	l.flush()
	// The loop's batch outlives the call: it must not keep the socket
	// (and through its handler a closed call's session) reachable.
	b.Socket = nil
}

// flush sends the queued forwards, one sendmmsg per run of forwards that
// leave through the same socket.
func (l *loop) flush() {
	b := &l.batch
	for start := 0; start < b.nfwd; {
		via := b.fwd[start].via
		end := start
		for end < b.nfwd && b.fwd[end].via == via {
			f := &b.fwd[end]
			k := end - start
			l.siov[k].Base = &b.bufs[f.i][0]
			l.siov[k].SetLen(f.n)
			l.shdr[k].Hdr.Namelen = putAddr(&l.sname[k], via.family, f.to)
			end++
		}
		l.sendBatch(via, end-start)
		start = end
	}
	clear(b.fwd[:b.nfwd]) // drop the via sockets, as for Batch.Socket
	b.nfwd = 0
}

func (l *loop) sendBatch(via *Socket, n int) {
	via.mu.RLock()
	defer via.mu.RUnlock()
	if via.fd < 0 {
		l.dropped.Add(uint64(n))
		return
	}
	for off := 0; off < n; {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(via.fd), uintptr(unsafe.Pointer(&l.shdr[off])),
			uintptr(n-off), unix.MSG_DONTWAIT, 0, 0)
		if e != 0 {
			if e == unix.EINTR {
				continue
			}
			// The datagram at off was refused (full buffer, bad
			// address): drop it and carry on with the rest.
			l.dropped.Add(1)
			off++
			continue
		}
		l.forwarded.Add(uint64(r))
		off += int(r)
	}
}
