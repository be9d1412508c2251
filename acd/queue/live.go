package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/servicelevel"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/prompt"
)

// DialFunc rings an agent's (or supervisor's) extension, presenting
// caller, and returns the answered leg; b2bua.(*B2BUA).Dial fits as is.
// callerLeg may be nil: a queue caller already hears hold music, so the
// agent's ringing or early media is not passed on to them.
type DialFunc func(ctx context.Context, ext string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error)

// DialOutFunc places an outbound call to an external number for a
// callback, presenting caller, and returns the answered leg. Failures
// should carry a cause (acd.CauseOf): busy, no answer, invalid number.
type DialOutFunc func(ctx context.Context, number string, caller acd.Party) (acd.Leg, error)

// RouteFunc sends a caller out of a queue to a flow, a voicemail box, an
// extension or an external number (exit keys, maximum wait, no agents).
// It blocks for the rest of the call like any handler step. Overflow to
// another queue never reaches it: the caller keeps waiting, keeping
// their place.
type RouteFunc func(ctx context.Context, c *acd.Call, dest Destination) error

// Errors of the live side.
var (
	// ErrNoService: the caller had to leave the queue (maximum wait, no
	// agents) and the queue has no overflow.
	ErrNoService = errors.New("queue: no service")
	// ErrNoDialer: the live side was built without a DialFunc.
	ErrNoDialer = errors.New("queue: no dial function")
	// ErrNoRoute: a destination needs a RouteFunc and there is none.
	ErrNoRoute = errors.New("queue: no route function")
	// ErrNotOnCall: the agent has no live queue call.
	ErrNotOnCall = errors.New("queue: agent not on a queue call")
)

// Live runs queue calls on the switch: the call-side counterpart of the
// Dispatcher. Wait runs inside each caller's goroutine; Run, a service,
// serves the dispatcher's timers, dials callbacks, follows the store's
// change feed and writes the service-level intervals.
type Live struct {
	d        *Dispatcher
	mb       *Mailbox
	cbq      *Inbox // actions of callbacks (no caller goroutine)
	dial     DialFunc
	dialOut  DialOutFunc
	route    RouteFunc
	st       *store.Store
	bus      *acd.Bus
	lib      *prompt.Library
	pacer    *prompt.Pacer
	ownPacer bool
	hold     func() media.FrameReader
	recDir   string
	recPol   func(queue string) RecordPolicy
	recConf  bool // recPol is each queue's Config.Record
	snapDur  time.Duration
	snapFn   func([]servicelevel.Snapshot)
	now      func() time.Time
	log      *slog.Logger
	dopts    []Option
	notice   func(context.Context, OfferNotice)
	display  func(context.Context, string) string
	stats    *statsMarks // queues whose figures changed, for acd.QueueStats

	mu      sync.Mutex
	talks   map[string]*talk // by agent ID: calls in progress
	base    context.Context  // Run's context: background work of the live side
	wg      sync.WaitGroup   // goroutines started for calls that outlive a step (taps, callbacks)
	closed  bool             // Run has stopped: spawn starts nothing more
	reaches uint64           // consultations started (Reach), numbering their IDs
}

// LiveOption configures Live.
type LiveOption func(*Live)

// WithDial sets how agents' extensions are rung (required).
func WithDial(f DialFunc) LiveOption { return func(l *Live) { l.dial = f } }

// WithDialOut sets how callback customers are called.
func WithDialOut(f DialOutFunc) LiveOption { return func(l *Live) { l.dialOut = f } }

// WithRouter sets where callers leaving a queue for a flow, mailbox,
// extension or number go.
func WithRouter(f RouteFunc) LiveOption { return func(l *Live) { l.route = f } }

// WithStore takes queues, agents and settings from s and follows its
// change feed, keeps callbacks in it, writes the 15-minute intervals and
// indexes recordings.
func WithStore(s *store.Store) LiveOption { return func(l *Live) { l.st = s } }

