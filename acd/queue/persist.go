package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"callbox/acd/servicelevel"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// StoreCallbacks is the CallbackStore of a real box: callbacks are
// store.Callback records (kind "callbacks", key the call ID), so they
// survive a restart and travel in backups. Each Save is one committed
// bbolt transaction.
type StoreCallbacks struct {
	s *store.Store
}

// NewStoreCallbacks keeps callbacks in s.
func NewStoreCallbacks(s *store.Store) *StoreCallbacks { return &StoreCallbacks{s: s} }

// Save implements CallbackStore. A record the store refuses (a
// *store.ValidationError, such as a number that is not dialable) is
// returned as the error.
func (c *StoreCallbacks) Save(ctx context.Context, r CallbackRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := store.Put(c.s, callbackToStore(r)); err != nil {
		return fmt.Errorf("queue: save callback %s: %w", r.ID, err)
	}
	return nil
}

// Load implements CallbackStore, in ID order.
func (c *StoreCallbacks) Load(ctx context.Context) ([]CallbackRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	recs, err := store.List[store.Callback](c.s)
	if err != nil {
		return nil, fmt.Errorf("queue: load callbacks: %w", err)
	}
	out := make([]CallbackRecord, len(recs))
	for i, r := range recs {
		out[i] = callbackFromStore(r)
	}
	return out, nil
}

// Delete implements CallbackStore; a missing ID is not an error.
func (c *StoreCallbacks) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := store.Delete[store.Callback](c.s, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("queue: delete callback %s: %w", id, err)
	}
	return nil
}

// callbackToStore keeps a language the box does not speak as "" (the
// queue's language): losing a caller's callback over a language tag would
// be worse.
func callbackToStore(r CallbackRecord) store.Callback {
	lang := i18n.Lang(r.Lang)
	if !lang.Valid() {
		lang = ""
	}
	c := store.Callback{ID: r.ID, Queue: r.Queue, Number: r.Number, Caller: r.Caller, CallerName: r.CallerName,
		Lang: lang, Priority: r.Priority, Joined: r.Joined, Seq: r.Seq, CreatedAt: r.CreatedAt,
		State: string(r.State), Attempts: r.Attempts, NextAttempt: r.NextAttempt, Outcome: string(r.Outcome),
		Agent: r.Agent, UpdatedAt: r.UpdatedAt}
	for _, q := range r.Requirements {
		c.Requirements = append(c.Requirements, store.QueueSkill{Skill: q.Skill, MinLevel: q.MinLevel})
	}
	return c
}

func callbackFromStore(c store.Callback) CallbackRecord {
	r := CallbackRecord{ID: c.ID, Queue: c.Queue, Number: c.Number, Caller: c.Caller, CallerName: c.CallerName,
		Lang: string(c.Lang), Priority: c.Priority, Joined: c.Joined, Seq: c.Seq, CreatedAt: c.CreatedAt,
		State: CallbackState(c.State), Attempts: c.Attempts, NextAttempt: c.NextAttempt, Outcome: CallbackOutcome(c.Outcome),
		Agent: c.Agent, UpdatedAt: c.UpdatedAt}
	for _, q := range c.Requirements {
		r.Requirements = append(r.Requirements, Requirement{Skill: q.Skill, MinLevel: q.MinLevel})
	}
	return r
}

// MaxPendingIntervals bounds the intervals an IntervalWriter holds while
// the store refuses them: four days of 15-minute intervals for 100 queues.
const MaxPendingIntervals = 4 * 96 * 100

// IntervalWriter moves the dispatcher's finished service-level intervals
// into the store as store.QueueInterval records. Intervals the store could
// not take are kept and written with the next Flush (the oldest are
// dropped beyond MaxPendingIntervals), so a full disk or a locked store
// loses nothing it can help. Not safe for concurrent use: one owner calls
// Flush, typically every minute from the ACD's ticker.
type IntervalWriter struct {
	s       *store.Store
	pending []servicelevel.Interval
}

// NewIntervalWriter writes into s.
func NewIntervalWriter(s *store.Store) *IntervalWriter { return &IntervalWriter{s: s} }

// Flush drains d's finished intervals and stores them, with any left from
// an earlier failed Flush, in one transaction. It returns how many it
// stored.
func (w *IntervalWriter) Flush(ctx context.Context, d *Dispatcher) (int, error) {
	return w.Write(ctx, d.DrainIntervals())
}

// Write stores ivs, with any left from an earlier failure, in one
// transaction. An interval already stored (same queue and start) is
// replaced: the figures of a drained interval are final.
func (w *IntervalWriter) Write(ctx context.Context, ivs []servicelevel.Interval) (int, error) {
	w.pending = append(w.pending, ivs...)
	if n := len(w.pending) - MaxPendingIntervals; n > 0 {
		w.pending = slices.Delete(w.pending, 0, n)
	}
	if len(w.pending) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	recs := make([]store.Record, len(w.pending))
	for i, iv := range w.pending {
		recs[i] = IntervalToStore(iv)
	}
	if _, err := store.PutAll(w.s, recs...); err != nil {
		return 0, fmt.Errorf("queue: store %d intervals: %w", len(recs), err)
	}
	n := len(w.pending)
	w.pending = w.pending[:0]
	return n, nil
}

// Pending returns how many intervals wait for the next Flush.
func (w *IntervalWriter) Pending() int { return len(w.pending) }

// IntervalToStore turns a finished interval into its store record. The
// start is kept in UTC whole seconds (interval starts are whole minutes).
func IntervalToStore(iv servicelevel.Interval) store.QueueInterval {
	r := store.QueueInterval(iv)
	r.Start = iv.Start.UTC().Truncate(time.Second)
	return r
}

// IntervalFromStore turns a stored interval back into figures
// (servicelevel.Interval is defined as store.QueueInterval).
func IntervalFromStore(r store.QueueInterval) servicelevel.Interval { return servicelevel.Interval(r) }

// StoredIntervals returns queue's stored intervals that start in [from,
// to), in time order (the keys sort by start).
func StoredIntervals(s *store.Store, queue string, from, to time.Time) ([]servicelevel.Interval, error) {
	var out []servicelevel.Interval
	err := store.ListFunc(s, queue+"|", func(r store.QueueInterval) bool {
		if !r.Start.Before(to) {
			return false
		}
		if !r.Start.Before(from) {
			out = append(out, IntervalFromStore(r))
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("queue: read intervals of %s: %w", queue, err)
	}
	return out, nil
}
