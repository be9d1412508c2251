package followup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Errors of the book, checked with errors.Is.
var (
	// ErrNotFound is a task ID the store does not have.
	ErrNotFound = errors.New("followup: no such task")
	// ErrState is an action the task's state does not allow (calling a
	// task that is done, recording an outcome of a cancelled one).
	ErrState = errors.New("followup: not possible in the task's state")
	// ErrBadResult is an outcome the book cannot record (see Result.Check).
	ErrBadResult = errors.New("followup: bad outcome")
)

// Book keeps the follow-up tasks in the store and runs their life. It
// holds no state of its own: every method reads and writes the store, so
// several Books (the API's, the console's) agree.
type Book struct {
	st     *store.Store
	now    func() time.Time
	log    *slog.Logger
	noteOn CallNoter
}

// CallNoter saves notes with a call's entry in the customer history, now
// or when the call ends (cti.Hub.WrapUp); an error means the call is not
// known and the book writes its own entry.
type CallNoter func(ctx context.Context, callID, code, notes string) error

// WithCallNotes makes an outcome of a dialled attempt a note on that
// call's own history entry, so that the history shows the call once.
func WithCallNotes(n CallNoter) Option { return func(b *Book) { b.noteOn = n } }

// Option configures a Book.
type Option func(*Book)

// WithClock sets where the book reads the time (due times, retries).
func WithClock(now func() time.Time) Option { return func(b *Book) { b.now = now } }

// WithLogger sets the book's logger.
func WithLogger(l *slog.Logger) Option { return func(b *Book) { b.log = l } }

