package agent

import (
	"fmt"
	"slices"
	"time"
)

// Agent is one agent's live record on a Roster. Its fields change only
// through Roster methods; the getters let the dispatcher read them
// without copying.
type Agent struct {
	profile   Profile
	state     State
	ext       string
	reason    string
	callID    string
	queue     string
	since     time.Time
	wrapUntil time.Time
	answered  time.Time
	c         Counters
}

// ID returns the agent's ID.
func (a *Agent) ID() string { return a.profile.ID }

// Profile returns the agent's configuration.
func (a *Agent) Profile() *Profile { return &a.profile }

// State returns the agent's state.
func (a *Agent) State() State { return a.state }

// Extension returns where the agent is logged in ("" when logged out).
func (a *Agent) Extension() string { return a.ext }

// CallID returns the call the agent is ringing for, on, or wrapping up.
func (a *Agent) CallID() string { return a.callID }

// Counters returns the agent's running figures.
func (a *Agent) Counters() *Counters { return &a.c }

// LoggedIn reports whether the agent is logged in, whatever their state.
func (a *Agent) LoggedIn() bool { return a.state != LoggedOut }

// Snapshot returns a copy of the agent's state.
func (a *Agent) Snapshot() Snapshot {
	p := a.profile
	p.Skills = slices.Clone(p.Skills)
	return Snapshot{Profile: p, State: a.state, Extension: a.ext, Reason: a.reason, CallID: a.callID,
		Queue: a.queue, Since: a.since, WrapUntil: a.wrapUntil, Counters: a.c}
}

// Roster holds every known agent. See the package doc for the rules.
type Roster struct {
	now       func() time.Time
	emit      func(Event)
	reasons   []string
	autoPause int
	agents    map[string]*Agent
	order     []*Agent // in the order agents were added, for stable iteration
}

// Option configures a Roster.
type Option func(*Roster)

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(r *Roster) { r.now = now } }

// WithEmit sets where state changes go.
func WithEmit(emit func(Event)) Option { return func(r *Roster) { r.emit = emit } }

// WithReasons sets the pause reason codes agents may choose; with none,
// any non-empty reason is accepted.
func WithReasons(codes ...string) Option {
	return func(r *Roster) { r.reasons = slices.Clone(codes) }
}

// WithAutoPause pauses an agent (reason ReasonNoAnswer) after n offers in
// a row that they did not answer; 0 turns it off.
func WithAutoPause(n int) Option { return func(r *Roster) { r.autoPause = n } }

// NewRoster returns an empty roster.
func NewRoster(opts ...Option) *Roster {
	r := &Roster{now: time.Now, emit: func(Event) {}, agents: make(map[string]*Agent)}
	for _, o := range opts {
		o(r)
	}
	return r
}

// SetReasons replaces the pause reason list (see WithReasons).
func (r *Roster) SetReasons(codes ...string) { r.reasons = slices.Clone(codes) }

// SetAutoPause changes the auto-pause threshold (see WithAutoPause).
func (r *Roster) SetAutoPause(n int) { r.autoPause = n }

// Set adds an agent or updates its profile; state and counters are kept.
func (r *Roster) Set(p Profile) *Agent {
	p.Skills = slices.Clone(p.Skills)
	if a, ok := r.agents[p.ID]; ok {
		a.profile = p
		return a
	}
	a := &Agent{profile: p, state: LoggedOut, since: r.now()}
	r.agents[p.ID] = a
	r.order = append(r.order, a)
	return a
}

// Get returns the agent with id, or nil.
func (r *Roster) Get(id string) *Agent { return r.agents[id] }

// All returns every agent in the order they were added. The slice is the
// roster's own: do not modify it, and do not keep it across calls that
// add or remove agents.
func (r *Roster) All() []*Agent { return r.order }

// Len returns the number of agents.
func (r *Roster) Len() int { return len(r.order) }

