//go:build linux

package relay

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// io_uring ABI (include/uapi/linux/io_uring.h); the same numbers on every
// architecture.
const (
	sysURingSetup    = 425
	sysURingEnter    = 426
	sysURingRegister = 427

	opPollAdd     = 6
	opSendmsg     = 9
	opRecvmsg     = 10
	opAsyncCancel = 14

	sqeBufferSelect  = 1 << 5
	recvMultishot    = 1 << 1 // in sqe.ioprio
	pollAddMulti     = 1 << 0 // in sqe.len
	cqeFBuffer       = 1 << 0
	cqeFMore         = 1 << 1
	enterGetEvents   = 1 << 0
	registerPbufRing = 22
	featSingleMmap   = 1 << 0

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// Sizes of one io_uring loop.
const (
	uringEntries = 4096
	uringBufs    = 4096 // provided receive buffers
	uringBufSize = 2048
	uringSends   = 2048 // sends in flight
	uringGroup   = 7
	recvOutSize  = 16 // struct io_uring_recvmsg_out

	tagRecv   = 1 << 62
	tagSend   = 1 << 61
	tagCancel = 1 << 60
	tagWake   = 1 << 59
)

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	opFlags  uint32
	userData uint64
	bufGroup uint16
	pers     uint16
	spliceFd int32
	addr3    uint64
	pad      uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

type uringReq struct {
	add  bool
	s    *Socket
	done chan error
}

// uringLoop is a poller on io_uring. Only its goroutine touches the ring,
// the slots and the send slots; other goroutines post requests.
type uringLoop struct {
	e    *Engine
	opts Options
	fd   int
	evfd int

	sqHead, sqTail, sqMask *uint32
	sqArray                []uint32
	sqes                   []uringSQE
	pending                uint32
	cqHead, cqTail, cqMask *uint32
	cqes                   []uringCQE
	maps                   [][]byte

	bufRing  []byte
	bufs     []byte
	bufTail  uint16
	bufDirty bool
	recvHdr  unix.Msghdr
	evbuf    [8]byte

	mu      sync.Mutex // guards reqs and stopped
	reqs    []uringReq
	stopped bool

	slots    []*Socket
	gens     []uint32
	free     []uint32
	removing map[uint32]chan error

	batch    Batch
	sendBuf  [][MaxPacket]byte
	sendHdr  [uringSends]unix.Msghdr
	sendIov  [uringSends]unix.Iovec
	sendName [uringSends]rawAddr
	sendFree []uint16
	locked   map[*Socket]struct{}

	received, forwarded, dropped, polls atomic.Uint64
}

func newURingLoop(e *Engine, opts Options) (*uringLoop, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(sysURingSetup, uringEntries, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("relay: io_uring_setup: %w", errno)
	}
	l := &uringLoop{e: e, opts: opts, fd: int(fd), evfd: -1, removing: map[uint32]chan error{}, locked: map[*Socket]struct{}{}}
	fail := func(what string, err error) (*uringLoop, error) {
		l.release()
		return nil, fmt.Errorf("relay: io_uring %s: %w", what, err)
	}
	mmap := func(fd int, off int64, size int) ([]byte, error) {
		flags := unix.MAP_SHARED | unix.MAP_POPULATE
		if fd < 0 {
			flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
		}
		b, err := unix.Mmap(fd, off, size, unix.PROT_READ|unix.PROT_WRITE, flags)
		if err == nil {
			l.maps = append(l.maps, b)
		}
		return b, err
	}
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(uringCQE{})))
	if p.features&featSingleMmap == 0 {
		return fail("setup", unix.ENOSYS)
	}
	sq, err := mmap(l.fd, offSQRing, max(sqSize, cqSize))
	if err != nil {
		return fail("mmap", err)
	}
	sqesMem, err := mmap(l.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})))
	if err != nil {
		return fail("mmap", err)
	}
	l.sqHead = (*uint32)(unsafe.Pointer(&sq[p.sqOff.head]))
	l.sqTail = (*uint32)(unsafe.Pointer(&sq[p.sqOff.tail]))
	l.sqMask = (*uint32)(unsafe.Pointer(&sq[p.sqOff.ringMask]))
	l.sqArray = unsafe.Slice((*uint32)(unsafe.Pointer(&sq[p.sqOff.array])), p.sqEntries)
	l.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&sqesMem[0])), p.sqEntries)
	l.cqHead = (*uint32)(unsafe.Pointer(&sq[p.cqOff.head]))
	l.cqTail = (*uint32)(unsafe.Pointer(&sq[p.cqOff.tail]))
	l.cqMask = (*uint32)(unsafe.Pointer(&sq[p.cqOff.ringMask]))
	l.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&sq[p.cqOff.cqes])), p.cqEntries)

	// Receive buffers and their ring live outside the Go heap: the
	// kernel writes into them at any time.
	if l.bufRing, err = mmap(-1, 0, uringBufs*16); err != nil {
		return fail("mmap", err)
	}
	if l.bufs, err = mmap(-1, 0, uringBufs*uringBufSize); err != nil {
		return fail("mmap", err)
	}
	reg := struct {
		ringAddr    uint64
		ringEntries uint32
		bgid, flags uint16
		resv        [3]uint64
	}{ringAddr: uint64(uintptr(unsafe.Pointer(&l.bufRing[0]))), ringEntries: uringBufs, bgid: uringGroup}
	if _, _, errno := unix.Syscall6(sysURingRegister, fd, registerPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); errno != 0 {
		return fail("buffer ring", errno)
	}
	for b := range uringBufs {
		l.giveBuf(uint16(b))
	}
	l.publishBufs()
	l.recvHdr.Namelen = rawAddrLen
	if l.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fail("eventfd", err)
	}
	l.sendBuf = make([][MaxPacket]byte, uringSends)
	for i := range uringSends {
		l.sendFree = append(l.sendFree, uint16(i))
		l.sendHdr[i].Name = (*byte)(unsafe.Pointer(&l.sendName[i]))
		l.sendHdr[i].Iov = &l.sendIov[i]
		l.sendHdr[i].SetIovlen(1)
		l.sendIov[i].Base = &l.sendBuf[i][0]
	}
	return l, nil
}

