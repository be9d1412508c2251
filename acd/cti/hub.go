package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/firmware/store"
)

// Lookuper finds a caller in the customer data sources;
// *directory.Directory and *source.Live implement it.
type Lookuper interface {
	Lookup(ctx context.Context, number string) (directory.Result, error)
}

// healther is a Lookuper that reports its sources' health.
type healther interface{ Health() []directory.Health }

// Config is what the firmware gives the Hub. Zero tuning values take the
// defaults written next to them.
type Config struct {
	Store   *store.Store // required
	Bus     *acd.Bus     // required
	Lookup  Lookuper     // nil: pops carry no customer record
	Plan    directory.Plan
	Control Control // nil: call control answers ErrNoControl
	Agents  Agents  // nil: agent control answers ErrNoAgents
	// Callbacks books scheduled callbacks into the queues; nil:
	// ScheduleCallback answers ErrNoCallbacks.
	Callbacks Booker
	// Dialable says whether the site's dialplan dials a number (for
	// callbacks); nil accepts any well-formed number.
	Dialable func(number string) bool
	// HasQueue says whether a queue exists; nil reads the store.
	HasQueue func(name string) bool
	// AgentAt names the agent logged in at an extension now, for the
	// pops of transfers; nil follows the agents' state events and their
	// stored extensions.
	AgentAt func(ext string) (agent string, ok bool)
	Now     func() time.Time
	Logger  *slog.Logger

	PopTimeout     time.Duration // longest an offer waits for the lookup (1.5 s)
	NameTimeout    time.Duration // longest CallerName waits (300 ms)
	HistoryLimit   int           // contacts in a pop (10)
	Replay         int           // events kept for reconnecting clients (1024)
	KeepEnded      int           // pops of ended calls kept for Pop (512)
	WebhookQueue   int           // deliveries waiting at most (256)
	WebhookRetries int           // attempts after the first (5)
	WebhookBackoff time.Duration // wait before the first retry, doubling (1 s)
	WebhookTimeout time.Duration // one attempt (5 s)
	WebhookWorkers int           // parallel deliveries (2)
	HTTPClient     *http.Client  // for webhooks; nil builds one
}

// ErrConfig: the Hub's configuration lacks something it needs.
var ErrConfig = errors.New("cti: bad configuration")

