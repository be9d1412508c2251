package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"callbox/acd/agent"
	"callbox/acd/servicelevel"
)

// Errors returned by Dispatcher methods; check with errors.Is.
var (
	ErrUnknownQueue  = errors.New("queue: unknown queue")
	ErrUnknownCall   = errors.New("queue: unknown call")
	ErrDuplicateCall = errors.New("queue: call already queued")
	// ErrQueueFull: the queue has MaxCallers waiting.
	ErrQueueFull = errors.New("queue: queue full")
	// ErrNoAgents: the queue's JoinWhen rule refuses callers now.
	ErrNoAgents = errors.New("queue: no agents")
	// ErrNoOffer: a report about an offer (or dial) that does not stand,
	// because it timed out, was cancelled or never existed.
	ErrNoOffer = errors.New("queue: no such offer")
	// ErrNotWaiting: the call is not a live caller waiting in a queue.
	ErrNotWaiting = errors.New("queue: call not waiting")
)

// Call is what the switch knows about a caller joining a queue.
type Call struct {
	ID         string
	Queue      string
	Caller     string
	CallerName string
	Lang       string
	// Priority: higher is served first (VIP callers from customer data).
	Priority int
	// Requirements set by the IVR or the route, added to the queue's.
	Requirements []Requirement
	// Designated names an agent to offer the call to first.
	Designated string
	// Internal marks an agent's consultation or transfer (Live.Reach),
	// not a customer waiting: it goes ahead of every customer, is
	// refused when no member is logged in (whatever JoinWhen says) but
	// never for a full queue, hears no announcements, leaves no trace in
	// the queue's figures (service level, handle time, waiting count,
	// Joined and Left) and sets no affinity. Routed out for any reason
	// (maximum wait, the queue removed, nobody left), it leaves the
	// dispatcher instead of moving to an overflow queue.
	Internal bool
}

// queueState is one queue's current settings and running figures.
type queueState struct {
	cfg      *Config
	strategy Strategy
	aht      time.Duration // exponentially weighted mean handle time
	samples  int
	waiting  int // live callers and callbacks whose current queue this is
}

// seat is an agent with the queues they belong to.
type seat struct {
	a  *agent.Agent
	in []membership
}

type membership struct {
	q     *queueState
	order int
}

// skip keeps an agent from being offered a call again until until (zero:
// for the rest of its wait).
type skip struct {
	agent string
	until time.Time
}

type offer struct {
	agent    string
	deadline time.Time
}

// entry is a waiting call or callback.
type entry struct {
	call         Call
	qname        string
	q            *queueState // nil for a callback whose queue was removed
	ver          *Config     // the settings the caller joined with
	seq          uint64
	joined       time.Time // the place: first join, kept across moves and callbacks
	qJoined      time.Time // entered the current queue
	nextAnnounce time.Time
	offers       []offer
	skipped      []skip
	step         int // widening step in force, -1 none
	eff          []Requirement
	preferred    string
	holdUntil    time.Time
	cb           *CallbackRecord
}

// active is an answered call until its agent's wrap-up ends.
type active struct {
	callID, queue, agent string
	answered             time.Time
	talk, wrap           time.Duration
	cb                   *entry
	// uncounted: a failed callback attempt, not a handled call.
	uncounted bool
}

type lastAgent struct {
	agent string
	at    time.Time
}

// Dispatcher is the ACD brain: it holds the queues, the agents and the
// waiting calls, decides which agent is offered which call, and keeps
// the service-level figures. Its methods are safe for concurrent use;
// decisions are deterministic given the clock and the random source.
type Dispatcher struct {
	mu      sync.Mutex
	now     func() time.Time
	rng     *rand.Rand
	act     func(Action)
	ev      func(Event)
	cbs     CallbackStore
	log     *slog.Logger
	roster  *agent.Roster
	queues  map[string]*queueState
	seats   map[string]*seat
	seatLst []*seat
	waiting []*entry // served in this order: priority, then place
	calls   map[string]*entry
	active  map[string]*active
	history map[string]lastAgent
	sl      *servicelevel.Tracker
	seq     uint64
	kick    chan struct{}
	free    []*seat // scratch of dispatch: the agents free now
	cands   []Candidate
	view    View
	expired []agent.Expired
}

// Option configures a Dispatcher.
type Option func(*options)

type options struct {
	now       func() time.Time
	rng       *rand.Rand
	act       func(Action)
	ev        func(Event)
	cbs       CallbackStore
	log       *slog.Logger
	reasons   []string
	autoPause int
}

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRand sets the random source of the random strategies.
func WithRand(src rand.Source) Option { return func(o *options) { o.rng = rand.New(src) } }

// WithActions sets where commands for the switch go. It is called with
// the dispatcher's lock held, in order: it must not block or call the
// dispatcher (forward to a channel or a per-call mailbox).
func WithActions(fn func(Action)) Option { return func(o *options) { o.act = fn } }

