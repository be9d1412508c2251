package ivr_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/prompt"
	"callbox/media/relay"
	"callbox/media/rtp"
)

const phoneSecret = "Blue-Sky-42x"

// liveBox is a running switch on loopback: store, SIP server, B2BUA, RTP
// and a pacer, whose handler runs one published flow on every call.
type liveBox struct {
	t      *testing.T
	st     *store.Store
	srv    *acdsip.Server
	sw     *acd.Switch
	voice  *ivr.Voice
	cat    *ivr.Catalog
	runner *ivr.Runner
	ended  chan acd.CallRecord
}

func quietLog() *slog.Logger {
	if os.Getenv("CALLBOX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startLiveBox runs the box; flow is the flow every call runs, as "main".
func startLiveBox(t *testing.T, flow string, actions func(st *store.Store, v *ivr.Voice) ivr.Actions, opts ...ivr.Option) *liveBox {
	t.Helper()
	return startBox(t, flow, actions, nil, opts...)
}

// startBox is startLiveBox with another handler than the runner's when
// handler is not nil (it may use bx.voice and bx.st).
func startBox(t *testing.T, flow string, actions func(st *store.Store, v *ivr.Voice) ivr.Actions,
	handler func(bx *liveBox) acd.Handler, opts ...ivr.Option) *liveBox {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := store.Put(st, store.Extension{Number: "201", Secret: phoneSecret, Name: "Desk 201", Voicemail: true}); err != nil {
		t.Fatal(err)
	}
	log := quietLog()
	srv, err := acdsip.New(st, acdsip.Config{UDP: "127.0.0.1:0", KeepAlive: -1,
		Guard: guard.Config{Rate: 1e6, Burst: 1e6}}, acdsip.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	base := 30000 + (os.Getpid()%40)*500
	ports, err := rtp.NewPorts(eng, netip.MustParseAddr("127.0.0.1"), base, base+499)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pacer := prompt.NewPacer(nil, log)
	bx := &liveBox{t: t, st: st, srv: srv, cat: ivr.NewCatalog(), ended: make(chan acd.CallRecord, 8)}
	bx.voice = &ivr.Voice{Pacer: pacer, Prompts: prompt.NewLibrary(""), Log: log}
	rec := store.Flow{ID: "main", Name: "test", Version: 1, Published: true, Doc: json.RawMessage(flow)}
	f, err := ivr.Load(rec)
	if err != nil {
		t.Fatal(err)
	}
	bx.cat.Put(f)
	bx.runner = &ivr.Runner{Engine: ivr.NewEngine(append([]ivr.Option{ivr.WithLogger(log)}, opts...)...),
		Flows: bx.cat.Get, Voice: bx.voice, Actions: actions(st, bx.voice), Log: log}
	bus := acd.NewBus()
	h := func(ctx context.Context, c *acd.Call) error { return bx.runner.Run(ctx, c, "main") }
	if handler != nil {
		h = handler(bx)
	}
	bx.sw = acd.NewSwitch(h, acd.WithLogger(log), acd.WithBus(bus))
	b, err := b2bua.New(st, srv, bx.sw, ports, b2bua.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	events := bus.Subscribe(ctx, acd.WithBuffer(64))
	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(ctx) })
	wg.Go(func() { _ = b.Run(ctx) })
	wg.Go(func() { _ = pacer.Run(ctx) })
	wg.Go(func() {
		for e := range events {
			if ce, ok := e.(acd.CallEnded); ok {
				select {
				case bx.ended <- ce.Call:
				default:
				}
			}
		}
	})
	select {
	case <-srv.Ready():
	case err := <-runErr:
		cancel()
		t.Fatalf("sip: %v", err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = bx.sw.Shutdown(sctx)
		scancel()
		cancel()
		wg.Wait()
		eng.Close()
	})
	return bx
}

// call registers a phone as 201 and dials number; the phone then sends
// RTP continuously, as a desk phone does: silence, or the tone set with
// its tone method.
func (bx *liveBox) call(number string) *caller {
	bx.t.Helper()
	p := siptest.NewPhone(bx.t, siptest.WithUser("201", phoneSecret))
	if res, err := p.Register(ctxT(bx.t), bx.srv.Addr("udp")); err != nil || res.StatusCode != 200 {
		bx.t.Fatalf("register: %v %v", res, err)
	}
	c, err := p.Dial(ctxT(bx.t), number)
	if err != nil {
		bx.t.Fatal(err)
	}
	if err := c.WaitAnswer(ctxT(bx.t)); err != nil {
		bx.t.Fatalf("answer: %d %v", c.Status(), err)
	}
	cl := &caller{Call: c}
	ctx, cancel := context.WithCancel(context.Background())
	cl.wg.Go(func() {
		for ctx.Err() == nil {
			if err := c.Play(ctx, math.Float64frombits(cl.freq.Load()), media.FrameDuration); err != nil {
				return
			}
		}
	})
	bx.t.Cleanup(func() { cancel(); cl.wg.Wait() })
	return cl
}

type caller struct {
	*siptest.Call
	freq atomic.Uint64
	wg   sync.WaitGroup
}

func (c *caller) tone(freq float64) { c.freq.Store(math.Float64bits(freq)) }

// hearsSpeech listens until the box's audio carries energy (a prompt),
// for at most d.
func (c *caller) hearsSpeech(d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if rms(c.Listen(200*time.Millisecond)) > 300 {
			return true
		}
	}
	return false
}

// hearsTone listens until freq dominates the box's audio, for at most d.
func (c *caller) hearsTone(freq float64, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if audiotest.HasTone(c.Listen(100*time.Millisecond), freq, 0.5) {
			return true
		}
	}
	return false
}

