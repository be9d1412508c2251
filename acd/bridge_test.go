package acd

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// audioEndpoint records the frames written to it and who relays to it.
type audioEndpoint struct {
	frames  atomic.Int32
	loud    atomic.Int32 // frames with sound in them
	relayed atomic.Int32 // relays from this endpoint that are running
}

func (e *audioEndpoint) Reader() media.FrameReader { return nil }
func (e *audioEndpoint) Writer() media.FrameWriter {
	return media.FrameWriterFunc(func(f *media.Frame) error {
		e.frames.Add(1)
		for _, v := range f {
			if v > 1000 || v < -1000 {
				e.loud.Add(1)
				break
			}
		}
		return nil
	})
}
func (e *audioEndpoint) RelayTo(media.Endpoint) func() {
	e.relayed.Add(1)
	var once sync.Once
	return func() { once.Do(func() { e.relayed.Add(-1) }) }
}

func audioLeg(id string) (*fakeLeg, *audioEndpoint) {
	l := newLeg(id, id, SourceExtension)
	ep := &audioEndpoint{}
	l.endpoint = ep
	return l, ep
}

// bridged starts a call whose handler bridges the caller to callee and
// reports Bridge's result.
func bridged(t *testing.T, caller, callee Leg) (*Switch, *Call, chan error) {
	t.Helper()
	res := make(chan error, 1)
	in := make(chan struct{})
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		close(in)
		err := c.Bridge(ctx, callee)
		res <- err
		return err
	})
	t.Cleanup(func() { hangUpAll(sw) })
	c, err := sw.Accept(caller, "201")
	if err != nil {
		t.Fatal(err)
	}
	<-in
	eventuallyTrue(t, "bridge up", func() bool { _, ok := sw.CallOf(callee.ID()); return ok && c.bridges(callee.ID()) })
	return sw, c, res
}

func eventuallyTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !eventually(cond) {
		t.Fatalf("never happened: %s", what)
	}
}

// eventually reports whether cond holds within 5 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

func TestCall_ReplaceConnectsRemainingPartyToNewLeg(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	cl, cep := audioLeg("c")
	sw, c, res := bridged(t, a, b)
	events := sw.Bus().Subscribe(t.Context(), WithBuffer(16))
	if err := c.Replace(b, cl); err != nil {
		t.Fatal(err)
	}
	recv(t, b.Done()) // the transferor's leg is hung up
	if got, _ := sw.CallOf("c"); got != c {
		t.Fatal("the new leg is not found in the call")
	}
	eventuallyTrue(t, "the new leg relayed", func() bool { return cep.relayed.Load() == 1 })
	if c.Record().Callee.Number != "c" {
		t.Errorf("callee %v, want c", c.Record().Callee)
	}
	for e := range events {
		if tr, ok := e.(CallTransferred); ok {
			if tr.From.Number != "b" || tr.To.Number != "c" || tr.Call.ID != c.ID() {
				t.Errorf("CallTransferred %+v", tr)
			}
			break
		}
	}
	cl.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil when the new callee hangs up", err)
	}
}

func TestCall_ParkedCallerHangupKeepsCallForTransfer(t *testing.T) {
	a, _ := audioLeg("a")
	b, bep := audioLeg("b")
	cl, _ := audioLeg("c")
	_, c, res := bridged(t, a, b)
	resume, err := c.Park(a)
	if err != nil {
		t.Fatal(err)
	}
	a.farEnd(CauseNormalClearing) // the transferor leaves at once
	eventuallyTrue(t, "music to the remaining party", func() bool { return bep.loud.Load() > 3 })
	if err := c.Replace(a, cl); err != nil {
		t.Fatalf("Replace after the parked caller left: %v", err)
	}
	resume() // too late to matter: a was replaced
	if c.Caller() != cl {
		t.Fatal("the new leg did not take the caller's slot")
	}
	cl.farEnd(CauseUserBusy)
	if err := recv(t, res); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Bridge = %v, want ErrHungUp from the new caller", err)
	}
	recv(t, b.Done())
}

