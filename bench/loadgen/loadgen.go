// Package loadgen is the benchmark's RTP load generator: real G.711 μ-law
// RTP at 50 packets per second per stream, paced by one loop for all
// streams, and a receiver that measures loss, late packets and RFC 3550
// jitter on what the relay under test sends back.
//
// A call is two streams: one into its A leg (relayed out of the B leg)
// and one into its B leg (relayed out of A). Streams are spread over a
// few sockets and sent and read in batches (sendmmsg/recvmmsg through
// golang.org/x/net/ipv4), so the generator costs far less than the relay
// it loads. Packets are told apart by SSRC, which a relay keeps.
package loadgen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"callbox/bench/rtpmark"
	"callbox/media/g711"
	"callbox/media/quality"

	"golang.org/x/net/ipv4"
)

// Call is one relayed call's two relay ports.
type Call struct {
	A, B netip.AddrPort
}

// Config is one load run.
type Config struct {
	Calls []Call
	// Local is the address the generator's sockets bind to.
	Local netip.Addr
	// Duration of the measured load (after one priming packet per
	// stream and a short settle); at most 20 minutes so sequence numbers
	// do not wrap.
	Duration time.Duration
	// Sockets spreads the streams; default one per 200 streams.
	Sockets int
	// Late is the one-way delay over which a packet counts as late;
	// default 40 ms.
	Late time.Duration
	// OnStart and OnEnd bracket the measured window (after priming,
	// before the final drain), for sampling the relay's CPU.
	OnStart, OnEnd func()
	// Marked tags each payload with its stream and sequence number
	// (bench/rtpmark) and tells streams apart by that tag instead of the
	// SSRC: for a system that continues a leg's outgoing stream under its
	// own SSRC after playing music or a prompt on it (a queue call).
	Marked bool
}

// Result is what came back.
type Result struct {
	Calls, Streams int
	Seconds        float64
	Sent, Received uint64
	Lost           int64
	LossRatio      float64
	Late           uint64 // one-way delay (from the actual send) over Config.Late
	LateRatio      float64
	JitterMeanMs   float64 // RFC 3550, on RTP timestamps: what a phone sees
	JitterMaxMs    float64
	// RelayJitterMeanMs is the same smoothing applied to the one-way delay
	// from the moment each packet was actually sent, so a pacing loop
	// that fell behind on a busy machine does not count against the relay.
	RelayJitterMeanMs float64
	DelayMaxMs        float64 // worst one-way delay through the relay
	SendBehindMaxMs   float64 // how far the pacing loop fell behind, at worst
	Foreign           uint64  // datagrams that were not our streams
	// AfterEnd counts packets that came back after the 300 ms drain (read
	// for up to Straggle more, until the streams fall quiet). They are
	// still lost, as a phone's jitter buffer would have dropped them; the
	// count tells a relay that queued them from one that dropped them.
	AfterEnd         uint64
	RelayedPerSecond float64
}

const (
	frame     = 20 * time.Millisecond
	slots     = 20 // the 20 ms period is cut in 1 ms slots
	batchSize = 64
	pktLen    = 12 + 160
	firstSeq  = 1 // seq 0 is the priming packet
)

type stream struct {
	id     uint32 // the SSRC, and the mark's stream number
	sock   int
	to     *net.UDPAddr
	buf    [pktLen]byte
	sent   uint64
	recv   quality.Receiver
	got    uint64
	late   uint64
	after  uint64 // arrived after the drain
	mu     sync.Mutex
	active bool
	sentAt [64]int64 // Unix ns each recent packet left, by seq%64
	rj     float64   // relay jitter, ns
	lastD  int64
	haveD  bool
	maxD   int64
}

