package queue

import (
	"context"
	"errors"
	"sync"

	"callbox/acd"
	"callbox/media"
	"callbox/media/mix"
)

// talk is a queue call in progress between a customer and an agent. The
// switch's bridge carries its audio (the relay fast path, hold, transfer,
// conference); the talk only listens: when a recording needs the audio,
// it takes both sides' decoded frames from the bridge's taps
// (acd.Call.Tap), which decode each leg once for the mixer and the taps
// alike. A callback has no bridge: its talk reads the legs' decoded
// frames itself, for the recording and a listening supervisor.
type talk struct {
	l                    *Live
	c                    *acd.Call // nil for a callback
	callID, agent, queue string
	customer, agentLeg   acd.Leg
	custEp, agentEp      media.Endpoint
	done                 chan struct{} // closed by Live.end

	mu      sync.Mutex
	tapping bool
	stops   []func() // the bridge's taps, stopped by Live.end
	rec     *recording
	sup     *supervision
	ended   bool
}

// supervision is a supervisor on a talk: listening, their phone gets the
// mix of both sides from one 20 ms pacing loop; barging, the bridge
// mixes them in as a third party.
type supervision struct {
	mode        mix.Mode
	leg         acd.Leg
	out         media.FrameWriter // the supervisor's phone
	cust, agent frameFIFO
	change      chan mix.Mode
}

// frameFIFO absorbs the drift between a phone's clock and the pacing
// loop: a few frames, the oldest dropped when full.
type frameFIFO struct {
	buf [4]media.Frame
	n   int
}

func (q *frameFIFO) push(f *media.Frame) {
	if q.n == len(q.buf) {
		copy(q.buf[:], q.buf[1:])
		q.n--
	}
	q.buf[q.n] = *f
	q.n++
}

// pop moves the oldest frame into f; false when empty.
func (q *frameFIFO) pop(f *media.Frame) bool {
	if q.n == 0 {
		return false
	}
	*f = q.buf[0]
	copy(q.buf[:], q.buf[1:q.n])
	q.n--
	return true
}

// tap starts taking both sides' decoded frames for the recording and
// the supervisor, once. Called with t.mu held, so the work is spawned:
// Live owns it and waits for it in Run.
//
// A call in the switch's bridge is tapped there (tapBridge): a Session's
// decoded stream has a single reader, and the bridge's mixer reads it as
// soon as a supervisor joins, so the talk must not read it too. Only a
// callback, whose legs are relayed outside any bridge, reads the legs
// itself: there nothing else consumes their decoded frames. An RTP leg
// is captured (rtp.Session.Capture: frames in batches from a packet
// queue, no goroutine of its own), a leg that can listen (a line card
// channel) is heard through a reorder buffer made for the talk, both
// stopped by Live.end; any other leg's reader ends at the first frame
// after the talk ends, or when its media closes.
func (t *talk) tap() {
	if t.tapping || t.ended {
		return
	}
	t.tapping = true
	if t.c != nil {
		t.l.spawn(t.tapBridge)
		return
	}
	for _, side := range []struct {
		ep   media.Endpoint
		cust bool
	}{{t.custEp, true}, {t.agentEp, false}} {
		if c, ok := side.ep.(media.Capturer); ok {
			t.stops = append(t.stops, c.Capture(sideWriter{t: t, cust: side.cust}))
			continue
		}
		if l, ok := side.ep.(listener); ok {
			t.stops = append(t.stops, l.Listen(sideWriter{t: t, cust: side.cust}))
			continue
		}
		r := side.ep.Reader()
		t.l.spawn(func() {
			var f media.Frame
			for r.ReadFrame(&f) == nil && t.heard(&f, side.cust) {
			}
		})
	}
}

// listener is a leg's media that decodes its audio for one more reader
// until stopped (rtp.Session.Listen).
type listener interface {
	Listen(w media.FrameWriter) (stop func())
}

// tapBridge taps both sides of the call's bridge into heard; Live.end
// stops the taps. It runs without t.mu: heard takes that lock, and the
// bridge waits for its taps while it rewires, so holding it here could
// deadlock. The talk is registered (begin) just before the handler
// enters acd.Call.Bridge, so it waits for the bridge to be live
// (acd.Call.Bridged) or the talk to end. A bridge that ended before the
// taps went in (ErrNotBridged) leaves nothing to record.
func (t *talk) tapBridge() {
	select {
	case <-t.c.Bridged():
	case <-t.done:
		return
	}
	for _, side := range []struct {
		leg  acd.Leg
		cust bool
	}{{t.customer, true}, {t.agentLeg, false}} {
		stop, err := t.c.Tap(side.leg, sideWriter{t: t, cust: side.cust})
		if errors.Is(err, acd.ErrNotBridged) {
			t.l.log.Debug("queue: bridge ended before the recording tap", "call", t.callID)
			return
		}
		if err != nil {
			t.l.log.Error("queue: recording not tapped", "call", t.callID, "err", err)
			return
		}
		if !t.keepTap(stop) {
			return
		}
	}
}

