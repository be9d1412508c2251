package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
	"callbox/firmware/store"
)

// statsRig is a running live side on a bus, and the bus's events.
func statsRig(t *testing.T) (*queue.Live, <-chan acd.Event) {
	t.Helper()
	none := func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) {
		return nil, errors.New("no phones")
	}
	bus := acd.NewBus()
	live, err := queue.NewLive(queue.WithDial(none), queue.WithBus(bus), queue.WithLiveLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	d := live.Dispatcher()
	d.SetAgent(agent.Profile{ID: "101", Name: "Li"})
	if err := d.SetQueue(queue.Config{Name: "sales", Members: []queue.Member{{Agent: "101"}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := bus.Subscribe(ctx, acd.WithBuffer(1024))
	var wg sync.WaitGroup
	wg.Go(func() { _ = live.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return live, events
}

// nextStats waits for a QueueStats of queue that satisfies ok.
func nextStats(t *testing.T, events <-chan acd.Event, name string, ok func(acd.QueueStats) bool) acd.QueueStats {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			if s, is := e.(acd.QueueStats); is && s.Queue == name && ok(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("no matching QueueStats for %s", name)
		}
	}
}

func TestLiveStats_JoinPublishesTheQueuesFigures(t *testing.T) {
	live, events := statsRig(t)
	if _, err := live.Dispatcher().Join(queue.Call{ID: "c1", Queue: "sales", Caller: "13800000001"}); err != nil {
		t.Fatal(err)
	}
	s := nextStats(t, events, "sales", func(s acd.QueueStats) bool { return s.Waiting == 1 })
	if s.M.Seq == 0 || s.LoggedIn != 0 || s.ServiceLevel != 100 {
		t.Errorf("stats %+v", s)
	}
}

func TestLiveStats_QuickChangesEndInTheLatestFigures(t *testing.T) {
	live, events := statsRig(t)
	d := live.Dispatcher()
	// Many changes within the rate limit: the bus gets fewer events than
	// changes, and the last one shows where the queue ended up.
	for _, id := range []string{"a", "b", "c"} {
		if _, err := d.Join(queue.Call{ID: id, Queue: "sales"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Leave("a", queue.LeftAbandoned); err != nil {
		t.Fatal(err)
	}
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	s := nextStats(t, events, "sales", func(s acd.QueueStats) bool {
		return s.Waiting == 2 && s.Abandoned == 1 && s.LoggedIn == 1
	})
	if s.Offered != 1 {
		t.Errorf("stats %+v", s)
	}
}

// warnings is a log handler that keeps the records at Warn and above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	w.msgs = append(w.msgs, line)
	return nil
}

func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func TestLive_NormalShutdownIsQuietAndReturnsNil(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Queue{Name: "sales", Strategy: store.StrategyRingAll}); err != nil {
		t.Fatal(err)
	}
	logs := &warnings{}
	none := func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) {
		return nil, errors.New("no phones")
	}
	bus := acd.NewBus()
	live, err := queue.NewLive(queue.WithDial(none), queue.WithStore(st), queue.WithBus(bus),
		queue.WithLiveLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	events := bus.Subscribe(t.Context())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- live.Run(ctx) }()
	// Some work in flight: a caller waiting, its figures on the bus.
	if _, err := live.Dispatcher().Join(queue.Call{ID: "c1", Queue: "sales"}); err != nil {
		t.Fatal(err)
	}
	nextStats(t, events, "sales", func(s acd.QueueStats) bool { return s.Waiting == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after shutdown: %v, want nil", err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.msgs) != 0 {
		t.Errorf("shutdown logged %q", logs.msgs)
	}
}
