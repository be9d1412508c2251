package queue

import (
	"context"
	"fmt"
	"slices"
	"time"

	"callbox/acd/agent"
	"callbox/acd/servicelevel"
)

// Ticket is what a caller learns on joining a queue.
type Ticket struct {
	Position      int
	EstimatedWait time.Duration
	// Version is the queue settings version the call keeps.
	Version int
}

// before is the service order: priority first, then the place in time.
func before(a, b *entry) bool {
	if a.call.Internal != b.call.Internal {
		return a.call.Internal
	}
	if a.call.Priority != b.call.Priority {
		return a.call.Priority > b.call.Priority
	}
	if !a.joined.Equal(b.joined) {
		return a.joined.Before(b.joined)
	}
	return a.seq < b.seq
}

func (d *Dispatcher) insert(e *entry) {
	i, _ := slices.BinarySearchFunc(d.waiting, e, func(x, t *entry) int {
		if before(x, t) {
			return -1
		}
		return 1
	})
	d.waiting = slices.Insert(d.waiting, i, e)
	d.calls[e.call.ID] = e
	if e.q != nil && !e.call.Internal {
		e.q.waiting++
	}
}

func (d *Dispatcher) removeEntry(e *entry) {
	if i := slices.Index(d.waiting, e); i >= 0 {
		d.waiting = slices.Delete(d.waiting, i, i+1)
	}
	delete(d.calls, e.call.ID)
	if e.q != nil && !e.call.Internal {
		e.q.waiting--
	}
}

// Join puts a caller in a queue. It refuses a full queue (ErrQueueFull)
// and, by the queue's JoinWhen rule, one without agents (ErrNoAgents).
// The caller may be offered to an agent before Join returns.
func (d *Dispatcher) Join(c Call) (Ticket, error) {
	d.mu.Lock()
	defer d.unlock()
	if c.ID == "" {
		return Ticket{}, fmt.Errorf("%w: empty call ID", ErrUnknownCall)
	}
	if _, dup := d.calls[c.ID]; dup {
		return Ticket{}, fmt.Errorf("%w: %s", ErrDuplicateCall, c.ID)
	}
	if _, dup := d.active[c.ID]; dup {
		return Ticket{}, fmt.Errorf("%w: %s", ErrDuplicateCall, c.ID)
	}
	q, ok := d.queues[c.Queue]
	if !ok {
		return Ticket{}, fmt.Errorf("%w: %s", ErrUnknownQueue, c.Queue)
	}
	if !d.present(q, joinRule(c, q.cfg.JoinWhen)) {
		return Ticket{}, fmt.Errorf("%w: %s", ErrNoAgents, c.Queue)
	}
	if !c.Internal && q.cfg.MaxCallers > 0 && q.waiting >= q.cfg.MaxCallers {
		return Ticket{}, fmt.Errorf("%w: %s", ErrQueueFull, c.Queue)
	}
	now := d.now()
	c.Requirements = slices.Clone(c.Requirements)
	if c.Lang == "" {
		c.Lang = q.cfg.Lang
	}
	d.seq++
	e := &entry{call: c, qname: c.Queue, q: q, ver: q.cfg, seq: d.seq, joined: now, qJoined: now, step: -1}
	if q.cfg.AnnounceEvery > 0 && !c.Internal {
		e.nextAnnounce = now.Add(q.cfg.AnnounceEvery)
	}
	d.prefer(e, now)
	d.insert(e)
	pos := d.position(e)
	if c.Internal {
		d.dispatch()
		return Ticket{Position: pos, Version: e.ver.Version}, nil
	}
	d.ev(Joined{Queue: c.Queue, CallID: c.ID, Caller: c.Caller, Priority: c.Priority, Position: pos, At: now})
	d.dispatch()
	return Ticket{Position: pos, EstimatedWait: d.estimate(q, pos), Version: e.ver.Version}, nil
}