// WithBus publishes agent state changes, queue joins and leaves, and
// each queue's live figures when they change (acd.QueueStats, at most
// once per StatsEvery per queue, while Run runs).
func WithBus(b *acd.Bus) LiveOption { return func(l *Live) { l.bus = b } }

// WithPrompts sets the announcements' library and the pacer that plays
// them (Run by its owner). Without a pacer Live runs one of its own.
func WithPrompts(lib *prompt.Library, p *prompt.Pacer) LiveOption {
	return func(l *Live) { l.lib, l.pacer = lib, p }
}

// WithHoldMusic sets the source of music on hold, one reader per caller
// (it is read forever; io.EOF restarts it).
func WithHoldMusic(f func() media.FrameReader) LiveOption { return func(l *Live) { l.hold = f } }

// WithRecording writes recordings into dir by the policy policy gives
// each queue.
func WithRecording(dir string, policy func(queue string) RecordPolicy) LiveOption {
	return func(l *Live) { l.recDir, l.recPol, l.recConf = dir, policy, false }
}

// WithConfiguredRecording writes recordings into dir by each queue's own
// policy, Config.Record, which ApplyStore takes from store.Queue.Record
// whenever the store's queues change. A call reads it from the
// dispatcher, not the store: a queue's record carries its members, and
// decoding it for every call cost a 1,500-agent box 750 KB of garbage a
// call.
func WithConfiguredRecording(dir string) LiveOption {
	return func(l *Live) { l.recDir, l.recPol, l.recConf = dir, nil, true }
}

// WithSnapshots hands every queue's live figures to fn every period, for
// the wallboard.
func WithSnapshots(every time.Duration, fn func([]servicelevel.Snapshot)) LiveOption {
	return func(l *Live) { l.snapDur, l.snapFn = every, fn }
}

// OfferNotice tells the screen pop that an agent's phone is about to
// ring for a call (cti.Hub.Offered takes the same facts).
type OfferNotice struct {
	CallID, Agent, Extension, Queue string
	Caller                          acd.Party
	Waited                          time.Duration
	Route                           []string
	Data                            map[string]string
	Callback                        bool
}

// WithOfferNotice calls fn before an agent's phone rings for a call or a
// callback preview; fn must return promptly (it delays the ring).
func WithOfferNotice(fn func(context.Context, OfferNotice)) LiveOption {
	return func(l *Live) { l.notice = fn }
}

// WithDisplayName sets the name the agent's phone shows for a caller's
// number (a directory lookup, "★ Name" for VIPs); "" keeps the caller's
// own display name.
func WithDisplayName(fn func(ctx context.Context, number string) string) LiveOption {
	return func(l *Live) { l.display = fn }
}

// WithLiveClock sets the clock of the live side and its dispatcher.
func WithLiveClock(now func() time.Time) LiveOption { return func(l *Live) { l.now = now } }

// WithLiveLogger sets the logger.
func WithLiveLogger(log *slog.Logger) LiveOption { return func(l *Live) { l.log = log } }

// WithDispatcherOptions passes options to the dispatcher (strategies'
// random source, pause reasons, automatic pause). WithActions and
// WithEvents are Live's own and must not be given.
func WithDispatcherOptions(opts ...Option) LiveOption {
	return func(l *Live) { l.dopts = append(l.dopts, opts...) }
}

