package acd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// Handler runs one call from start to end, in its own goroutine. Its
// context is cancelled when the caller hangs up or the switch shuts down
// (context.Cause tells which: ErrHungUp, ErrShutdown). When it returns,
// the switch hangs up the legs still up: with the cause the error
// carries (see Reject), normal clearing for nil, temporary failure for
// any other error.
type Handler func(ctx context.Context, c *Call) error

// Switch accepts inbound legs from every source and runs the handler for
// each call in a goroutine it owns.
type Switch struct {
	handler  Handler
	now      func() time.Time
	log      *slog.Logger
	bus      *Bus
	newID    func() string
	maxCalls int
	music    MusicOnHold

	base   context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	calls    map[string]*Call
	stopping bool
	idle     chan struct{} // closed when the last call ends while stopping
}

// Option configures a Switch.
type Option func(*Switch)

// WithClock sets the clock that stamps call times.
func WithClock(now func() time.Time) Option { return func(s *Switch) { s.now = now } }

// WithLogger sets the logger; each call logs with its call ID.
func WithLogger(l *slog.Logger) Option { return func(s *Switch) { s.log = l } }

// WithBus sets the bus the switch publishes call events on (default: a
// bus of its own, see Bus).
func WithBus(b *Bus) Option { return func(s *Switch) { s.bus = b } }

// WithMaxCalls limits concurrent calls; Accept refuses more with
// ErrTooManyCalls. 0 means no limit.
func WithMaxCalls(n int) Option { return func(s *Switch) { s.maxCalls = n } }

// WithIDs sets the call ID generator (default: 16 random hex digits).
func WithIDs(f func() string) Option { return func(s *Switch) { s.newID = f } }

// NewSwitch makes a switch that runs h for every accepted call.
func NewSwitch(h Handler, opts ...Option) *Switch {
	s := &Switch{handler: h, now: time.Now, log: slog.Default(), newID: randomID, calls: map[string]*Call{},
		music: ToneMusic()}
	for _, o := range opts {
		o(s)
	}
	if s.bus == nil {
		s.bus = NewBus(WithBusClock(s.now), WithBusLogger(s.log))
	}
	s.base, s.cancel = context.WithCancelCause(context.Background())
	return s
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Bus is the bus the switch publishes on.
func (s *Switch) Bus() *Bus { return s.bus }

func (s *Switch) publish(e Event) { s.bus.Publish(e) }

// Accept takes an inbound leg and the number it dialled, creates its
// Call, publishes CallRinging and starts the handler. It returns
// ErrShutdown once Shutdown has begun and ErrTooManyCalls over the
// limit; the leg is then the caller's to reject.
func (s *Switch) Accept(leg Leg, dialed string) (*Call, error) {
	p := leg.Caller()
	dir := DirectionOut
	if p.Source.External() {
		dir = DirectionIn
	}
	c := &Call{sw: s, caller: leg, in: []Leg{leg}}
	c.rec = CallRecord{Caller: p, Dialed: dialed, Direction: dir, Start: s.now(),
		Legs: []LegRecord{{ID: leg.ID(), Party: p}}}

	s.mu.Lock()
	switch {
	case s.stopping:
		s.mu.Unlock()
		return nil, ErrShutdown
	case s.maxCalls > 0 && len(s.calls) >= s.maxCalls:
		s.mu.Unlock()
		return nil, fmt.Errorf("%w (%d)", ErrTooManyCalls, s.maxCalls)
	}
	c.rec.ID = s.newID()
	for s.calls[c.rec.ID] != nil {
		c.rec.ID = s.newID()
	}
	s.calls[c.rec.ID] = c
	s.wg.Add(1)
	s.mu.Unlock()

	s.publish(CallRinging{Call: c.Record()})
	go s.run(c)
	return c, nil
}

// run is the call's goroutine.
func (s *Switch) run(c *Call) {
	defer s.wg.Done()
	log := s.callLog(c)
	ctx, cancel := context.WithCancelCause(s.base)
	defer cancel(nil)

	// The caller hanging up ends the handler. The caller's slot changes
	// when a transfer replaces the caller; a parked caller (leaving in a
	// blind transfer) ending does not end the call.
	c.watchCaller(true, func() { cancel(ErrHungUp) })
	err := s.call(ctx, c, log)
	c.watchCaller(false, nil)
	s.end(ctx, c, err, log)
}

// callLog is the call's logger (end says why it is a function of its
// own).
//
//go:noinline
func (s *Switch) callLog(c *Call) *slog.Logger {
	return s.log.With("call_id", c.rec.ID, "caller", c.rec.Caller.String(), "dialed", c.rec.Dialed)
}

// end hangs up what is left of the call when its handler has returned
// with err, and publishes the call's end. It is a function of its own so
// that its locals (records, log attributes) are not in run's frame: the
// call's goroutine waits in the handler for the whole call, and a stack
// small enough there is halved by the runtime (8 KB less per call).
func (s *Switch) end(ctx context.Context, c *Call, err error, log *slog.Logger) {
	cause := CauseNormalClearing
	if cc, ok := CauseOf(err); ok {
		cause = cc
	} else if err != nil && !errors.Is(err, ErrHungUp) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, ErrShutdown) && !errors.Is(err, ErrReleased) {
		cause = CauseTemporaryFailure
		log.Warn("call handler failed", "err", err)
	}
	if errors.Is(context.Cause(ctx), ErrShutdown) && !c.Answered() {
		cause = CauseTemporaryFailure
	}
	c.noteEnd(SideSystem, cause)
	for _, l := range c.ownLegs() {
		select {
		case <-l.Done():
		default:
			if herr := l.Hangup(cause); herr != nil {
				log.Warn("hang-up failed", "leg", l.ID(), "err", herr)
			}
		}
	}
	c.update(func(r *CallRecord) { r.End = s.now() })
	rec := c.Record()
	log.Info("call ended", "side", rec.HangupSide, "cause", int(rec.Cause), "route", rec.RouteString())

	s.mu.Lock()
	delete(s.calls, c.rec.ID)
	if s.stopping && len(s.calls) == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	s.mu.Unlock()
	s.publish(CallEnded{Call: rec})
}