// Remove deletes an agent (its record was deleted) whatever its state;
// a logged-in agent is logged out first, with an event. It returns the
// agent's last snapshot so the caller can settle a call it was on.
func (r *Roster) Remove(id string) (Snapshot, error) {
	a, ok := r.agents[id]
	if !ok {
		return Snapshot{}, fmt.Errorf("%w: %s", ErrUnknownAgent, id)
	}
	snap := a.Snapshot()
	if a.state != LoggedOut {
		r.move(a, LoggedOut, "")
	}
	delete(r.agents, id)
	r.order = slices.DeleteFunc(r.order, func(x *Agent) bool { return x == a })
	return snap, nil
}

func (r *Roster) lookup(id string) (*Agent, error) {
	a, ok := r.agents[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownAgent, id)
	}
	return a, nil
}

func illegal(a *Agent, to State) error {
	return fmt.Errorf("%w: agent %s from %s to %s", ErrIllegalTransition, a.profile.ID, a.state, to)
}

// move changes state, stamps it and emits the event.
func (r *Roster) move(a *Agent, to State, reason string) {
	now := r.now()
	from := a.state
	a.state, a.since, a.reason = to, now, reason
	switch to {
	case Available:
		a.c.IdleSince = now
		a.callID, a.queue = "", ""
	case LoggedOut:
		a.ext = ""
		fallthrough
	default:
		a.c.IdleSince = time.Time{}
	}
	if to != WrapUp {
		a.wrapUntil = time.Time{}
	}
	if to == Paused || to == LoggedOut {
		a.callID, a.queue = "", ""
	}
	r.emit(Event{Agent: a.profile.ID, From: from, To: to, Reason: reason, CallID: a.callID, Queue: a.queue, At: now})
}

// Login logs the agent in at ext; they become available. One agent at a
// time may be logged in at an extension.
func (r *Roster) Login(id, ext string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if ext == "" {
		return fmt.Errorf("%w: agent %s", ErrNoExtension, id)
	}
	if a.state != LoggedOut {
		return illegal(a, Available)
	}
	for _, o := range r.order {
		if o.ext == ext {
			return fmt.Errorf("%w: %s has agent %s", ErrExtensionInUse, ext, o.profile.ID)
		}
	}
	a.ext = ext
	r.move(a, Available, "")
	return nil
}

// Logout logs the agent out from any state but on-call (a call in
// progress must end first). A ringing agent's offer is the caller's to
// cancel.
func (r *Roster) Logout(id string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if a.state == LoggedOut || a.state == OnCall {
		return illegal(a, LoggedOut)
	}
	r.settleWrap(a)
	r.move(a, LoggedOut, "")
	return nil
}

func (r *Roster) validReason(reason string) bool {
	if reason == "" {
		return false
	}
	return len(r.reasons) == 0 || reason == ReasonNoAnswer || slices.Contains(r.reasons, reason)
}

// Pause pauses the agent with a reason from the configured list. Legal
// from available, ringing (the offer is dropped by the caller), wrap-up
// (ends it) and paused (changes the reason).
func (r *Roster) Pause(id, reason string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if !r.validReason(reason) {
		return fmt.Errorf("%w: %q", ErrUnknownReason, reason)
	}
	switch a.state {
	case Available, Ringing, WrapUp, Paused:
	default:
		return illegal(a, Paused)
	}
	r.settleWrap(a)
	r.move(a, Paused, reason)
	return nil
}

// Resume makes a paused agent available.
func (r *Roster) Resume(id string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if a.state != Paused {
		return illegal(a, Available)
	}
	r.move(a, Available, "")
	return nil
}

// Offer rings an available agent for callID from queue.
func (r *Roster) Offer(id, callID, queue string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if a.state != Available {
		return illegal(a, Ringing)
	}
	a.callID, a.queue = callID, queue
	a.c.Offers++
	r.move(a, Ringing, "")
	return nil
}

func (r *Roster) checkCall(a *Agent, want State, callID string) error {
	if a.state != want {
		return nil
	}
	if a.callID != callID {
		return fmt.Errorf("%w: agent %s has %q, not %q", ErrWrongCall, a.profile.ID, a.callID, callID)
	}
	return nil
}