// NewLive builds the live side and its dispatcher. With a store, the
// queues, agents and settings are loaded now and callbacks restored.
func NewLive(opts ...LiveOption) (*Live, error) {
	l := &Live{now: time.Now, log: slog.Default(), talks: map[string]*talk{}, base: context.Background(),
		stats: newStatsMarks()}
	for _, o := range opts {
		o(l)
	}
	if l.dial == nil {
		return nil, ErrNoDialer
	}
	if l.lib == nil {
		l.lib = prompt.NewLibrary("")
	}
	if l.pacer == nil {
		l.pacer, l.ownPacer = prompt.NewPacer(nil, l.log), true
	}
	if l.hold == nil {
		l.hold = func() media.FrameReader { return NewHoldMusic() }
	}
	l.cbq = &Inbox{wake: make(chan struct{}, 1)}
	l.mb = NewMailbox(l.cbq.put)
	dopts := append([]Option{WithClock(l.now), WithLogger(l.log)}, l.dopts...)
	dopts = append(dopts, WithActions(l.mb.Deliver), WithEvents(l.publish))
	if l.st != nil {
		dopts = append(dopts, WithCallbacks(NewStoreCallbacks(l.st)))
	}
	l.d = New(dopts...)
	if l.st != nil {
		if err := l.d.ApplyStore(l.st); err != nil {
			l.log.Warn("queue: configuration partly refused", "err", err)
		}
		if err := l.d.Restore(context.Background()); err != nil {
			return nil, err
		}
		if err := l.seed(); err != nil {
			l.log.Warn("queue: today's service-level figures not read back", "err", err)
		}
	}
	return l, nil
}

// Name is the service name.
func (l *Live) Name() string { return "queue" }

// Dispatcher is the brain behind l, for reads (Snapshot, Agents,
// Callbacks) and agent commands by ID.
func (l *Live) Dispatcher() *Dispatcher { return l.d }

// Target is Wait for a queue by name: the shape of the router's targets.
func (l *Live) Target(ctx context.Context, c *acd.Call, name string) error {
	return l.Wait(ctx, c, Request{Queue: name})
}

// publish forwards the dispatcher's events to the bus. It runs under the
// dispatcher's lock and Bus.Publish never blocks.
func (l *Live) publish(e Event) {
	if l.bus == nil {
		return
	}
	l.markStats(e)
	switch e := e.(type) {
	case agent.Event:
		l.bus.Publish(acd.AgentStateChanged{Agent: e.Agent, From: acd.AgentState(e.From), To: acd.AgentState(e.To),
			Reason: e.Reason, CallID: e.CallID})
	case Joined:
		l.bus.Publish(acd.QueueJoined{Queue: e.Queue, CallID: e.CallID, Caller: acd.Party{Number: e.Caller},
			Position: e.Position})
	case Left:
		l.bus.Publish(acd.QueueLeft{Queue: e.Queue, CallID: e.CallID, Reason: string(e.Reason), Agent: e.Agent,
			Waited: e.Waited})
	}
}

// Run serves the live side until ctx ends: the dispatcher's timers, the
// callbacks, the store's change feed (queues edited, agents deleted while
// calls wait), the service-level intervals and the wallboard snapshots.
// It waits for every goroutine it or the calls started before returning,
// and returns nil: the end of ctx is a normal shutdown, not a failure the
// firmware's supervisor should report.
func (l *Live) Run(ctx context.Context) error {
	l.mu.Lock()
	l.base = ctx
	l.mu.Unlock()
	var wg sync.WaitGroup
	if l.ownPacer {
		wg.Go(func() { _ = l.pacer.Run(ctx) })
	}
	wg.Go(func() { _ = l.d.Run(ctx) })
	wg.Go(func() { l.serveCallbacks(ctx) })
	if l.st != nil {
		// Subscribe before reading again, so no change between NewLive
		// and now is missed.
		feed := l.st.Subscribe(ctx, l.st.Seq())
		if err := l.d.ApplyStore(l.st); err != nil {
			l.log.Warn("queue: configuration partly refused", "err", err)
		}
		wg.Go(func() { l.follow(feed) })
	}
	wg.Go(func() { l.tick(ctx) })
	if l.bus != nil {
		wg.Go(func() { l.serveStats(ctx) })
	}
	<-ctx.Done()
	wg.Wait()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wg.Wait()
	l.flush(context.WithoutCancel(ctx))
	return nil
}

// spawn runs f in a goroutine Run waits for; false (f not run) once Run
// has stopped. The lock orders every Add before Run's Wait.
func (l *Live) spawn(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Go(f)
	return true
}

// background returns the context of work that outlives a caller's step.
func (l *Live) background() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base
}

