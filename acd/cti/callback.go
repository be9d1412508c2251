package cti

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"callbox/firmware/store"
)

// Errors of the scheduled callbacks.
var (
	// ErrUnknownCallback: no scheduled callback has this ID.
	ErrUnknownCallback = errors.New("cti: unknown callback")
	// ErrCallbackOver: the callback was dialled, cancelled or failed
	// already, or its queue is dialling it.
	ErrCallbackOver = errors.New("cti: the callback can no longer be cancelled")
	// ErrNoCallbacks: the firmware wired no queue to book callbacks in.
	ErrNoCallbacks = errors.New("cti: callbacks are not available")
)

// Booking is a scheduled callback handed to its queue when it is due.
type Booking struct {
	ID     string // the scheduled callback's ID, kept as the queue's callback ID
	Queue  string
	Number string
	Name   string // the customer's name, shown to the agent
}

// Booker books callbacks in the ACD's queues: the queue's owner
// implements it over queue.Dispatcher.BookCallback and CancelCallback, so
// a booked callback is stored, dialled and retried like any other.
type Booker interface {
	// BookCallback puts b in its queue now.
	BookCallback(ctx context.Context, b Booking) error
	// CancelCallback withdraws a booked callback that is not being
	// dialled.
	CancelCallback(ctx context.Context, id string) error
}

// ScheduleRequest is a callback asked through the API.
type ScheduleRequest struct {
	Number string
	Queue  string
	// When is the earliest time to call; zero is now.
	When       time.Time
	CustomerID string
	Name       string
	Notes      string
	CreatedBy  string
}

// callbackSkew is how far in the past a requested time may lie (clocks
// of a CRM and the box differ a little).
const callbackSkew = time.Minute

// ScheduleCallback checks r and stores it as a scheduled callback; it is
// booked into its queue at r.When (at once when that is now). A bad
// request gives a *store.ValidationError naming each field: the number
// not dialable by the site's dialplan (Config.Dialable), an unknown
// queue (Config.HasQueue), a time in the past.
func (h *Hub) ScheduleCallback(ctx context.Context, r ScheduleRequest) (store.ScheduledCallback, error) {
	if h.cfg.Callbacks == nil {
		return store.ScheduledCallback{}, ErrNoCallbacks
	}
	now := h.now()
	rec := store.ScheduledCallback{Queue: strings.TrimSpace(r.Queue), Number: strings.TrimSpace(r.Number), When: r.When,
		CustomerID: strings.TrimSpace(r.CustomerID), Name: strings.TrimSpace(r.Name), Notes: r.Notes,
		CreatedBy: r.CreatedBy, CreatedAt: now, State: store.ScheduledWaiting, UpdatedAt: now}
	if rec.When.IsZero() {
		rec.When = now
	}
	var probs []store.FieldError
	switch {
	case rec.Number == "":
		probs = append(probs, store.FieldError{Field: "number", Code: "store.err.required"})
	case !h.dialable(rec.Number):
		probs = append(probs, store.FieldError{Field: "number", Code: "cti3.err.not-dialable", Args: []any{rec.Number}})
	}
	switch {
	case rec.Queue == "":
		probs = append(probs, store.FieldError{Field: "queue", Code: "store.err.required"})
	case !h.hasQueue(rec.Queue):
		probs = append(probs, store.FieldError{Field: "queue", Code: "cti3.err.no-queue", Args: []any{rec.Queue}})
	}
	if rec.When.Before(now.Add(-callbackSkew)) {
		probs = append(probs, store.FieldError{Field: "when", Code: "cti3.err.past"})
	}
	if len(probs) > 0 {
		return rec, &store.ValidationError{Kind: store.KindScheduledCallback, Fields: probs}
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return rec, err
	}
	rec.ID = "cb-" + hex.EncodeToString(b[:])
	if _, err := store.Create(h.st, rec); err != nil {
		return rec, err
	}
	h.log.Info("callback scheduled", "callback", rec.ID, "queue", rec.Queue, "number", rec.Number, "when", rec.When, "by", rec.CreatedBy)
	h.wakeScheduler()
	return rec, nil
}

func (h *Hub) dialable(n string) bool {
	if h.cfg.Dialable != nil {
		return h.cfg.Dialable(n)
	}
	return store.IsDialable(n)
}

func (h *Hub) hasQueue(q string) bool {
	if h.cfg.HasQueue != nil {
		return h.cfg.HasQueue(q)
	}
	_, err := store.Get[store.Queue](h.st, q)
	return err == nil
}

// ScheduledCallbacks returns the scheduled callbacks, the next due first;
// finished ones follow, the latest first.
func (h *Hub) ScheduledCallbacks() ([]store.ScheduledCallback, error) {
	list, err := store.List[store.ScheduledCallback](h.st)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b store.ScheduledCallback) int {
		aw, bw := a.State == store.ScheduledWaiting, b.State == store.ScheduledWaiting
		switch {
		case aw && !bw:
			return -1
		case bw && !aw:
			return 1
		case aw:
			return a.When.Compare(b.When)
		}
		return b.UpdatedAt.Compare(a.UpdatedAt)
	})
	return list, nil
}

