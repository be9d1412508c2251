package pbx

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/acd"
	"callbox/media"
	"callbox/media/tone"
)

// cng is the calling fax machine's tone: 1100 Hz, 0.5 s on, 3 s off.
func cng() media.FrameReader {
	return tone.NewSpec(tone.Spec{Freqs: []int{1100}, Cadence: []time.Duration{500 * time.Millisecond, 3 * time.Second}})
}

// voice is a caller who is not a fax machine: a steady 440 Hz tone.
func voice() media.FrameReader { return tone.NewSpec(tone.Spec{Freqs: []int{440}}) }

// hearing is a Listener that plays frames of src to the detector, as
// fast as it takes them, then waits to be stopped.
type hearing struct {
	src     media.FrameReader
	frames  int
	started atomic.Int32
	stopped chan struct{} // closed by the first stop
	once    sync.Once
}

func newHearing(src media.FrameReader, frames int) *hearing {
	return &hearing{src: src, frames: frames, stopped: make(chan struct{})}
}

func (h *hearing) listen(_ acd.Leg, w media.FrameWriter) (func(), error) {
	h.started.Add(1)
	done := make(chan struct{})
	fin := make(chan struct{})
	go func() {
		defer close(fin)
		var f media.Frame
		for range h.frames {
			select {
			case <-done:
				return
			default:
			}
			if err := h.src.ReadFrame(&f); err != nil {
				return
			}
			if err := w.WriteFrame(&f); err != nil {
				return
			}
		}
		<-done
	}()
	return func() {
		h.once.Do(func() { close(done); close(h.stopped) })
		<-fin
	}, nil
}

// ivr is a flow target that answers and plays until the context ends,
// or, when leave is closed, until then (the flow hung up).
type ivr struct {
	leave <-chan struct{}
	cause chan error // why its context ended, if it did
}

func (v *ivr) target(ctx context.Context, c *acd.Call, name string, onAnswer ...func()) error {
	c.AddRoute("flow:" + name)
	if err := c.Answer(ctx); err != nil {
		return err
	}
	for _, f := range onAnswer {
		f()
	}
	select {
	case <-ctx.Done():
		v.cause <- context.Cause(ctx)
		return context.Cause(ctx)
	case <-v.leave:
		return nil
	}
}

func TestRouter_FaxToneDuringTheIVRConnectsTheCallToTheFaxExtension(t *testing.T) {
	var rec recorder
	v := &ivr{cause: make(chan error, 1)}
	hear := newHearing(cng(), 400)
	h := newHarness(t, Config{Ring: rec.target("ring"), Flow: func(ctx context.Context, c *acd.Call, name string) error { return v.target(ctx, c, name) },
		FaxDestination: func() string { return "203" }, Listen: hear.listen})
	cdr, _ := h.call(t, line("line2", "01066667777"), "88886666")
	if err := <-v.cause; !errors.Is(err, ErrFaxTone) {
		t.Fatalf("the IVR was stopped by %v, want ErrFaxTone", err)
	}
	wantRoute(t, cdr, "inbound:ivr", "flow:demo", "fax:203")
	if got := rec.got(); len(got) != 1 || got[0] != "ring:203" {
		t.Fatalf("targets %q, want the fax extension rung", got)
	}
	if cdr.Disposition != acd.DispositionFax {
		t.Fatalf("disposition %q", cdr.Disposition)
	}
	<-hear.stopped // listening ended with the hand-off
}

