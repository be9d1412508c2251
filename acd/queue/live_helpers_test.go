package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/queue"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/relay"
	"callbox/media/rtp"
	"callbox/media/tone"
)

// holdFreq is the test's hold music: one steady tone, so anything else
// the caller hears (an announcement) stands out.
const holdFreq = 425

// rig is a running box on loopback: store, SIP server, B2BUA, switch and
// the live queue side. Dialling 500 queues for "sales", 501 for
// "support"; other numbers ring extensions.
type rig struct {
	t    testing.TB
	st   *store.Store
	srv  *acdsip.Server
	sw   *acd.Switch
	b    *b2bua.B2BUA
	live *queue.Live
	dir  string
	// skew moves the queue's clock ahead of real time (to close a
	// service-level interval).
	skew atomic.Int64
	vip  map[string]int
	// routed receives where callers were sent out of a queue.
	routed chan queue.Destination
	ports  *rtp.Ports
	ctx    context.Context // ends at cleanup
	wg     *sync.WaitGroup
}

func secretOf(ext string) string { return "Queue-Test-" + ext + "xZ" }

func quiet() *slog.Logger {
	if os.Getenv("CALLBOX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startRig runs a box with extensions 201-203 (agents' desks), 301-305
// (callers) and 401 (a supervisor), the given agents and queues.
func startRig(t testing.TB, agents []store.Agent, queues []store.Queue, policy queue.RecordPolicy) *rig {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, n := range []string{"201", "202", "203", "301", "302", "303", "304", "305", "401"} {
		if _, err := store.Put(st, store.Extension{Number: n, Secret: secretOf(n), Name: "Desk " + n}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range agents {
		if _, err := store.Put(st, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range queues {
		if _, err := store.Put(st, q); err != nil {
			t.Fatal(err)
		}
	}
	log := quiet()
	srv, err := acdsip.New(st, acdsip.Config{UDP: "127.0.0.1:0", KeepAlive: -1,
		Guard: guard.Config{Rate: 1e6, Burst: 1e6}}, acdsip.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	base := 30000 + (os.Getpid()%50)*200
	ports, err := rtp.NewPorts(eng, netip.MustParseAddr("127.0.0.1"), base, base+199)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, srv: srv, dir: dir, vip: map[string]int{}, routed: make(chan queue.Destination, 8),
		ports: ports}
	r.sw = acd.NewSwitch(r.handle, acd.WithLogger(log))
	r.b, err = b2bua.New(st, srv, r.sw, ports, b2bua.WithLogger(log),
		b2bua.WithConfig(b2bua.Config{MediaTimeout: -1, RingTimeout: 20 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	r.live, err = queue.NewLive(
		queue.WithDial(r.b.Dial),
		queue.WithDialOut(func(ctx context.Context, number string, caller acd.Party) (acd.Leg, error) {
			return r.b.Dial(ctx, number, caller, nil)
		}),
		queue.WithRouter(func(ctx context.Context, c *acd.Call, d queue.Destination) error {
			r.routed <- d
			return nil
		}),
		queue.WithStore(st),
		queue.WithBus(r.sw.Bus()),
		queue.WithHoldMusic(func() media.FrameReader { return tone.NewSpec(tone.Spec{Freqs: []int{holdFreq}}) }),
		queue.WithRecording(dir, func(string) queue.RecordPolicy { return policy }),
		queue.WithLiveClock(func() time.Time { return time.Now().Add(time.Duration(r.skew.Load())) }),
		queue.WithLiveLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	r.ctx, r.wg = ctx, &wg
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(ctx) })
	wg.Go(func() { _ = r.b.Run(ctx) })
	wg.Go(func() { _ = r.live.Run(ctx) })
	select {
	case <-srv.Ready():
	case err := <-runErr:
		cancel()
		t.Fatalf("sip: %v", err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.sw.Shutdown(sctx)
		scancel()
		cancel()
		wg.Wait()
		eng.Close()
	})
	return r
}

func (r *rig) handle(ctx context.Context, c *acd.Call) error {
	req := queue.Request{Priority: r.vip[c.Caller().Caller().Number]}
	switch {
	case c.Caller().Caller().Source == acd.SourceLine:
		req.Queue = "sales" // the PSTN line's calls go to sales
	case c.Dialed() == "500":
		req.Queue = "sales"
	case c.Dialed() == "501":
		req.Queue = "support"
	default:
		return r.b.Handle(ctx, c)
	}
	return r.live.Wait(ctx, c, req)
}

// phone registers a phone at ext.
func (r *rig) phone(ext string) *siptest.Phone {
	r.t.Helper()
	p := siptest.NewPhone(r.t, siptest.WithUser(ext, secretOf(ext)))
	res, err := p.Register(ctxT(r.t), r.srv.Addr("udp"))
	if err != nil || res.StatusCode != 200 {
		r.t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return p
}

// call dials number from p and waits for the box to answer.
func (r *rig) call(p *siptest.Phone, number string) *siptest.Call {
	r.t.Helper()
	c, err := p.Dial(ctxT(r.t), number)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := c.WaitAnswer(ctxT(r.t)); err != nil {
		r.t.Fatalf("box did not answer %s: status %d: %v", number, c.Status(), err)
	}
	return c
}

// waiting waits until queue has n live callers waiting.
func (r *rig) waiting(q string, n int) {
	r.t.Helper()
	eventually(r.t, q+" has "+strconv.Itoa(n)+" waiting", func() bool {
		s, err := r.live.Dispatcher().Snapshot(q)
		return err == nil && s.Waiting == n
	})
}

// agentState waits for an agent to reach state.
func (r *rig) agentState(id string, state string) {
	r.t.Helper()
	eventually(r.t, "agent "+id+" "+state, func() bool {
		s, err := r.live.Dispatcher().Agent(id)
		return err == nil && string(s.State) == state
	})
}

// talking waits until agent id's queue call is bridged by the live side
// (a moment after the dispatcher marks them on call), so a hang-up that
// follows ends a call, not a wait. It asks StartRecording, which
// records only where the queue's policy wants it anyway.
func (r *rig) talking(id string) {
	r.t.Helper()
	eventually(r.t, "agent "+id+" talking", func() bool {
		return !errors.Is(r.live.StartRecording(id), queue.ErrNotOnCall)
	})
}

// answer waits for the next call at p, answers it and returns it with
// the number its From shows.
func answer(t testing.TB, p *siptest.Phone) (*siptest.Call, string) {
	t.Helper()
	in, err := p.Incoming(ctxT(t))
	if err != nil {
		t.Fatalf("no incoming call: %v", err)
	}
	if err := in.Ring(); err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctxT(t)); err != nil {
		t.Fatalf("answer: %v", err)
	}
	_, number, _ := in.From()
	return in, number
}

// hears plays freq from one side while listening on the other.
func hears(t testing.TB, from, to *siptest.Call, freq float64) bool {
	t.Helper()
	return hearsWithin(t, from, to, freq, 10)
}

// silent is !hears with a shorter listen: the tone is expected absent.
func silent(t testing.TB, from, to *siptest.Call, freq float64) bool {
	t.Helper()
	return !hearsWithin(t, from, to, freq, 3)
}

func hearsWithin(t testing.TB, from, to *siptest.Call, freq float64, windows int) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = from.Play(ctx, freq, 3*time.Second) })
	for range windows {
		if audiotest.HasTone(to.Listen(300*time.Millisecond), freq, 0.5) {
			return true
		}
	}
	return false
}

// routedTo waits for a caller to be sent out of a queue.
func (r *rig) routedTo() queue.Destination {
	r.t.Helper()
	select {
	case d := <-r.routed:
		return d
	case <-ctxT(r.t).Done():
		r.t.Fatal("nobody was routed out of the queue")
	}
	return queue.Destination{}
}

// digits sends keys one by one.
func digits(t testing.TB, c *siptest.Call, keys string) {
	t.Helper()
	for i := 0; i < len(keys); i++ {
		if err := c.SendDigit(ctxT(t), keys[i]); err != nil {
			select {
			case <-c.Done():
				return // the key ended the call (an exit) while it was sent
			default:
				t.Fatal(err)
			}
		}
	}
}

// hangup ends c and waits for the other side to see it.
func hangup(t testing.TB, c, other *siptest.Call) {
	t.Helper()
	if err := c.Hangup(ctxT(t)); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	select {
	case <-other.Done():
	case <-ctxT(t).Done():
		t.Fatal("the other side never heard the hang-up")
	}
}

// holdMusic reports whether x is the hold tone.
func holdMusic(x []int16) bool { return audiotest.HasTone(x, holdFreq, 0.5) }

// speech reports whether x is loud and not the hold tone: a prompt.
func speech(x []int16) bool {
	if len(x) == 0 {
		return false
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(x)))
	return rms > 300 && !audiotest.HasTone(x, holdFreq, 0.3)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond: for effects on other goroutines, not timing.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func agentRec(id, ext string) store.Agent {
	return store.Agent{ID: id, Name: "Agent " + id, Extension: ext, Enabled: true}
}
