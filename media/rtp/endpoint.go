package rtp

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"

	"callbox/media"
	"callbox/media/g711"
	"callbox/media/jitter"

	pionrtp "github.com/pion/rtp"
)

// Reader returns the leg's decoded audio: packets in sequence order
// through a jitter buffer, decoded to 20 ms frames, a lost packet
// concealed with silence. Every call returns the same reader; the buffer
// starts filling at the first call.
func (s *Session) Reader() media.FrameReader {
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	if s.reader == nil {
		s.jb = jitter.New(s.cfg.JitterDepth)
		s.reader = &frameReader{s: s, jb: s.jb, notify: s.notify}
	}
	return s.reader
}

// frameReader decodes the packets of one jitter buffer: the leg's own
// reader's, or a listener's.
type frameReader struct {
	s      *Session
	jb     *jitter.Buffer // guarded by s.rxMu
	notify chan struct{}  // a packet entered jb
	pcm    [media.FrameSamples * 4]int16
	n      int
	law    g711.Law
	dec    g711.Decoder
}

// ReadFrame blocks until a frame is decoded, the session closes
// (media.ErrClosed) or times out (media.ErrTimeout).
func (r *frameReader) ReadFrame(f *media.Frame) error {
	return r.read(f, nil)
}

func (r *frameReader) read(f *media.Frame, stop <-chan struct{}) error {
	s := r.s
	for {
		if r.n >= media.FrameSamples {
			copy(f[:], r.pcm[:media.FrameSamples])
			r.n = copy(r.pcm[:], r.pcm[media.FrameSamples:r.n])
			return nil
		}
		law := s.params.Load().law
		s.rxMu.Lock()
		payload, _, st := r.jb.Pop()
		switch st {
		case jitter.Ready:
			if law != r.law {
				// Decoders exist for both laws, so this cannot fail.
				r.dec, _ = g711.NewDecoder(lawCodec(law))
				r.law = law
			}
			r.n += r.dec.Decode(r.pcm[r.n:], payload)
		case jitter.Lost:
			// Conceal one 20 ms packet with silence.
			k := min(media.FrameSamples, len(r.pcm)-r.n)
			clear(r.pcm[r.n : r.n+k])
			r.n += k
		}
		s.rxMu.Unlock()
		if st != jitter.NotReady {
			continue
		}
		select {
		case <-r.notify:
		case <-s.closed:
			return media.ErrClosed
		case <-s.timedOut:
			return media.ErrTimeout
		case <-stop:
			return media.ErrClosed
		}
	}
}

func lawCodec(l g711.Law) media.Codec {
	if l == g711.Alaw {
		return media.PCMA
	}
	return media.PCMU
}

// Writer returns a writer that encodes frames into RTP toward the peer.
// The caller paces it (one frame per 20 ms). While the leg is held
// (direction without send) frames are dropped but the stream's clock
// keeps running.
func (s *Session) Writer() media.FrameWriter { return media.FrameWriterFunc(s.WriteFrame) }

// WriteFrame encodes and sends one frame.
func (s *Session) WriteFrame(f *media.Frame) error {
	select {
	case <-s.closed:
		return media.ErrClosed
	default:
	}
	p := s.params.Load()
	enc, err := g711.NewEncoder(p.codec)
	if err != nil {
		return err
	}
	s.txMu.Lock()
	defer s.txMu.Unlock()
	seq, ts := s.wseq, s.wts
	s.wseq++
	s.wts += media.FrameSamples
	if !s.dir.Sends() || !s.peer.IsValid() {
		return nil
	}
	h := pionrtp.Header{Version: 2, PayloadType: p.codec.PayloadType, SequenceNumber: seq, Timestamp: ts, SSRC: s.ssrc}
	hn, err := h.MarshalTo(s.wbuf[:])
	if err != nil {
		return err
	}
	n := hn + enc.Encode(s.wbuf[hn:], f[:])
	s.rw.Rewrite(s.wbuf[:n], s.engine.Now())
	s.sender.Count(n-hn, binary.BigEndian.Uint32(s.wbuf[4:8]))
	s.out.packets++
	s.out.bytes += uint64(n)
	return s.pair.RTP.WriteTo(s.wbuf[:n], s.peer)
}

// Listen lets one more party hear the leg: w gets its decoded audio, 20
// ms frames as Reader gives them, from a jitter buffer of the listener's
// own, so neither the reader (an IVR, a recorder) nor the fast-path relay
// loses a frame to it — a fax-tone detector listens this way beside the
// IVR. A goroutine writes to w until stop, which ends it and waits for it
// (w is not called after stop returns), or until the leg closes. stop is
// idempotent.
func (s *Session) Listen(w media.FrameWriter) (stop func()) {
	r := &frameReader{s: s, jb: jitter.New(s.cfg.JitterDepth), notify: make(chan struct{}, 1)}
	s.rxMu.Lock()
	s.listeners = append(s.listeners, r)
	s.rxMu.Unlock()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var f media.Frame
		for r.read(&f, done) == nil && w.WriteFrame(&f) == nil {
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			s.rxMu.Lock()
			s.listeners = slices.DeleteFunc(s.listeners, func(l *frameReader) bool { return l == r })
			s.rxMu.Unlock()
		})
	}
}

// ErrSelfRelay is returned (through a no-op stop) when a leg is asked to
// relay to itself.
var ErrSelfRelay = errors.New("rtp: relay to self")

// RelayTo sends this leg's incoming audio to other. Between two sessions
// it is the fast path: packets are forwarded as they arrive, without
// decoding (G.711 laws are transcoded in place when they differ). For any
// other endpoint, frames are decoded and written by a goroutine that stop
// ends and waits for. stop is idempotent.
func (s *Session) RelayTo(other media.Endpoint) (stop func()) {
	if o, ok := other.(*Session); ok {
		if o == s {
			s.log.Warn("refusing relay", "err", ErrSelfRelay)
			return func() {}
		}
		s.fwd.Store(o)
		return func() { s.fwd.CompareAndSwap(o, nil) }
	}
	r := s.Reader().(*frameReader)
	w := other.Writer()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var f media.Frame
		for {
			if err := r.read(&f, done); err != nil {
				return
			}
			if err := w.WriteFrame(&f); err != nil {
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}
