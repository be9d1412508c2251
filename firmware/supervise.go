package firmware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"callbox/webui"
)

// Service is one long-running part of the appliance (the web server, the
// console, the GPIO board, later the SIP switch). Run blocks until ctx is
// done and then returns nil; returning earlier, with or without an error,
// or panicking, counts as a crash and the supervisor restarts it.
type Service interface {
	Name() string
	Run(ctx context.Context) error
}

// ErrExited is the error recorded when a service's Run returns nil before
// it was asked to stop.
var ErrExited = errors.New("service exited on its own")

// Backoff says how long the supervisor waits before restarting a crashed
// service: Min after the first crash, doubling up to Max for each crash in a
// row. A service that ran at least Stable since its last start is starting
// a fresh row.
type Backoff struct {
	Min, Max, Stable time.Duration
}

// DefaultBackoff suits the appliance: quick first retry, at most one restart
// every 30 s for a service that keeps failing.
var DefaultBackoff = Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second, Stable: 30 * time.Second}

// delay is the wait before restart number n (1-based) of a row.
func (b Backoff) delay(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// supervisor runs services, restarts them when they crash and stops them in
// reverse order. It owns every goroutine it starts.
type supervisor struct {
	log      *slog.Logger
	now      func() time.Time
	backoff  Backoff
	onChange func() // called after any state change, outside the lock

	mu      sync.Mutex
	entries []*entry
}

type entry struct {
	svc      Service
	cancel   context.CancelFunc
	done     chan struct{}
	firstRun chan struct{} // closed when the first Run returns
	state    webui.ServiceState
}

// readier is a service that says when it can take work, such as a server
// whose listeners are bound. start waits for it, so that the next service
// starts on top of a running one.
type readier interface {
	Ready() <-chan struct{}
}

// readyWait bounds how long start waits for a service to become ready
// before it starts the next one anyway.
const readyWait = 10 * time.Second

func newSupervisor(log *slog.Logger, now func() time.Time, b Backoff, onChange func()) *supervisor {
	if onChange == nil {
		onChange = func() {}
	}
	return &supervisor{log: log, now: now, backoff: b, onChange: onChange}
}

// start launches svc in its own goroutine under ctx. Services start in the
// order start is called and stop in the reverse order. For a service with
// a Ready channel, start returns once it is ready, its first run has
// failed (the supervisor retries it meanwhile), or readyWait has passed.
func (s *supervisor) start(ctx context.Context, svc Service) {
	ctx, cancel := context.WithCancel(ctx)
	e := &entry{svc: svc, cancel: cancel, done: make(chan struct{}), firstRun: make(chan struct{}),
		state: webui.ServiceState{Name: svc.Name(), State: webui.StateStarting, Since: s.now()}}
	s.mu.Lock()
	s.entries = append(s.entries, e)
	s.mu.Unlock()
	s.onChange()
	go s.loop(ctx, e)
	r, ok := svc.(readier)
	if !ok {
		return
	}
	t := time.NewTimer(readyWait)
	defer t.Stop()
	select {
	case <-r.Ready():
	case <-e.firstRun:
	case <-ctx.Done():
	case <-t.C:
		s.log.Warn("service not ready in time; starting the next one", "service", svc.Name(), "waited", readyWait)
	}
}

func (s *supervisor) loop(ctx context.Context, e *entry) {
	defer close(e.done)
	row := 0
	for first := true; ; first = false {
		started := s.now()
		s.set(e, webui.StateRunning, "", false)
		err := runGuarded(ctx, e.svc)
		if first {
			close(e.firstRun)
		}
		if ctx.Err() != nil {
			if err != nil {
				s.log.Warn("service stopped with an error", "service", e.svc.Name(), "err", err)
			}
			s.set(e, webui.StateStopped, "", false)
			return
		}
		if err == nil {
			err = ErrExited
		}
		if s.now().Sub(started) >= s.backoff.Stable {
			row = 0
		}
		row++
		wait := s.backoff.delay(row)
		s.log.Error("service crashed; restarting", "service", e.svc.Name(), "err", err, "in", wait, "row", row)
		s.set(e, webui.StateRestarting, err.Error(), true)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.set(e, webui.StateStopped, "", false)
			return
		case <-t.C:
		}
	}
}

// runGuarded turns a panic in svc into an error, so one broken service
// cannot take the box down.
func runGuarded(ctx context.Context, svc Service) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return svc.Run(ctx)
}

func (s *supervisor) set(e *entry, state, lastErr string, crashed bool) {
	s.mu.Lock()
	e.state.State = state
	e.state.Since = s.now()
	if crashed {
		e.state.Restarts++
		e.state.LastError = lastErr
	}
	s.mu.Unlock()
	s.onChange()
}

// states returns every service's state in start order.
func (s *supervisor) states() []webui.ServiceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]webui.ServiceState, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.state
	}
	return out
}

// stop stops the services in reverse start order, each one waited for
// before the next is asked, all within timeout. A service that does not
// return in time is logged and left behind so the box can still exit; stop
// then reports it.
func (s *supervisor) stop(timeout time.Duration) error {
	s.mu.Lock()
	entries := append([]*entry(nil), s.entries...)
	s.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
wait:
	for i := len(entries) - 1; i >= 0; i-- {
		entries[i].cancel()
		select {
		case <-entries[i].done:
		case <-deadline.C:
			for _, e := range entries[:i] {
				e.cancel()
			}
			break wait
		}
	}
	var stuck []string
	for _, e := range entries {
		select {
		case <-e.done:
		default:
			stuck = append(stuck, e.svc.Name())
		}
	}
	if len(stuck) > 0 {
		s.log.Error("services did not stop in time", "services", stuck, "timeout", timeout)
		return fmt.Errorf("services did not stop within %v: %v", timeout, stuck)
	}
	return nil
}