// keepTap hands stop to Live.end, or calls it at once when the talk has
// ended already; false then.
func (t *talk) keepTap(stop func()) bool {
	t.mu.Lock()
	if !t.ended {
		t.stops = append(t.stops, stop)
		t.mu.Unlock()
		return true
	}
	t.mu.Unlock()
	stop()
	return false
}

// sideWriter is one side of a talk as a bridge tap sees it.
type sideWriter struct {
	t    *talk
	cust bool
}

// WriteFrame never blocks for long (heard holds t.mu briefly) and never
// fails: the bridge would only drop the error.
func (w sideWriter) WriteFrame(f *media.Frame) error {
	w.t.heard(f, w.cust)
	return nil
}

// heard takes one frame from a side; false once the talk is over.
func (t *talk) heard(f *media.Frame, cust bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return false
	}
	if t.rec != nil {
		if cust {
			t.rec.caller(f)
		} else {
			t.rec.other(f)
		}
	}
	if t.sup != nil && t.sup.mode == mix.Listen {
		if cust {
			t.sup.cust.push(f)
		} else {
			t.sup.agent.push(f)
		}
	}
	return true
}

// listenStep sends a listening supervisor one 20 ms step of both sides.
func (t *talk) listenStep(sup *supervision) {
	var c, a, s, toC, toA, toS media.Frame
	t.mu.Lock()
	if t.sup != sup || t.ended || sup.mode != mix.Listen {
		t.mu.Unlock()
		return
	}
	hc, ha := sup.cust.pop(&c), sup.agent.pop(&a)
	t.mu.Unlock()
	if !hc && !ha {
		return
	}
	mix.Listen.Mix(&c, &a, &s, mix.Out{Caller: &toC, Agent: &toA, Supervisor: &toS})
	_ = sup.out.WriteFrame(&toS)
}

// talk bridges the caller of c to the agent's answered leg and returns
// when either hangs up (see acd.Call.Bridge). The queue's recording
// policy applies; a supervisor may join while it lasts.
func (l *Live) talk(ctx context.Context, c *acd.Call, agentID, queue string, agentLeg acd.Leg) error {
	t := &talk{l: l, c: c, callID: c.ID(), agent: agentID, queue: queue, customer: c.Caller(), agentLeg: agentLeg,
		custEp: c.Caller().Media(), agentEp: agentLeg.Media(), done: make(chan struct{})}
	if t.custEp != nil && t.agentEp != nil {
		l.begin(t)
		defer l.end(t)
	}
	return c.Bridge(ctx, agentLeg)
}

// bridgeLegs connects a callback's agent and customer until either hangs
// up or ctx ends; both legs are hung up when it returns.
func (l *Live) bridgeLegs(ctx context.Context, callID, agentID, queue string, agentLeg, customer acd.Leg) {
	defer func() {
		_ = customer.Hangup(acd.CauseNormalClearing)
		_ = agentLeg.Hangup(acd.CauseNormalClearing)
	}()
	t := &talk{l: l, callID: callID, agent: agentID, queue: queue, customer: customer, agentLeg: agentLeg,
		custEp: customer.Media(), agentEp: agentLeg.Media(), done: make(chan struct{})}
	if t.custEp != nil && t.agentEp != nil {
		stopCA := t.custEp.RelayTo(t.agentEp)
		stopAC := t.agentEp.RelayTo(t.custEp)
		defer stopCA()
		defer stopAC()
		l.begin(t)
		defer l.end(t)
	}
	select {
	case <-ctx.Done():
	case <-customer.Done():
	case <-agentLeg.Done():
	}
}

// begin registers t for supervision and starts its recording if the
// queue records every call.
func (l *Live) begin(t *talk) {
	l.mu.Lock()
	l.talks[t.agent] = t
	l.mu.Unlock()
	if l.policy(t.queue) == RecordAll {
		if err := t.startRecording(); err != nil {
			l.log.Error("queue: recording not started", "call", t.callID, "err", err)
		}
	}
}

// end forgets t, stops its bridge taps (without t.mu: the bridge waits
// for a tap's heard while rewiring) and finishes its recording; a
// supervisor's loop sees the end and hangs up.
func (l *Live) end(t *talk) {
	l.mu.Lock()
	if l.talks[t.agent] == t {
		delete(l.talks, t.agent)
	}
	l.mu.Unlock()
	t.mu.Lock()
	if !t.ended {
		close(t.done)
	}
	t.ended = true
	rec, stops := t.rec, t.stops
	t.rec, t.stops = nil, nil
	t.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	if rec != nil {
		rec.finish(l, t)
	}
}

// talkOf returns the call an agent is on.
func (l *Live) talkOf(agentID string) (*talk, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.talks[agentID]
	if !ok {
		return nil, wrapf(ErrNotOnCall, "queue: agent %s", agentID)
	}
	return t, nil
}

// recorded reports whether t is being recorded.
func (t *talk) recorded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rec != nil
}
