package queue

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"callbox/acd"
	"callbox/media"
	"callbox/media/mix"
)

// talk is a queue call in progress between a customer and an agent: the
// audio between them passes through it decoded, so it can be recorded
// and a supervisor can listen, whisper or barge.
type talk struct {
	l                    *Live
	c                    *acd.Call // nil for a callback
	callID, agent, queue string
	customer, agentLeg   acd.Leg

	mu      sync.Mutex
	toAgent media.FrameWriter // the agent's side of the audio
	toCust  media.FrameWriter // the customer's side
	rec     *recording
	sup     *supervision
	ended   bool
}

// supervision is a supervisor on a talk. While it lasts the two sides'
// frames no longer pass straight through: they queue here and one 20 ms
// pacing loop (Supervise) mixes each step for the three parties, so
// whoever is silent, the others still hear each other in time.
type supervision struct {
	mode              mix.Mode
	out               media.FrameWriter // the supervisor's phone
	cust, agent, self frameFIFO
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

// talkLeg is the agent's leg as the call's bridge sees it: its media is
// the talk, so every frame passes the recorder and the supervisor.
type talkLeg struct {
	acd.Leg
	t *talk
}

func (l talkLeg) Media() media.Endpoint { return talkEndpoint{l.t} }

// Unwrap returns the agent's own leg (for code that needs its concrete
// type: the SIP dialog for a transfer, the RTP session).
func (l talkLeg) Unwrap() acd.Leg { return l.Leg }

// EndCause passes on why the agent's leg ended, for the call's record.
func (l talkLeg) EndCause() acd.Cause {
	if r, ok := l.Leg.(acd.CauseReporter); ok {
		return r.EndCause()
	}
	return 0
}

// ExportState passes on the agent leg's state for a standby box; a leg
// that cannot describe itself exports nothing.
func (l talkLeg) ExportState() (json.RawMessage, error) {
	if e, ok := l.Leg.(acd.StateExporter); ok {
		return e.ExportState()
	}
	return nil, nil
}

// Digits passes on the agent's DTMF.
func (l talkLeg) Digits() <-chan byte { return digitsOf(l.Leg) }

// talkEndpoint receives the customer's frames (Writer) and relays the
// agent's (RelayTo).
type talkEndpoint struct{ t *talk }

func (e talkEndpoint) Reader() media.FrameReader { return e.t.agentLeg.Media().Reader() }
func (e talkEndpoint) Writer() media.FrameWriter { return media.FrameWriterFunc(e.t.fromCustomer) }

// RelayTo relays the agent's audio to other (the customer) until stop;
// stop returns once the agent's leg has ended (it closes its media),
// which the bridge guarantees before it stops the relays.
func (e talkEndpoint) RelayTo(other media.Endpoint) (stop func()) {
	t := e.t
	t.mu.Lock()
	t.toCust = other.Writer()
	t.mu.Unlock()
	r := t.agentLeg.Media().Reader()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var f media.Frame
		for r.ReadFrame(&f) == nil {
			if t.fromAgent(&f) != nil {
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			t.ended = true
			t.mu.Unlock()
			_ = t.agentLeg.Hangup(acd.CauseNormalClearing)
			<-done
		})
	}
}

var errTalkEnded = errors.New("queue: talk ended")

func (t *talk) fromCustomer(f *media.Frame) error {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return errTalkEnded
	}
	if t.rec != nil {
		t.rec.caller(f)
	}
	if t.sup != nil {
		t.sup.cust.push(f)
		t.mu.Unlock()
		return nil
	}
	out := t.toAgent
	t.mu.Unlock()
	return out.WriteFrame(f)
}

func (t *talk) fromAgent(f *media.Frame) error {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return errTalkEnded
	}
	if t.rec != nil {
		t.rec.other(f)
	}
	if t.sup != nil {
		t.sup.agent.push(f)
		t.mu.Unlock()
		return nil
	}
	out := t.toCust
	t.mu.Unlock()
	if out == nil {
		return nil
	}
	return out.WriteFrame(f)
}

// mixStep mixes one 20 ms step of a supervised talk and sends each party
// what the mode lets them hear.
func (t *talk) mixStep(sup *supervision) {
	var c, a, s, toC, toA, toS media.Frame
	t.mu.Lock()
	if t.sup != sup || t.ended {
		t.mu.Unlock()
		return
	}
	hc, ha, hs := sup.cust.pop(&c), sup.agent.pop(&a), sup.self.pop(&s)
	mode, toCust, toAgent := sup.mode, t.toCust, t.toAgent
	t.mu.Unlock()
	mode.Mix(&c, &a, &s, mix.Out{Caller: &toC, Agent: &toA, Supervisor: &toS})
	if hc || ha {
		_ = sup.out.WriteFrame(&toS)
	}
	if hc || (hs && mode != mix.Listen) {
		_ = toAgent.WriteFrame(&toA)
	}
	if toCust != nil && (ha || (hs && mode == mix.Barge)) {
		_ = toCust.WriteFrame(&toC)
	}
}

// talk bridges the caller of c to the agent's answered leg and returns
// when either hangs up (see acd.Call.Bridge). The queue's recording
// policy applies; a supervisor may join while it lasts.
func (l *Live) talk(ctx context.Context, c *acd.Call, agentID, queue string, agentLeg acd.Leg) error {
	t := &talk{l: l, c: c, callID: c.ID(), agent: agentID, queue: queue, customer: c.Caller(), agentLeg: agentLeg}
	if c.Caller().Media() == nil || agentLeg.Media() == nil {
		return c.Bridge(ctx, agentLeg)
	}
	t.toAgent = agentLeg.Media().Writer()
	l.begin(t)
	defer l.end(t)
	return c.Bridge(ctx, talkLeg{Leg: agentLeg, t: t})
}

// bridgeLegs connects a callback's agent and customer until either hangs
// up or ctx ends; both legs are hung up when it returns.
func (l *Live) bridgeLegs(ctx context.Context, callID, agentID, queue string, agentLeg, customer acd.Leg) {
	t := &talk{l: l, callID: callID, agent: agentID, queue: queue, customer: customer, agentLeg: agentLeg}
	defer func() {
		_ = customer.Hangup(acd.CauseNormalClearing)
		_ = agentLeg.Hangup(acd.CauseNormalClearing)
	}()
	if customer.Media() != nil && agentLeg.Media() != nil {
		t.toAgent = agentLeg.Media().Writer()
		l.begin(t)
		defer l.end(t)
		ep := talkEndpoint{t}
		stopCA := customer.Media().RelayTo(ep)
		stopAC := ep.RelayTo(customer.Media())
		defer stopCA()
		defer stopAC()
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

// end forgets t and finishes its recording and supervision.
func (l *Live) end(t *talk) {
	l.mu.Lock()
	if l.talks[t.agent] == t {
		delete(l.talks, t.agent)
	}
	l.mu.Unlock()
	t.mu.Lock()
	t.ended = true
	rec, sup := t.rec, t.sup
	t.rec, t.sup = nil, nil
	t.mu.Unlock()
	_ = sup // the supervisor's own goroutine sees the talk end and hangs up
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
