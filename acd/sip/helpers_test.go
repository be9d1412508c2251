package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/firmware/store"
)

const (
	secret1001 = "Blue-Sky-42x"
	secret1002 = "Green-Tree-77y"
)

// testClock is a settable clock shared by the store and the server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openStore makes a store in a temporary directory with extensions 1001
// and 1002.
func openStore(t testing.TB, path string, clk *testClock) *store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "callbox.db")
	}
	st, err := store.Open(path, store.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, e := range []store.Extension{{Number: "1001", Secret: secret1001}, {Number: "1002", Secret: secret1002}} {
		if _, err := store.Put(st, e); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// running is a Server started by startServer.
type running struct {
	*Server
	stop func() // stops the server and waits for Run
	tick chan time.Time
}

func (r running) udp() netip.AddrPort { return r.Addr("udp") }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer runs a Server on loopback with ephemeral ports until the
// test ends (or stop is called).
func startServer(t testing.TB, st *store.Store, clk *testClock, cfg Config, opts ...Option) running {
	t.Helper()
	if cfg.UDP == "" && cfg.TCP == "" && cfg.TLS == "" {
		cfg.UDP = "127.0.0.1:0"
		cfg.TCP = "127.0.0.1:0"
	}
	tick := make(chan time.Time)
	opts = append([]Option{
		WithLogger(quietLogger()),
		WithClock(clk.Now),
		WithTicker(func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }),
	}, opts...)
	s, err := New(st, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return running{Server: s, stop: stop, tick: tick}
}

// eventually polls cond until it holds or a generous deadline passes: for
// effects that happen on another goroutine (the change feed), not for
// timing.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