// New returns the book of st.
func New(st *store.Store, opts ...Option) *Book {
	b := &Book{st: st, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Now is the book's time.
func (b *Book) Now() time.Time { return b.now() }

// Create stores a new open task. The ID, state, attempts, outcome and times
// are the book's; the rest is validated (*store.ValidationError). A
// task without a source came from the API.
func (b *Book) Create(ctx context.Context, f store.Followup) (store.Followup, error) {
	if err := ctx.Err(); err != nil {
		return store.Followup{}, err
	}
	now := b.now()
	f.ID = taskID(f.Agent, store.NewID(now))
	f.State, f.Attempts, f.Outcome, f.LastCall, f.Note = store.FollowupOpen, 0, "", "", ""
	f.CreatedAt, f.UpdatedAt = now, now
	if f.Source == "" {
		f.Source = store.FollowupFromAPI
	}
	if _, err := store.Create(b.st, f); err != nil {
		return store.Followup{}, fmt.Errorf("followup: create: %w", err)
	}
	b.log.Info("follow-up created", "id", f.ID, "agent", f.Agent, "source", f.Source, "due", f.Due)
	return f, nil
}

// taskID keys a task by its agent first, so that one agent's list is one
// range of keys (List reads only that range).
func taskID(agent, unique string) string { return agent + "." + unique }

// Get returns one task.
func (b *Book) Get(ctx context.Context, id string) (store.Followup, error) {
	if err := ctx.Err(); err != nil {
		return store.Followup{}, err
	}
	f, err := store.Get[store.Followup](b.st, id)
	if errors.Is(err, store.ErrNotFound) {
		return f, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return f, err
}

// Filter narrows List: Agent "" is every agent, no States every state.
type Filter struct {
	Agent  string
	States []store.FollowupState
}

// List returns the tasks that pass the filter, in work Order.
func (b *Book) List(ctx context.Context, fl Filter) ([]store.Followup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []store.Followup
	prefix := ""
	if fl.Agent != "" {
		prefix = taskID(fl.Agent, "")
	}
	err := store.ListFunc(b.st, prefix, func(f store.Followup) bool {
		if (fl.Agent == "" || f.Agent == fl.Agent) && (len(fl.States) == 0 || slices.Contains(fl.States, f.State)) {
			out = append(out, f)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("followup: list: %w", err)
	}
	Order(b.now(), out)
	return out, nil
}

// Order sorts tasks into the order an agent works them at now: the tasks
// that are due first, highest priority first, then the longest overdue;
// then those not due yet, soonest first (higher priority first at the
// same time). Ties go by ID, which is creation order.
func Order(now time.Time, fs []store.Followup) {
	slices.SortStableFunc(fs, func(a, b store.Followup) int {
		aDue, bDue := !a.Due.After(now), !b.Due.After(now)
		switch {
		case aDue && !bDue:
			return -1
		case !aDue && bDue:
			return 1
		case aDue:
			if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
				return c
			}
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
		default:
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Next returns the agent's first open task that is due, and false when
// none is.
func (b *Book) Next(ctx context.Context, agent string) (store.Followup, bool, error) {
	fs, err := b.List(ctx, Filter{Agent: agent, States: []store.FollowupState{store.FollowupOpen}})
	if err != nil {
		return store.Followup{}, false, err
	}
	if len(fs) == 0 || fs[0].Due.After(b.now()) {
		return store.Followup{}, false, nil
	}
	return fs[0], true, nil
}

// Dialer places a click-to-dial call: ring the extension ext first, then
// dial number; it returns the new call's ID (cti.Control.Originate).
type Dialer func(ctx context.Context, ext, number string) (callID string, err error)

// Call dials a task's number from the extension ext and marks the task as
// being dialled: one more attempt, the call remembered. A task that is
// done, failed or cancelled is ErrState; a failed dial changes nothing.
// A task already being dialled may be dialled again (the agent's phone
// did not ring, the line dropped): that is another attempt.
func (b *Book) Call(ctx context.Context, id, ext string, dial Dialer) (store.Followup, error) {
	f, err := b.Get(ctx, id)
	if err != nil {
		return f, err
	}
	if f.State.Final() {
		return f, fmt.Errorf("%w: %s is %s", ErrState, id, f.State)
	}
	// The stored number goes out as it is (E.164 as a rule): the
	// dialplan dials it the way the site's phones do.
	callID, err := dial(ctx, ext, f.Number)
	if err != nil {
		return f, fmt.Errorf("followup: dial %s: %w", id, err)
	}
	return b.update(id, func(f *store.Followup) error {
		if f.State.Final() {
			// Cancelled while the phone rang: the call goes on, the task
			// stays as it was put.
			return fmt.Errorf("%w: %s is %s", ErrState, id, f.State)
		}
		f.State, f.Attempts, f.LastCall = store.FollowupDialing, f.Attempts+1, callID
		return nil
	})
}

// Result is what the agent records after an attempt.
type Result struct {
	Outcome store.FollowupOutcome
	Note    string
	// Due is when to call again, for OutcomeReschedule.
	Due time.Time
}

// Check lists the result's problems at now, as field errors with message
// keys of the store's catalogue.
func (r Result) Check(now time.Time) []store.FieldError {
	var out []store.FieldError
	if !slices.Contains(store.FollowupOutcomes, r.Outcome) {
		out = append(out, store.FieldError{Field: "outcome", Code: "store.err.one_of", Args: []any{outcomeNames()}})
	}
	if n := len([]rune(r.Note)); n > 1000 {
		out = append(out, store.FieldError{Field: "note", Code: "store.err.too_long", Args: []any{1000}})
	}
	if r.Outcome == store.OutcomeReschedule {
		switch {
		case r.Due.IsZero():
			out = append(out, store.FieldError{Field: "due", Code: "store.err.required"})
		case !r.Due.After(now):
			out = append(out, store.FieldError{Field: "due", Code: "followup.err.past"})
		}
	}
	return out
}

func outcomeNames() string {
	names := make([]string, len(store.FollowupOutcomes))
	for i, o := range store.FollowupOutcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// Record saves the outcome of an attempt on an open or dialling task,
// moves the task on by the stored retry policy and writes the attempt
// into the customer's contact history. Recording on an open task (the
// agent dialled from the desk phone) counts as an attempt too.
func (b *Book) Record(ctx context.Context, id string, r Result) (store.Followup, error) {
	if err := ctx.Err(); err != nil {
		return store.Followup{}, err
	}
	now := b.now()
	if probs := r.Check(now); len(probs) > 0 {
		return store.Followup{}, fmt.Errorf("%w: %s: %s", ErrBadResult, probs[0].Field, probs[0].Code)
	}
	pol, err := store.GetFollowupPolicy(b.st)
	if err != nil {
		return store.Followup{}, fmt.Errorf("followup: read policy: %w", err)
	}
	dialled := false // the outcome is that of the task's LastCall
	f, err := b.update(id, func(f *store.Followup) error {
		if f.State.Final() {
			return fmt.Errorf("%w: %s is %s", ErrState, id, f.State)
		}
		dialled = f.State == store.FollowupDialing && f.LastCall != ""
		if f.State == store.FollowupOpen {
			f.Attempts++
		}
		f.Outcome, f.Note = r.Outcome, strings.TrimSpace(r.Note)
		switch r.Outcome {
		case store.OutcomeReached:
			f.State = store.FollowupDone
		case store.OutcomeWrongNumber:
			f.State = store.FollowupFailed
		case store.OutcomeReschedule:
			// A new appointment: the count of unanswered tries starts again.
			f.State, f.Due, f.Attempts = store.FollowupOpen, r.Due, 0
		default: // no answer, busy
			if f.Attempts >= pol.MaxAttempts {
				f.State = store.FollowupFailed
			} else {
				f.State, f.Due = store.FollowupOpen, now.Add(pol.Retry(f.Attempts))
			}
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	if err := b.remember(ctx, f, now, dialled); err != nil {
		// The task moved on; the history entry is a copy for the pop.
		b.log.Error("follow-up: write contact history", "id", f.ID, "err", err)
	}
	b.log.Info("follow-up outcome", "id", f.ID, "agent", f.Agent, "outcome", f.Outcome, "state", f.State, "attempts", f.Attempts)
	return f, nil
}

// contactID is the history entry of a task's outcome: one per recorded
// outcome, so retries keep their own lines.
func contactID(f store.Followup, now time.Time) string {
	return "fu." + f.ID + "." + now.UTC().Format("150405.000")
}

// remember writes the outcome into the customer's contact history, in the
// site's language (the history is shared by everyone who reads it): as
// the note of the attempt's call when the call is known, else as an entry
// of its own.
func (b *Book) remember(ctx context.Context, f store.Followup, now time.Time, dialled bool) error {
	site, err := store.GetSettings(b.st)
	if err != nil {
		return err
	}
	lang := site.Lang
	summary := i18n.T(lang, "followup.summary", f.Reason, i18n.T(lang, "followup.outcome."+string(f.Outcome)))
	switch {
	case f.Outcome == store.OutcomeReschedule:
		summary += " " + i18n.T(lang, "followup.summary.next", f.Due.In(siteZone(site)).Format("2006-01-02 15:04"))
	case f.State == store.FollowupOpen:
		summary += " " + i18n.T(lang, "followup.summary.retry", f.Attempts, f.Due.In(siteZone(site)).Format("2006-01-02 15:04"))
	case f.State == store.FollowupFailed && f.Outcome != store.OutcomeWrongNumber:
		summary += " " + i18n.T(lang, "followup.summary.gave-up", f.Attempts)
	}
	if f.Note != "" {
		summary += "\n" + f.Note
	}
	if dialled && b.noteOn != nil {
		err := b.noteOn(ctx, f.LastCall, "", summary)
		if err == nil {
			return nil
		}
		b.log.Debug("follow-up: the call has no history entry; writing one", "id", f.ID, "call", f.LastCall, "err", err)
	}
	ct := store.Contact{ID: contactID(f, now), Number: f.Number, CustomerID: f.CustomerID, Channel: store.ChannelCall,
		Direction: store.DirectionOut, At: now, Agent: f.Agent, CallID: f.LastCall, Summary: summary}
	_, err = store.Put(b.st, ct)
	return err
}

func siteZone(s store.Settings) *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil && s.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Cancel drops an open or dialling task; by is who did it, for the log.
func (b *Book) Cancel(ctx context.Context, id, by string) (store.Followup, error) {
	if err := ctx.Err(); err != nil {
		return store.Followup{}, err
	}
	f, err := b.update(id, func(f *store.Followup) error {
		if f.State.Final() {
			return fmt.Errorf("%w: %s is %s", ErrState, id, f.State)
		}
		f.State = store.FollowupCancelled
		return nil
	})
	if err == nil {
		b.log.Info("follow-up cancelled", "id", id, "by", by)
	}
	return f, err
}

// update changes one task in one transaction and stamps it.
func (b *Book) update(id string, fn func(*store.Followup) error) (store.Followup, error) {
	var out store.Followup
	_, err := store.Update(b.st, id, func(f *store.Followup) error {
		if err := fn(f); err != nil {
			return err
		}
		f.UpdatedAt = b.now()
		out = *f
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		if cur, gerr := store.Get[store.Followup](b.st, id); gerr == nil {
			return cur, err
		}
	}
	return out, err
}
