package ivr_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/dtmf"
	"callbox/media/prompt"
	"callbox/media/rtp"
)

// lineLeg is a PSTN-like leg: audio only, no digit events, so the IVR
// must hear the caller's keys in band. The test plays the caller's side
// through say (paced like a line card, one frame per 20 ms).
type lineLeg struct {
	in     chan media.Frame
	closed chan struct{}
	once   sync.Once

	mu    sync.Mutex
	heard int // frames the box sent
}

func newLineLeg() *lineLeg {
	return &lineLeg{in: make(chan media.Frame), closed: make(chan struct{})}
}

func (l *lineLeg) ID() string { return "line:test/1" }
func (l *lineLeg) Caller() acd.Party {
	return acd.Party{Number: "13800001111", Source: acd.SourceLine, Via: "line1"}
}
func (l *lineLeg) Answer(context.Context) error { return nil }
func (l *lineLeg) Hangup(acd.Cause) error {
	l.once.Do(func() { close(l.closed) })
	return nil
}
func (l *lineLeg) Media() media.Endpoint { return l }
func (l *lineLeg) Done() <-chan struct{} { return l.closed }

// RelayTo copies the caller's audio to other until stopped, the way a
// line card channel does.
func (l *lineLeg) RelayTo(other media.Endpoint) func() {
	w := other.Writer()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var f media.Frame
		for {
			select {
			case f = <-l.in:
			case <-done:
				return
			case <-l.closed:
				return
			}
			if w.WriteFrame(&f) != nil {
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
func (l *lineLeg) Reader() media.FrameReader {
	return media.FrameReaderFunc(func(f *media.Frame) error {
		select {
		case *f = <-l.in:
			return nil
		case <-l.closed:
			return media.ErrClosed
		}
	})
}
func (l *lineLeg) Writer() media.FrameWriter {
	return media.FrameWriterFunc(func(*media.Frame) error {
		l.mu.Lock()
		l.heard++
		l.mu.Unlock()
		return nil
	})
}

// talk plays the caller's side: src's frames, then silence, until ctx
// ends or the leg does.
func (l *lineLeg) talk(ctx context.Context, src <-chan media.FrameReader) {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var cur media.FrameReader
	var f media.Frame
	for {
		if cur == nil {
			select {
			case cur = <-src:
			default:
			}
		}
		f = media.Frame{}
		if cur != nil && cur.ReadFrame(&f) != nil {
			cur, f = nil, media.Frame{}
		}
		select {
		case l.in <- f:
		case <-l.closed:
			return
		case <-ctx.Done():
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

func keysOf(t *testing.T, digits string) media.FrameReader {
	g, err := dtmf.NewGenerator(digits, 100*time.Millisecond, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

type toneReader struct{ x []int16 }

func (r *toneReader) ReadFrame(f *media.Frame) error {
	if len(r.x) < media.FrameSamples {
		return context.Canceled
	}
	copy(f[:], r.x)
	r.x = r.x[media.FrameSamples:]
	return nil
}

// runLine starts a pacer and a switch whose handler is h, and calls in on
// a line leg.
func runLine(t *testing.T, h func(ctx context.Context, c *acd.Call, v *ivr.Voice) error) (*lineLeg, chan<- media.FrameReader, <-chan error) {
	t.Helper()
	return runLegWith(t, func(l *lineLeg) acd.Leg { return l }, h)
}

// runLegWith is runLine with the line leg dressed as another kind of leg.
func runLegWith(t *testing.T, dress func(*lineLeg) acd.Leg, h func(ctx context.Context, c *acd.Call, v *ivr.Voice) error) (*lineLeg, chan<- media.FrameReader, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pacer := prompt.NewPacer(nil, quietLog())
	v := &ivr.Voice{Pacer: pacer, Prompts: prompt.NewLibrary(""), Log: quietLog()}
	done := make(chan error, 1)
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		err := h(ctx, c, v)
		done <- err
		return err
	}, acd.WithLogger(quietLog()))
	leg := newLineLeg()
	say := make(chan media.FrameReader, 4)
	var wg sync.WaitGroup
	wg.Go(func() { _ = pacer.Run(ctx) })
	wg.Go(func() { leg.talk(ctx, say) })
	if _, err := sw.Accept(dress(leg), "800"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = leg.Hangup(acd.CauseNormalClearing)
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = sw.Shutdown(sctx)
		scancel()
		cancel()
		wg.Wait()
	})
	return leg, say, done
}

const shortMenu = `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "menu"}},
 {"id": "menu", "type": "menu", "settings": {"prompts": [{"key": "main-menu"}], "timeoutMs": 8000, "retries": 0},
  "exits": {"1": "sales", "3": "operator", "timeout": "bye", "invalid": "bye"}},
 {"id": "sales", "type": "queue", "settings": {"queue": "sales"}, "exits": {"failed": "bye"}},
 {"id": "operator", "type": "transfer", "settings": {"extension": "203"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

func TestLive_LineWithoutDigitEventsHearsKeysInBand(t *testing.T) {
	f, err := ivr.Load(store.Flow{ID: "main", Version: 4, Published: true, Doc: json.RawMessage(shortMenu)})
	if err != nil {
		t.Fatal(err)
	}
	cat := ivr.NewCatalog()
	cat.Put(f)
	transferred := make(chan ivr.TransferRequest, 1)
	leg, say, done := runLine(t, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
		r := &ivr.Runner{Engine: ivr.NewEngine(ivr.WithLogger(quietLog())), Flows: cat.Get, Voice: v,
			Actions: ivr.Actions{Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
				transferred <- req
				return nil
			}}}
		return r.Run(ctx, c, "main")
	})
	// Press 3 while the menu plays: it barges in.
	time.Sleep(500 * time.Millisecond)
	say <- keysOf(t, "3")
	select {
	case req := <-transferred:
		if req.Extension != "203" {
			t.Errorf("transfer %+v, want 203", req)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-band key never reached the flow")
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	leg.mu.Lock()
	heard := leg.heard
	leg.mu.Unlock()
	// The menu is over 6 s long; barge-in cut it short.
	if heard == 0 || heard > 200 {
		t.Errorf("the caller heard %d frames of the menu; want some, cut short by the key", heard)
	}
}

// gatewayLeg is an RTP leg whose far end did not negotiate
// telephone-events: its endpoint has a digit channel that never fires.
type gatewayLeg struct{ *lineLeg }

func (g gatewayLeg) Media() media.Endpoint { return g }
func (g gatewayLeg) Digits() <-chan byte   { return nil }
func (g gatewayLeg) State() rtp.State      { return rtp.State{Codec: media.PCMA} }

func TestLive_RTPLegWithoutTelephoneEventsHearsKeysInBand(t *testing.T) {
	f, err := ivr.Load(store.Flow{ID: "main", Version: 1, Published: true, Doc: json.RawMessage(shortMenu)})
	if err != nil {
		t.Fatal(err)
	}
	cat := ivr.NewCatalog()
	cat.Put(f)
	transferred := make(chan string, 1)
	_, say, _ := runLegWith(t, func(l *lineLeg) acd.Leg { return gatewayLeg{l} }, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
		r := &ivr.Runner{Engine: ivr.NewEngine(ivr.WithLogger(quietLog())), Flows: cat.Get, Voice: v,
			Actions: ivr.Actions{Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
				transferred <- req.Extension
				return nil
			}}}
		return r.Run(ctx, c, "main")
	})
	say <- keysOf(t, "3")
	if got := recv(t, transferred); got != "203" {
		t.Errorf("transferred to %s", got)
	}
}

func TestLive_RecordStopsOnAnInBandPoundAndKeepsTheAudio(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msg.wav")
	got := make(chan error, 1)
	_, say, _ := runLine(t, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
		live := ivr.NewLive(c, v, ivr.Actions{})
		defer live.Close()
		res, err := live.Record(ctx, path, ivr.RecordOptions{Max: 10 * time.Second, NoBeep: true})
		if err == nil && res.Duration < 500*time.Millisecond {
			t.Errorf("recorded %v", res.Duration)
		}
		got <- err
		return err
	})
	say <- &toneReader{audiotest.Sine(440, 8000, 50*media.FrameSamples)}
	say <- keysOf(t, "#")
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("recording never stopped on #")
	}
	if !audiotest.HasTone(readWAV(t, path), 440, 0.5) {
		t.Error("the recording lacks the caller's tone")
	}
}

const silentMenu = `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "menu"}},
 {"id": "menu", "type": "menu", "settings": {"prompts": [{"key": "digit-8"}], "timeoutMs": 300, "retries": 1},
  "exits": {"1": "sales", "timeout": "bye", "invalid": "bye"}},
 {"id": "sales", "type": "queue", "settings": {"queue": "sales"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

func TestLive_SilentCallerTimesOutAndIsHungUp(t *testing.T) {
	f, err := ivr.Load(store.Flow{ID: "main", Version: 1, Published: true, Doc: json.RawMessage(silentMenu)})
	if err != nil {
		t.Fatal(err)
	}
	cat := ivr.NewCatalog()
	cat.Put(f)
	var path string
	leg, _, done := runLine(t, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
		r := &ivr.Runner{Engine: ivr.NewEngine(ivr.WithLogger(quietLog())), Flows: cat.Get, Voice: v}
		err := r.Run(ctx, c, "main")
		path, _ = c.Get(ivr.CallPath)
		return err
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the silent call never ended")
	}
	if path != "start>menu>bye" {
		t.Errorf("path %q", path)
	}
	select {
	case <-leg.Done():
	default:
		t.Error("the hangup node left the line up")
	}
	leg.mu.Lock()
	defer leg.mu.Unlock()
	if leg.heard == 0 {
		t.Error("the menu prompt was never played")
	}
}

func TestRunner_CallInProgressKeepsItsVersionWhenANewOneIsPublished(t *testing.T) {
	st := openStore(t)
	sh := ivr.NewShelf(st, nil)
	svc := ivr.NewService(st, quietLog())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	publish := func(ext string) {
		t.Helper()
		if _, err := sh.SaveDraft("main", []byte(strings.Replace(shortMenu, `"203"`, `"`+ext+`"`, 1))); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.Publish("main", ivr.Checks{}); err != nil {
			t.Fatal(err)
		}
	}
	publish("203")
	waitVersion(t, svc.Catalog(), "main", 1)

	transferred := make(chan string, 2)
	call := func() (*lineLeg, chan<- media.FrameReader) {
		leg, say, _ := runLine(t, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
			r := svc.Runner(v, ivr.Actions{Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
				transferred <- req.Extension
				return nil
			}}, nil)
			return r.Run(ctx, c, "main")
		})
		return leg, say
	}
	leg, say := call()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		leg.mu.Lock()
		playing := leg.heard > 0
		leg.mu.Unlock()
		if playing {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the menu never started")
		}
	}
	publish("204")
	waitVersion(t, svc.Catalog(), "main", 2)
	say <- keysOf(t, "3")
	if got := recv(t, transferred); got != "203" {
		t.Errorf("the call that started on v1 went to %s", got)
	}
	_, say = call()
	say <- keysOf(t, "3")
	if got := recv(t, transferred); got != "204" {
		t.Errorf("a new call went to %s, want v2's 204", got)
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
	var zero T
	return zero
}

// handClock is a prompt.Clock the test drives: each ticker it makes is
// announced on made, and ticks only when the test sends on it.
type handClock struct{ made chan handTicker }

type handTicker struct {
	d time.Duration
	c chan time.Time
}

func (h handTicker) C() <-chan time.Time { return h.c }
func (h handTicker) Stop()               {}

func (h *handClock) NewTicker(d time.Duration) prompt.Ticker {
	t := handTicker{d: d, c: make(chan time.Time, 1)}
	h.made <- t
	return t
}

func TestLive_RecordEndsAtItsLimitOnTheVoiceClock(t *testing.T) {
	clock := &handClock{made: make(chan handTicker, 4)}
	path := filepath.Join(t.TempDir(), "msg.wav")
	got := make(chan error, 1)
	_, say, _ := runLine(t, func(ctx context.Context, c *acd.Call, v *ivr.Voice) error {
		v.Clock = clock
		live := ivr.NewLive(c, v, ivr.Actions{})
		defer live.Close()
		_, err := live.Record(ctx, path, ivr.RecordOptions{Max: 3 * time.Minute, NoBeep: true})
		got <- err
		return err
	})
	say <- &toneReader{audiotest.Sine(500, 8000, 25*media.FrameSamples)}
	limit := recv(t, clock.made)
	if limit.d != 3*time.Minute {
		t.Fatalf("recording limit %v", limit.d)
	}
	// Half a second of the caller, then three minutes pass at once.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(path); err == nil && st.Size() > 8000 {
			break
		}
	}
	limit.c <- time.Now()
	if err := recv(t, got); err != nil {
		t.Fatal(err)
	}
	x := readWAV(t, path)
	for len(x) > 0 && x[len(x)-1] == 0 {
		x = x[:len(x)-1] // the caller's silence after speaking
	}
	if !audiotest.HasTone(x, 500, 0.5) {
		t.Errorf("the recording (%d samples, dominant %v Hz) lacks the caller's tone", len(x), audiotest.Dominant(x, 100, 3000))
	}
}
