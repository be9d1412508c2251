package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"callbox/acd/servicelevel"
)

// OutcomeCancelled: the callback was withdrawn (CancelCallback).
const OutcomeCancelled CallbackOutcome = "cancelled"

// RequestCallback turns a waiting caller into a callback to number that
// keeps their place: same priority, same place in time. The record is
// saved before anything changes, so on any error (ErrNotDialable, a
// failed save) the caller is still waiting and nothing is lost; on
// success the switch can say goodbye and hang up.
func (d *Dispatcher) RequestCallback(ctx context.Context, callID, number string) (CallbackRecord, error) {
	d.mu.Lock()
	defer d.unlock()
	e, ok := d.calls[callID]
	if !ok || e.cb != nil {
		return CallbackRecord{}, fmt.Errorf("%w: %s", ErrNotWaiting, callID)
	}
	if !Dialable(number) {
		return CallbackRecord{}, fmt.Errorf("%w: %q", ErrNotDialable, number)
	}
	now := d.now()
	rec := CallbackRecord{ID: callID, Queue: e.qname, Number: number, Caller: e.call.Caller,
		CallerName: e.call.CallerName, Lang: e.call.Lang, Priority: e.call.Priority,
		Requirements: slices.Clone(e.call.Requirements), Joined: e.joined, Seq: e.seq, CreatedAt: now,
		State: CallbackPending, UpdatedAt: now}
	if err := d.cbs.Save(context.WithoutCancel(ctx), rec); err != nil {
		return CallbackRecord{}, fmt.Errorf("queue: save callback %s: %w", callID, err)
	}
	d.cancelOffers(e, CancelCallerLeft)
	waited := now.Sub(e.qJoined)
	d.sl.Waited(e.qname, now, waited, e.ver.ServiceLevel, servicelevel.Callback)
	d.ev(Left{Queue: e.qname, CallID: callID, Reason: LeftCallback, Waited: waited, At: now})
	e.cb = &rec
	e.nextAnnounce = time.Time{}
	d.ev(CallbackChanged{Callback: rec})
	d.dispatch()
	return rec, nil
}

// CallbackResult reports how the switch's Dial for callback id went.
// Connected: the agent and the customer talk; Hangup follows as for any
// call. No answer, busy or failed: the agent is free again and the
// callback keeps its place for another try after the queue's
// CallbackRetry, up to CallbackTries attempts. Invalid: the number cannot
// be dialled; the callback fails at once with that outcome. Every
// outcome is saved; a failed save is returned but the dispatcher's state
// has moved on (the record is saved again at its next change).
func (d *Dispatcher) CallbackResult(ctx context.Context, id string, outcome CallbackOutcome) error {
	d.mu.Lock()
	defer d.unlock()
	ac, ok := d.active[id]
	if !ok || ac.cb == nil || ac.cb.cb.State != CallbackDialing {
		return fmt.Errorf("%w: no dial for callback %s", ErrNoOffer, id)
	}
	switch outcome {
	case OutcomeConnected, OutcomeNoAnswer, OutcomeBusy, OutcomeFailed, OutcomeInvalid:
	default:
		return fmt.Errorf("%w: callback outcome %q", ErrBadConfig, outcome)
	}
	rec := d.attempt(ac, outcome)
	d.dispatch()
	return d.saveCallback(ctx, rec)
}

// attempt settles one dial attempt of ac's callback and returns the
// record to save.
func (d *Dispatcher) attempt(ac *active, outcome CallbackOutcome) CallbackRecord {
	e := ac.cb
	cb := e.cb
	now := d.now()
	cb.Outcome, cb.UpdatedAt = outcome, now
	if outcome == OutcomeConnected {
		cb.State = CallbackDone
		d.removeEntry(e)
		ac.cb = nil // from here on an ordinary answered call
		d.ev(CallbackChanged{Callback: *cb})
		return *cb
	}
	ac.uncounted = true
	d.endTalk(ac, 0)
	switch {
	case outcome == OutcomeInvalid || cb.Attempts >= e.ver.CallbackTries:
		cb.State = CallbackFailed
		d.removeEntry(e)
	default:
		cb.State = CallbackPending
		cb.NextAttempt = now.Add(e.ver.CallbackRetry)
	}
	d.ev(CallbackChanged{Callback: *cb})
	return *cb
}

func (d *Dispatcher) saveCallback(ctx context.Context, rec CallbackRecord) error {
	// A caller's context ends when they hang up; the record must still be
	// written.
	if err := d.cbs.Save(context.WithoutCancel(ctx), rec); err != nil {
		d.log.Error("queue: save callback", "callback", rec.ID, "err", err)
		return fmt.Errorf("queue: save callback %s: %w", rec.ID, err)
	}
	return nil
}

