package trunk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// carrierIP is where the SIPp carriers run; the phones and the box are
// on 127.0.0.1, so the trunk's address tells the two apart.
const carrierIP = "127.0.0.3"

var secrets = map[string]string{"201": "Blue-Sky-42x", "202": "Green-Tree-77y"}

// box is a running switch with trunks: store, SIP server, B2BUA, switch,
// media and the Set under test.
type box struct {
	t     testing.TB
	st    *store.Store
	srv   *acdsip.Server
	sw    *acd.Switch
	b2b   *b2bua.B2BUA
	set   *Set
	eng   *relay.Engine
	ports *rtp.Ports
	clock *fakeClock
	// sclock drives the session timers (RFC 4028) of the box's legs.
	sclock *sessionClock

	mu      sync.Mutex
	handler acd.Handler
	ended   chan acd.CallRecord
}

func quiet() *slog.Logger {
	if os.Getenv("CALLBOX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startBox(t testing.TB, cfg Config, trunks ...store.Trunk) *box {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for n, s := range secrets {
		if _, err := store.Put(st, store.Extension{Number: n, Secret: s, Name: "Desk " + n}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tr := range trunks {
		if _, err := store.Put(st, tr); err != nil {
			t.Fatal(err)
		}
	}
	log := quiet()
	srv, err := acdsip.New(st, acdsip.Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", KeepAlive: -1,
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
	bx := &box{t: t, st: st, srv: srv, eng: eng, ports: ports, clock: newFakeClock(), sclock: &sessionClock{now: time.Now()}, ended: make(chan acd.CallRecord, 16)}
	bus := acd.NewBus()
	bx.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		bx.mu.Lock()
		h := bx.handler
		bx.mu.Unlock()
		if h == nil {
			return acd.Reject(acd.CauseNoRoute)
		}
		return h(ctx, c)
	}, acd.WithLogger(log), acd.WithBus(bus))
	bx.b2b, err = b2bua.New(st, srv, bx.sw, ports, b2bua.WithLogger(log), b2bua.WithSessionClock(bx.sclock))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = 300 * time.Millisecond
	}
	bx.set, err = New(st, srv, bx.b2b, cfg, WithLogger(log), WithClock(bx.clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	evs := bus.Subscribe(ctx, acd.WithBuffer(64))
	var wg sync.WaitGroup
	wg.Go(func() {
		for e := range evs {
			if ce, ok := e.(acd.CallEnded); ok {
				select {
				case bx.ended <- ce.Call:
				default:
				}
			}
		}
	})
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(ctx) })
	wg.Go(func() { _ = bx.b2b.Run(ctx) })
	setCtx, stopSet := context.WithCancel(ctx)
	setDone := make(chan struct{})
	wg.Go(func() { _ = bx.set.Run(setCtx); close(setDone) })
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
		// The trunks unregister while the SIP server still runs.
		stopSet()
		<-setDone
		cancel()
		wg.Wait()
		eng.Close()
	})
	eventually(t, "trunks running", func() bool { return len(bx.set.Status()) == len(trunks) })
	return bx
}

func (bx *box) handle(h acd.Handler) {
	bx.mu.Lock()
	bx.handler = h
	bx.mu.Unlock()
}

func (bx *box) addr() netip.AddrPort { return bx.srv.Addr("udp") }

func (bx *box) status(name string) Status {
	for _, s := range bx.set.Status() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

func (bx *box) lastEnded() acd.CallRecord {
	bx.t.Helper()
	select {
	case r := <-bx.ended:
		return r
	case <-time.After(10 * time.Second):
		bx.t.Fatal("no call ended")
	}
	return acd.CallRecord{}
}

// fakeClock hands out timers that fire only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	waiters []chan time.Time
	waits   []time.Duration // every wait asked for, in order
	added   chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{added: make(chan struct{}, 1)} }

func (c *fakeClock) Now() time.Time { return time.Now() }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.waiters = append(c.waiters, ch)
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

