// Command uringrelay is an experiment for the relay comparison: the bare
// relay's job (receive-and-forward, per call two legs with an even RTP and
// an odd RTCP port each, peers learned from the first packet) done with
// io_uring instead of one system call per packet. Every RTP socket has a
// multishot recvmsg armed that fills buffers from a provided-buffer ring;
// forwards are queued as sendmsg entries; one io_uring_enter per wake-up
// submits all sends and collects all receives. It is Linux-only (5.19+
// for buffer rings, 6.0+ for multishot recvmsg) and not used by the box:
// it measures how far fewer system calls per packet would take the floor.
// It prints "A B" ports per call, then "ready", and runs until stdin
// closes, SIGTERM, or -maxlife.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	sysSetup    = 425
	sysEnter    = 426
	sysRegister = 427

	opSendmsg = 9
	opRecvmsg = 10

	sqeBufferSelect = 1 << 5
	recvMultishot   = 1 << 1
	cqeFBuffer      = 1 << 0
	cqeFMore        = 1 << 1
	enterGetEvents  = 1 << 0
	registerPbuf    = 22
	featSingleMmap  = 1 << 0

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000

	entries  = 4096
	nbufs    = 4096
	bufSize  = 2048
	bgid     = 1
	nameLen  = unix.SizeofSockaddrInet6
	recvTag  = 1 << 62
	sendTag  = 1 << 61
	outHdrSz = 16 // struct io_uring_recvmsg_out
)

