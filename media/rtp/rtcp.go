package rtp

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"callbox/media/quality"
	"callbox/media/relay"
)

// rtcpHandler serves the odd port of a session's pair.
type rtcpHandler struct{ s *Session }

// HandleBatch parses reports from the peer. RTCP is accepted only from the
// address the RTP peer latched to.
func (h rtcpHandler) HandleBatch(b *relay.Batch) {
	s := h.s
	now := s.cfg.Clock.Now()
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	for i := range b.Len() {
		pkt, from := b.Packet(i)
		if !s.latch.latched || from.Addr() != s.latch.peer.Addr() {
			continue
		}
		c, err := quality.Parse(pkt)
		if err != nil {
			s.in.dropped++
			continue
		}
		s.rtcpPeer = from
		for _, sr := range c.SenderReports {
			if sr.SSRC == s.rxSSRC {
				s.recv.NoteSR(sr.NTPTime, now)
			}
			s.noteReports(sr.Reports, now)
		}
		for _, rr := range c.ReceiverReports {
			s.noteReports(rr.Reports, now)
		}
	}
}

func (s *Session) noteReports(reps []quality.ReceptionReport, now time.Time) {
	if len(reps) == 0 {
		return
	}
	// The peer reports on the one stream we send it; its SSRC may be a
	// relayed source's, so take the first block.
	s.remote = reps[0]
	s.haveRR = true
	if rtt := quality.RoundTrip(reps[0], now); rtt > 0 {
		s.rtt = rtt
	}
}

// rtcpDelay is the RTCP interval randomised over [0.5, 1.5) as RFC 3550
// section 6.2 asks, so that thousands of sessions opened together do not
// report (and wake the CPU) in the same millisecond.
func (s *Session) rtcpDelay() time.Duration {
	return s.cfg.RTCPInterval/2 + time.Duration(rand.Int64N(int64(s.cfg.RTCPInterval)))
}

// tickEvery is the time to the next timer event: the next report, or the
// timeout's check interval when that comes first. Called with timerMu.
func (s *Session) tickEvery() time.Duration {
	d := max(s.nextRTCP.Sub(s.cfg.Clock.Now()), time.Millisecond)
	if s.cfg.Timeout > 0 {
		d = min(d, max(s.cfg.Timeout/4, 10*time.Millisecond))
	}
	return d
}

// tick runs on the clock's timer: it watches for the no-media timeout and
// sends RTCP when due, then re-arms.
func (s *Session) tick() {
	select {
	case <-s.closed:
		return
	default:
	}
	now := s.cfg.Clock.Now()
	receives := s.direction().Receives()
	fire := false
	s.timerMu.Lock()
	defer func() {
		s.timerMu.Unlock()
		// Outside the lock: the callback may well Close the session.
		if fire && s.cfg.OnTimeout != nil {
			s.cfg.OnTimeout()
		}
	}()
	if seen := s.rxSeen.Load(); seen != s.lastSeen || !receives {
		s.lastSeen = seen
		s.lastRxAt = now
	} else if s.cfg.Timeout > 0 && now.Sub(s.lastRxAt) >= s.cfg.Timeout {
		s.toOnce.Do(func() {
			close(s.timedOut)
			s.log.Info("no RTP", "for", now.Sub(s.lastRxAt))
			fire = true
		})
	}
	if !now.Before(s.nextRTCP) {
		s.nextRTCP = now.Add(s.rtcpDelay())
		if err := s.sendRTCP(now); err != nil && !errors.Is(err, relay.ErrWouldBlock) {
			s.log.Debug("rtcp send", "err", err)
		}
	}
	select {
	case <-s.closed:
	default:
		s.timer = s.cfg.Clock.AfterFunc(s.tickEvery(), s.tick)
	}
}

// sendRTCP sends an SR (when we have sent media) or an RR, with SDES.
func (s *Session) sendRTCP(now time.Time) error {
	s.rxMu.Lock()
	var blocks []quality.ReceptionReport
	if s.rxActive {
		blocks = append(blocks, s.recv.Report(now))
	}
	to := s.rtcpPeer
	s.rxMu.Unlock()

	s.txMu.Lock()
	if !to.IsValid() && s.peer.IsValid() {
		to = netip.AddrPortFrom(s.peer.Addr(), s.peer.Port()+1)
	}
	sender := s.sender
	outSSRC := s.ssrc
	if st := s.rw.State(); st.Started {
		outSSRC = st.SSRC
	}
	lastAt := s.rw.State().LastAt
	nowMono := s.engine.Now()
	s.txMu.Unlock()
	if !to.IsValid() {
		return nil
	}
	b := s.rtcpBuf[:0]
	if sender.Packets > 0 {
		// The RTP time of "now": the last timestamp sent plus the time
		// since, in clock units.
		rtpNow := sender.LastTS + uint32(uint64(max(nowMono-lastAt, 0))/1000*uint64(s.params.Load().codec.ClockRate)/1e6)
		b = quality.AppendSR(b, &quality.SenderReport{SSRC: outSSRC, NTPTime: quality.NTPTime(now), RTPTime: rtpNow,
			PacketCount: sender.Packets, OctetCount: sender.Octets, Reports: blocks})
	} else {
		b = quality.AppendRR(b, &quality.ReceiverReport{SSRC: outSSRC, Reports: blocks})
	}
	b = quality.AppendSDESCname(b, outSSRC, s.cfg.CNAME)
	s.rtcpBuf = b
	return s.pair.RTCP.WriteTo(b, to)
}