func TestCall_ResumeAfterParkedCallerLeftEndsCall(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	_, c, res := bridged(t, a, b)
	resume, err := c.Park(a)
	if err != nil {
		t.Fatal(err)
	}
	a.farEnd(CauseNormalClearing)
	resume() // the transfer failed
	if err := recv(t, res); !errors.Is(err, ErrHungUp) {
		t.Fatalf("Bridge = %v, want ErrHungUp", err)
	}
	recv(t, b.Done())
}

func TestCall_HoldPlaysMusicToThePeer(t *testing.T) {
	a, aep := audioLeg("a")
	b, bep := audioLeg("b")
	_, c, _ := bridged(t, a, b)
	if err := c.Hold(a, true); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "music to the held party", func() bool { return bep.loud.Load() > 3 })
	if aep.relayed.Load() != 0 || bep.relayed.Load() != 0 {
		t.Errorf("relays a=%d b=%d while a holds, want none", aep.relayed.Load(), bep.relayed.Load())
	}
	if err := c.Hold(a, false); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "relays back", func() bool { return aep.relayed.Load() == 1 && bep.relayed.Load() == 1 })
}

func TestCall_ConferenceMixesEveryParty(t *testing.T) {
	a, aep := audioLeg("a")
	b, bep := audioLeg("b")
	d, dep := audioLeg("d")
	_, c, res := bridged(t, a, b)
	if err := c.Conference(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "mixer writes to all", func() bool {
		return aep.frames.Load() > 3 && bep.frames.Load() > 3 && dep.frames.Load() > 3
	})
	for _, ep := range []*audioEndpoint{aep, bep, dep} {
		if ep.relayed.Load() != 1 {
			t.Fatalf("each party feeds the mixer once, got %d", ep.relayed.Load())
		}
	}
	d.farEnd(CauseNormalClearing)
	eventuallyTrue(t, "back to a relay of two", func() bool { return aep.relayed.Load() == 1 && dep.relayed.Load() == 0 })
	b.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
}

func TestCall_ReleaseMovesLegWithoutHangingUp(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	sw, c, res := bridged(t, a, b)
	if err := c.Release(b); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
	recv(t, a.Done())
	eventuallyTrue(t, "call ended", func() bool { return sw.Active() == 0 })
	select {
	case <-b.Done():
		t.Fatal("the released leg was hung up")
	default:
	}
	if err := c.Hold(a, true); !errors.Is(err, ErrNotBridged) {
		t.Errorf("Hold after the bridge = %v, want ErrNotBridged", err)
	}
}

func TestCall_ReplacedCallerHangingUpDoesNotEndTheCall(t *testing.T) {
	for range 20 {
		a, _ := audioLeg("a")
		b, _ := audioLeg("b")
		cl, _ := audioLeg("c")
		_, c, res := bridged(t, a, b)
		if err := c.Replace(a, cl); err != nil {
			t.Fatal(err)
		}
		recv(t, a.Done()) // Replace hung the old caller up
		if err := c.Hold(cl, false); err != nil {
			t.Fatalf("the call ended with the replaced caller: %v", err)
		}
		select {
		case err := <-res:
			t.Fatalf("Bridge returned %v", err)
		default:
		}
		b.farEnd(CauseNormalClearing)
		if err := recv(t, res); err != nil {
			t.Fatalf("Bridge = %v, want nil", err)
		}
	}
}

func TestCall_ReleasingTheCallerEndsTheCallCleanly(t *testing.T) {
	a, _ := audioLeg("a")
	b, _ := audioLeg("b")
	sw, c, res := bridged(t, a, b)
	events := sw.Bus().Subscribe(t.Context(), WithBuffer(16))
	if err := c.Release(a); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, res); !errors.Is(err, ErrReleased) {
		t.Fatalf("Bridge = %v, want ErrReleased", err)
	}
	recv(t, b.Done())
	if got := b.EndCause(); got != CauseNormalClearing {
		t.Errorf("the other party was hung up with %v", got)
	}
	if r := waitEnded(t, events, c.ID()); r.Cause != CauseNormalClearing {
		t.Errorf("CDR cause %v", r.Cause)
	}
	select {
	case <-a.Done():
		t.Fatal("the released caller was hung up")
	default:
	}
}