type params struct {
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

type sqe struct {
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

type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

type ring struct {
	fd                     int
	sqHead, sqTail, sqMask *uint32
	sqArray                []uint32
	sqes                   []sqe
	cqHead, cqTail, cqMask *uint32
	cqes                   []cqe
	pending                uint32
	bufRing                []byte
	bufs                   []byte
	bufTail                uint16
	recvHdr                unix.Msghdr
	sendHdrs               [nbufs]unix.Msghdr
	sendIov                [nbufs]unix.Iovec
	sendName               [nbufs]unix.RawSockaddrInet6
	legs                   []*leg
}

type leg struct {
	fd, rtcpFd int
	port       int
	peer       unix.RawSockaddrInet6
	peerLen    uint32
	other      *leg
}

func must(err error, what string) {
	if err != nil {
		log.Fatalf("%s: %v", what, err)
	}
}

func newRing() *ring {
	var p params
	fd, _, e := unix.Syscall(sysSetup, entries, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		log.Fatalf("io_uring_setup: %v", e)
	}
	r := &ring{fd: int(fd)}
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*16)
	if p.features&featSingleMmap != 0 {
		sqSize = max(sqSize, cqSize)
		cqSize = sqSize
	}
	sq, err := unix.Mmap(r.fd, offSQRing, sqSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	must(err, "mmap sq")
	cq := sq
	if p.features&featSingleMmap == 0 {
		cq, err = unix.Mmap(r.fd, offCQRing, cqSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		must(err, "mmap cq")
	}
	sqesMem, err := unix.Mmap(r.fd, offSQEs, int(p.sqEntries)*64, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	must(err, "mmap sqes")
	r.sqHead = (*uint32)(unsafe.Pointer(&sq[p.sqOff.head]))
	r.sqTail = (*uint32)(unsafe.Pointer(&sq[p.sqOff.tail]))
	r.sqMask = (*uint32)(unsafe.Pointer(&sq[p.sqOff.ringMask]))
	r.sqArray = unsafe.Slice((*uint32)(unsafe.Pointer(&sq[p.sqOff.array])), p.sqEntries)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&sqesMem[0])), p.sqEntries)
	r.cqHead = (*uint32)(unsafe.Pointer(&cq[p.cqOff.head]))
	r.cqTail = (*uint32)(unsafe.Pointer(&cq[p.cqOff.tail]))
	r.cqMask = (*uint32)(unsafe.Pointer(&cq[p.cqOff.ringMask]))
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&cq[p.cqOff.cqes])), p.cqEntries)

	// The provided-buffer ring and its buffers live outside the Go heap.
	r.bufRing, err = unix.Mmap(-1, 0, nbufs*16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	must(err, "mmap buf ring")
	r.bufs, err = unix.Mmap(-1, 0, nbufs*bufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	must(err, "mmap bufs")
	reg := struct {
		ringAddr    uint64
		ringEntries uint32
		bgid, flags uint16
		resv        [3]uint64
	}{ringAddr: uint64(uintptr(unsafe.Pointer(&r.bufRing[0]))), ringEntries: nbufs, bgid: bgid}
	if _, _, e := unix.Syscall6(sysRegister, fd, registerPbuf, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); e != 0 {
		log.Fatalf("register buffer ring: %v", e)
	}
	for b := range nbufs {
		r.addBuf(uint16(b))
	}
	r.publishBufs()
	r.recvHdr.Namelen = nameLen
	return r
}

// addBuf puts buffer bid back in the provided-buffer ring (published by
// publishBufs).
func (r *ring) addBuf(bid uint16) {
	slot := int(r.bufTail) & (nbufs - 1)
	e := r.bufRing[slot*16:]
	binary.LittleEndian.PutUint64(e[0:], uint64(uintptr(unsafe.Pointer(&r.bufs[int(bid)*bufSize]))))
	binary.LittleEndian.PutUint32(e[8:], bufSize)
	binary.LittleEndian.PutUint16(e[12:], bid)
	r.bufTail++
}

// publishBufs stores the ring's tail, which overlays the resv field of
// entry 0 (bytes 14-15), together with entry 0's bid in one 32-bit store.
func (r *ring) publishBufs() {
	word := (*uint32)(unsafe.Pointer(&r.bufRing[12]))
	bid0 := uint32(binary.LittleEndian.Uint16(r.bufRing[12:]))
	atomic.StoreUint32(word, uint32(r.bufTail)<<16|bid0)
}

func (r *ring) getSQE() *sqe {
	tail := atomic.LoadUint32(r.sqTail) + r.pending
	head := atomic.LoadUint32(r.sqHead)
	if tail-head >= uint32(len(r.sqes)) {
		r.enter(0)
		tail = atomic.LoadUint32(r.sqTail) + r.pending
	}
	i := tail & *r.sqMask
	s := &r.sqes[i]
	*s = sqe{}
	r.sqArray[i] = i
	r.pending++
	return s
}

// enter submits what is pending and waits for at least minComplete
// completions.
func (r *ring) enter(minComplete uint32) {
	atomic.StoreUint32(r.sqTail, atomic.LoadUint32(r.sqTail)+r.pending)
	n := r.pending
	r.pending = 0
	flags := uintptr(0)
	if minComplete > 0 {
		flags = enterGetEvents
	}
	for {
		_, _, e := unix.Syscall6(sysEnter, uintptr(r.fd), uintptr(n), uintptr(minComplete), flags, 0, 0)
		if e == unix.EINTR {
			n = 0
			continue
		}
		if e != 0 && e != unix.EBUSY && e != unix.EAGAIN {
			log.Fatalf("io_uring_enter: %v", e)
		}
		return
	}
}

func (r *ring) armRecv(i int) {
	s := r.getSQE()
	s.opcode = opRecvmsg
	s.fd = int32(r.legs[i].fd)
	s.addr = uint64(uintptr(unsafe.Pointer(&r.recvHdr)))
	s.ioprio = recvMultishot
	s.flags = sqeBufferSelect
	s.bufGroup = bgid
	s.userData = recvTag | uint64(i)
}

func (r *ring) run(stop *atomic.Bool) {
	for i := range r.legs {
		r.armRecv(i)
	}
	for !stop.Load() {
		r.enter(1)
		head := atomic.LoadUint32(r.cqHead)
		tail := atomic.LoadUint32(r.cqTail)
		recycled := false
		for ; head != tail; head++ {
			c := r.cqes[head&*r.cqMask]
			switch {
			case c.userData&recvTag != 0:
				i := int(c.userData &^ recvTag)
				if c.flags&cqeFMore == 0 {
					r.armRecv(i)
				}
				if c.flags&cqeFBuffer == 0 {
					continue
				}
				bid := uint16(c.flags >> 16)
				if c.res <= 0 || !r.forward(r.legs[i], bid, int(c.res)) {
					r.addBuf(bid)
					recycled = true
				}
			case c.userData&sendTag != 0:
				r.addBuf(uint16(c.userData))
				recycled = true
			}
		}
		atomic.StoreUint32(r.cqHead, head)
		if recycled {
			r.publishBufs()
		}
	}
}

// forward queues a sendmsg of the packet in buffer bid from in's peer
// leg. It reports whether the buffer is now owned by a send.
func (r *ring) forward(in *leg, bid uint16, n int) bool {
	buf := r.bufs[int(bid)*bufSize : int(bid)*bufSize+n]
	if n < outHdrSz+nameLen {
		return false
	}
	namelen := binary.LittleEndian.Uint32(buf[0:])
	payloadLen := int(binary.LittleEndian.Uint32(buf[8:]))
	name := (*unix.RawSockaddrInet6)(unsafe.Pointer(&buf[outHdrSz]))
	// Learn the sender as this leg's peer.
	in.peer = *name
	in.peerLen = namelen
	out := in.other
	if out.peerLen == 0 || outHdrSz+nameLen+payloadLen > n {
		return false
	}
	h := &r.sendHdrs[bid]
	r.sendName[bid] = out.peer
	r.sendIov[bid].Base = &buf[outHdrSz+nameLen]
	r.sendIov[bid].SetLen(payloadLen)
	h.Name = (*byte)(unsafe.Pointer(&r.sendName[bid]))
	h.Namelen = out.peerLen
	h.Iov = &r.sendIov[bid]
	h.SetIovlen(1)
	s := r.getSQE()
	s.opcode = opSendmsg
	s.fd = int32(out.fd)
	s.addr = uint64(uintptr(unsafe.Pointer(h)))
	s.userData = sendTag | uint64(bid)
	return true
}

func listen(ip netip.Addr, port int) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	must(err, "socket")
	must(unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: ip.As4()}), fmt.Sprintf("bind %d", port))
	return fd
}