// follow applies every change of the store's queues, agents and
// settings while calls wait: the dispatcher keeps each waiting caller's
// version, and an agent deleted mid-call leaves their call to finish.
func (l *Live) follow(feed <-chan store.Change) {
	for ch := range feed {
		switch ch.Kind {
		case store.KindQueue, store.KindAgent, store.KindSettings:
			if err := l.d.ApplyStore(l.st); err != nil {
				l.log.Warn("queue: configuration change partly refused", "kind", ch.Kind, "key", ch.Key, "err", err)
			}
		}
	}
}

// tick writes finished intervals every minute and hands snapshots to the
// wallboard.
func (l *Live) tick(ctx context.Context) {
	every := time.Minute
	if l.snapFn != nil && l.snapDur > 0 {
		every = min(every, l.snapDur)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var w *IntervalWriter
	if l.st != nil {
		w = NewIntervalWriter(l.st)
	}
	lastFlush := l.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.snapFn != nil {
			l.snapFn(l.Snapshots())
		}
		if w != nil && l.now().Sub(lastFlush) >= time.Minute {
			lastFlush = l.now()
			// A flush cut short by shutdown is not a fault: Run's own
			// flush at the end writes the intervals.
			if _, err := w.Flush(ctx, l.d); err != nil && ctx.Err() == nil {
				l.log.Warn("queue: intervals not stored yet", "pending", w.Pending(), "err", err)
			}
		}
	}
}

// flush writes the intervals finished so far and the running ones'
// figures (at shutdown), so a restart can seed them.
func (l *Live) flush(ctx context.Context) {
	if l.st == nil {
		return
	}
	w := NewIntervalWriter(l.st)
	if _, err := w.Flush(ctx, l.d); err != nil {
		l.log.Warn("queue: intervals lost at shutdown", "err", err)
	}
	if _, err := w.Write(ctx, l.d.RunningIntervals()); err != nil {
		l.log.Warn("queue: running intervals lost at shutdown", "err", err)
	}
}

// seed reads today's stored intervals back into the dispatcher, so the
// day's figures and the running interval survive a restart.
func (l *Live) seed() error {
	now := l.now()
	y, m, d := now.Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	var all []servicelevel.Interval
	for _, q := range l.d.QueueNames() {
		ivs, err := StoredIntervals(l.st, q, from, now.Add(servicelevel.IntervalLength))
		if err != nil {
			return err
		}
		all = append(all, ivs...)
	}
	l.d.SeedIntervals(all)
	return nil
}

// FlushIntervals stores the finished 15-minute intervals now (Run does it
// every minute).
func (l *Live) FlushIntervals(ctx context.Context) (int, error) {
	if l.st == nil {
		return 0, nil
	}
	return NewIntervalWriter(l.st).Flush(ctx, l.d)
}

// Snapshots returns every queue's live figures, by queue name.
func (l *Live) Snapshots() []servicelevel.Snapshot {
	names := l.d.QueueNames()
	out := make([]servicelevel.Snapshot, 0, len(names))
	for _, n := range names {
		if s, err := l.d.Snapshot(n); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// partyOf is the caller as the agent's phone should show them.
func partyOf(c *acd.Call) acd.Party {
	p := c.Caller().Caller()
	return acd.Party{Number: p.Number, Name: p.Name, Source: p.Source, Via: p.Via}
}

// announceOffer tells the screen pop about a ring and returns the party
// the agent's phone shows.
func (l *Live) announceOffer(ctx context.Context, n OfferNotice) acd.Party {
	if l.notice != nil {
		l.notice(ctx, n)
	}
	p := n.Caller
	if l.display != nil && p.Number != "" {
		if name := l.display(ctx, p.Number); name != "" {
			p.Name = name
		}
	}
	return p
}

// missCause tells a rejection (the agent declined or is busy) from a
// ring that went unanswered.
func rejected(err error) bool {
	c, ok := acd.CauseOf(err)
	return ok && (c == acd.CauseUserBusy || c == acd.CauseCallRejected)
}

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