func rms(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (bx *liveBox) lastEnded() acd.CallRecord {
	bx.t.Helper()
	select {
	case r := <-bx.ended:
		return r
	case <-time.After(15 * time.Second):
		bx.t.Fatal("no call ended")
	}
	return acd.CallRecord{}
}

// menuFlow greets and offers sales (1, a queue with skills), the
// operator (2, a transfer) and voicemail (9).
const menuFlow = `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "menu"}},
 {"id": "menu", "type": "menu", "settings": {"prompts": [{"key": "welcome"}, {"key": "main-menu"}], "timeoutMs": 8000, "retries": 0},
  "exits": {"1": "sales", "2": "operator", "9": "vm", "timeout": "bye", "invalid": "bye"}},
 {"id": "sales", "type": "queue", "settings": {"queue": "sales", "priority": 3, "skills": [{"skill": "sales", "minLevel": 2}]}, "exits": {"failed": "bye"}},
 {"id": "operator", "type": "transfer", "settings": {"extension": "202"}, "exits": {"failed": "bye"}},
 {"id": "vm", "type": "voicemail", "settings": {"mailbox": "201"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

// hold is an agent talking to the caller until the test releases the
// call (or the caller hangs up).
func hold(ctx context.Context, release <-chan struct{}) error {
	select {
	case <-release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestRunner_CallerHearsGreetingAndRFC4733DigitPicksTheQueue(t *testing.T) {
	queued := make(chan ivr.QueueRequest, 1)
	transferred := make(chan ivr.TransferRequest, 1)
	release := make(chan struct{})
	var path, digits string
	bx := startLiveBox(t, menuFlow, func(*store.Store, *ivr.Voice) ivr.Actions {
		return ivr.Actions{Queue: func(ctx context.Context, c *acd.Call, req ivr.QueueRequest) error {
			path, _ = c.Get(ivr.CallPath)
			digits, _ = c.Get(ivr.CallDigits)
			queued <- req
			return hold(ctx, release)
		},
			Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
				transferred <- req
				return hold(ctx, release)
			}}
	})
	c := bx.call("800")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("the caller heard no greeting")
	}
	if err := c.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-queued:
		if req.Queue != "sales" || req.Priority != 3 || len(req.Skills) != 1 ||
			req.Skills[0] != (ivr.Skill{Skill: "sales", MinLevel: 2}) || req.Lang != "en" {
			t.Errorf("queue request %+v, want sales with skill sales>=2", req)
		}
	case req := <-transferred:
		t.Fatalf("key 1 transferred to %+v", req)
	case <-time.After(15 * time.Second):
		t.Fatal("the flow never queued the call")
	}
	close(release)
	if path != "start>menu" || digits != "menu=1" {
		t.Errorf("call data at the queue: path %q, digits %q", path, digits)
	}
	rec := bx.lastEnded()
	if rec.Data[ivr.CallEnd] != string(ivr.EndServed) || rec.Data[ivr.CallPath] != "start>menu>sales" {
		t.Errorf("call record data %v", rec.Data)
	}
	if len(rec.Route) == 0 || rec.Route[0] != "flow:main@v1" {
		t.Errorf("route %v, want flow:main@v1 first", rec.Route)
	}
}

func TestRunner_KeyTwoTransfersToTheOperator(t *testing.T) {
	transferred := make(chan ivr.TransferRequest, 1)
	release := make(chan struct{})
	bx := startLiveBox(t, menuFlow, func(*store.Store, *ivr.Voice) ivr.Actions {
		return ivr.Actions{Transfer: func(ctx context.Context, c *acd.Call, req ivr.TransferRequest) error {
			transferred <- req
			return hold(ctx, release)
		}}
	})
	c := bx.call("800")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("the caller heard no greeting")
	}
	if err := c.SendDigit(ctxT(t), '2'); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-transferred:
		if req.Extension != "202" {
			t.Errorf("transfer %+v, want extension 202", req)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the flow never transferred the call")
	}
	close(release)
	if rec := bx.lastEnded(); rec.Data[ivr.CallPath] != "start>menu>operator" || rec.Data[ivr.CallDigitsPrefix+"menu"] != "2" {
		t.Errorf("call data %v", rec.Data)
	}
}
