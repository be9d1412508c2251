package queue

import (
	"context"
	"sync"
)

// Mailbox routes the dispatcher's actions to the goroutine of each
// waiting call, the shape the switch needs: a call's handler opens an
// Inbox before Join and blocks in Inbox.Next while it waits, receiving
// its Offers (ring those agents), Cancels, Announces and Routes. Actions
// for calls without an inbox (callbacks: their Offers and Dials) go to
// the fallback, which the switch's callback worker serves.
//
// Pass Mailbox.Deliver to WithActions. Deliver never blocks: an inbox
// queues without limit, so no action is lost however slow its reader.
type Mailbox struct {
	mu       sync.Mutex
	boxes    map[string]*Inbox
	fallback func(Action)
}

// NewMailbox returns a mailbox; fallback may be nil (then such actions
// are dropped).
func NewMailbox(fallback func(Action)) *Mailbox {
	if fallback == nil {
		fallback = func(Action) {}
	}
	return &Mailbox{boxes: make(map[string]*Inbox), fallback: fallback}
}

// Open returns the inbox of callID, making it if needed.
func (m *Mailbox) Open(callID string) *Inbox {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.boxes[callID]
	if !ok {
		in = &Inbox{wake: make(chan struct{}, 1)}
		m.boxes[callID] = in
	}
	return in
}

// Close forgets callID's inbox; later actions for it go to the fallback.
func (m *Mailbox) Close(callID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.boxes, callID)
}

// Deliver routes one action.
func (m *Mailbox) Deliver(a Action) {
	var id string
	switch a := a.(type) {
	case Offer:
		id = a.CallID
	case Cancel:
		id = a.CallID
	case Announce:
		id = a.CallID
	case Route:
		id = a.CallID
	case Dial:
		id = a.CallbackID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.boxes[id]
	if !ok {
		m.fallback(a)
		return
	}
	in.put(a)
}

// Handover closes callID's inbox and passes the actions still in it to
// the fallback, in order: a caller who became a callback hands what the
// dispatcher sent meanwhile to the callback worker, losing nothing.
func (m *Mailbox) Handover(callID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.boxes[callID]
	if !ok {
		return
	}
	delete(m.boxes, callID)
	for a, ok := in.take(); ok; a, ok = in.take() {
		m.fallback(a)
	}
}

// Inbox holds one call's actions in order.
type Inbox struct {
	mu   sync.Mutex
	q    []Action
	wake chan struct{}
}

func (in *Inbox) put(a Action) {
	in.mu.Lock()
	in.q = append(in.q, a)
	in.mu.Unlock()
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// Next returns the next action, waiting for one until ctx ends.
func (in *Inbox) Next(ctx context.Context) (Action, error) {
	for {
		in.mu.Lock()
		if len(in.q) > 0 {
			a := in.q[0]
			in.q[0] = nil
			in.q = in.q[1:]
			in.mu.Unlock()
			return a, nil
		}
		in.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-in.wake:
		}
	}
}

// take returns the next action without waiting; the owner selects on
// in.wake between calls.
func (in *Inbox) take() (Action, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.q) == 0 {
		return nil, false
	}
	a := in.q[0]
	in.q[0] = nil
	in.q = in.q[1:]
	return a, true
}

// pending returns how many actions wait in the inbox.
func (in *Inbox) pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.q)
}