func TestCall_JoinHeardByOneOnlyMixesThenRelaysWhenItLeaves(t *testing.T) {
	a, aep := audioLeg("a")
	b, bep := audioLeg("b")
	d, dep := audioLeg("d")
	_, c, res := bridged(t, a, b)
	if err := c.Join(context.Background(), d, Only(b)); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "mixer writes to all", func() bool {
		return aep.frames.Load() > 3 && bep.frames.Load() > 3 && dep.frames.Load() > 3
	})
	for _, ep := range []*audioEndpoint{aep, bep, dep} {
		if ep.relayed.Load() != 1 {
			t.Fatalf("each party feeds the mixer once, got %d", ep.relayed.Load())
		}
	}
	if err := c.SetAudience(d, Everyone); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAudience(a, Only()); err != nil {
		t.Fatal(err)
	}
	d.farEnd(CauseNormalClearing)
	// a, heard by nobody now, is not relayed to b; b still is to a.
	eventuallyTrue(t, "back to a relay of two", func() bool {
		return aep.relayed.Load() == 0 && bep.relayed.Load() == 1 && dep.relayed.Load() == 0
	})
	if err := c.SetAudience(a, Everyone); err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "relayed both ways", func() bool { return aep.relayed.Load() == 1 && bep.relayed.Load() == 1 })
	if err := c.SetAudience(d, Everyone); !errors.Is(err, ErrNotBridged) {
		t.Errorf("SetAudience of a leg gone = %v, want ErrNotBridged", err)
	}
	b.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
}

// phone is the far end of a real RTP leg on loopback: it sends a tone (or
// silence) every 20 ms and keeps what it hears.
type phone struct {
	leg   *fakeLeg
	rtp   *rtp.Session
	freq  atomic.Int64 // Hz; 0 is silence
	heard chan media.Frame
}

// rtpPhones opens one box-side session per name, each the media of a leg,
// with a phone session at its far end.
func rtpPhones(t *testing.T, names ...string) []*phone {
	t.Helper()
	e, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ports, err := rtp.NewPorts(e, netip.MustParseAddr("127.0.0.1"), 43000, 43999)
	if err != nil {
		t.Fatal(err)
	}
	var out []*phone
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); wg.Wait() })
	for _, n := range names {
		box, err := rtp.Open(t.Context(), ports, rtp.Config{Timeout: -1})
		if err != nil {
			t.Fatal(err)
		}
		far, err := rtp.Open(t.Context(), ports, rtp.Config{Timeout: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { box.Close(); far.Close() })
		box.SetRemote(far.LocalAddr())
		far.SetRemote(box.LocalAddr())
		l := newLeg(n, n, SourceExtension)
		l.endpoint = box
		p := &phone{leg: l, rtp: far, heard: make(chan media.Frame, 256)}
		wg.Go(func() {
			tick := time.NewTicker(media.FrameDuration)
			defer tick.Stop()
			var f media.Frame
			for i := 0; ; i++ {
				select {
				case <-tick.C:
				case <-done:
					return
				}
				hz := float64(p.freq.Load())
				for k := range f {
					n := float64(i*media.FrameSamples + k)
					f[k] = int16(8000 * math.Sin(2*math.Pi*hz*n/media.SampleRate))
				}
				_ = far.WriteFrame(&f)
			}
		})
		wg.Go(func() {
			var f media.Frame
			for far.Reader().ReadFrame(&f) == nil {
				select {
				case p.heard <- f:
				default: // nobody listening: dropped
				}
			}
		})
		out = append(out, p)
	}
	return out
}

// hearsTone reports whether p hears freq within a few 300 ms windows;
// windows past the first only matter while a change takes effect.
func (p *phone) hearsTone(t *testing.T, freq float64, windows int) bool {
	t.Helper()
	for range windows {
		for len(p.heard) > 0 { // what was heard before this window
			<-p.heard
		}
		fs := make([]media.Frame, 0, 15)
		for len(fs) < cap(fs) {
			select {
			case f := <-p.heard:
				fs = append(fs, f)
			case <-time.After(5 * time.Second):
				t.Fatalf("phone %s hears no audio at all", p.leg.id)
			}
		}
		if audiotest.HasTone(audiotest.Join(fs), freq, 0.2) {
			return true
		}
	}
	return false
}