// Run sends the load and measures it. It returns when the run, a
// 300 ms drain and the stragglers (at most Straggle) are over, or ctx
// ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var res Result
	if len(cfg.Calls) == 0 {
		return res, errors.New("loadgen: no calls")
	}
	if cfg.Duration <= 0 || cfg.Duration > 20*time.Minute {
		return res, fmt.Errorf("loadgen: duration %v out of (0, 20m]", cfg.Duration)
	}
	if cfg.Late <= 0 {
		cfg.Late = 40 * time.Millisecond
	}
	n := 2 * len(cfg.Calls)
	if cfg.Sockets <= 0 {
		cfg.Sockets = (n + 199) / 200
	}
	conns := make([]*net.UDPConn, cfg.Sockets)
	pcs := make([]*ipv4.PacketConn, cfg.Sockets)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(cfg.Local, 0)))
		if err != nil {
			return res, fmt.Errorf("loadgen: listen: %w", err)
		}
		c.SetReadBuffer(8 << 20)
		c.SetWriteBuffer(8 << 20)
		conns[i] = c
		pcs[i] = ipv4.NewPacketConn(c)
	}
	// Real audio: a 425 Hz tone, 50 frames (1 s) that loop.
	var frames [50][160]byte
	pcm := make([]int16, 160)
	for f := range frames {
		for i := range pcm {
			t := float64(f*160+i) / 8000
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*425*t))
		}
		g711.EncodeUlaw(frames[f][:], pcm)
	}
	streams := make([]*stream, n)
	for s := range streams {
		c := cfg.Calls[s/2]
		to := c.A
		if s%2 == 1 {
			to = c.B
		}
		st := &stream{id: uint32(s + 1), sock: s % cfg.Sockets, to: net.UDPAddrFromAddrPort(to)}
		st.buf[0] = 0x80
		binary.BigEndian.PutUint32(st.buf[8:], uint32(s+1))
		st.recv.Reset(uint32(s + 1))
		streams[s] = st
	}

	start := time.Now()
	// The receive side stops a drain period after the last packet.
	var wg sync.WaitGroup
	foreign := make([]uint64, len(pcs))
	stops := make([]chan time.Time, len(pcs))
	for i, pc := range pcs {
		stops[i] = make(chan time.Time, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			foreign[i] = receive(pc, streams, start, cfg.Late, cfg.Marked, stops[i])
		}()
	}
	out := newSender(pcs, cfg.Marked)

	// Priming: one packet per stream so that a latching relay learns
	// every peer; not counted.
	if err := out.round(streams, 0, frames[0][:]); err != nil {
		return res, err
	}
	settle := 200 * time.Millisecond
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if cfg.OnStart != nil {
		cfg.OnStart()
	}
	t0 := time.Now()
	for _, st := range streams {
		st.mu.Lock()
		st.active = true
		st.mu.Unlock()
	}
	ticks := int(cfg.Duration / time.Millisecond)
	var behind time.Duration
	groups := make([][]*stream, slots)
	for s, st := range streams {
		groups[s%slots] = append(groups[s%slots], st)
	}
	for tick := 0; tick < ticks; tick++ {
		due := t0.Add(time.Duration(tick) * time.Millisecond)
		if d := time.Until(due); d > 0 {
			time.Sleep(d) // the pacing loop
		} else if -d > behind {
			behind = -d
		}
		if ctx.Err() != nil {
			break
		}
		k := uint16(tick/slots) + firstSeq
		if err := out.round(groups[tick%slots], k, frames[int(k)%50][:]); err != nil {
			return res, err
		}
	}
	if cfg.OnEnd != nil {
		cfg.OnEnd()
	}
	elapsed := time.Since(t0)
	for _, c := range stops {
		c <- time.Now().Add(300 * time.Millisecond)
	}
	wg.Wait()

	res.Calls, res.Streams = len(cfg.Calls), n
	res.Seconds = elapsed.Seconds()
	res.SendBehindMaxMs = float64(behind) / 1e6
	var jsum, rjsum float64
	for _, st := range streams {
		rjsum += st.rj / 1e6
		res.DelayMaxMs = max(res.DelayMaxMs, float64(st.maxD)/1e6)
		res.Sent += st.sent
		res.Received += st.got
		res.Late += st.late
		res.AfterEnd += st.after
		j := float64(st.recv.JitterDuration(8000)) / 1e6
		jsum += j
		res.JitterMaxMs = max(res.JitterMaxMs, j)
	}
	for _, f := range foreign {
		res.Foreign += f
	}
	res.JitterMeanMs = jsum / float64(n)
	res.RelayJitterMeanMs = rjsum / float64(n)
	res.Lost = int64(res.Sent) - int64(res.Received)
	if res.Sent > 0 {
		res.LossRatio = float64(max(res.Lost, 0)) / float64(res.Sent)
		res.LateRatio = float64(res.Late) / float64(res.Sent)
	}
	res.RelayedPerSecond = float64(res.Received) / res.Seconds
	return res, nil
}

// sender batches one round of packets per socket, reusing its messages.
type sender struct {
	pcs    []*ipv4.PacketConn
	msgs   [][]ipv4.Message
	marked bool
}

func newSender(pcs []*ipv4.PacketConn, marked bool) *sender {
	return &sender{pcs: pcs, msgs: make([][]ipv4.Message, len(pcs)), marked: marked}
}