func TestRouter_VoiceCallerStaysInTheIVR(t *testing.T) {
	var rec recorder
	hear := newHearing(voice(), 300)
	// The flow plays on past the fax window, which ends the listening,
	// then hangs up.
	v := &ivr{leave: hear.stopped, cause: make(chan error, 1)}
	h := newHarness(t, Config{Ring: rec.target("ring"), Flow: func(ctx context.Context, c *acd.Call, name string) error { return v.target(ctx, c, name) },
		FaxDestination: func() string { return "203" }, Listen: hear.listen, FaxWindow: 100 * time.Millisecond})
	cdr, _ := h.call(t, line("line2", "01066667777"), "88886666")
	wantRoute(t, cdr, "inbound:ivr", "flow:demo")
	if got := rec.got(); len(got) != 0 || cdr.Disposition != "" {
		t.Fatalf("targets %q, disposition %q: a voice call went to fax", got, cdr.Disposition)
	}
	select {
	case err := <-v.cause:
		t.Fatalf("the IVR was stopped: %v", err)
	default:
	}
}

func TestRouter_NoFaxDestinationListensToNobody(t *testing.T) {
	var rec recorder
	hear := newHearing(cng(), 400)
	h := newHarness(t, Config{Ring: rec.target("ring"), Queue: rec.target("queue"),
		FaxDestination: func() string { return "" }, Listen: hear.listen})
	cdr, _ := h.call(t, line("line1", "01066667777"), "88886666")
	wantRoute(t, cdr, "inbound:sales")
	if hear.started.Load() != 0 || cdr.Disposition != "" {
		t.Fatalf("listened %d times, disposition %q", hear.started.Load(), cdr.Disposition)
	}
}

func TestRouter_CallsFromExtensionsAreNotListenedTo(t *testing.T) {
	var rec recorder
	hear := newHearing(cng(), 400)
	h := newHarness(t, Config{Ring: rec.target("ring"),
		FaxDestination: func() string { return "203" }, Listen: hear.listen})
	cdr, _ := h.call(t, ext("201"), "202")
	if hear.started.Load() != 0 || cdr.Disposition != "" {
		t.Fatalf("listened %d times, disposition %q", hear.started.Load(), cdr.Disposition)
	}
}

// listenable is an endpoint that lets the test see who listens.
type listenable struct {
	sink
	mu sync.Mutex
	w  media.FrameWriter
}

func (l *listenable) Listen(w media.FrameWriter) func() {
	l.mu.Lock()
	l.w = w
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.w = nil
		l.mu.Unlock()
	}
}

// mediaLeg is a fake leg with an endpoint.
type mediaLeg struct {
	*fakeLeg
	ep media.Endpoint
}

func (l mediaLeg) Media() media.Endpoint { return l.ep }

func TestMediaListener_HearsListenableEndpointsAndRefusesOthers(t *testing.T) {
	ep := &listenable{}
	var got media.FrameWriter = media.FrameWriterFunc(func(*media.Frame) error { return nil })
	stop, err := MediaListener(mediaLeg{newLeg("a", ext("201")), ep}, got)
	if err != nil || ep.w == nil {
		t.Fatalf("listening to a listenable endpoint: %v", err)
	}
	stop()
	if ep.w != nil {
		t.Fatal("stop left the listener in place")
	}
	if _, err := MediaListener(mediaLeg{newLeg("b", ext("201")), sink{}}, got); !errors.Is(err, ErrCannotListen) {
		t.Fatalf("an endpoint with one reader: %v, want ErrCannotListen", err)
	}
	if _, err := MediaListener(newLeg("c", ext("201")), got); !errors.Is(err, ErrCannotListen) {
		t.Fatalf("a leg without media: %v, want ErrCannotListen", err)
	}
}

func TestRouter_CallGoesOnWhenItsMediaCannotBeListenedTo(t *testing.T) {
	var rec recorder
	h := newHarness(t, Config{Ring: rec.target("ring"), Queue: rec.target("queue"),
		FaxDestination: func() string { return "203" }, Listen: MediaListener})
	cdr, _ := h.call(t, line("line1", "01066667777"), "88886666")
	wantRoute(t, cdr, "inbound:sales")
	if got := rec.got(); len(got) != 1 || got[0] != "queue:sales" {
		t.Fatalf("targets %q", got)
	}
}