// giveBuf returns receive buffer bid to the kernel (once published).
func (l *uringLoop) giveBuf(bid uint16) {
	e := l.bufRing[int(l.bufTail&(uringBufs-1))*16:]
	binary.LittleEndian.PutUint64(e[0:], uint64(uintptr(unsafe.Pointer(&l.bufs[int(bid)*uringBufSize]))))
	binary.LittleEndian.PutUint32(e[8:], uringBufSize)
	binary.LittleEndian.PutUint16(e[12:], bid)
	l.bufTail++
	l.bufDirty = true
}

// publishBufs stores the ring tail. The tail overlays entry 0's last two
// bytes (struct io_uring_buf_ring), so it is written together with entry
// 0's bid in one 32-bit atomic store (little-endian layout).
func (l *uringLoop) publishBufs() {
	word := (*uint32)(unsafe.Pointer(&l.bufRing[12]))
	bid0 := uint32(binary.LittleEndian.Uint16(l.bufRing[12:]))
	atomic.StoreUint32(word, uint32(l.bufTail)<<16|bid0)
	l.bufDirty = false
}

func (l *uringLoop) sqe() *uringSQE {
	tail := atomic.LoadUint32(l.sqTail) + l.pending
	if tail-atomic.LoadUint32(l.sqHead) >= uint32(len(l.sqes)) {
		l.enter(0) // the queue is full: submit what is there
		tail = atomic.LoadUint32(l.sqTail)
	}
	i := tail & *l.sqMask
	s := &l.sqes[i]
	*s = uringSQE{}
	l.sqArray[i] = i
	l.pending++
	return s
}

// enter submits the pending entries and, with wait, blocks for at least
// one completion.
func (l *uringLoop) enter(wait uint32) {
	atomic.StoreUint32(l.sqTail, atomic.LoadUint32(l.sqTail)+l.pending)
	n := l.pending
	l.pending = 0
	var flags uintptr
	if wait > 0 {
		flags = enterGetEvents
	}
	for {
		_, _, errno := unix.Syscall6(sysURingEnter, uintptr(l.fd), uintptr(n), uintptr(wait), flags, 0, 0)
		if errno == unix.EINTR {
			n = 0
			continue
		}
		if errno != 0 && errno != unix.EBUSY && errno != unix.EAGAIN {
			l.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "io_uring_enter", slog.Any("err", errno))
		}
		return
	}
}

func (l *uringLoop) armRecv(slot uint32) {
	s := l.sqe()
	s.opcode = opRecvmsg
	s.fd = int32(l.slots[slot].fd)
	s.addr = uint64(uintptr(unsafe.Pointer(&l.recvHdr)))
	s.ioprio = recvMultishot
	s.flags = sqeBufferSelect
	s.bufGroup = uringGroup
	s.userData = tagRecv | uint64(l.gens[slot])<<24 | uint64(slot)
}

func (l *uringLoop) armWake() {
	s := l.sqe()
	s.opcode = opPollAdd
	s.fd = int32(l.evfd)
	s.opFlags = unix.POLLIN
	s.len = pollAddMulti
	s.userData = tagWake
}

func (l *uringLoop) wake() {
	one := [8]byte{1}
	unix.Write(l.evfd, one[:])
}

func (l *uringLoop) post(r uringReq) error {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return ErrEngineDown
	}
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
	l.wake()
	return <-r.done
}