// round sends packet k of every stream in group.
func (s *sender) round(group []*stream, k uint16, payload []byte) error {
	for i := range s.msgs {
		s.msgs[i] = s.msgs[i][:0]
	}
	now := time.Now().UnixNano()
	for _, st := range group {
		st.mu.Lock()
		st.sentAt[k%64] = now
		st.mu.Unlock()
		binary.BigEndian.PutUint16(st.buf[2:], k)
		binary.BigEndian.PutUint32(st.buf[4:], uint32(k)*160)
		copy(st.buf[12:], payload)
		if s.marked {
			rtpmark.Put(st.buf[12:], st.id, k)
		}
		s.msgs[st.sock] = append(s.msgs[st.sock], ipv4.Message{Buffers: [][]byte{st.buf[:]}, Addr: st.to})
		if k >= firstSeq {
			st.sent++
		}
	}
	for i, m := range s.msgs {
		for len(m) > 0 {
			sent, err := s.pcs[i].WriteBatch(m[:min(len(m), batchSize)], 0)
			if err != nil {
				return fmt.Errorf("loadgen: send: %w", err)
			}
			m = m[sent:]
		}
	}
	return nil
}

// Straggle is how long the receive side keeps reading after the drain,
// counting what comes back as AfterEnd; it stops earlier once nothing
// has arrived for quiet.
const (
	Straggle = 3 * time.Second
	quiet    = 300 * time.Millisecond
)

// receive reads until the stop time arrives and passes, then counts
// stragglers, and returns the number of foreign datagrams.
func receive(pc *ipv4.PacketConn, streams []*stream, start time.Time, late time.Duration, marked bool, stopAt <-chan time.Time) uint64 {
	msgs := make([]ipv4.Message, batchSize)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	var foreign uint64
	var stop time.Time
	for {
		select {
		case stop = <-stopAt:
		default:
		}
		now := time.Now()
		if !stop.IsZero() && now.After(stop) {
			straggle(pc, streams, msgs, marked)
			return foreign
		}
		deadline := now.Add(50 * time.Millisecond)
		if !stop.IsZero() && stop.Before(deadline) {
			deadline = stop
		}
		pc.SetReadDeadline(deadline)
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			continue // the deadline: check the stop time again
		}
		now = time.Now()
		arrival := uint32(now.Sub(start) / 125000) // 8 kHz units
		for _, m := range msgs[:n] {
			b := m.Buffers[0][:m.N]
			st, seq, ts, ok := identify(b, streams, marked)
			if !ok {
				foreign++
				continue
			}
			st.mu.Lock()
			if st.active && seq >= firstSeq {
				st.got++
				st.recv.Update(seq, ts, arrival, len(b))
				d := now.UnixNano() - st.sentAt[seq%64]
				if d > int64(late) {
					st.late++
				}
				st.maxD = max(st.maxD, d)
				if st.haveD {
					dd := d - st.lastD
					if dd < 0 {
						dd = -dd
					}
					st.rj += (float64(dd) - st.rj) / 16
				}
				st.lastD, st.haveD = d, true
			}
			st.mu.Unlock()
		}
	}
}

// identify finds the stream a returned packet belongs to, with its
// sequence number and timestamp; ok is false for a foreign datagram.
func identify(b []byte, streams []*stream, marked bool) (st *stream, seq uint16, ts uint32, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return nil, 0, 0, false
	}
	ssrc := binary.BigEndian.Uint32(b[8:12])
	seq = binary.BigEndian.Uint16(b[2:4])
	ts = binary.BigEndian.Uint32(b[4:8])
	if marked {
		p, err := rtpmark.Payload(b)
		if err == nil {
			ssrc, seq, err = rtpmark.Parse(p)
		}
		if err != nil {
			return nil, 0, 0, false
		}
		ts = uint32(seq) * 160
	}
	if ssrc == 0 || int(ssrc) > len(streams) {
		return nil, 0, 0, false
	}
	return streams[ssrc-1], seq, ts, true
}

// straggle reads what still comes back after the drain, for at most
// Straggle and until nothing has come for quiet, and counts each
// stream's packets as arrived after the end.
func straggle(pc *ipv4.PacketConn, streams []*stream, msgs []ipv4.Message, marked bool) {
	end := time.Now().Add(Straggle)
	for now := time.Now(); now.Before(end); now = time.Now() {
		deadline := now.Add(quiet)
		if deadline.After(end) {
			deadline = end
		}
		pc.SetReadDeadline(deadline)
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			return // quiet for a whole period, or the end
		}
		for _, m := range msgs[:n] {
			st, seq, _, ok := identify(m.Buffers[0][:m.N], streams, marked)
			if !ok || seq < firstSeq {
				continue
			}
			st.mu.Lock()
			if st.active {
				st.after++
			}
			st.mu.Unlock()
		}
	}
}