// CancelCallback withdraws a callback that is not with an agent (the
// customer called in again, a supervisor removed it).
func (d *Dispatcher) CancelCallback(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.unlock()
	e, ok := d.calls[id]
	if !ok || e.cb == nil {
		return fmt.Errorf("%w: callback %s", ErrUnknownCall, id)
	}
	if e.cb.State == CallbackDialing {
		return fmt.Errorf("%w: callback %s is being dialled", ErrNotWaiting, id)
	}
	d.cancelOffers(e, CancelCallerLeft)
	d.removeEntry(e)
	e.cb.State, e.cb.Outcome, e.cb.UpdatedAt = CallbackFailed, OutcomeCancelled, d.now()
	d.ev(CallbackChanged{Callback: *e.cb})
	d.dispatch()
	return d.saveCallback(ctx, *e.cb)
}

// Callbacks returns the callbacks not finished, in service order.
func (d *Dispatcher) Callbacks() []CallbackRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []CallbackRecord
	for _, e := range d.waiting {
		if e.cb != nil {
			r := *e.cb
			r.Requirements = slices.Clone(r.Requirements)
			out = append(out, r)
		}
	}
	return out
}

// Restore loads the saved callbacks after a restart and puts the
// unfinished ones back in their places. One that was with an agent when
// the box stopped is pending again (its attempt count as saved). One
// whose number is not dialable fails with OutcomeInvalid, saved. One
// whose queue does not exist waits, kept, until SetQueue creates it.
// Call it once, after the queues are set.
func (d *Dispatcher) Restore(ctx context.Context) error {
	recs, err := d.cbs.Load(ctx)
	if err != nil {
		return fmt.Errorf("queue: load callbacks: %w", err)
	}
	d.mu.Lock()
	defer d.unlock()
	var errs []error
	for _, r := range recs {
		if r.Finished() {
			continue
		}
		if _, dup := d.calls[r.ID]; dup {
			continue
		}
		if !Dialable(r.Number) {
			r.State, r.Outcome, r.UpdatedAt = CallbackFailed, OutcomeInvalid, d.now()
			d.ev(CallbackChanged{Callback: r})
			if err := d.cbs.Save(ctx, r); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		r.State = CallbackPending
		rec := r
		q := d.queues[r.Queue]
		ver := &Config{Name: r.Queue}
		*ver = ver.withDefaults()
		if q != nil {
			ver = q.cfg
		}
		e := &entry{call: Call{ID: r.ID, Queue: r.Queue, Caller: r.Caller, CallerName: r.CallerName, Lang: r.Lang,
			Priority: r.Priority, Requirements: slices.Clone(r.Requirements)},
			qname: r.Queue, q: q, ver: ver, seq: r.Seq, joined: r.Joined, qJoined: d.now(), step: -1, cb: &rec}
		d.seq = max(d.seq, r.Seq)
		d.insert(e)
	}
	d.dispatch()
	if len(errs) > 0 {
		return fmt.Errorf("queue: save restored callbacks: %w", errors.Join(errs...))
	}
	return nil
}

// BookCallback books a callback for a caller who is not waiting (an IVR
// "call me back" node): it takes its place in queue c.Queue now, as if
// the caller had joined and asked for the callback at once. The record is
// saved before the callback exists; ErrNotDialable, ErrUnknownQueue or a
// failed save leave nothing behind.
func (d *Dispatcher) BookCallback(ctx context.Context, c Call, number string) (CallbackRecord, error) {
	d.mu.Lock()
	defer d.unlock()
	if c.ID == "" {
		return CallbackRecord{}, fmt.Errorf("%w: empty call ID", ErrUnknownCall)
	}
	if _, dup := d.calls[c.ID]; dup {
		return CallbackRecord{}, fmt.Errorf("%w: %s", ErrDuplicateCall, c.ID)
	}
	q, ok := d.queues[c.Queue]
	if !ok {
		return CallbackRecord{}, fmt.Errorf("%w: %s", ErrUnknownQueue, c.Queue)
	}
	if !Dialable(number) {
		return CallbackRecord{}, fmt.Errorf("%w: %q", ErrNotDialable, number)
	}
	now := d.now()
	if c.Lang == "" {
		c.Lang = q.cfg.Lang
	}
	c.Requirements = slices.Clone(c.Requirements)
	rec := CallbackRecord{ID: c.ID, Queue: c.Queue, Number: number, Caller: c.Caller, CallerName: c.CallerName,
		Lang: c.Lang, Priority: c.Priority, Requirements: slices.Clone(c.Requirements), Joined: now, Seq: d.seq + 1,
		CreatedAt: now, State: CallbackPending, UpdatedAt: now}
	if err := d.cbs.Save(context.WithoutCancel(ctx), rec); err != nil {
		return CallbackRecord{}, fmt.Errorf("queue: save callback %s: %w", c.ID, err)
	}
	d.seq++
	e := &entry{call: c, qname: c.Queue, q: q, ver: q.cfg, seq: d.seq, joined: now, qJoined: now, step: -1, cb: &rec}
	d.insert(e)
	d.sl.Waited(c.Queue, now, 0, q.cfg.ServiceLevel, servicelevel.Callback)
	d.ev(CallbackChanged{Callback: rec})
	d.dispatch()
	return rec, nil
}
