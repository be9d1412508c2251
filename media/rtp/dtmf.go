package rtp

import (
	"context"
	"errors"
	"io"
	"time"

	"callbox/media"
	"callbox/media/dtmf"

	pionrtp "github.com/pion/rtp"
)

// Digits delivers the RFC 4733 digits the peer sends, each once
// (retransmitted end packets and continuations are de-duplicated by
// timestamp). Digits keep flowing while the leg is relayed. If nobody
// reads, digits beyond a small buffer are dropped rather than stall the
// media loop. For PSTN audio without telephone-events, run the leg's
// Reader through dtmf.NewDetector instead: the switch picks per leg.
func (s *Session) Digits() <-chan byte { return s.digits }

// onEvent handles a telephone-event payload on the loop goroutine, with
// rxMu held.
func (s *Session) onEvent(ts uint32, payload []byte) {
	e, fresh, err := s.dtmfRx.Push(ts, payload)
	if err != nil {
		s.in.dropped++
		return
	}
	if !fresh {
		return
	}
	select {
	case s.digits <- e.Digit:
	default:
	}
}

// SendDigit sends one digit to the peer for dur (0: 100 ms): as RFC 4733
// telephone-events when they were negotiated (start, continuations, the
// end packet three times, all with the event's start timestamp), or in
// band as the digit's two tones otherwise. It blocks while it paces the
// packets and shares the leg's outgoing sequence with the Writer.
func (s *Session) SendDigit(ctx context.Context, digit byte, dur time.Duration) error {
	if dur <= 0 {
		dur = dtmf.DefaultOn
	}
	p := s.params.Load()
	if p.dtmfPT == 0 {
		return s.sendInband(ctx, digit, dur)
	}
	s.txMu.Lock()
	ts := s.wts
	s.txMu.Unlock()
	pkts, err := dtmf.Sender{}.Packets(nil, digit, dur, ts)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, pk := range pkts {
		if err := pace(ctx, s.closed, start.Add(pk.At)); err != nil {
			return err
		}
		if err := s.sendEvent(p.dtmfPT, pk); err != nil {
			return err
		}
	}
	// The audio clock moves on by the event's length, so the next voice
	// packet does not reuse the event's timestamps.
	s.txMu.Lock()
	s.wts = ts + uint32(dur.Seconds()*float64(p.codec.ClockRate))
	s.txMu.Unlock()
	return nil
}

func (s *Session) sendEvent(pt uint8, pk dtmf.Packet) error {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	seq := s.wseq
	s.wseq++
	if !s.dir.Sends() || !s.peer.IsValid() {
		return nil
	}
	h := pionrtp.Header{Version: 2, Marker: pk.Marker, PayloadType: pt, SequenceNumber: seq, Timestamp: pk.Timestamp, SSRC: s.ssrc}
	hn, err := h.MarshalTo(s.wbuf[:])
	if err != nil {
		return err
	}
	n := hn + copy(s.wbuf[hn:], pk.Payload[:])
	s.rw.Rewrite(s.wbuf[:n], s.engine.Now())
	s.out.packets++
	s.out.bytes += uint64(n)
	return s.pair.RTP.WriteTo(s.wbuf[:n], s.peer)
}

func (s *Session) sendInband(ctx context.Context, digit byte, dur time.Duration) error {
	g, err := dtmf.NewGenerator(string(digit), dur, dtmf.DefaultOff)
	if err != nil {
		return err
	}
	start := time.Now()
	var f media.Frame
	for i := 0; ; i++ {
		if err := g.ReadFrame(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := pace(ctx, s.closed, start.Add(time.Duration(i)*media.FrameDuration)); err != nil {
			return err
		}
		if err := s.WriteFrame(&f); err != nil {
			return err
		}
	}
}

// pace waits until at, the pacing of outgoing packets.
func pace(ctx context.Context, closed <-chan struct{}, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return media.ErrClosed
	}
}
