package cti

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/firmware/store"
)

// rig is a running hub over a real store and bus.
type rig struct {
	t   testing.TB
	st  *store.Store
	bus *acd.Bus
	hub *Hub
}

func newRig(t *testing.T, cfg Config) *rig { return newRigTB(t, cfg) }

func newRigTB(t testing.TB, cfg Config) *rig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	bus := acd.NewBus()
	cfg.Store, cfg.Bus = st, bus
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// Events published before Run subscribed would not reach the hub.
	for i := 0; !slices.ContainsFunc(bus.Stats(), func(s acd.SubscriberStats) bool { return s.Name == "cti" }); i++ {
		if i > 1000 {
			t.Fatal("the hub never subscribed to the bus")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &rig{t: t, st: st, bus: bus, hub: h}
}

// next waits for the next event of typ on ch, skipping others.
func next(t *testing.T, ch <-chan Event, typ string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed while waiting for %s", typ)
			}
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// gate is a data source that answers only when released, whatever its
// context says: the worst kind of slow source.
type gate struct {
	mu      sync.Mutex
	release chan struct{}
	rec     directory.Record
	calls   int
}

func newGate(rec directory.Record) *gate { return &gate{release: make(chan struct{}), rec: rec} }

func (g *gate) Lookup(ctx context.Context, number string) (directory.Result, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	<-g.release
	return directory.Result{Number: number, Record: g.rec, Found: true}, nil
}

// fixed is a source that knows one record.
type fixed struct {
	name string
	num  string
	rec  directory.Record
}

func (f fixed) Name() string { return f.name }

func (f fixed) Lookup(ctx context.Context, number string) (directory.Record, error) {
	if number != f.num {
		return directory.Record{}, directory.ErrNotFound
	}
	return f.rec, nil
}

// ringing publishes a call ringing from number.
func (r *rig) ringing(id, number string) {
	r.bus.Publish(acd.CallRinging{Call: acd.CallRecord{ID: id, Caller: acd.Party{Number: number, Source: acd.SourceLine, Via: "fxo1"},
		Route: []string{"flow:main", "queue:sales"}, Data: map[string]string{"menu": "2"}, Queue: "sales"}})
}
