package queue

import (
	"context"
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

	mu        sync.Mutex
	toAgent   media.FrameWriter // the agent's side of the audio
	toCust    media.FrameWriter // the customer's side
	rec       *recording
	sup       *supervision
	lastAgent media.Frame // the agent's last frame, for the supervisor
	agentNew  bool
	ended     bool
}

// supervision is a supervisor on a talk.
type supervision struct {
	mode mix.Mode
	out  media.FrameWriter
	last media.Frame // the supervisor's last frame
	// fresh per direction, so a frame is mixed once each way and a
	// supervisor who goes quiet is not repeated.
	forAgent, forCust bool
}

// talkLeg is the agent's leg as the call's bridge sees it: its media is
// the talk, so every frame passes the recorder and the supervisor.
type talkLeg struct {
	acd.Leg
	t *talk
}

func (l talkLeg) Media() media.Endpoint { return talkEndpoint{l.t} }

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
	out, sup := t.toAgent, t.sup
	var toSup media.FrameWriter
	var mixed, supOut media.Frame
	if sup != nil {
		var agentF, supF *media.Frame
		if t.agentNew {
			agentF, t.agentNew = &t.lastAgent, false
		}
		if sup.forAgent {
			supF, sup.forAgent = &sup.last, false
		}
		var custOut media.Frame
		sup.mode.Mix(f, agentF, supF, mix.Out{Caller: &custOut, Agent: &mixed, Supervisor: &supOut})
		f, toSup = &mixed, sup.out
	}
	t.mu.Unlock()
	if toSup != nil {
		_ = toSup.WriteFrame(&supOut)
	}
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
	out, sup := t.toCust, t.sup
	var mixed media.Frame
	if sup != nil {
		t.lastAgent, t.agentNew = *f, true
		var supF *media.Frame
		if sup.forCust {
			supF, sup.forCust = &sup.last, false
		}
		var agentOut, supOut media.Frame
		sup.mode.Mix(nil, f, supF, mix.Out{Caller: &mixed, Agent: &agentOut, Supervisor: &supOut})
		f = &mixed
	}
	t.mu.Unlock()
	if out == nil {
		return nil
	}
	return out.WriteFrame(f)
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
