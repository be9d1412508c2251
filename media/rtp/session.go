package rtp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/g711"
	"callbox/media/jitter"
	"callbox/media/quality"
	"callbox/media/relay"
)

// Config describes one leg's media as negotiated in SDP.
type Config struct {
	// Codec is the audio codec (PCMU or PCMA); default PCMU.
	Codec media.Codec
	// DTMFPayloadType is the negotiated telephone-event payload type, or
	// 0 when none was negotiated (0 is PCMU's, never a DTMF type).
	DTMFPayloadType uint8
	// Remote is the peer's RTP address from SDP, if known yet.
	Remote netip.AddrPort
	// Direction is this side's SDP direction toward the peer.
	Direction media.Direction
	// Timeout is how long without RTP ends the leg; default 30 s,
	// negative disables.
	Timeout time.Duration
	// OnTimeout is called once, from a timer, when Timeout passes.
	OnTimeout func()
	// LatchPackets is how many packets in a row a new source must send
	// to replace a latched peer; default 10 (200 ms).
	LatchPackets int
	// RTCPInterval is the report interval; default 5 s.
	RTCPInterval time.Duration
	// JitterDepth is the reorder tolerance of the decoded path, in
	// packets; default 3.
	JitterDepth int
	// CNAME goes in RTCP SDES; default "callbox".
	CNAME  string
	Clock  Clock
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Codec.Name == "" {
		c.Codec = media.PCMU
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.LatchPackets <= 0 {
		c.LatchPackets = 10
	}
	if c.RTCPInterval <= 0 {
		c.RTCPInterval = 5 * time.Second
	}
	if c.JitterDepth <= 0 {
		c.JitterDepth = 3
	}
	if c.CNAME == "" {
		c.CNAME = "callbox"
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// params are the negotiated payload types, swapped whole on re-INVITE.
type params struct {
	codec  media.Codec
	law    g711.Law
	dtmfPT uint8
}

// Session is the media of one call leg. It implements media.Endpoint.
type Session struct {
	cfg    Config
	ports  *Ports
	pair   Pair
	engine *relay.Engine
	ssrc   uint32
	log    *slog.Logger
	params atomic.Pointer[params]
	fwd    atomic.Pointer[Session] // where received packets are relayed
	rxSeen atomic.Uint64           // valid packets, for the timeout watch

	// Receive side: the loop goroutine writes, Stats and readers read.
	rxMu     sync.Mutex
	latch    latch
	recv     quality.Receiver
	rxSSRC   uint32
	rxActive bool
	in       counters
	remote   quality.ReceptionReport // the peer's report on what we send
	haveRR   bool
	rtt      time.Duration
	rtcpPeer netip.AddrPort
	jb       *jitter.Buffer // nil until someone reads the leg
	reader   *frameReader
	notify   chan struct{} // a packet entered jb
	// listeners hear the leg besides its reader (Listen), each through a
	// jitter buffer of its own.
	listeners []*frameReader
	// captures hear the leg through a packet queue each (Capture).
	captures   []*capture
	capDropped uint64 // packets a capture's full queue refused
	dtmfRx     dtmf.Receiver
	digits     chan byte

	// Send side: the peer's loop (relaying into us), writers and the
	// RTCP timer.
	txMu   sync.Mutex
	peer   netip.AddrPort
	dir    media.Direction
	rw     *relay.Rewriter
	sender quality.Sender
	out    counters
	wseq   uint16
	wts    uint32
	// wbuf is one packet the box sends itself: a 20 ms G.711 frame or a
	// telephone-event, behind a header without CSRCs or extensions; not
	// a whole datagram's room, as every session keeps one.
	wbuf [headerLen + media.FrameSamples]byte

	// Timer state, touched only by the timer callback and Close.
	timerMu   sync.Mutex
	timer     Timer
	lastSeen  uint64
	lastRxAt  time.Time
	nextRTCP  time.Time
	rtcpBuf   []byte
	closed    chan struct{}
	timedOut  chan struct{}
	closeOnce sync.Once
	toOnce    sync.Once
}

// headerLen is an RTP header without CSRCs or extensions (RFC 3550).
const headerLen = 12

type counters struct {
	packets, bytes, dropped uint64
}

// Open allocates a port pair and starts a session on it. Close releases
// it.
func Open(ctx context.Context, ports *Ports, cfg Config) (*Session, error) {
	s, err := newSession(ports, cfg)
	if err != nil {
		return nil, err
	}
	pair, err := ports.Open(s, rtcpHandler{s})
	if err != nil {
		return nil, fmt.Errorf("rtp: open session: %w", err)
	}
	s.start(ctx, pair)
	return s, nil
}

// Restore rebuilds a leg from a replicated State, on a standby that took
// over the service address: the same local port, the peer already
// latched, the same codec and direction, and an outgoing stream that
// continues the old one's SSRC, sequence and timestamps. cfg supplies the
// rest (timeouts, clock, logger).
func Restore(ctx context.Context, ports *Ports, st State, cfg Config) (*Session, error) {
	cfg.Codec, cfg.DTMFPayloadType = st.Codec, st.DTMFPT
	cfg.Remote, cfg.Direction = st.Peer, st.Direction
	s, err := newSession(ports, cfg)
	if err != nil {
		return nil, err
	}
	s.ssrc = st.SSRC
	s.rw.SetState(st.Out)
	s.latch.latched = st.Peer.IsValid()
	s.rtcpPeer = netip.AddrPortFrom(st.Peer.Addr(), st.Peer.Port()+1)
	pair, err := ports.OpenPort(st.LocalPort, s, rtcpHandler{s})
	if err != nil {
		return nil, fmt.Errorf("rtp: restore session: %w", err)
	}
	s.start(ctx, pair)
	return s, nil
}

func newSession(ports *Ports, cfg Config) (*Session, error) {
	cfg.defaults()
	law, err := g711.LawOf(cfg.Codec)
	if err != nil {
		return nil, err
	}
	var b [4]byte
	rand.Read(b[:])
	s := &Session{
		cfg:      cfg,
		ports:    ports,
		engine:   ports.engine,
		ssrc:     binary.BigEndian.Uint32(b[:]),
		notify:   make(chan struct{}, 1),
		digits:   make(chan byte, 32),
		closed:   make(chan struct{}),
		timedOut: make(chan struct{}),
		peer:     cfg.Remote,
		dir:      cfg.Direction,
		rw:       relay.NewRewriter(cfg.Codec.ClockRate),
	}
	s.wseq = uint16(s.ssrc >> 3)
	s.wts = s.ssrc * 7
	s.params.Store(&params{codec: cfg.Codec, law: law, dtmfPT: cfg.DTMFPayloadType})
	s.latch.need = cfg.LatchPackets
	s.latch.peer = cfg.Remote
	return s, nil
}

// start runs a session on its bound pair: logging and the timer.
func (s *Session) start(ctx context.Context, pair Pair) {
	s.pair = pair
	s.log = s.cfg.Logger.With(slog.Int("rtp_port", pair.Port))
	now := s.cfg.Clock.Now()
	s.timerMu.Lock()
	s.lastRxAt = now
	s.nextRTCP = now.Add(s.rtcpDelay())
	s.timer = s.cfg.Clock.AfterFunc(s.tickEvery(), s.tick)
	s.timerMu.Unlock()
	s.log.DebugContext(ctx, "rtp session open", slog.String("codec", s.cfg.Codec.Name), slog.Any("remote", s.cfg.Remote))
}

// LocalAddr is the RTP address to put in SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.pair.RTP.LocalAddr() }

// SSRC is the session's own synchronisation source for the packets it
// originates.
func (s *Session) SSRC() uint32 { return s.ssrc }

// SetRemote sets the peer's RTP address from a new SDP; the session
// unlatches and learns again from the media.
func (s *Session) SetRemote(addr netip.AddrPort) {
	s.rxMu.Lock()
	s.latch.reset(addr)
	s.rtcpPeer = netip.AddrPort{}
	s.rxMu.Unlock()
	s.txMu.Lock()
	s.peer = addr
	s.txMu.Unlock()
}

// Peer is where media goes now (learned or from SDP).
func (s *Session) Peer() netip.AddrPort {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	return s.peer
}

// SetDirection applies a renegotiated direction: without send, nothing
// goes toward the peer (it is held); without receive, the no-media
// timeout is suspended (a peer that sends anyway is still heard).
func (s *Session) SetDirection(d media.Direction) {
	s.txMu.Lock()
	s.dir = d
	s.txMu.Unlock()
	s.timerMu.Lock()
	s.lastRxAt = s.cfg.Clock.Now()
	s.timerMu.Unlock()
}

func (s *Session) direction() media.Direction {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	return s.dir
}

// SetCodec applies a renegotiated codec and telephone-event type.
func (s *Session) SetCodec(c media.Codec, dtmfPT uint8) error {
	law, err := g711.LawOf(c)
	if err != nil {
		return err
	}
	s.params.Store(&params{codec: c, law: law, dtmfPT: dtmfPT})
	return nil
}

// Codec is the negotiated audio codec.
func (s *Session) Codec() media.Codec { return s.params.Load().codec }

// TimedOut is closed when the leg has had no RTP for Config.Timeout.
func (s *Session) TimedOut() <-chan struct{} { return s.timedOut }

// Close stops the session and releases its ports. Relays into it stop
// forwarding; readers return media.ErrClosed.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.timerMu.Lock()
		if s.timer != nil {
			s.timer.Stop()
		}
		s.timerMu.Unlock()
		s.fwd.Store(nil)
		err = s.ports.Release(s.pair)
	})
	return err
}

