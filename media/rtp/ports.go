package rtp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"callbox/media/relay"

	"golang.org/x/sys/unix"
)

// Errors of the port allocator.
var (
	ErrPortTaken = errors.New("rtp: port pair in use")
	ErrNoPorts   = errors.New("rtp: no free port pair in range")
	ErrWildcard  = errors.New("rtp: media address is a wildcard; configure the service address")
	ErrPortRange = errors.New("rtp: bad port range")
)

// Pair is an RTP socket on an even port and its RTCP socket on the next.
type Pair struct {
	RTP  *relay.Socket
	RTCP *relay.Socket
	Port int
}

// Ports hands out port pairs from an even-port range, bound to one
// configured address. The address may not be a wildcard: the service
// address must be able to move to the standby box.
type Ports struct {
	engine   *relay.Engine
	addr     netip.Addr
	min, max int // even first port, last usable even port

	mu   sync.Mutex
	next int
	used map[int]bool

	// drains runs the Captures of the sessions on these ports.
	drains drainer
}

// NewPorts makes an allocator over [first, last] on addr. Ports are used
// in pairs (even RTP, odd RTCP); an odd first port is rounded up.
func NewPorts(e *relay.Engine, addr netip.Addr, first, last int) (*Ports, error) {
	if !addr.IsValid() || addr.IsUnspecified() {
		return nil, fmt.Errorf("%w: %v", ErrWildcard, addr)
	}
	first += first & 1
	if first < 1024 || last > 65535 || last < first+1 {
		return nil, fmt.Errorf("%w: %d-%d", ErrPortRange, first, last)
	}
	maxEven := last - 1
	maxEven -= maxEven & 1
	return &Ports{engine: e, addr: addr, min: first, max: maxEven, next: first, used: make(map[int]bool)}, nil
}

// Addr is the address sessions bind to.
func (p *Ports) Addr() netip.Addr { return p.addr }

// InUse is the number of pairs handed out and not released.
func (p *Ports) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}

func (p *Ports) reserve() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := (p.max-p.min)/2 + 1
	for range n {
		port := p.next
		p.next += 2
		if p.next > p.max {
			p.next = p.min
		}
		if !p.used[port] {
			p.used[port] = true
			return port, true
		}
	}
	return 0, false
}

func (p *Ports) unreserve(port int) {
	p.mu.Lock()
	delete(p.used, port)
	p.mu.Unlock()
}

// Open binds the next free pair and serves it with the given handlers.
// Ports another program holds are skipped. On error nothing stays bound or
// reserved.
func (p *Ports) Open(rtpH, rtcpH relay.Handler) (Pair, error) {
	tries := (p.max-p.min)/2 + 1
	for range tries {
		port, ok := p.reserve()
		if !ok {
			break
		}
		rtpS, err := p.engine.Listen(netip.AddrPortFrom(p.addr, uint16(port)), rtpH)
		if err != nil {
			p.unreserve(port)
			if errors.Is(err, unix.EADDRINUSE) {
				continue
			}
			return Pair{}, err
		}
		rtcpS, err := p.engine.Listen(netip.AddrPortFrom(p.addr, uint16(port+1)), rtcpH)
		if err != nil {
			rtpS.Close()
			p.unreserve(port)
			if errors.Is(err, unix.EADDRINUSE) {
				continue
			}
			return Pair{}, err
		}
		return Pair{RTP: rtpS, RTCP: rtcpS, Port: port}, nil
	}
	return Pair{}, ErrNoPorts
}

// OpenPort binds one given pair (an even port of the range), for a
// standby rebuilding a leg on the port its peer already sends to.
func (p *Ports) OpenPort(port int, rtpH, rtcpH relay.Handler) (Pair, error) {
	if port < p.min || port > p.max || port&1 != 0 {
		return Pair{}, fmt.Errorf("%w: %d outside %d-%d", ErrPortRange, port, p.min, p.max+1)
	}
	p.mu.Lock()
	if p.used[port] {
		p.mu.Unlock()
		return Pair{}, fmt.Errorf("%w: %d", ErrPortTaken, port)
	}
	p.used[port] = true
	p.mu.Unlock()
	rtpS, err := p.engine.Listen(netip.AddrPortFrom(p.addr, uint16(port)), rtpH)
	if err != nil {
		p.unreserve(port)
		return Pair{}, fmt.Errorf("%w: %w", ErrPortTaken, err)
	}
	rtcpS, err := p.engine.Listen(netip.AddrPortFrom(p.addr, uint16(port+1)), rtcpH)
	if err != nil {
		rtpS.Close()
		p.unreserve(port)
		return Pair{}, fmt.Errorf("%w: %w", ErrPortTaken, err)
	}
	return Pair{RTP: rtpS, RTCP: rtcpS, Port: port}, nil
}

// Release closes both sockets of the pair and returns its port to the
// range. The pair must not be used afterwards.
func (p *Ports) Release(pair Pair) error {
	err := errors.Join(pair.RTP.Close(), pair.RTCP.Close())
	p.unreserve(pair.Port)
	return err
}