func (c *fakeClock) asked() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// fire wakes every loop waiting now and reports how many there were.
func (c *fakeClock) fire() int {
	c.mu.Lock()
	ws := c.waiters
	c.waiters = nil
	c.mu.Unlock()
	for _, w := range ws {
		w <- time.Now()
	}
	return len(ws)
}

// sessionClock is the session timers' clock: it moves only when the
// test advances it, and due timers run inside Advance.
type sessionClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*sessionTimer
	armed  int // timers ever set: the box re-arms after each refresh
}

type sessionTimer struct {
	c       *sessionClock
	at      time.Time
	f       func()
	stopped bool
}

func (t *sessionTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *sessionClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *sessionClock) AfterFunc(d time.Duration, f func()) rtp.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &sessionTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.armed++
	return t
}

func (c *sessionClock) timersArmed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armed
}

// Advance moves the clock and runs the timers that fell due.
func (c *sessionClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*sessionTimer
	live := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			live = append(live, t)
		}
	}
	c.timers = live
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

// eventually polls cond: for effects on other goroutines, not timing.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// needPeer returns the path of a peer program, skipping the test when it
// is missing unless CALLBOX_REQUIRE_E2E=1.
func needPeer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("%s is required (CALLBOX_REQUIRE_E2E=1) but missing: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func freeUDP(t *testing.T, ip string) int { return freeUDPTB(t, ip) }

func freeUDPTB(t testing.TB, ip string) int { return siptest.FreeUDPPort(t, ip) }

// sippRun is one SIPp process this test started.
type sippRun struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	done   chan error
	cancel context.CancelFunc
}

// startSIPp runs scenario (testdata here, or ../testdata/sipp for
// shared ones) on ip:port; remote is "" for a UDP UAS, "tcp" for a TCP
// one (with -t t1 in args). calls bounds the calls it handles.
func startSIPp(t *testing.T, bin, scenario, ip string, port, calls int, remote string, args ...string) *sippRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	var all []string
	tcpUAS := remote == "tcp"
	if tcpUAS {
		remote = ""
	}
	if remote != "" {
		all = append(all, remote)
	}
	all = append(all, "-sf", scenario, "-i", ip, "-p", fmt.Sprint(port))
	all = append(all, siptest.SIPpPorts(t, ip)...)
	all = append(all, "-m", fmt.Sprint(calls), "-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log"))
	all = append(all, args...)
	r := &sippRun{cmd: exec.CommandContext(ctx, bin, all...), done: make(chan error, 1), cancel: cancel}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		err := <-r.done
		r.done <- err
	})
	if remote == "" {
		r.waitBound(t, ip, port, tcpUAS)
	}
	return r
}

// waitBound waits until a UAS has bound its port, or fails with its
// output when it exited instead. A UDP port is read from the kernel's
// table (siptest.AwaitUDPBound), never bound to probe it: a probe could
// hold it in the instant SIPp binds.
func (r *sippRun) waitBound(t *testing.T, ip string, port int, tcp bool) {
	t.Helper()
	if !tcp {
		if err := siptest.AwaitUDPBound(ip, port, r.done); err != nil {
			r.stop()
			e := <-r.done
			r.done <- e
			t.Fatalf("SIPp UAS: %v (SIPp: %v)\n%s", err, e, r.out.String())
		}
		return
	}
	eventually(t, "SIPp listening", func() bool {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("SIPp exited before listening: %v\n%s", err, r.out.String())
		default:
		}
		c, err := net.Dial("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// stop kills the process (it is this test's own) and waits for it.
func (r *sippRun) stop() {
	r.cancel()
	err := <-r.done
	r.done <- err
}

// wait returns the exit code (0: every call passed).
func (r *sippRun) wait(t *testing.T) int {
	t.Helper()
	err := <-r.done
	r.done <- err
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sipp: %v", err)
	}
	return 0
}

func checkSIPp(t *testing.T, what string, r *sippRun) {
	t.Helper()
	if code := r.wait(t); code != 0 {
		t.Errorf("%s: sipp exit %d\n%s", what, code, r.out.String())
	}
}