// WithEvents sets where notifications for the bus go (agent.Event,
// Joined, Left, CallbackChanged); same rules as WithActions.
func WithEvents(fn func(Event)) Option { return func(o *options) { o.ev = fn } }

// WithCallbacks sets where callbacks are persisted (memory by default).
func WithCallbacks(s CallbackStore) Option { return func(o *options) { o.cbs = s } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithPauseReasons sets the pause reason codes agents may choose.
func WithPauseReasons(codes ...string) Option { return func(o *options) { o.reasons = codes } }

// WithAutoPause pauses an agent after n unanswered offers in a row.
func WithAutoPause(n int) Option { return func(o *options) { o.autoPause = n } }

// New returns a dispatcher without queues or agents.
func New(opts ...Option) *Dispatcher {
	o := options{now: time.Now, act: func(Action) {}, ev: func(Event) {}, log: slog.Default()}
	for _, fn := range opts {
		fn(&o)
	}
	if o.rng == nil {
		o.rng = rand.New(rand.NewPCG(1, 2))
	}
	if o.cbs == nil {
		o.cbs = NewMemoryCallbacks()
	}
	d := &Dispatcher{now: o.now, rng: o.rng, act: o.act, ev: o.ev, cbs: o.cbs, log: o.log,
		queues: make(map[string]*queueState), seats: make(map[string]*seat), calls: make(map[string]*entry),
		active: make(map[string]*active), history: make(map[string]lastAgent), sl: servicelevel.NewTracker(),
		kick: make(chan struct{}, 1)}
	d.roster = agent.NewRoster(agent.WithClock(o.now), agent.WithEmit(func(e agent.Event) { d.ev(e) }),
		agent.WithReasons(o.reasons...), agent.WithAutoPause(o.autoPause))
	return d
}

// unlock releases the lock and wakes Run, whose next timer may have moved.
func (d *Dispatcher) unlock() {
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// SetQueue adds a queue or changes one; the dispatcher stamps the next
// Version. Calls waiting keep the settings they joined with for what the
// caller experiences; members and strategy apply at once.
func (d *Dispatcher) SetQueue(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c := cfg.withDefaults()
	d.mu.Lock()
	defer d.unlock()
	q, ok := d.queues[c.Name]
	if !ok {
		q = &queueState{}
		d.queues[c.Name] = q
	}
	if q.cfg != nil {
		c.Version = q.cfg.Version
		if reflect.DeepEqual(*q.cfg, c) {
			return nil // unchanged: waiting calls need no new version
		}
		c.Version = q.cfg.Version + 1
	} else {
		c.Version = max(c.Version, 1)
	}
	if q.cfg == nil || q.cfg.Strategy != c.Strategy {
		s, err := NewStrategy(c.Strategy, d.rng)
		if err != nil {
			return err
		}
		q.strategy = AffinityStrategy{Then: s}
	}
	q.cfg = &c
	// Callbacks restored before their queue existed find it now.
	for _, e := range d.waiting {
		if e.q == nil && e.qname == c.Name {
			e.q, e.ver, e.step, e.eff = q, q.cfg, -1, nil
			q.waiting++
		}
	}
	d.rebuildSeats()
	d.dispatch()
	return nil
}

// RemoveQueue deletes a queue. Its live callers are routed to the
// Overflow of the settings they joined with (moved, if that is another
// queue); its callbacks move to an overflow queue or wait, kept, for a
// queue of the same name to come back.
func (d *Dispatcher) RemoveQueue(name string) error {
	d.mu.Lock()
	defer d.unlock()
	q, ok := d.queues[name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownQueue, name)
	}
	delete(d.queues, name)
	for _, e := range slices.Clone(d.waiting) {
		if e.q != q {
			continue
		}
		if e.cb == nil {
			d.route(e, RouteQueueRemoved, e.ver.Overflow)
			continue
		}
		d.cancelOffers(e, CancelCallerLeft)
		if t, ok := d.queues[e.ver.Overflow.Target]; ok && e.ver.Overflow.Kind == DestQueue {
			d.moveTo(e, t)
		} else {
			e.q = nil
		}
	}
	d.rebuildSeats()
	d.dispatch()
	return nil
}

// Queue returns a queue's current settings.
func (d *Dispatcher) Queue(name string) (Config, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[name]
	if !ok {
		return Config{}, fmt.Errorf("%w: %s", ErrUnknownQueue, name)
	}
	return *q.cfg, nil
}

// QueueNames returns the names of the queues, sorted.
func (d *Dispatcher) QueueNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	names := make([]string, 0, len(d.queues))
	for n := range d.queues {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// rebuildSeats recomputes every agent's memberships.
func (d *Dispatcher) rebuildSeats() {
	for _, s := range d.seatLst {
		s.in = s.in[:0]
	}
	names := make([]string, 0, len(d.queues))
	for n := range d.queues {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		q := d.queues[n]
		for i, m := range q.cfg.Members {
			if s, ok := d.seats[m.Agent]; ok {
				s.in = append(s.in, membership{q: q, order: i})
			}
		}
	}
}

// SetAgent adds an agent or updates their profile (name, skills, own
// wrap-up); a logged-in agent keeps their state.
func (d *Dispatcher) SetAgent(p agent.Profile) {
	d.mu.Lock()
	defer d.unlock()
	a := d.roster.Set(p)
	if _, ok := d.seats[p.ID]; !ok {
		s := &seat{a: a}
		d.seats[p.ID] = s
		d.seatLst = append(d.seatLst, s)
		d.rebuildSeats()
	}
	d.dispatch()
}

// RemoveAgent deletes an agent (their record was deleted). A call
// ringing them goes back to waiting; a call they are on goes on (the
// switch owns the bridge) and is counted when it ends; a wrap-up in
// progress is counted now.
func (d *Dispatcher) RemoveAgent(id string) error {
	d.mu.Lock()
	defer d.unlock()
	s, ok := d.seats[id]
	if !ok {
		return fmt.Errorf("%w: %s", agent.ErrUnknownAgent, id)
	}
	snap := s.a.Snapshot()
	if _, err := d.roster.Remove(id); err != nil {
		return err
	}
	d.settleLeft(snap)
	delete(d.seats, id)
	d.seatLst = slices.DeleteFunc(d.seatLst, func(x *seat) bool { return x == s })
	d.dispatch()
	return nil
}

// Login logs an agent in at ext.
func (d *Dispatcher) Login(id, ext string) error {
	d.mu.Lock()
	defer d.unlock()
	if err := d.roster.Login(id, ext); err != nil {
		return err
	}
	d.dispatch()
	return nil
}

// Logout logs an agent out (not while on a call).
func (d *Dispatcher) Logout(id string) error {
	return d.agentOff(id, func() error { return d.roster.Logout(id) })
}

// Pause pauses an agent with a reason code.
func (d *Dispatcher) Pause(id, reason string) error {
	return d.agentOff(id, func() error { return d.roster.Pause(id, reason) })
}

func (d *Dispatcher) agentOff(id string, move func() error) error {
	d.mu.Lock()
	defer d.unlock()
	s, ok := d.seats[id]
	if !ok {
		return fmt.Errorf("%w: %s", agent.ErrUnknownAgent, id)
	}
	snap := s.a.Snapshot()
	if err := move(); err != nil {
		return err
	}
	d.settleLeft(snap)
	d.checkEmpty()
	d.dispatch()
	return nil
}

// settleLeft settles an agent who stopped being available for a reason
// of their own (logout, pause, removal); snap is their state before. An
// offer ringing them is withdrawn without counting as missed (the call
// waits on, nobody is skipped) and a wrap-up in progress is counted.
func (d *Dispatcher) settleLeft(snap agent.Snapshot) {
	switch snap.State {
	case agent.Ringing:
		if e, ok := d.calls[snap.CallID]; ok {
			d.removeOffer(e, snap.ID)
			d.act(Cancel{CallID: snap.CallID, AgentID: snap.ID, Reason: CancelAgentGone})
		}
	case agent.WrapUp:
		if ac, ok := d.active[snap.CallID]; ok && ac.agent == snap.ID {
			d.handled(ac, d.now().Sub(snap.Since))
		}
	}
}

// Resume makes a paused agent available.
func (d *Dispatcher) Resume(id string) error {
	d.mu.Lock()
	defer d.unlock()
	if err := d.roster.Resume(id); err != nil {
		return err
	}
	d.dispatch()
	return nil
}

// EndWrapUp ends an agent's wrap-up early (they are ready).
func (d *Dispatcher) EndWrapUp(id string) error {
	d.mu.Lock()
	defer d.unlock()
	a := d.roster.Get(id)
	if a == nil {
		return fmt.Errorf("%w: %s", agent.ErrUnknownAgent, id)
	}
	callID := a.CallID()
	spent, err := d.roster.EndWrapUp(id)
	if err != nil {
		return err
	}
	if ac, ok := d.active[callID]; ok && ac.agent == id {
		d.handled(ac, spent)
	}
	d.dispatch()
	return nil
}

// Agent returns one agent's state.
func (d *Dispatcher) Agent(id string) (agent.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.roster.Get(id)
	if a == nil {
		return agent.Snapshot{}, fmt.Errorf("%w: %s", agent.ErrUnknownAgent, id)
	}
	return a.Snapshot(), nil
}

// Agents returns every agent's state, in the order they were added.
func (d *Dispatcher) Agents() []agent.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]agent.Snapshot, 0, d.roster.Len())
	for _, a := range d.roster.All() {
		out = append(out, a.Snapshot())
	}
	return out
}

// ResetCounters starts a new reporting day for every agent.
func (d *Dispatcher) ResetCounters() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roster.ResetCounters()
}
