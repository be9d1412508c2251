package b2bua

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/guard"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// Secrets of the test extensions.
var secrets = map[string]string{
	"201": "Blue-Sky-42x",
	"202": "Green-Tree-77y",
	"203": "Red-Road-19z",
}

// box is a running switch: store, SIP server, B2BUA and media.
type box struct {
	t     testing.TB
	st    *store.Store
	srv   *acdsip.Server
	sw    *acd.Switch
	b     *B2BUA
	ports *rtp.Ports
	eng   *relay.Engine
	ended chan acd.CallRecord
}

func quiet() *slog.Logger {
	if os.Getenv("CALLBOX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startBox runs a box on loopback with the test extensions (edit lets a
// test change them first).
func startBox(t testing.TB, cfg Config, edit func(map[string]*store.Extension)) *box {
	t.Helper()
	return startBoxWith(t, cfg, edit)
}

// startBoxWith is startBox with options for the B2BUA.
func startBoxWith(t testing.TB, cfg Config, edit func(map[string]*store.Extension), opts ...Option) *box {
	t.Helper()
	return startBoxLogging(t, quiet(), cfg, edit, opts...)
}

// startBoxLogging is startBoxWith logging to log (the server, the switch
// and the B2BUA), for tests of what the box logs.
func startBoxLogging(t testing.TB, log *slog.Logger, cfg Config, edit func(map[string]*store.Extension), opts ...Option) *box {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	exts := map[string]*store.Extension{}
	for n, s := range secrets {
		exts[n] = &store.Extension{Number: n, Secret: s, Name: "Desk " + n}
	}
	if edit != nil {
		edit(exts)
	}
	for _, e := range exts {
		if _, err := store.Put(st, *e); err != nil {
			t.Fatal(err)
		}
	}
	// Every test phone sends from 127.0.0.1, which the per-address rate
	// limit would otherwise throttle like one flooding host.
	srv, err := acdsip.New(st, acdsip.Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", KeepAlive: -1,
		Guard: guard.Config{Rate: 1e6, Burst: 1e6}}, acdsip.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(eng)
	if err != nil {
		t.Fatal(err)
	}
	bx := &box{t: t, st: st, srv: srv, ports: ports, eng: eng, ended: make(chan acd.CallRecord, 64)}
	bus := acd.NewBus()
	bx.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { return bx.b.Handle(ctx, c) },
		acd.WithLogger(log), acd.WithBus(bus))
	bx.b, err = New(st, srv, bx.sw, ports, append([]Option{WithConfig(cfg), WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	unsub := subscribeEnded(bus, bx.ended)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(ctx) })
	wg.Go(func() { _ = bx.b.Run(ctx) })
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
		unsub()
		eng.Close()
	})
	return bx
}

func subscribeEnded(bus *acd.Bus, out chan acd.CallRecord) func() {
	ctx, cancel := context.WithCancel(context.Background())
	ch := bus.Subscribe(ctx, acd.WithBuffer(256))
	var wg sync.WaitGroup
	wg.Go(func() {
		for e := range ch {
			if ce, ok := e.(acd.CallEnded); ok {
				select {
				case out <- ce.Call:
				default:
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// freePorts finds an RTP range not used by another test process.
func freePorts(eng *relay.Engine) (*rtp.Ports, error) {
	base := 20000 + (os.Getpid()%40)*1000
	return rtp.NewPorts(eng, netip.MustParseAddr("127.0.0.1"), base, base+999)
}

func (bx *box) addr() netip.AddrPort { return bx.srv.Addr("udp") }

// phone makes and registers a phone of extension ext.
func (bx *box) phone(ext string, opts ...siptest.Option) *siptest.Phone {
	bx.t.Helper()
	p := siptest.NewPhone(bx.t, append([]siptest.Option{siptest.WithUser(ext, secrets[ext])}, opts...)...)
	registrar := bx.addr()
	if p.Addr() == (netip.AddrPort{}) {
		registrar = bx.srv.Addr("tcp")
	}
	res, err := p.Register(ctxT(bx.t), registrar)
	if err != nil || res.StatusCode != 200 {
		bx.t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return p
}

// lastEnded waits for the next CallEnded record.
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

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond: for effects on other goroutines, not timing.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// legsOf lists the B2BUA's live legs.
func (bx *box) legsOf() []dialogLeg {
	bx.b.mu.Lock()
	defer bx.b.mu.Unlock()
	var out []dialogLeg
	for _, l := range bx.b.legs {
		out = append(out, l)
	}
	return out
}