func (l *uringLoop) add(s *Socket) error {
	return l.post(uringReq{add: true, s: s, done: make(chan error, 1)})
}

// remove returns once the socket's receive is cancelled and the kernel
// holds no receive on it, so its fd can be closed and its port reused.
func (l *uringLoop) remove(s *Socket) {
	l.post(uringReq{s: s, done: make(chan error, 1)})
	// Other loops may hold s's read lock until their next wake-up.
	for _, o := range l.e.loops {
		o.wake()
	}
}

func (l *uringLoop) counters() Stats {
	return Stats{Received: l.received.Load(), Forwarded: l.forwarded.Load(), Dropped: l.dropped.Load(), Polls: l.polls.Load()}
}

// sockets is called after run has returned.
func (l *uringLoop) sockets() []*Socket {
	var open []*Socket
	for _, s := range l.slots {
		if s != nil {
			open = append(open, s)
		}
	}
	return open
}

func (l *uringLoop) release() {
	if l.fd >= 0 {
		unix.Close(l.fd)
		l.fd = -1
	}
	if l.evfd >= 0 {
		unix.Close(l.evfd)
		l.evfd = -1
	}
	for _, m := range l.maps {
		unix.Munmap(m)
	}
	l.maps = nil
}

func (l *uringLoop) run() {
	defer func() {
		l.mu.Lock()
		l.stopped = true
		reqs := l.reqs
		l.reqs = nil
		l.mu.Unlock()
		for _, r := range reqs {
			r.done <- ErrEngineDown
		}
		for _, done := range l.removing {
			done <- ErrEngineDown
		}
	}()
	l.armWake()
	for {
		l.enter(1)
		l.unlockVias()
		if l.e.closed.Load() {
			l.drain()
			return
		}
		l.polls.Add(1)
		l.completions(l.e.Now())
		if l.bufDirty {
			l.publishBufs()
		}
		l.requests()
	}
}

// unlockVias releases the sockets the previous round sent through. Their
// read locks are held from the moment a send names a socket's fd until
// the io_uring_enter that submits it has returned, so that no socket is
// closed, and its fd number reused, in between; Socket.Close wakes every
// loop so that none holds a lock for long.
func (l *uringLoop) unlockVias() {
	for s := range l.locked {
		s.mu.RUnlock()
	}
	clear(l.locked)
}

func (l *uringLoop) completions(now int64) {
	head := atomic.LoadUint32(l.cqHead)
	tail := atomic.LoadUint32(l.cqTail)
	b := &l.batch
	b.n = 0
	var cur *Socket
	for ; head != tail; head++ {
		c := l.cqes[head&*l.cqMask]
		switch {
		case c.userData&tagRecv != 0:
			slot := uint32(c.userData & (1<<24 - 1))
			gen := uint32(c.userData>>24) & (1<<32 - 1)
			live := int(slot) < len(l.slots) && l.gens[slot] == gen && l.slots[slot] != nil
			if c.flags&cqeFBuffer != 0 {
				bid := uint16(c.flags >> 16)
				if live && c.res > 0 {
					s := l.slots[slot]
					if s != cur || b.n == MaxBatch {
						l.dispatch(cur, now)
						cur = s
					}
					l.take(bid, int(c.res))
				}
				l.giveBuf(bid)
			}
			if c.flags&cqeFMore == 0 && live {
				if done, ok := l.removing[slot]; ok {
					l.finish(slot, done)
				} else {
					l.armRecv(slot)
				}
			}
		case c.userData&tagSend != 0:
			l.sendFree = append(l.sendFree, uint16(c.userData))
			if c.res < 0 {
				l.dropped.Add(1)
			} else {
				l.forwarded.Add(1)
			}
		case c.userData&tagCancel != 0:
			slot := uint32(c.userData & (1<<24 - 1))
			if c.res == -int32(unix.ENOENT) {
				if done, ok := l.removing[slot]; ok {
					l.finish(slot, done)
				}
			}
		case c.userData&tagWake != 0:
			unix.Read(l.evfd, l.evbuf[:])
			if c.flags&cqeFMore == 0 {
				l.armWake()
			}
		}
	}
	atomic.StoreUint32(l.cqHead, head)
	l.dispatch(cur, now)
}

// take copies one received datagram (in provided buffer bid, n bytes
// used) into the batch.
func (l *uringLoop) take(bid uint16, n int) {
	buf := l.bufs[int(bid)*uringBufSize : int(bid)*uringBufSize+n]
	if n < recvOutSize+rawAddrLen {
		return
	}
	payload := int(binary.LittleEndian.Uint32(buf[8:]))
	if binary.LittleEndian.Uint32(buf[12:])&unix.MSG_TRUNC != 0 || payload > MaxPacket || recvOutSize+rawAddrLen+payload > n {
		return
	}
	b := &l.batch
	b.lens[b.n] = copy(b.bufs[b.n][:], buf[recvOutSize+rawAddrLen:recvOutSize+rawAddrLen+payload])
	b.from[b.n] = getAddr((*rawAddr)(unsafe.Pointer(&buf[recvOutSize])))
	b.n++
	l.received.Add(1)
}

