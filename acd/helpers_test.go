package acd

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/media"
)

// fakeLeg is a Leg built from function fields; nil fields behave like a
// well-mannered leg.
type fakeLeg struct {
	id       string
	party    Party
	endpoint media.Endpoint
	AnswerFn func(ctx context.Context) error
	HangupFn func(Cause)

	done     chan struct{}
	once     sync.Once
	cause    atomic.Uint32
	answered atomic.Bool
}

func newLeg(id, number string, src Source) *fakeLeg {
	return &fakeLeg{id: id, party: Party{Number: number, Source: src, Via: "x"}, done: make(chan struct{})}
}

func (l *fakeLeg) ID() string    { return l.id }
func (l *fakeLeg) Caller() Party { return l.party }
func (l *fakeLeg) Answer(ctx context.Context) error {
	if l.AnswerFn != nil {
		if err := l.AnswerFn(ctx); err != nil {
			return err
		}
	}
	l.answered.Store(true)
	return nil
}

// Hangup is the switch ending the leg.
func (l *fakeLeg) Hangup(c Cause) error {
	l.finish(c)
	if l.HangupFn != nil {
		l.HangupFn(c)
	}
	return nil
}

// farEnd is the far end hanging up.
func (l *fakeLeg) farEnd(c Cause) { l.finish(c) }

func (l *fakeLeg) finish(c Cause) {
	l.once.Do(func() {
		l.cause.Store(uint32(c))
		close(l.done)
	})
}

func (l *fakeLeg) Media() media.Endpoint { return l.endpoint }
func (l *fakeLeg) Done() <-chan struct{} { return l.done }
func (l *fakeLeg) EndCause() Cause       { return Cause(l.cause.Load()) }

// fakeEndpoint counts relays.
type fakeEndpoint struct {
	relays, stops atomic.Int32
}

func (e *fakeEndpoint) Reader() media.FrameReader { return nil }
func (e *fakeEndpoint) Writer() media.FrameWriter { return nil }
func (e *fakeEndpoint) RelayTo(media.Endpoint) func() {
	e.relays.Add(1)
	var once sync.Once
	return func() { once.Do(func() { e.stops.Add(1) }) }
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// waitEnded reads events until the CallEnded of id.
func waitEnded(t *testing.T, ch <-chan Event, id string) CallRecord {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("bus closed")
			}
			if end, ok := e.(CallEnded); ok && end.Call.ID == id {
				return end.Call
			}
		case <-timeout:
			t.Fatalf("call %s never ended", id)
		}
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

// hangUpAll stops sw at once, cutting off any call still running.
func hangUpAll(sw *Switch) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = sw.Shutdown(ctx)
}