// prefer sets the agent e is offered to first: the designated agent, or
// the agent who served the caller within the queue's AffinityFor.
func (d *Dispatcher) prefer(e *entry, now time.Time) {
	e.preferred = e.call.Designated
	if e.preferred == "" && !e.call.Internal && e.ver.AffinityFor > 0 && e.call.Caller != "" {
		if h, ok := d.history[e.call.Caller]; ok && now.Sub(h.at) < e.ver.AffinityFor {
			e.preferred = h.agent
		}
	}
	e.holdUntil = time.Time{}
	if e.preferred != "" {
		e.holdUntil = now.Add(e.ver.AffinityHold)
	}
}

// Leave reports that a waiting caller left the queue: they hung up
// (LeftAbandoned) or pressed an exit key (LeftExit). Agents ringing for
// them get Cancel.
func (d *Dispatcher) Leave(callID string, reason LeaveReason) error {
	d.mu.Lock()
	defer d.unlock()
	e, ok := d.calls[callID]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	if e.cb != nil {
		return fmt.Errorf("%w: %s is a callback", ErrNotWaiting, callID)
	}
	d.cancelOffers(e, CancelCallerLeft)
	d.removeEntry(e)
	if e.call.Internal {
		d.dispatch()
		return nil
	}
	now := d.now()
	waited := now.Sub(e.qJoined)
	o := servicelevel.Abandoned
	if reason != LeftAbandoned {
		o = servicelevel.Overflowed
	}
	d.sl.Waited(e.qname, now, waited, e.ver.ServiceLevel, o)
	d.ev(Left{Queue: e.qname, CallID: callID, Reason: reason, Waited: waited, At: now})
	d.dispatch()
	return nil
}

// ExitKey returns what key does for a waiting caller, by the settings
// they joined with.
func (d *Dispatcher) ExitKey(callID, key string) (Exit, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.calls[callID]
	if !ok || e.cb != nil {
		return Exit{}, false
	}
	x, ok := e.ver.ExitKeys[key]
	return x, ok
}

// route sends a live caller out of their queue to dest, or moves them to
// dest's queue keeping their place in time.
func (d *Dispatcher) route(e *entry, why RouteReason, dest Destination) {
	d.cancelOffers(e, CancelCallerLeft)
	now := d.now()
	waited := now.Sub(e.qJoined)
	reason := LeftOverflow
	if why == RouteMaxWait {
		reason = LeftTimeout
	}
	from := e.qname
	r := Route{CallID: e.call.ID, Queue: from, Reason: why, To: dest}
	if e.call.Internal {
		// A consultation is the agent's to retry elsewhere: it leaves.
		d.removeEntry(e)
		d.act(r)
		return
	}
	if t, ok := d.queues[dest.Target]; ok && dest.Kind == DestQueue && t != e.q {
		d.sl.Waited(from, now, waited, e.ver.ServiceLevel, servicelevel.Overflowed)
		d.ev(Left{Queue: from, CallID: e.call.ID, Reason: reason, Waited: waited, At: now})
		d.moveTo(e, t)
		r.Moved = true
		d.act(r)
		return
	}
	d.removeEntry(e)
	d.sl.Waited(from, now, waited, e.ver.ServiceLevel, servicelevel.Overflowed)
	d.ev(Left{Queue: from, CallID: e.call.ID, Reason: reason, Waited: waited, At: now})
	d.act(r)
}

// moveTo puts e in queue t under t's current settings; the place in time
// (priority, first join) stays, so the global order does not change.
func (d *Dispatcher) moveTo(e *entry, t *queueState) {
	now := d.now()
	if e.q != nil {
		e.q.waiting--
	}
	e.q, e.qname, e.ver = t, t.cfg.Name, t.cfg
	t.waiting++
	e.qJoined, e.skipped, e.step, e.eff = now, nil, -1, nil
	e.nextAnnounce = time.Time{}
	if t.cfg.AnnounceEvery > 0 {
		e.nextAnnounce = now.Add(t.cfg.AnnounceEvery)
	}
	d.prefer(e, now)
	if e.cb != nil {
		e.cb.Queue = t.cfg.Name
		return
	}
	d.ev(Joined{Queue: t.cfg.Name, CallID: e.call.ID, Caller: e.call.Caller, Priority: e.call.Priority,
		Position: d.position(e), At: now})
}

