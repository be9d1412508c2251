package followup

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// clock is a fake clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newBook(t testing.TB) (*Book, *store.Store, *clock) {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "callbox.db"))
	c := &clock{t: t0}
	return New(st, WithClock(c.now)), st, c
}

func task(agent, number, reason string, due time.Time, prio int) store.Followup {
	return store.Followup{Agent: agent, Number: number, Reason: reason, Due: due, Priority: prio}
}

// dialer records the calls it is asked to place.
type dialer struct {
	calls []string
	err   error
}

func (d *dialer) dial(_ context.Context, ext, number string) (string, error) {
	if d.err != nil {
		return "", d.err
	}
	d.calls = append(d.calls, ext+">"+number)
	return "call-" + number + "-" + string(rune('0'+len(d.calls))), nil
}

func TestOrder_DueTasksByPriorityThenLongestOverdueThenFutureBySoonest(t *testing.T) {
	fs := []store.Followup{
		{ID: "a", Due: t0.Add(2 * time.Hour), Priority: 9},  // future, later
		{ID: "b", Due: t0.Add(-time.Hour), Priority: 1},     // due, low
		{ID: "c", Due: t0.Add(-3 * time.Hour), Priority: 1}, // due, low, longer overdue
		{ID: "d", Due: t0.Add(time.Hour), Priority: 0},      // future, sooner
		{ID: "e", Due: t0, Priority: 5},                     // due exactly now, high
		{ID: "f", Due: t0.Add(time.Hour), Priority: 3},      // future, same time as d, higher
	}
	Order(t0, fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	if strings.Join(got, "") != "ecbfda" {
		t.Fatalf("order %v, want e c b f d a", got)
	}
}

func TestBook_NextSkipsTasksNotYetDueAndOtherAgents(t *testing.T) {
	b, _, c := newBook(t)
	ctx := context.Background()
	mustCreate(t, b, task("11", "+8613800000001", "later", t0.Add(time.Hour), 9))
	mustCreate(t, b, task("12", "+8613800000002", "not mine", t0.Add(-time.Hour), 9))
	if _, ok, err := b.Next(ctx, "11"); err != nil || ok {
		t.Fatalf("Next before anything is due: ok=%v err=%v", ok, err)
	}
	c.add(time.Hour)
	f, ok, err := b.Next(ctx, "11")
	if err != nil || !ok || f.Reason != "later" {
		t.Fatalf("Next once due: %+v ok=%v err=%v", f, ok, err)
	}
}

func mustCreate(t testing.TB, b *Book, f store.Followup) store.Followup {
	t.Helper()
	f, err := b.Create(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBook_NoAnswerAndBusyRetryByThePolicyThenFail(t *testing.T) {
	b, st, c := newBook(t)
	ctx := context.Background()
	if _, err := store.Put(st, store.FollowupPolicy{MaxAttempts: 3, RetryMinutes: []int{10, 60}}); err != nil {
		t.Fatal(err)
	}
	f := mustCreate(t, b, task("11", "+8613800000001", "Refund", t0, 0))
	d := &dialer{}
	steps := []struct {
		outcome store.FollowupOutcome
		state   store.FollowupState
		next    time.Duration // after the outcome, for open tasks
	}{
		{store.OutcomeNoAnswer, store.FollowupOpen, 10 * time.Minute},
		{store.OutcomeBusy, store.FollowupOpen, time.Hour},
		{store.OutcomeNoAnswer, store.FollowupFailed, 0},
	}
	for i, s := range steps {
		got, err := b.Call(ctx, f.ID, "201", d.dial)
		if err != nil || got.State != store.FollowupDialing || got.Attempts != i+1 {
			t.Fatalf("call %d: %+v %v", i+1, got, err)
		}
		got, err = b.Record(ctx, f.ID, Result{Outcome: s.outcome})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != s.state {
			t.Fatalf("after attempt %d (%s): state %s, want %s", i+1, s.outcome, got.State, s.state)
		}
		if s.state == store.FollowupOpen {
			if !got.Due.Equal(c.now().Add(s.next)) {
				t.Fatalf("after attempt %d: due %v, want %v later", i+1, got.Due, s.next)
			}
			if _, ok, _ := b.Next(ctx, "11"); ok {
				t.Fatalf("after attempt %d the task is due at once", i+1)
			}
			c.add(s.next)
		}
	}
	if len(d.calls) != 3 || d.calls[0] != "201>+8613800000001" {
		t.Fatalf("dialled %v", d.calls)
	}
	if _, err := b.Call(ctx, f.ID, "201", d.dial); !errors.Is(err, ErrState) || len(d.calls) != 3 {
		t.Fatalf("calling a failed task: %v, dialled %d", err, len(d.calls))
	}
	// Every attempt is in the number's history, the last one saying so.
	h, err := directory.History(st, directory.PlanCN, "+8613800000001", 0)
	if err != nil || len(h) != 3 {
		t.Fatalf("history %+v %v", h, err)
	}
	if !strings.Contains(h[0].Summary, "Given up after 3 attempts") || h[0].Direction != store.DirectionOut || h[0].Agent != "11" {
		t.Fatalf("last history entry %+v", h[0])
	}
}

func TestBook_ReachedIsDoneAndJoinsTheCustomersHistory(t *testing.T) {
	b, st, _ := newBook(t)
	ctx := context.Background()
	f := task("11", "+8613800000001", "Confirm the delivery", t0, 2)
	f.CustomerID = "c1"
	f = mustCreate(t, b, f)
	if _, err := b.Call(ctx, f.ID, "201", (&dialer{}).dial); err != nil {
		t.Fatal(err)
	}
	got, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeReached, Note: "Delivered Friday"})
	if err != nil || got.State != store.FollowupDone || got.Outcome != store.OutcomeReached {
		t.Fatalf("%+v %v", got, err)
	}
	h, err := directory.CustomerHistory(st, directory.PlanCN, store.Customer{ID: "c1"}, 0)
	if err != nil || len(h) != 1 {
		t.Fatalf("customer history %+v %v", h, err)
	}
	want := "Follow-up “Confirm the delivery”: Reached.\nDelivered Friday"
	if h[0].Summary != want || h[0].CallID != got.LastCall || h[0].CallID == "" {
		t.Fatalf("history entry %+v, want summary %q and the call", h[0], want)
	}
	if _, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeBusy}); !errors.Is(err, ErrState) {
		t.Fatalf("outcome on a done task: %v", err)
	}
}

