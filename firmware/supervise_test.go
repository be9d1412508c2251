package firmware

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/webui"
)

// funcService is a Service built from a function.
type funcService struct {
	name string
	run  func(ctx context.Context) error
}

func (f funcService) Name() string                  { return f.name }
func (f funcService) Run(ctx context.Context) error { return f.run(ctx) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestBackoff_DoublesUpToMax(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.delay(i + 1); got != w*time.Millisecond {
			t.Errorf("delay(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
}

func TestSupervisor_RestartsCrashedServiceUntilItRuns(t *testing.T) {
	changed := make(chan struct{}, 1)
	sup := newSupervisor(quietLogger(), time.Now, Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond, Stable: time.Hour},
		func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	var mu sync.Mutex
	runs := 0
	flaky := funcService{name: "flaky", run: func(ctx context.Context) error {
		mu.Lock()
		runs++
		n := runs
		mu.Unlock()
		switch n {
		case 1:
			return errors.New("port busy")
		case 2:
			panic("nil map")
		case 3:
			return nil // exiting early is a crash too
		}
		<-ctx.Done()
		return nil
	}}
	sup.start(context.Background(), flaky)
	deadline := time.After(10 * time.Second)
	for {
		st := sup.states()[0]
		if st.Restarts == 3 && st.State == webui.StateRunning {
			if st.LastError != ErrExited.Error() {
				t.Fatalf("last error %q", st.LastError)
			}
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("service did not settle: %+v", st)
		}
	}
	if err := sup.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if st := sup.states()[0]; st.State != webui.StateStopped {
		t.Fatalf("state after stop: %+v", st)
	}
}

func TestSupervisor_PanicIsRecordedWithItsMessage(t *testing.T) {
	done := make(chan struct{})
	var once sync.Once
	sup := newSupervisor(quietLogger(), time.Now, Backoff{Min: time.Hour, Max: time.Hour}, nil)
	sup.start(context.Background(), funcService{name: "p", run: func(ctx context.Context) error {
		once.Do(func() { defer close(done); panic("boom") })
		<-ctx.Done()
		return nil
	}})
	<-done
	for sup.states()[0].State != webui.StateRestarting {
		time.Sleep(time.Millisecond)
	}
	if st := sup.states()[0]; !strings.Contains(st.LastError, "panic: boom") || st.Restarts != 1 {
		t.Fatalf("%+v", st)
	}
	// Stop must not wait out the hour of backoff.
	if err := sup.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSupervisor_StopsInReverseOrder(t *testing.T) {
	sup := newSupervisor(quietLogger(), time.Now, DefaultBackoff, nil)
	var mu sync.Mutex
	var order []string
	started := make(chan struct{}, 3)
	for _, name := range []string{"store-feed", "web", "console"} {
		sup.start(context.Background(), funcService{name: name, run: func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return nil
		}})
	}
	for range 3 {
		<-started
	}
	if err := sup.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "console,web,store-feed" {
		t.Fatalf("stop order %s", got)
	}
}

func TestSupervisor_NamesServiceThatIgnoresStop(t *testing.T) {
	sup := newSupervisor(quietLogger(), time.Now, DefaultBackoff, nil)
	release := make(chan struct{})
	running := make(chan struct{})
	sup.start(context.Background(), funcService{name: "stubborn", run: func(ctx context.Context) error {
		close(running)
		<-release
		return nil
	}})
	sup.start(context.Background(), funcService{name: "polite", run: func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}})
	<-running
	// Long enough for the polite one to stop even on a loaded machine.
	err := sup.stop(time.Second)
	if err == nil || !strings.Contains(err.Error(), "stubborn") || strings.Contains(err.Error(), "polite") {
		t.Fatalf("got %v", err)
	}
	close(release)
	<-sup.entries[0].done
}

// readyService becomes ready when told to.
type readyService struct {
	funcService
	ready chan struct{}
}

func (r readyService) Ready() <-chan struct{} { return r.ready }

func TestSupervisor_StartWaitsUntilAServiceIsReady(t *testing.T) {
	sup := newSupervisor(quietLogger(), time.Now, DefaultBackoff, nil)
	ready := make(chan struct{})
	var mu sync.Mutex
	var events []string
	note := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
	}
	listener := readyService{ready: ready, funcService: funcService{name: "sip", run: func(ctx context.Context) error {
		note("sip binding")
		note("sip ready")
		close(ready)
		<-ctx.Done()
		return nil
	}}}
	sup.start(context.Background(), listener)
	note("start returned")
	sup.start(context.Background(), funcService{name: "web", run: func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}})
	mu.Lock()
	got := strings.Join(events, ",")
	mu.Unlock()
	if got != "sip binding,sip ready,start returned" {
		t.Fatalf("order: %s", got)
	}

	// A service that fails before it is ready does not hold up the others.
	never := readyService{ready: make(chan struct{}), funcService: funcService{name: "broken", run: func(ctx context.Context) error {
		return errors.New("no such device")
	}}}
	sup.start(context.Background(), never)
	if err := sup.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}