// Answer puts a ringing agent on the call.
func (r *Roster) Answer(id, callID string) error {
	a, err := r.lookup(id)
	if err != nil {
		return err
	}
	if err := r.checkCall(a, Ringing, callID); err != nil {
		return err
	}
	if a.state != Ringing {
		return illegal(a, OnCall)
	}
	a.c.Calls++
	a.c.MissedInRow = 0
	a.answered = r.now()
	r.move(a, OnCall, "")
	return nil
}

// Decline ends a ringing offer without an answer. Missed says the agent
// rejected it or let it ring out (it counts toward auto-pause); an offer
// cancelled for other reasons (another agent answered, the caller hung
// up) is not missed. It returns the agent's new state: available, or
// paused when auto-pause struck.
func (r *Roster) Decline(id, callID string, missed bool) (State, error) {
	a, err := r.lookup(id)
	if err != nil {
		return "", err
	}
	if err := r.checkCall(a, Ringing, callID); err != nil {
		return a.state, err
	}
	if a.state != Ringing {
		return a.state, illegal(a, Available)
	}
	if missed {
		a.c.Missed++
		a.c.MissedInRow++
		if r.autoPause > 0 && a.c.MissedInRow >= r.autoPause {
			a.c.MissedInRow = 0
			r.move(a, Paused, ReasonNoAnswer)
			return Paused, nil
		}
	}
	r.move(a, Available, "")
	return Available, nil
}

// Hangup ends the agent's call: wrap-up for wrap (the agent's own
// wrap-up time wins when set), or available at once when it is zero. It
// returns the talk time.
func (r *Roster) Hangup(id, callID string, wrap time.Duration) (time.Duration, error) {
	a, err := r.lookup(id)
	if err != nil {
		return 0, err
	}
	if err := r.checkCall(a, OnCall, callID); err != nil {
		return 0, err
	}
	if a.state != OnCall {
		return 0, illegal(a, WrapUp)
	}
	now := r.now()
	talk := now.Sub(a.answered)
	a.c.TalkTime += talk
	a.c.LastCallEnd = now
	if a.profile.WrapUp > 0 {
		wrap = a.profile.WrapUp
	}
	if wrap <= 0 {
		r.move(a, Available, "")
		return talk, nil
	}
	a.wrapUntil = now.Add(wrap)
	r.move(a, WrapUp, "")
	return talk, nil
}

// settleWrap adds the wrap-up time spent so far when wrap-up ends early.
func (r *Roster) settleWrap(a *Agent) {
	if a.state == WrapUp {
		a.c.WrapTime += r.now().Sub(a.since)
	}
}

// EndWrapUp ends wrap-up early (the agent pressed "ready"). It returns the
// wrap-up time spent.
func (r *Roster) EndWrapUp(id string) (time.Duration, error) {
	a, err := r.lookup(id)
	if err != nil {
		return 0, err
	}
	if a.state != WrapUp {
		return 0, illegal(a, Available)
	}
	spent := r.now().Sub(a.since)
	r.settleWrap(a)
	r.move(a, Available, "")
	return spent, nil
}

// Expired is one wrap-up that the clock ended.
type Expired struct {
	Agent  string
	CallID string
	Queue  string
	Spent  time.Duration
}

// Tick ends every wrap-up whose time is up and appends them to dst.
func (r *Roster) Tick(dst []Expired) []Expired {
	now := r.now()
	for _, a := range r.order {
		if a.state == WrapUp && !now.Before(a.wrapUntil) {
			e := Expired{Agent: a.profile.ID, CallID: a.callID, Queue: a.queue, Spent: now.Sub(a.since)}
			r.settleWrap(a)
			r.move(a, Available, "")
			dst = append(dst, e)
		}
	}
	return dst
}

// NextWake returns the earliest wrap-up end, zero when none is running.
func (r *Roster) NextWake() time.Time {
	var t time.Time
	for _, a := range r.order {
		if a.state == WrapUp && (t.IsZero() || a.wrapUntil.Before(t)) {
			t = a.wrapUntil
		}
	}
	return t
}

// ResetCounters zeroes every agent's counters (a new reporting day);
// idle time and the last call end are kept, because strategies use them.
func (r *Roster) ResetCounters() {
	for _, a := range r.order {
		a.c = Counters{LastCallEnd: a.c.LastCallEnd, IdleSince: a.c.IdleSince}
	}
}
