package acd

import (
	"context"
	"slices"
	"sync"
	"time"

	"callbox/media"
	"callbox/media/dsp"
	"callbox/media/mix"
)

// wire connects the bridge's audio for its current parties, after
// taking down the previous wiring:
//   - two parties: relayed both ways (the fast path), except around a
//     party that put the other on hold: its peer hears music instead, and
//     it hears nothing;
//   - three and more: mixed, a holding party muted, a party with a
//     limited Audience heard by its listeners alone;
//   - a party left alone (its peer parked by a transfer) hears music.
func (b *bridge) wire(ctx context.Context) {
	b.unwire()
	sinks := map[*end]media.FrameWriter{}
	defer b.feed(sinks)
	var act []*end
	for _, e := range b.ends {
		if !e.parked && e.leg.Media() != nil {
			act = append(act, e)
		}
	}
	switch {
	case len(act) >= 3:
		b.mix(ctx, act, sinks)
	case len(act) == 2:
		for i, from := range act {
			to := act[1-i]
			switch {
			case from.held:
				b.music(ctx, to.leg.Media())
			case to.held:
				// A party that holds hears nothing of the held one, also
				// when the box holds for it (CTI) and its phone does not
				// know.
			case !from.aud.heardBy(to.leg):
				// A supervisor left alone with one party, listening or
				// whispering to someone gone: not heard.
			default:
				b.stops = append(b.stops, from.leg.Media().RelayTo(to.leg.Media()))
			}
		}
	case len(act) == 1 && len(b.ends) > 1:
		b.music(ctx, act[0].leg.Media())
	}
}

// unwire stops every relay, music and mixer of the current wiring.
func (b *bridge) unwire() {
	for _, stop := range b.stops {
		stop()
	}
	b.stops = b.stops[:0]
}

// music plays the switch's music on hold to ep until unwired.
func (b *bridge) music(ctx context.Context, ep media.Endpoint) {
	w := ep.Writer()
	if w == nil {
		return
	}
	mctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := b.c.sw.music(mctx, w); err != nil && mctx.Err() == nil {
			b.c.sw.log.Debug("music on hold stopped", "call_id", b.c.ID(), "err", err)
		}
	})
	b.stops = append(b.stops, func() { cancel(); wg.Wait() })
}

// mix runs a conference of the parties: each one's audio is decoded into
// its mixer input, and one pacing loop mixes every 20 ms and writes what
// each party hears. A party heard by everyone goes through the
// conference's sum; a party with a limited audience (a supervisor) is
// muted there, and its voice is added to the output of its listeners
// alone.
func (b *bridge) mix(ctx context.Context, act []*end, sinks map[*end]media.FrameWriter) {
	conf := mix.NewConference()
	type member struct {
		e     *end
		p     *mix.Party
		w     media.FrameWriter
		hears []int // the limited voices this party hears
	}
	type limited struct {
		e *end
		v *voice
	}
	var members []member
	var lims []limited
	for _, e := range act {
		ep := e.leg.Media()
		w := ep.Writer()
		if w == nil {
			continue
		}
		p := conf.Join()
		members = append(members, member{e: e, p: p, w: w})
		if !e.aud.limited {
			p.SetMuted(e.held)
			sinks[e] = p
			continue
		}
		p.SetMuted(true)
		if !e.held {
			v := &voice{}
			lims = append(lims, limited{e, v})
			sinks[e] = v
		}
	}
	// Who hears whom is fixed here: the loop must not read the ends, which
	// the bridge's ops change before it is rewired.
	for i := range members {
		m := &members[i]
		for j, l := range lims {
			if l.e != m.e && l.e.aud.heardBy(m.e.leg) {
				m.hears = append(m.hears, j)
			}
		}
	}
	mctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(media.FrameDuration)
		defer t.Stop()
		var f media.Frame
		heard := make([]media.Frame, len(lims))
		has := make([]bool, len(lims))
		for {
			select {
			case <-t.C:
			case <-mctx.Done():
				return
			}
			conf.Mix()
			for i, l := range lims {
				has[i] = l.v.take(&heard[i])
			}
			for _, m := range members {
				_ = m.p.ReadFrame(&f)
				for _, i := range m.hears {
					if has[i] {
						for k, v := range heard[i] {
							f[k] = dsp.Saturate(int32(f[k]) + int32(v))
						}
					}
				}
				// A party whose leg just ended fails here until the
				// bridge drops it; the others go on.
				_ = m.w.WriteFrame(&f)
			}
		}
	})
	b.stops = append(b.stops, func() { cancel(); wg.Wait() })
}

