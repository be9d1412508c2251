package queue

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
)

// CallbackState is where a callback is in its life.
type CallbackState string

// The callback states. Pending callbacks wait for their turn (and, after
// a failed attempt, for NextAttempt); offered and dialling ones are
// with an agent; done and failed ones are finished and kept for the
// record.
const (
	CallbackPending CallbackState = "pending"
	CallbackOffered CallbackState = "offered"
	CallbackDialing CallbackState = "dialing"
	CallbackDone    CallbackState = "done"
	CallbackFailed  CallbackState = "failed"
)

// CallbackOutcome is the result of one dial attempt, or of the callback.
type CallbackOutcome string

// The outcomes the switch reports (and Expired, which the dispatcher sets).
const (
	OutcomeConnected CallbackOutcome = "connected"
	OutcomeNoAnswer  CallbackOutcome = "noanswer"
	OutcomeBusy      CallbackOutcome = "busy"
	// OutcomeFailed: the call could not be placed (trunk down, network).
	OutcomeFailed CallbackOutcome = "failed"
	// OutcomeInvalid: the number is not dialable; no retry helps.
	OutcomeInvalid CallbackOutcome = "invalid"
)

// CallbackRecord is the persisted form of a callback: everything needed
// to keep the caller's place across a restart. Seq and Joined are the
// place (the caller's original queue join); ID is the original call's ID.
type CallbackRecord struct {
	ID           string          `json:"id"`
	Queue        string          `json:"queue"`
	Number       string          `json:"number"`
	Caller       string          `json:"caller,omitempty"`
	CallerName   string          `json:"callerName,omitempty"`
	Lang         string          `json:"lang,omitempty"`
	Priority     int             `json:"priority,omitempty"`
	Requirements []Requirement   `json:"requirements,omitempty"`
	Joined       time.Time       `json:"joined"`
	Seq          uint64          `json:"seq"`
	CreatedAt    time.Time       `json:"createdAt"`
	State        CallbackState   `json:"state"`
	Attempts     int             `json:"attempts,omitempty"`
	NextAttempt  time.Time       `json:"nextAttempt,omitzero"`
	Outcome      CallbackOutcome `json:"outcome,omitempty"`
	Agent        string          `json:"agent,omitempty"`
	UpdatedAt    time.Time       `json:"updatedAt,omitzero"`
}

// Finished reports whether the callback is over (done or failed).
func (r CallbackRecord) Finished() bool { return r.State == CallbackDone || r.State == CallbackFailed }

// CallbackStore keeps callbacks across restarts. Save stores (or
// replaces) a record by ID, Load returns every stored record, Delete
// removes one (ErrUnknownCall-free: deleting a missing ID is not an
// error). The dispatcher saves a callback when it is created, after each
// attempt and when it finishes; finished records stay until the owner
// deletes them.
type CallbackStore interface {
	Save(ctx context.Context, r CallbackRecord) error
	Load(ctx context.Context) ([]CallbackRecord, error)
	Delete(ctx context.Context, id string) error
}

// MemoryCallbacks is a CallbackStore in memory, for tests and for boxes
// without a store; safe for concurrent use.
type MemoryCallbacks struct {
	mu   sync.Mutex
	recs map[string]CallbackRecord
	// Fail, when set, is returned by every Save (to test failures).
	Fail error
}

// NewMemoryCallbacks returns an empty store.
func NewMemoryCallbacks() *MemoryCallbacks {
	return &MemoryCallbacks{recs: make(map[string]CallbackRecord)}
}

// Save implements CallbackStore.
func (m *MemoryCallbacks) Save(_ context.Context, r CallbackRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	r.Requirements = slices.Clone(r.Requirements)
	m.recs[r.ID] = r
	return nil
}

// Load implements CallbackStore, in ID order.
func (m *MemoryCallbacks) Load(context.Context) ([]CallbackRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]CallbackRecord, 0, len(m.recs))
	for _, k := range slices.Sorted(maps.Keys(m.recs)) {
		out = append(out, m.recs[k])
	}
	return out, nil
}

// Delete implements CallbackStore.
func (m *MemoryCallbacks) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, id)
	return nil
}

// Get returns the stored record with id.
func (m *MemoryCallbacks) Get(id string) (CallbackRecord, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	return r, ok
}

// ErrNotDialable: a callback number the box cannot dial.
var ErrNotDialable = errors.New("queue: number not dialable")