// dispatch hands the batch to its socket's handler and queues the sends.
func (l *uringLoop) dispatch(s *Socket, now int64) {
	b := &l.batch
	if s == nil || b.n == 0 {
		b.n = 0
		return
	}
	b.Now = now
	b.Socket = s
	b.nfwd = 0
	s.handler.HandleBatch(b)
	for _, f := range b.fwd[:b.nfwd] {
		via := f.via
		if _, ok := l.locked[via]; !ok {
			via.mu.RLock()
			l.locked[via] = struct{}{}
		}
		if via.fd < 0 {
			l.dropped.Add(1)
			continue
		}
		if len(l.sendFree) == 0 {
			// A burst beyond the sends in flight (the loop was starved
			// for a while): send this one directly rather than drop it.
			l.sendNow(via, b.bufs[f.i][:f.n], f.to)
			continue
		}
		i := l.sendFree[len(l.sendFree)-1]
		l.sendFree = l.sendFree[:len(l.sendFree)-1]
		n := copy(l.sendBuf[i][:], b.bufs[f.i][:f.n])
		l.sendIov[i].SetLen(n)
		l.sendHdr[i].Namelen = putAddr(&l.sendName[i], via.family, f.to)
		q := l.sqe()
		q.opcode = opSendmsg
		q.fd = int32(via.fd)
		q.addr = uint64(uintptr(unsafe.Pointer(&l.sendHdr[i])))
		q.userData = tagSend | uint64(i)
	}
	// The batch outlives the call: it must not keep the sockets (and
	// through their handlers closed calls' sessions) reachable.
	clear(b.fwd[:b.nfwd])
	b.Socket = nil
	b.n = 0
	b.nfwd = 0
}

// sendNow sends one datagram with a plain system call; via is read-locked.
func (l *uringLoop) sendNow(via *Socket, p []byte, to netip.AddrPort) {
	var raw rawAddr
	alen := putAddr(&raw, via.family, to)
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(via.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&raw)), uintptr(alen))
	if errno != 0 {
		l.dropped.Add(1)
		return
	}
	l.forwarded.Add(1)
}

// requests applies adds and removes posted by other goroutines.
func (l *uringLoop) requests() {
	l.mu.Lock()
	reqs := l.reqs
	l.reqs = nil
	l.mu.Unlock()
	for _, r := range reqs {
		s := r.s
		if r.add {
			var slot uint32
			if n := len(l.free); n > 0 {
				slot = l.free[n-1]
				l.free = l.free[:n-1]
			} else {
				slot = uint32(len(l.slots))
				l.slots = append(l.slots, nil)
				l.gens = append(l.gens, 0)
			}
			l.gens[slot] = (l.gens[slot] + 1) & (1<<32 - 1)
			s.slot, s.gen = slot, l.gens[slot]
			l.slots[slot] = s
			l.armRecv(slot)
			r.done <- nil
			continue
		}
		if int(s.slot) >= len(l.slots) || l.slots[s.slot] != s {
			r.done <- nil // not registered (closed twice)
			continue
		}
		if _, busy := l.removing[s.slot]; busy {
			r.done <- nil
			continue
		}
		l.removing[s.slot] = r.done
		q := l.sqe()
		q.opcode = opAsyncCancel
		q.addr = tagRecv | uint64(l.gens[s.slot])<<24 | uint64(s.slot)
		q.userData = tagCancel | uint64(s.slot)
	}
}

// drain cancels every socket's receive and waits for the kernel to let go
// of them, so that their ports are free as soon as Close returns.
func (l *uringLoop) drain() {
	for slot, s := range l.slots {
		if s == nil {
			continue
		}
		if _, busy := l.removing[uint32(slot)]; busy {
			continue
		}
		l.removing[uint32(slot)] = make(chan error, 1)
		q := l.sqe()
		q.opcode = opAsyncCancel
		q.addr = tagRecv | uint64(l.gens[slot])<<24 | uint64(slot)
		q.userData = tagCancel | uint64(slot)
	}
	for i := 0; i < 10000 && len(l.removing) > 0; i++ {
		l.enter(1)
		l.unlockVias()
		l.completions(l.e.Now())
		if l.bufDirty {
			l.publishBufs()
		}
	}
	l.enter(0)
	l.unlockVias()
}

// finish frees a slot whose receive has ended.
func (l *uringLoop) finish(slot uint32, done chan error) {
	delete(l.removing, slot)
	l.slots[slot] = nil
	l.gens[slot]++
	l.free = append(l.free, slot)
	done <- nil
}