// joinRule is the presence rule a call joins (or stays) under: a
// consultation needs a member logged in at least, whatever the queue's
// rule for customers, since nobody could ever take it otherwise.
func joinRule(c Call, rule Presence) Presence {
	if c.Internal && rule == Always {
		return LoggedIn
	}
	return rule
}

// present reports whether q's members meet rule.
func (d *Dispatcher) present(q *queueState, rule Presence) bool {
	if rule == Always {
		return true
	}
	for _, m := range q.cfg.Members {
		a := d.roster.Get(m.Agent)
		if a == nil || !a.LoggedIn() {
			continue
		}
		if rule == LoggedIn || a.State() != agent.Paused {
			return true
		}
	}
	return false
}

// checkEmpty routes live callers out of queues whose StayWhen rule fails.
// The rule of the caller's own settings version applies.
func (d *Dispatcher) checkEmpty() {
	var out []*entry
	for _, e := range d.waiting {
		if rule := joinRule(e.call, e.ver.StayWhen); e.cb == nil && e.q != nil && rule != Always && !d.present(e.q, rule) {
			out = append(out, e)
		}
	}
	for _, e := range out {
		d.route(e, RouteEmpty, e.ver.Overflow)
	}
}

// position is 1 + the calls ahead of e in its queue.
func (d *Dispatcher) position(e *entry) int {
	n := 1
	for _, x := range d.waiting {
		if x == e {
			break
		}
		if x.q == e.q && !x.call.Internal {
			n++
		}
	}
	return n
}

// estimate is the expected wait at pos: pos handle times shared by the
// agents staffing the queue (logged in, not paused); zero when none.
func (d *Dispatcher) estimate(q *queueState, pos int) time.Duration {
	staffed := 0
	for _, m := range q.cfg.Members {
		if a := d.roster.Get(m.Agent); a != nil && a.LoggedIn() && a.State() != agent.Paused {
			staffed++
		}
	}
	if staffed == 0 {
		return 0
	}
	aht := q.aht
	if q.samples == 0 {
		aht = q.cfg.AssumedHandleTime
	}
	return time.Duration(int64(aht) * int64(pos) / int64(staffed))
}