// ScheduledCallback returns one scheduled callback.
func (h *Hub) ScheduledCallback(id string) (store.ScheduledCallback, error) {
	rec, err := store.Get[store.ScheduledCallback](h.st, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, fmt.Errorf("%w: %s", ErrUnknownCallback, id)
	}
	return rec, err
}

// CancelCallback withdraws a scheduled callback: one not yet due is
// simply cancelled; one booked is withdrawn from its queue unless the
// queue is dialling it (ErrCallbackOver, as for a finished one).
func (h *Hub) CancelCallback(ctx context.Context, id string) error {
	rec, err := h.ScheduledCallback(id)
	if err != nil {
		return err
	}
	switch rec.State {
	case store.ScheduledWaiting:
	case store.ScheduledBooked:
		if h.cfg.Callbacks == nil {
			return ErrNoCallbacks
		}
		if err := h.cfg.Callbacks.CancelCallback(ctx, id); err != nil {
			return fmt.Errorf("%w: %w", ErrCallbackOver, err)
		}
	default:
		return fmt.Errorf("%w: %s is %s", ErrCallbackOver, id, rec.State)
	}
	return h.settle(id, func(r *store.ScheduledCallback) bool {
		if r.State != rec.State {
			return false
		}
		r.State = store.ScheduledCancelled
		return true
	})
}

// settle changes a stored scheduled callback under the hub's lock (the
// scheduler and the API both change them); change returns false to
// leave it, and settle then answers ErrCallbackOver.
func (h *Hub) settle(id string, change func(r *store.ScheduledCallback) bool) error {
	h.cbMu.Lock()
	defer h.cbMu.Unlock()
	rec, err := h.ScheduledCallback(id)
	if err != nil {
		return err
	}
	if !change(&rec) {
		return fmt.Errorf("%w: %s is %s", ErrCallbackOver, id, rec.State)
	}
	rec.UpdatedAt = h.now()
	_, err = store.Put(h.st, rec)
	return err
}

func (h *Hub) wakeScheduler() {
	select {
	case h.cbWake <- struct{}{}:
	default:
	}
}

// runScheduler books each scheduled callback into its queue when it is
// due, until ctx ends. Callbacks due while the box was off are booked
// when it starts.
func (h *Hub) runScheduler(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := h.bookDue(ctx)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(h.now()), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-h.cbWake:
		case <-timer.C:
		}
	}
}

// bookDue books the callbacks that are due and returns the time of the
// next one (zero when none waits).
func (h *Hub) bookDue(ctx context.Context) time.Time {
	if h.cfg.Callbacks == nil {
		return time.Time{}
	}
	list, err := store.List[store.ScheduledCallback](h.st)
	if err != nil {
		h.log.Error("cti: list scheduled callbacks", "err", err)
		return h.now().Add(time.Minute)
	}
	var next time.Time
	now := h.now()
	for _, rec := range list {
		if rec.State != store.ScheduledWaiting {
			continue
		}
		if rec.When.After(now) {
			if next.IsZero() || rec.When.Before(next) {
				next = rec.When
			}
			continue
		}
		h.book(ctx, rec)
	}
	return next
}

// book hands one due callback to its queue and records the outcome.
func (h *Hub) book(ctx context.Context, rec store.ScheduledCallback) {
	h.cbMu.Lock()
	defer h.cbMu.Unlock()
	cur, err := store.Get[store.ScheduledCallback](h.st, rec.ID)
	if err != nil || cur.State != store.ScheduledWaiting {
		return // cancelled meanwhile
	}
	berr := h.cfg.Callbacks.BookCallback(ctx, Booking{ID: cur.ID, Queue: cur.Queue, Number: cur.Number, Name: cur.Name})
	cur.State, cur.UpdatedAt = store.ScheduledBooked, h.now()
	if berr != nil {
		cur.State, cur.Error = store.ScheduledFailed, truncate(berr.Error(), 300)
		h.log.Warn("scheduled callback refused by its queue", "callback", cur.ID, "queue", cur.Queue, "err", berr)
	} else {
		h.log.Info("scheduled callback booked", "callback", cur.ID, "queue", cur.Queue)
	}
	if _, err := store.Put(h.st, cur); err != nil {
		h.log.Error("cti: save scheduled callback", "callback", cur.ID, "err", err)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// callbackNotes adds a scheduled callback's customer and notes to the
// pop of its call (the queue offers a callback under its ID).
func (h *Hub) callbackNotes(p *Pop) {
	if !p.Callback || !strings.HasPrefix(p.CallID, "cb-") {
		return
	}
	rec, err := store.Get[store.ScheduledCallback](h.st, p.CallID)
	if err != nil {
		return
	}
	p.Data = maps.Clone(p.Data) // the queue's map is not ours to change
	if p.Data == nil {
		p.Data = map[string]string{}
	}
	if rec.Notes != "" {
		p.Data["callback.notes"] = rec.Notes
	}
	if rec.CustomerID != "" {
		p.Data["callback.customer"] = rec.CustomerID
	}
	if rec.Name != "" {
		p.Data["callback.name"] = rec.Name
	}
}