// feed decodes the audio of each party that has a sink (its mixer input)
// or taps, once for both.
func (b *bridge) feed(sinks map[*end]media.FrameWriter) {
	for _, e := range b.ends {
		ep := e.leg.Media()
		sink := sinks[e]
		if ep == nil || (sink == nil && len(e.taps) == 0) {
			continue
		}
		f := &fanout{sink: sink, taps: slices.Clone(e.taps)}
		if c, ok := ep.(media.Capturer); ok && sink == nil {
			// Taps alone (a recording, a supervisor of a two-party
			// call) take frames in batches, the cheap way to hear. A
			// mixer input cannot: it keeps one frame per 20 ms mix,
			// and a batch of two would lose one.
			b.stops = append(b.stops, c.Capture(f))
			continue
		}
		if l, ok := ep.(listener); ok {
			b.stops = append(b.stops, l.Listen(f))
			continue
		}
		b.stops = append(b.stops, ep.RelayTo(f))
	}
}

// listener is an endpoint that decodes its audio for one more reader from
// a reorder buffer of that reader's own, made when it starts listening
// and dropped when it stops (rtp.Session.Listen). The bridge prefers it
// to the leg's shared Reader: that reader's buffer outlives whoever read
// it before (an IVR menu, a queue's announcements), so a recording that
// started on it would begin with audio from before the bridge, out of
// step with the other party.
type listener interface {
	Listen(w media.FrameWriter) (stop func())
}

// tap is a reader of a party's decoded audio (Call.Tap).
type tap struct {
	mu  sync.Mutex
	w   media.FrameWriter
	off bool // stopped: w is not called again
}

// fanout hands each decoded frame of a party to its mixer input and its
// taps.
type fanout struct {
	sink media.FrameWriter
	taps []*tap
}

func (f *fanout) WriteFrame(fr *media.Frame) error {
	if f.sink != nil {
		_ = f.sink.WriteFrame(fr)
	}
	for _, t := range f.taps {
		t.mu.Lock()
		if !t.off {
			_ = t.w.WriteFrame(fr)
		}
		t.mu.Unlock()
	}
	return nil // an error would stop the relay for every reader
}

func (f *fanout) Reader() media.FrameReader            { return nil }
func (f *fanout) Writer() media.FrameWriter            { return f }
func (f *fanout) RelayTo(media.Endpoint) (stop func()) { return func() {} }

// voice keeps the latest frame of a party with a limited audience until
// the mixing loop takes it; a party that sent nothing since is silent.
type voice struct {
	mu  sync.Mutex
	f   media.Frame
	has bool
}

func (v *voice) WriteFrame(f *media.Frame) error {
	v.mu.Lock()
	v.f, v.has = *f, true
	v.mu.Unlock()
	return nil
}

// take moves the frame into f; false when none came since the last take.
func (v *voice) take(f *media.Frame) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.has {
		return false
	}
	*f, v.has = v.f, false
	return true
}

// voice is the endpoint a leg relays into: it only takes frames.
func (v *voice) Reader() media.FrameReader            { return nil }
func (v *voice) Writer() media.FrameWriter            { return v }
func (v *voice) RelayTo(media.Endpoint) (stop func()) { return func() {} }