func main() {
	calls := flag.Int("calls", 100, "calls")
	addr := flag.String("addr", "127.0.0.1", "IPv4 address to bind")
	base := flag.Int("base", 45000, "first (even) port")
	maxlife := flag.Duration("maxlife", 15*time.Minute, "exit after this long at most")
	flag.Parse()
	ip := netip.MustParseAddr(*addr)
	r := newRing()
	out := bufio.NewWriter(os.Stdout)
	for i := range *calls {
		a := &leg{fd: listen(ip, *base+4*i), rtcpFd: listen(ip, *base+4*i+1), port: *base + 4*i}
		b := &leg{fd: listen(ip, *base+4*i+2), rtcpFd: listen(ip, *base+4*i+3), port: *base + 4*i + 2}
		a.other, b.other = b, a
		r.legs = append(r.legs, a, b)
		fmt.Fprintf(out, "%d %d\n", a.port, b.port)
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(&stop)
	}()
	waitForEnd(*maxlife)
	stop.Store(true)
	// Wake the ring with a packet to ourselves so run sees stop.
	wake := listen(ip, 0)
	unix.Sendto(wake, []byte{0x80, 0}, 0, &unix.SockaddrInet4{Port: r.legs[0].port, Addr: ip.As4()})
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

func waitForEnd(maxlife time.Duration) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	eof := make(chan struct{})
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		close(eof)
	}()
	select {
	case <-sig:
	case <-eof:
	case <-time.After(maxlife):
	}
}