func TestBook_RescheduleNeedsAFutureTimeAndStartsTheCountAgain(t *testing.T) {
	b, _, c := newBook(t)
	ctx := context.Background()
	f := mustCreate(t, b, task("11", "+8613800000001", "Quote", t0, 0))
	if _, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeNoAnswer}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeReschedule, Due: c.now().Add(-time.Minute)}); !errors.Is(err, ErrBadResult) {
		t.Fatalf("reschedule into the past: %v", err)
	}
	if _, err := b.Record(ctx, f.ID, Result{Outcome: "maybe"}); !errors.Is(err, ErrBadResult) {
		t.Fatalf("unknown outcome: %v", err)
	}
	when := c.now().Add(48 * time.Hour)
	got, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeReschedule, Due: when})
	if err != nil || got.State != store.FollowupOpen || !got.Due.Equal(when) || got.Attempts != 0 {
		t.Fatalf("rescheduled %+v %v", got, err)
	}
}

func TestBook_AFailedDialChangesNothingAndCancelIsFinal(t *testing.T) {
	b, _, _ := newBook(t)
	ctx := context.Background()
	f := mustCreate(t, b, task("11", "+8613800000001", "Quote", t0, 0))
	down := errors.New("phone not registered")
	if _, err := b.Call(ctx, f.ID, "201", (&dialer{err: down}).dial); !errors.Is(err, down) {
		t.Fatalf("dial error: %v", err)
	}
	if got, _ := b.Get(ctx, f.ID); got.State != store.FollowupOpen || got.Attempts != 0 {
		t.Fatalf("after a failed dial: %+v", got)
	}
	if got, err := b.Cancel(ctx, f.ID, "boss"); err != nil || got.State != store.FollowupCancelled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if _, err := b.Cancel(ctx, f.ID, "boss"); !errors.Is(err, ErrState) {
		t.Fatalf("cancel twice: %v", err)
	}
	if _, err := b.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown task: %v", err)
	}
}

func TestBook_CreateRefusesBadFieldsAndTasksOutliveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	st := openStore(t, path)
	b := New(st, WithClock(func() time.Time { return t0 }))
	var ve *store.ValidationError
	if _, err := b.Create(context.Background(), task("x", "not a number", "", time.Time{}, 12)); !errors.As(err, &ve) || len(ve.Fields) != 5 {
		t.Fatalf("bad task: %v", err)
	}
	f := mustCreate(t, b, task("11", "+8613800000001", "Quote", t0, 0))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	b = New(openStore(t, path), WithClock(func() time.Time { return t0 }))
	fs, err := b.List(context.Background(), Filter{Agent: "11", States: []store.FollowupState{store.FollowupOpen}})
	if err != nil || len(fs) != 1 || fs[0].ID != f.ID || fs[0].Source != store.FollowupFromAPI {
		t.Fatalf("after reopening: %+v %v", fs, err)
	}
}

func TestBook_CallDialsTheStoredE164NumberForTheDialplanToMap(t *testing.T) {
	b, _, _ := newBook(t)
	f := mustCreate(t, b, task("11", "+8613800000001", "x", t0, 0))
	d := &dialer{}
	if _, err := b.Call(context.Background(), f.ID, "201", d.dial); err != nil || d.calls[0] != "201>+8613800000001" {
		t.Fatalf("dialled %v, %v", d.calls, err)
	}
}

func TestBook_AnOutcomeOfADialledCallIsNotedOnTheCallsEntry(t *testing.T) {
	b, st, _ := newBook(t)
	var noted []string
	b.noteOn = func(_ context.Context, callID, code, notes string) error {
		if callID == "call-unknown" {
			return errors.New("unknown call")
		}
		noted = append(noted, callID+"|"+code+"|"+notes)
		return nil
	}
	ctx := context.Background()
	f := mustCreate(t, b, task("11", "+8613800000001", "Quote", t0, 0))
	if _, err := b.Call(ctx, f.ID, "201", (&dialer{}).dial); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeBusy}); err != nil {
		t.Fatal(err)
	}
	if len(noted) != 1 || !strings.HasPrefix(noted[0], "call-+8613800000001-1||Follow-up “Quote”: Busy.") {
		t.Fatalf("noted %q", noted)
	}
	if h, _ := directory.History(st, directory.PlanCN, "+8613800000001", 0); len(h) != 0 {
		t.Fatalf("a second entry for a noted call: %+v", h)
	}
	// Recorded without a call through the book (dialled from the desk
	// phone): the entry is the book's own, not the old call's.
	if _, err := b.Record(ctx, f.ID, Result{Outcome: store.OutcomeReached}); err != nil {
		t.Fatal(err)
	}
	if h, _ := directory.History(st, directory.PlanCN, "+8613800000001", 0); len(noted) != 1 || len(h) != 1 {
		t.Fatalf("noted %q, history %+v", noted, h)
	}
}