// State is the media state a standby needs to rebuild this leg.
type State struct {
	LocalPort int
	Peer      netip.AddrPort
	Codec     media.Codec
	DTMFPT    uint8
	Direction media.Direction
	SSRC      uint32
	Out       relay.RewriterState
}

// State exports the leg for replication.
func (s *Session) State() State {
	p := s.params.Load()
	s.txMu.Lock()
	defer s.txMu.Unlock()
	return State{LocalPort: s.pair.Port, Peer: s.peer, Codec: p.codec, DTMFPT: p.dtmfPT,
		Direction: s.dir, SSRC: s.ssrc, Out: s.rw.State()}
}

// Stats is one leg's media quality for the call record.
type Stats struct {
	PacketsIn, BytesIn   uint64
	PacketsOut, BytesOut uint64
	Dropped              uint64 // invalid, foreign (hijack guard) or unnegotiated packets
	Lost                 int64
	LossRatio            float64
	Jitter               time.Duration
	RoundTrip            time.Duration
	RemoteLossRatio      float64       // what the peer reported about our stream
	RemoteJitter         time.Duration // idem
	MOS                  float64       // estimate for the audio this leg received
	// CaptureDropped counts packets a Capture lost because its writer
	// fell more than its queue behind (each capture counted).
	CaptureDropped uint64
}

// Stats returns the leg's counters and quality estimate.
func (s *Session) Stats() Stats {
	rate := s.params.Load().codec.ClockRate
	s.rxMu.Lock()
	st := Stats{
		PacketsIn: s.in.packets, BytesIn: s.in.bytes, Dropped: s.in.dropped, CaptureDropped: s.capDropped,
		Lost: s.recv.Lost(), LossRatio: s.recv.LossRatio(), Jitter: s.recv.JitterDuration(rate),
		RoundTrip: s.rtt,
	}
	if s.haveRR {
		st.RemoteLossRatio = float64(s.remote.FractionLost) / 256
		st.RemoteJitter = time.Duration(uint64(s.remote.Jitter) * uint64(time.Second) / uint64(max(rate, 1)))
	}
	s.rxMu.Unlock()
	s.txMu.Lock()
	st.PacketsOut, st.BytesOut = s.out.packets, s.out.bytes
	s.txMu.Unlock()
	st.MOS = quality.MOS(quality.Call{Loss: st.LossRatio, Jitter: st.Jitter, RoundTrip: st.RoundTrip})
	return st
}