// OfferInfo is what the queue knows when it rings an agent for a call.
type OfferInfo struct {
	CallID    string        `json:"callId"`
	Agent     string        `json:"agent"` // agent ID
	Extension string        `json:"extension,omitempty"`
	Queue     string        `json:"queue,omitempty"`
	Caller    acd.Party     `json:"caller"`
	Waited    time.Duration `json:"waited"`
	// Skills are the skills asked, as the queue names them ("billing:3").
	Skills []string `json:"skills,omitempty"`
	// Route and Data default to the call's record (IVR path and digits).
	Route    []string          `json:"route,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
	Callback bool              `json:"callback,omitempty"`
	// Kind is KindOutbound for a click-to-dial's pop, else "".
	Kind string `json:"kind,omitempty"`
}

// Pop is the screen pop of a call offered to an agent.
type Pop struct {
	CallID    string    `json:"callId"`
	Agent     string    `json:"agent,omitempty"`
	Extension string    `json:"extension,omitempty"`
	Queue     string    `json:"queue,omitempty"`
	Caller    acd.Party `json:"caller"`
	// Number is the caller's number, normalised ("" when withheld).
	Number   string                  `json:"number,omitempty"`
	Customer directory.Record        `json:"customer"`
	Found    bool                    `json:"found"`
	Partial  bool                    `json:"partial"`
	Errors   []directory.SourceError `json:"errors,omitempty"`
	History  []store.Contact         `json:"history"`
	Route    []string                `json:"route,omitempty"`
	Data     map[string]string       `json:"data,omitempty"`
	Waited   time.Duration           `json:"waited"`
	Skills   []string                `json:"skills,omitempty"`
	Callback bool                    `json:"callback,omitempty"`
	// Kind is KindOutbound for the pop of a call the agent placed (the
	// caller is then the dialled customer), else "".
	Kind string `json:"kind,omitempty"`
	// Script is the queue's agent script, if it has one.
	Script    *store.Script `json:"script,omitempty"`
	OfferedAt time.Time     `json:"offeredAt"`
	// Handoff says who handed the call to this agent (a transfer).
	Handoff *HandoffInfo `json:"handoff,omitempty"`
	// Notes are the agents' notes on the call so far, oldest first.
	Notes []Note `json:"notes,omitempty"`
}

// lookup is one customer lookup, shared by the pop and the desk phone.
type lookup struct {
	number string
	done   chan struct{}
	res    directory.Result
	err    error
}

// call is what the hub keeps about an active call.
type call struct {
	rec   acd.CallRecord
	lk    *lookup
	pop   *Pop
	ended bool
	wrap  string // wrap-up saved before the call ended
	// offer is the latest offer to an agent, known at once (the pop
	// follows when its lookup answers).
	offer *OfferInfo
	// before is the offer before the latest: a queue's offer to a
	// transfer's target comes before the transfer's ringing, which then
	// restores this one if it is withdrawn.
	before *OfferInfo
	// pops are the call's pops by agent: the target of a transfer has
	// its own beside the first agent's (pop is the latest of them).
	pops map[string]*Pop
	// xfer is the call's latest handoff; handler and from say who took
	// it over last and who handed it on (handoff.go).
	xfer     *transfer
	handler  string
	from     []string
	notes    []Note
	wraps    map[string]Note        // wrap-ups by agent (WrapUpAs)
	received map[string]HandoffInfo // completed handoffs by the agent who took the call
	outbound string                 // the agent who placed the call (click-to-dial)
}

// Hub assembles screen pops and publishes the CTI's events. Its methods
// are safe for concurrent use; Run must be running for bus events and
// webhooks.
type Hub struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	st    *store.Store
	ev    *stream
	hooks *webhooks
	hist  *directory.HistoryIndex

	base   context.Context // lookups live under it; cancelled when the hub stops
	cancel context.CancelFunc
	wg     sync.WaitGroup // lookups and late pop updates

	// popMu orders the pops of one call: a pop is finished and
	// published under it, so a transfer's update never overtakes the
	// offer it updates.
	popMu sync.Mutex

	mu       sync.Mutex
	calls    map[string]*call
	loggedIn map[string]bool // agents logged in, when Config.AgentAt is nil
	byNumber map[string]*lookup
	current  map[string]Current // each agent's current call (current.go)
	ended    []string           // IDs of ended calls still kept, oldest first
	stopped  bool

	// contactMu orders the writes of a call's history entry: the end's
	// and a wrap-up's read and write it, and neither may lose the other's.
	contactMu sync.Mutex

	cbMu   sync.Mutex    // scheduled callbacks' state changes
	cbWake chan struct{} // a callback was scheduled: look again
}

// New checks cfg and makes a Hub; Run starts it.
func New(cfg Config) (*Hub, error) {
	if cfg.Store == nil || cfg.Bus == nil {
		return nil, fmt.Errorf("%w: a store and a bus are required", ErrConfig)
	}
	if cfg.Plan == (directory.Plan{}) {
		cfg.Plan = directory.PlanCN
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.PopTimeout, 1500*time.Millisecond)
	def(&cfg.NameTimeout, 300*time.Millisecond)
	def(&cfg.WebhookBackoff, time.Second)
	def(&cfg.WebhookTimeout, 5*time.Second)
	defInt(&cfg.HistoryLimit, 10)
	defInt(&cfg.Replay, 1024)
	defInt(&cfg.KeepEnded, 512)
	defInt(&cfg.WebhookQueue, 256)
	defInt(&cfg.WebhookWorkers, 2)
	if cfg.WebhookRetries == 0 {
		cfg.WebhookRetries = 5
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, now: cfg.Now, st: cfg.Store,
		calls: map[string]*call{}, loggedIn: map[string]bool{}, byNumber: map[string]*lookup{}, current: map[string]Current{}, cbWake: make(chan struct{}, 1)}
	hist, err := directory.NewHistoryIndex(cfg.Store, cfg.Plan, cfg.Logger)
	if err != nil {
		return nil, err
	}
	h.hist = hist
	h.base, h.cancel = context.WithCancel(context.Background())
	h.ev = newStream(cfg.Replay, uint64(cfg.Now().UnixMicro()))
	h.hooks = newWebhooks(h)
	return h, nil
}

// Name is the service name the supervisor shows.
func (h *Hub) Name() string { return "cti" }

// Control returns the wired call control, or nil.
func (h *Hub) Control() Control { return h.cfg.Control }

// Agents returns the wired agent control, or nil.
func (h *Hub) Agents() Agents { return h.cfg.Agents }

// Store returns the hub's store.
func (h *Hub) Store() *store.Store { return h.st }

// Plan returns the numbering plan the hub matches numbers with.
func (h *Hub) Plan() directory.Plan { return h.cfg.Plan }

// Run follows the bus and delivers webhooks until ctx ends; then it stops
// its lookups and subscribers and waits for them. It returns nil.
func (h *Hub) Run(ctx context.Context) error {
	bus := h.cfg.Bus.Subscribe(ctx, acd.WithName("cti"), acd.WithBuffer(1024))
	var workers sync.WaitGroup
	for range h.cfg.WebhookWorkers {
		workers.Go(func() { h.hooks.work(ctx) })
	}
	workers.Go(func() { h.runScheduler(ctx) })
	workers.Go(func() {
		if err := h.hist.Run(ctx); err != nil {
			h.log.Error("cti: contact index stopped", "err", err)
		}
	})
	for e := range bus {
		h.handle(e)
	}
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	workers.Wait()
	h.ev.close()
	return nil
}

// handle turns one bus event into the hub's state and events.
func (h *Hub) handle(e acd.Event) {
	switch e := e.(type) {
	case acd.CallRinging:
		h.mu.Lock()
		c := &call{rec: e.Call}
		h.calls[e.Call.ID] = c
		if e.Call.Caller.Number != "" {
			c.lk = h.startLookup(e.Call.Caller.Number, true)
		}
		h.mu.Unlock()
		h.publish(EventCallRinging, "", e.Call)
	case acd.CallAnswered:
		var cur []Current
		h.mu.Lock()
		if c := h.calls[e.Call.ID]; c != nil {
			c.rec = e.Call
		}
		if a := e.Call.Agent; a != "" && !h.stopped {
			if old, ok := h.current[a]; !ok || old.CallID != e.Call.ID {
				cur = append(cur, h.setCurrent(a, e.Call.ID, KindQueue))
			}
		}
		h.mu.Unlock()
		h.publish(EventCallAnswered, e.Call.Agent, e.Call)
		h.publishCurrent(cur)
		h.adoptOriginated(e.Call, false)
	case acd.CallEnded:
		h.adoptOriginated(e.Call, true)
		h.endCall(e.Call)
		h.publish(EventCallEnded, e.Call.Agent, e.Call)
		h.mu.Lock()
		gone := h.dropCurrent(e.Call.ID, "")
		h.mu.Unlock()
		h.publishCurrent(gone)
	case acd.CallHandoff:
		h.handoff(e)
	case acd.AgentStateChanged:
		h.mu.Lock()
		h.loggedIn[e.Agent] = e.To != acd.AgentLoggedOut
		h.mu.Unlock()
		h.publish(EventAgentState, e.Agent, e)
	case acd.QueueJoined:
		h.publish(EventQueueJoined, "", e)
	case acd.QueueLeft:
		h.publish(EventQueueLeft, e.Agent, e)
	case acd.QueueStats:
		h.publish(EventQueueStats, "", e)
	case acd.MessageReceived:
		var to []string
		if e.Agent == "" {
			to = h.messageAudience(e.Queue)
		}
		h.publishTo(EventMessageReceived, e.Agent, to, e)
	}
}

// endCall keeps the call's pop for Pop a while, forgetting the oldest.
func (h *Hub) endCall(rec acd.CallRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[rec.ID]
	if c == nil {
		return
	}
	c.rec, c.ended = rec, true
	if c.lk != nil && h.byNumber[c.lk.number] == c.lk {
		delete(h.byNumber, c.lk.number)
	}
	if !h.stopped {
		lk, x := c.lk, c.contactExtra()
		h.wg.Go(func() { h.writeContact(rec, lk, x) })
	}
	if c.pop == nil && c.wrap == "" && len(c.wraps) == 0 && len(c.notes) == 0 {
		delete(h.calls, rec.ID)
		return
	}
	h.ended = append(h.ended, rec.ID)
	for len(h.ended) > h.cfg.KeepEnded {
		delete(h.calls, h.ended[0])
		h.ended = h.ended[1:]
	}
}

// startLookup starts a lookup of number under the hub's context, or joins
// the one of an active call from the same number. A shared lookup is
// found by later calls until its call ends. Call with h.mu held.
func (h *Hub) startLookup(number string, share bool) *lookup {
	n := h.cfg.Plan.Normalize(number)
	if lk, ok := h.byNumber[n]; ok && n != "" {
		return lk
	}
	lk := &lookup{number: n, done: make(chan struct{})}
	if h.cfg.Lookup == nil || n == "" || h.stopped {
		lk.err = directory.ErrNotFound
		close(lk.done)
		return lk
	}
	if share {
		h.byNumber[n] = lk
	}
	h.wg.Go(func() {
		defer close(lk.done)
		lk.res, lk.err = h.cfg.Lookup.Lookup(h.base, number)
	})
	return lk
}

// wait waits for lk until ctx ends or d passes; it reports whether lk is done.
func wait(ctx context.Context, lk *lookup, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-lk.done:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	select {
	case <-lk.done:
		return true
	default:
		return false
	}
}

// Offered builds the screen pop of a call offered to an agent and
// publishes it (EventCallOffered, to that agent and supervisors). It
// waits at most Config.PopTimeout for the customer lookup; a lookup still
// running then makes a partial pop, and an updated pop (EventPopUpdated)
// follows when the lookup ends.
func (h *Hub) Offered(ctx context.Context, o OfferInfo) Pop {
	h.mu.Lock()
	c := h.calls[o.CallID]
	if c == nil {
		c = &call{rec: acd.CallRecord{ID: o.CallID, Caller: o.Caller, Queue: o.Queue}}
		h.calls[o.CallID] = c
	}
	if c.lk == nil || (o.Caller.Number != "" && c.lk.number != h.cfg.Plan.Normalize(o.Caller.Number)) {
		c.lk = h.startLookup(o.Caller.Number, true)
	}
	lk, rec := c.lk, c.rec
	h.mu.Unlock()

	p := Pop{CallID: o.CallID, Agent: o.Agent, Extension: o.Extension, Queue: o.Queue, Caller: o.Caller,
		Number: lk.number, Route: o.Route, Data: o.Data, Waited: o.Waited, Skills: o.Skills, Callback: o.Callback,
		Kind: o.Kind, OfferedAt: h.now()}
	if p.Caller.Number == "" {
		p.Caller = rec.Caller
	}
	if p.Route == nil {
		p.Route = slices.Clone(rec.Route)
	}
	if p.Data == nil && rec.Data != nil {
		p.Data = make(map[string]string, len(rec.Data))
		for k, v := range rec.Data {
			p.Data[k] = v
		}
	}
	if p.Queue == "" {
		p.Queue = rec.Queue
	}
	h.addStoreData(&p)
	h.callbackNotes(&p)
	done := wait(ctx, lk, h.cfg.PopTimeout)
	h.fillCustomer(&p, lk, done)
	p = h.show(p)
	if !done {
		h.mu.Lock()
		stopped := h.stopped
		if !stopped {
			h.wg.Go(func() { h.lateUpdate(o.CallID, o.Agent, lk) })
		}
		h.mu.Unlock()
	}
	return p
}

// Offer is Offered without waiting: the pop is built in the hub's own
// goroutine and published when ready, so the agent's phone rings at once.
// The queue's offer notice calls it (it must not delay the ring).
func (h *Hub) Offer(o OfferInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	c := h.calls[o.CallID]
	if c == nil {
		c = &call{rec: acd.CallRecord{ID: o.CallID, Caller: o.Caller, Queue: o.Queue}}
		h.calls[o.CallID] = c
	}
	c.before, c.offer = c.offer, &o
	h.wg.Go(func() { h.Offered(h.base, o) })
}

// lateUpdate publishes an agent's pop again once a slow lookup has
// answered.
func (h *Hub) lateUpdate(callID, agent string, lk *lookup) {
	select {
	case <-lk.done:
	case <-h.base.Done():
		return
	}
	h.update(callID, agent, func(p *Pop) { h.fillCustomer(p, lk, true) })
}

// fillCustomer copies a lookup's answer into p.
func (h *Hub) fillCustomer(p *Pop, lk *lookup, done bool) {
	switch {
	case !done:
		p.Partial = true
		p.Errors = []directory.SourceError{{Source: "directory", Err: context.DeadlineExceeded, Timeout: true}}
	case lk.err != nil && !errors.Is(lk.err, directory.ErrNotFound):
		p.Partial = true
		p.Errors = []directory.SourceError{{Source: "directory", Err: lk.err}}
	case lk.err == nil:
		p.Customer, p.Found, p.Partial, p.Errors = lk.res.Record, lk.res.Found, lk.res.Partial, lk.res.Errors
	}
}

// addStoreData adds what the box itself keeps: the last contacts and the
// queue's agent script. A store error is logged; the pop goes out anyway.
func (h *Hub) addStoreData(p *Pop) {
	p.History = []store.Contact{}
	if p.Caller.Number != "" {
		hist, err := h.hist.Recent(p.Caller.Number, h.cfg.HistoryLimit)
		if err != nil {
			h.log.Warn("cti: history", "number", p.Caller.Number, "err", err)
		} else if hist != nil {
			p.History = hist
		}
	}
	if p.Queue != "" {
		s, err := store.Get[store.Script](h.st, p.Queue)
		switch {
		case err == nil:
			p.Script = &s
		case !errors.Is(err, store.ErrNotFound):
			h.log.Warn("cti: script", "queue", p.Queue, "err", err)
		}
	}
}

// Pop returns the latest screen pop of a call, active or recently ended.
func (h *Hub) Pop(ctx context.Context, callID string) (Pop, error) {
	if err := ctx.Err(); err != nil {
		return Pop{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil || c.pop == nil {
		return Pop{}, fmt.Errorf("%w: %q", ErrUnknownCall, callID)
	}
	return *c.pop, nil
}

// OfferedTo returns the agent and extension a call was last offered to,
// from the moment the queue rings them (before the pop is ready).
func (h *Hub) OfferedTo(callID string) (agent, ext string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil || c.offer == nil {
		return "", "", false
	}
	return c.offer.Agent, c.offer.Extension, true
}

// Call returns the hub's record of an active or recently ended call.
func (h *Hub) Call(callID string) (acd.CallRecord, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls[callID]
	if c == nil {
		return acd.CallRecord{}, false
	}
	return c.rec, true
}

// CallerName is the caller's name and VIP mark for the agent's desk
// phone. It waits at most Config.NameTimeout (sharing the lookup started
// when the call rang) and returns "" when the caller is unknown or the
// sources are slow.
func (h *Hub) CallerName(ctx context.Context, number string) (name string, vip bool) {
	h.mu.Lock()
	lk := h.startLookup(number, false)
	h.mu.Unlock()
	if !wait(ctx, lk, h.cfg.NameTimeout) || lk.err != nil {
		return "", false
	}
	r := lk.res.Record
	name = r.Name
	if name == "" {
		name = r.Company
	}
	return name, r.VIP
}

// DisplayName is CallerName as a phone display shows it: the name with a
// star for VIP callers, or "" when unknown.
func (h *Hub) DisplayName(ctx context.Context, number string) string {
	name, vip := h.CallerName(ctx, number)
	if name != "" && vip {
		return "★ " + name
	}
	return name
}

// publish sends one event to subscribers and webhooks.
func (h *Hub) publish(typ, agent string, data any) Event {
	return h.publishTo(typ, agent, nil, data)
}

// publishTo is publish with more agents who see the event (Event.To).
func (h *Hub) publishTo(typ, agent string, to []string, data any) Event {
	raw, err := json.Marshal(data)
	if err != nil {
		h.log.Error("cti: encode event", "type", typ, "err", err)
		return Event{}
	}
	e := h.ev.publish(Event{Type: typ, At: h.now(), Agent: agent, Data: raw, To: to})
	h.hooks.enqueue(e)
	return e
}

// Subscribe returns the events f matches: those kept after the ID after
// first (0: none), then live ones. The channel closes when ctx ends, the
// hub stops, or the subscriber falls more than a few hundred events
// behind (it then resubscribes from its last ID). ErrReplayGap comes with
// a live channel when events after after are no longer kept.
func (h *Hub) Subscribe(ctx context.Context, f Filter, after uint64) (<-chan Event, error) {
	return h.ev.subscribe(ctx, f, after)
}

// Status is what the status page shows of the CTI.
type Status struct {
	Sources     []directory.Health `json:"sources"`
	ActiveCalls int                `json:"activeCalls"`
	Subscribers int                `json:"subscribers"`
	LastEventID uint64             `json:"lastEventId"`
	Webhooks    WebhookStatus      `json:"webhooks"`
}

// Status reports the data sources' health, the event stream and the
// webhooks.
func (h *Hub) Status() Status {
	var s Status
	if hl, ok := h.cfg.Lookup.(healther); ok {
		s.Sources = hl.Health()
	}
	if s.Sources == nil {
		s.Sources = []directory.Health{}
	}
	h.mu.Lock()
	for _, c := range h.calls {
		if !c.ended {
			s.ActiveCalls++
		}
	}
	h.mu.Unlock()
	s.LastEventID, s.Subscribers = h.ev.stats()
	s.Webhooks = h.hooks.status()
	return s
}
