package pbx

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/drivers/linecard"
	"callbox/media"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// relayListen hears a leg through its own RelayTo. It is right only
// while nothing else reads the leg's decoded audio, as in these tests
// whose IVR stand-in does not listen.
func relayListen(leg acd.Leg, w media.FrameWriter) (func(), error) {
	ep := leg.Media()
	if ep == nil {
		return nil, errors.New("leg without media")
	}
	return ep.RelayTo(sink{w}), nil
}

// sink is an endpoint that only takes audio.
type sink struct{ w media.FrameWriter }

func (s sink) Reader() media.FrameReader {
	return media.FrameReaderFunc(func(*media.Frame) error { return media.ErrClosed })
}
func (s sink) Writer() media.FrameWriter            { return s.w }
func (s sink) RelayTo(media.Endpoint) (stop func()) { return func() {} }

// pstn is a simulated public line into the box: the far end dials the
// box's line "line2" over SIP and RTP on loopback, and the box's line
// becomes a call in a switch whose handler is the router.
type pstn struct {
	far  *linecard.SimLine
	ends <-chan acd.Event
}

func newPSTN(t *testing.T, cfg Config) *pstn {
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
	box, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	far, err := linecard.NewSim(linecard.SimConfig{Lines: 1, Ports: ports, Peer: box.Lines()[0].Addr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { far.Close() })

	h := newHarness(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- acd.RunLines(ctx, h.sw, []*acd.Line{acd.NewLine(box.Channels()[0], "line2")}) }()
	t.Cleanup(func() { cancel(); <-done })
	return &pstn{far: far.Lines()[0], ends: h.ended}
}

// dial calls the box and, once the box answers, plays src into the line
// at the pace of the line (one frame each 20 ms) until the call ends;
// it returns the call's record.
func (p *pstn) dial(t *testing.T, src media.FrameReader, answered <-chan struct{}) acd.CallRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.far.Dial(ctx, "88886666", "01066667777"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		select {
		case <-answered:
		case <-ctx.Done():
			return
		}
		ep := p.far.Media()
		if ep == nil {
			return
		}
		w := ep.Writer()
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		var f media.Frame
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if src.ReadFrame(&f) != nil || w.WriteFrame(&f) != nil {
				return
			}
		}
	})
	for {
		select {
		case e := <-p.ends:
			if end, ok := e.(acd.CallEnded); ok {
				p.far.OnHook()
				return end.Call
			}
		case <-ctx.Done():
			t.Fatal("the call did not end in 20 s")
		}
	}
}

// answering is an IVR stand-in that answers, tells the test, and plays
// until its context ends or leave closes.
type answering struct {
	ivr
	answered chan struct{}
}

func newAnswering(leave <-chan struct{}) *answering {
	return &answering{ivr: ivr{leave: leave, cause: make(chan error, 1)}, answered: make(chan struct{})}
}

func (a *answering) target(ctx context.Context, c *acd.Call, name string) error {
	return a.ivr.target(ctx, c, name, func() { close(a.answered) })
}

func TestRouter_FaxMachineOnAPSTNLineReachesTheFaxExtension(t *testing.T) {
	var rec recorder
	a := newAnswering(nil)
	p := newPSTN(t, Config{Ring: rec.target("ring"), Flow: a.target,
		FaxDestination: func() string { return "203" }, Listen: relayListen})
	cdr := p.dial(t, cng(), a.answered)
	if err := <-a.cause; !errors.Is(err, ErrFaxTone) {
		t.Fatalf("the IVR was stopped by %v", err)
	}
	wantRoute(t, cdr, "inbound:ivr", "flow:demo", "fax:203")
	if got := rec.got(); len(got) != 1 || got[0] != "ring:203" || cdr.Disposition != acd.DispositionFax {
		t.Fatalf("targets %q, disposition %q", got, cdr.Disposition)
	}
}

func TestRouter_VoiceOnAPSTNLineStaysInTheIVR(t *testing.T) {
	var rec recorder
	// The flow hangs up once the listening is over: 1.5 s of a steady
	// 440 Hz tone heard without a hand-off.
	stopped := make(chan struct{})
	var once sync.Once
	listen := func(leg acd.Leg, w media.FrameWriter) (func(), error) {
		stop, err := relayListen(leg, w)
		if err != nil {
			return nil, err
		}
		return func() { stop(); once.Do(func() { close(stopped) }) }, nil
	}
	a := newAnswering(stopped)
	p := newPSTN(t, Config{Ring: rec.target("ring"), Flow: a.target,
		FaxDestination: func() string { return "203" }, Listen: listen, FaxWindow: 1500 * time.Millisecond})
	cdr := p.dial(t, voice(), a.answered)
	wantRoute(t, cdr, "inbound:ivr", "flow:demo")
	if got := rec.got(); len(got) != 0 || cdr.Disposition != "" {
		t.Fatalf("targets %q, disposition %q", got, cdr.Disposition)
	}
}

// countingWriter counts the frames an IVR stand-in hears.
type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (c *countingWriter) WriteFrame(*media.Frame) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

func (c *countingWriter) frames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// The real listener beside an IVR that hears the caller too, as the live
// IVR does (RelayTo on the caller's media): both get the audio.
func TestRouter_FaxToneIsHeardWhileTheIVRListensToo(t *testing.T) {
	var rec recorder
	a := newAnswering(nil)
	var ivrHeard countingWriter
	flow := func(ctx context.Context, c *acd.Call, name string) error {
		return a.ivr.target(ctx, c, name, func() {
			stop := c.Caller().Media().RelayTo(sink{&ivrHeard})
			context.AfterFunc(ctx, stop)
			close(a.answered)
		})
	}
	p := newPSTN(t, Config{Ring: rec.target("ring"), Flow: flow,
		FaxDestination: func() string { return "203" }, Listen: MediaListener})
	cdr := p.dial(t, cng(), a.answered)
	if err := <-a.cause; !errors.Is(err, ErrFaxTone) {
		t.Fatalf("the IVR was stopped by %v", err)
	}
	wantRoute(t, cdr, "inbound:ivr", "flow:demo", "fax:203")
	if cdr.Disposition != acd.DispositionFax {
		t.Fatalf("disposition %q", cdr.Disposition)
	}
	if n := ivrHeard.frames(); n == 0 {
		t.Fatal("the IVR heard nothing while the detector listened")
	}
}