// call runs the handler, turning a panic into an error so one bad call
// cannot take the switch down.
func (s *Switch) call(ctx context.Context, c *Call, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("call handler panicked", "panic", p, "stack", string(debug.Stack()))
			err = &CauseError{Cause: CauseTemporaryFailure, Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return s.handler(ctx, c)
}

// Call returns the active call with this ID (for the CTI API).
func (s *Switch) Call(id string) (*Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[id]
	return c, ok
}

// CallOf returns the active call that holds the leg with this ID,
// preferring the call whose live bridge has it as an end: a leg that
// picked up another call belongs to two calls, and its in-call requests
// (REFER, hold) are about the bridge it is in.
func (s *Switch) CallOf(legID string) (*Call, bool) {
	s.mu.Lock()
	cs := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	var found *Call
	for _, c := range cs {
		if c.bridges(legID) {
			return c, true
		}
		if found == nil && c.holds(legID) {
			found = c
		}
	}
	return found, found != nil
}

// Calls returns the records of the active calls, oldest first.
func (s *Switch) Calls() []CallRecord {
	s.mu.Lock()
	cs := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	out := make([]CallRecord, len(cs))
	for i, c := range cs {
		out[i] = c.Record()
	}
	sortRecords(out)
	return out
}

// Snapshot is Calls with each leg's exported state (StateExporter), the
// records a hot standby replicates. A leg that fails to export is logged
// and left without state.
func (s *Switch) Snapshot() []CallRecord {
	s.mu.Lock()
	cs := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	out := make([]CallRecord, 0, len(cs))
	for _, c := range cs {
		rec := c.Record()
		for i, l := range c.Legs() {
			ex, ok := l.(StateExporter)
			if !ok || i >= len(rec.Legs) {
				continue
			}
			st, err := ex.ExportState()
			if err != nil {
				s.log.Warn("leg state export failed", "call_id", rec.ID, "leg", l.ID(), "err", err)
				continue
			}
			rec.Legs[i].State = st
		}
		out = append(out, rec)
	}
	sortRecords(out)
	return out
}

func sortRecords(out []CallRecord) {
	slices.SortFunc(out, func(a, b CallRecord) int {
		if d := a.Start.Compare(b.Start); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Active is the number of calls in the switch.
func (s *Switch) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Shutdown stops accepting calls and lets the active ones finish until
// ctx ends; then it cancels the rest (their handlers see ErrShutdown and
// their legs are hung up) and waits for every call goroutine. It returns
// ctx's error when calls had to be cut off.
func (s *Switch) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	var idle chan struct{}
	if len(s.calls) > 0 {
		if s.idle == nil {
			s.idle = make(chan struct{})
		}
		idle = s.idle
	}
	s.mu.Unlock()
	var err error
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.cancel(ErrShutdown)
	s.wg.Wait()
	return err
}

// Name implements the firmware's service interface.
func (s *Switch) Name() string { return "switch" }

// Run waits until ctx ends, then hangs up every call and waits for the
// call goroutines, so the supervisor can own the switch like any service.
func (s *Switch) Run(ctx context.Context) error {
	<-ctx.Done()
	cut, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(cut)
	return nil
}