func TestCall_WhisperIsHeardByTheAgentAloneUntilBarge(t *testing.T) {
	ps := rtpPhones(t, "caller", "agent", "super")
	caller, agent, super := ps[0], ps[1], ps[2]
	_, c, res := bridged(t, caller.leg, agent.leg)
	caller.freq.Store(400)
	agent.freq.Store(700)
	if !agent.hearsTone(t, 400, 10) || !caller.hearsTone(t, 700, 10) {
		t.Fatal("caller and agent do not hear each other")
	}
	super.freq.Store(1500)
	if err := c.Join(t.Context(), super.leg, Only(agent.leg)); err != nil {
		t.Fatal(err)
	}
	if !agent.hearsTone(t, 1500, 10) {
		t.Fatal("the agent does not hear the whisper")
	}
	if caller.hearsTone(t, 1500, 3) {
		t.Error("the caller hears the whisper")
	}
	if !caller.hearsTone(t, 700, 1) || !agent.hearsTone(t, 400, 1) {
		t.Error("caller and agent stopped hearing each other under whisper")
	}
	if !super.hearsTone(t, 400, 1) || !super.hearsTone(t, 700, 1) {
		t.Error("the supervisor does not hear both")
	}
	if err := c.SetAudience(super.leg, Everyone); err != nil {
		t.Fatal(err)
	}
	if !caller.hearsTone(t, 1500, 10) {
		t.Error("the caller does not hear the supervisor barging")
	}
	if !agent.hearsTone(t, 1500, 1) {
		t.Error("the agent does not hear the supervisor barging")
	}
	super.leg.farEnd(CauseNormalClearing)
	if !agent.hearsTone(t, 400, 10) || !caller.hearsTone(t, 700, 10) {
		t.Error("caller and agent do not hear each other after the supervisor left")
	}
	agent.leg.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
}

// tapped collects the frames a Call.Tap hands over.
type tapped struct {
	mu sync.Mutex
	fs []media.Frame
}

func (t *tapped) WriteFrame(f *media.Frame) error {
	t.mu.Lock()
	t.fs = append(t.fs, *f)
	t.mu.Unlock()
	return nil
}

func (t *tapped) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.fs)
}

// hasTone reports whether the last 300 ms tapped hold freq.
func (t *tapped) hasTone(freq float64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fs) < 15 {
		return false
	}
	return audiotest.HasTone(audiotest.Join(t.fs[len(t.fs)-15:]), freq, 0.5)
}

func TestCall_TapHearsAPartyWhetherRelayedOrMixed(t *testing.T) {
	ps := rtpPhones(t, "caller", "agent", "super")
	caller, agent, super := ps[0], ps[1], ps[2]
	_, c, res := bridged(t, caller.leg, agent.leg)
	caller.freq.Store(400)
	rec := &tapped{}
	stop, err := c.Tap(caller.leg, rec)
	if err != nil {
		t.Fatal(err)
	}
	eventuallyTrue(t, "the tap hears the relayed caller", func() bool { return rec.hasTone(400) })
	if !agent.hearsTone(t, 400, 10) {
		t.Fatal("the agent does not hear the tapped caller")
	}
	if err := c.Join(t.Context(), super.leg, Only()); err != nil {
		t.Fatal(err)
	}
	if !super.hearsTone(t, 400, 10) {
		t.Fatal("the listening supervisor does not hear the caller")
	}
	caller.freq.Store(900)
	eventuallyTrue(t, "the tap hears the mixed caller", func() bool { return rec.hasTone(900) })
	if !agent.hearsTone(t, 900, 10) {
		t.Error("the agent does not hear the caller while mixed and tapped")
	}
	stop()
	n := rec.count()
	if !agent.hearsTone(t, 900, 1) || rec.count() != n {
		t.Errorf("the tap got %d frames after it was stopped", rec.count()-n)
	}
	if _, err := c.Tap(newLeg("x", "x", SourceExtension), rec); !errors.Is(err, ErrNotBridged) {
		t.Errorf("Tap of a leg outside the bridge = %v, want ErrNotBridged", err)
	}
	agent.leg.farEnd(CauseNormalClearing)
	super.leg.farEnd(CauseNormalClearing)
	if err := recv(t, res); err != nil {
		t.Fatalf("Bridge = %v, want nil", err)
	}
}