// Position returns a waiting call's position in its queue and estimated
// wait.
func (d *Dispatcher) Position(callID string) (Ticket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.calls[callID]
	if !ok || e.q == nil {
		return Ticket{}, fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	pos := d.position(e)
	return Ticket{Position: pos, EstimatedWait: d.estimate(e.q, pos), Version: e.ver.Version}, nil
}

// Waited returns how long a waiting call has been in its current queue.
func (d *Dispatcher) Waited(callID string) (time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.calls[callID]
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	return d.now().Sub(e.qJoined), nil
}

// CallLang returns the language a waiting call's announcements use.
func (d *Dispatcher) CallLang(callID string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.calls[callID]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	return e.call.Lang, nil
}

// Tick does what the clock asks for now: ends wrap-ups, times out
// offers, sends callers who waited too long to overflow, schedules
// announcements, applies leave-when-empty, widens requirements and
// retries callbacks. Run calls it; tests call it after moving the clock.
func (d *Dispatcher) Tick() {
	d.mu.Lock()
	defer d.unlock()
	now := d.now()
	d.expired = d.roster.Tick(d.expired[:0])
	for _, x := range d.expired {
		if ac, ok := d.active[x.CallID]; ok && ac.agent == x.Agent {
			d.handled(ac, x.Spent)
		}
	}
	for _, e := range slices.Clone(d.waiting) {
		for _, o := range slices.Clone(e.offers) {
			if !now.Before(o.deadline) {
				d.miss(e, o.agent, CancelTimeout)
			}
		}
		if e.cb == nil && e.ver.MaxWait > 0 && now.Sub(e.qJoined) >= e.ver.MaxWait {
			d.route(e, RouteMaxWait, e.ver.Overflow)
		}
	}
	d.checkEmpty()
	for _, e := range d.waiting {
		if e.cb != nil || e.nextAnnounce.IsZero() || now.Before(e.nextAnnounce) {
			continue
		}
		e.nextAnnounce = now.Add(e.ver.AnnounceEvery)
		if len(e.offers) > 0 || e.q == nil || !(e.ver.AnnouncePosition || e.ver.AnnounceWait) {
			continue
		}
		pos := d.position(e)
		eta := d.estimate(e.q, pos)
		d.act(Announce{CallID: e.call.ID, Queue: e.qname, Lang: e.call.Lang, Position: pos, EstimatedWait: eta,
			SayPosition: e.ver.AnnouncePosition, SayWait: e.ver.AnnounceWait,
			EstimatedMinutes: int((eta + time.Minute - 1) / time.Minute)})
	}
	if len(d.history) > 4096 {
		d.pruneHistory(now)
	}
	d.dispatch()
}

func (d *Dispatcher) pruneHistory(now time.Time) {
	keep := time.Duration(0)
	for _, q := range d.queues {
		keep = max(keep, q.cfg.AffinityFor)
	}
	for k, h := range d.history {
		if now.Sub(h.at) >= keep {
			delete(d.history, k)
		}
	}
}

// NextWake returns when Tick has work next (zero: nothing scheduled).
func (d *Dispatcher) NextWake() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	t := d.roster.NextWake()
	at := func(x time.Time) {
		if !x.IsZero() && (t.IsZero() || x.Before(t)) {
			t = x
		}
	}
	for _, e := range d.waiting {
		for _, o := range e.offers {
			at(o.deadline)
		}
		if e.cb == nil {
			if e.ver.MaxWait > 0 {
				at(e.qJoined.Add(e.ver.MaxWait))
			}
			at(e.nextAnnounce)
		} else if e.cb.State == CallbackPending && e.cb.NextAttempt.After(now) {
			at(e.cb.NextAttempt)
		}
		at(nextWiden(e))
		if e.holdUntil.After(now) {
			at(e.holdUntil)
		}
		for _, s := range e.skipped {
			if s.until.After(now) {
				at(s.until)
			}
		}
	}
	return t
}

// Run calls Tick whenever NextWake says, until ctx ends. The dispatcher
// works without it (Tick by hand); the switch runs it in one goroutine
// it owns.
func (d *Dispatcher) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		if next := d.NextWake(); !next.IsZero() {
			wait = max(next.Sub(d.now()), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			d.Tick()
		case <-d.kick:
		}
	}
}

// Snapshot returns a queue's live figures for the wallboard.
func (d *Dispatcher) Snapshot(name string) (servicelevel.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[name]
	if !ok {
		return servicelevel.Snapshot{}, fmt.Errorf("%w: %s", ErrUnknownQueue, name)
	}
	now := d.now()
	s := servicelevel.Snapshot{Queue: name}
	s.Current, s.Day = d.sl.Current(name, now)
	for _, e := range d.waiting {
		switch {
		case e.q != q:
		case e.cb != nil:
			s.Callbacks++
		case e.call.Internal:
		default:
			s.Waiting++
			s.OldestWait = max(s.OldestWait, now.Sub(e.qJoined))
		}
	}
	for _, m := range q.cfg.Members {
		if a := d.roster.Get(m.Agent); a != nil && a.LoggedIn() {
			s.LoggedIn++
			if a.State() == agent.Available {
				s.Available++
			}
		}
	}
	s.EstimatedWait = d.estimate(q, q.waiting+1)
	return s, nil
}

// SeedIntervals adds service-level figures stored before a restart (see
// servicelevel.Tracker.Seed): today's go on from where they were.
func (d *Dispatcher) SeedIntervals(ivs []servicelevel.Interval) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, iv := range ivs {
		d.sl.Seed(iv, now)
	}
}

// RunningIntervals returns the 15-minute intervals still running (their
// figures so far), for the store at shutdown.
func (d *Dispatcher) RunningIntervals() []servicelevel.Interval {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sl.Running(d.now())
}

// DrainIntervals returns the finished 15-minute intervals not drained
// before, for the store.
func (d *Dispatcher) DrainIntervals() []servicelevel.Interval {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sl.Drain(d.now())
}
