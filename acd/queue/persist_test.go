package queue

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"callbox/acd/servicelevel"
	"callbox/firmware/store"
)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreCallbacks_SurviveARealRestartInTheirPlaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s := openStore(t, path)
	h := newHarness(t, WithCallbacks(NewStoreCallbacks(s)))
	h.queue(Config{Name: "sales", Members: members("101")})
	// IDs sort the other way round from the places, so the order after
	// the restart comes from the saved places, not from the keys.
	for _, id := range []string{"c3", "c2", "c1"} {
		h.join(Call{ID: id, Queue: "sales", Caller: "1380000000" + id[1:], Priority: 1})
		h.clk.t = h.clk.t.Add(10 * time.Second)
	}
	for _, id := range []string{"c1", "c3", "c2"} {
		if _, err := h.d.RequestCallback(t.Context(), id, "+86138000000"+id[1:]); err != nil {
			t.Fatal(err)
		}
	}
	before := h.d.Callbacks()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	defer s.Close()
	h2 := newHarness(t, WithCallbacks(NewStoreCallbacks(s)))
	h2.clk.t = h.clk.t.Add(time.Hour)
	h2.queue(Config{Name: "sales", Members: members("101")})
	h2.must(h2.d.Restore(t.Context()))
	after := h2.d.Callbacks()
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart\n%+v\nwant\n%+v", after, before)
	}
	if after[0].ID != "c3" || after[1].ID != "c2" || after[2].ID != "c1" {
		t.Fatalf("order %s %s %s", after[0].ID, after[1].ID, after[2].ID)
	}
	// The first in place is served first, and its end is saved.
	h2.login("101")
	o := h2.offer()
	if o.CallID != "c3" {
		t.Fatalf("first offer %+v", o)
	}
	h2.must(h2.d.Answered("c3", "101"))
	h2.must(h2.d.CallbackResult(t.Context(), "c3", OutcomeConnected))
	got, err := store.Get[store.Callback](s, "c3")
	if err != nil || got.State != string(CallbackDone) || got.Outcome != string(OutcomeConnected) || got.Agent != "101" {
		t.Fatalf("stored after connect %+v %v", got, err)
	}
}

func TestStoreCallbacks_EveryStateAndOutcomeRoundTrips(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "callbox.db"))
	defer s.Close()
	cbs := NewStoreCallbacks(s)
	ctx := t.Context()
	states := []CallbackState{CallbackPending, CallbackOffered, CallbackDialing, CallbackDone, CallbackFailed}
	outcomes := []CallbackOutcome{"", OutcomeConnected, OutcomeNoAnswer, OutcomeBusy, OutcomeFailed, OutcomeInvalid, OutcomeCancelled}
	var want []CallbackRecord
	for i, st := range states {
		for j, oc := range outcomes {
			r := CallbackRecord{ID: string(rune('a'+i)) + string(rune('a'+j)), Queue: "sales", Number: "13800000001",
				Caller: "Li <13800000001>", CallerName: "李", Lang: "zh", Priority: -3 + j,
				Requirements: []Requirement{{"zh", 0}, {"billing", 3}}, Joined: t0, Seq: uint64(10*i + j), CreatedAt: t0.Add(time.Minute),
				State: st, Attempts: j, NextAttempt: t0.Add(time.Hour), Outcome: oc, Agent: "101", UpdatedAt: t0.Add(2 * time.Minute)}
			h := r
			if err := cbs.Save(ctx, h); err != nil {
				t.Fatalf("%s/%s: %v", st, oc, err)
			}
			want = append(want, r)
		}
	}
	got, err := cbs.Load(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("load: %v\n%+v\nwant\n%+v", err, got, want)
	}
	if err := cbs.Delete(ctx, "aa"); err != nil {
		t.Fatal(err)
	}
	if err := cbs.Delete(ctx, "aa"); err != nil {
		t.Fatalf("deleting a missing callback: %v", err)
	}
	if got, _ := cbs.Load(ctx); len(got) != len(want)-1 {
		t.Fatalf("%d left", len(got))
	}
}

func TestStoreCallbacks_RefusedNumberKeepsTheCallerWaiting(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "callbox.db"))
	defer s.Close()
	err := NewStoreCallbacks(s).Save(t.Context(), CallbackRecord{ID: "x", Queue: "sales", Number: "12", Joined: t0, CreatedAt: t0, State: CallbackPending})
	var verr *store.ValidationError
	if !errors.As(err, &verr) || !verr.Has("number", "store.err.callback_number") {
		t.Fatalf("err = %v", err)
	}
	// A language the box does not speak is kept as the queue's.
	cbs := NewStoreCallbacks(s)
	h := newHarness(t, WithCallbacks(cbs))
	h.queue(Config{Name: "sales"})
	h.join(Call{ID: "fr", Queue: "sales", Lang: "fr-CA"})
	if _, err := h.d.RequestCallback(t.Context(), "fr", "13800000001"); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get[store.Callback](s, "fr"); err != nil || got.Lang != "" {
		t.Fatalf("stored %+v %v", got, err)
	}
	// A save that fails leaves the call in the queue as a live caller.
	s.Close()
	h.join(Call{ID: "live", Queue: "sales"})
	if _, err := h.d.RequestCallback(t.Context(), "live", "13800000001"); err == nil {
		t.Fatal("callback accepted by a closed store")
	}
	if p, err := h.d.Position("live"); err != nil || p.Position != 2 || len(h.d.Callbacks()) != 1 {
		t.Fatalf("position %+v %v", p, err)
	}
}

func TestIntervalWriter_StoresDrainedIntervalsAndRetriesAfterAFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s := openStore(t, path)
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), ServiceLevel: 20 * time.Second})
	h.login("101")
	start := servicelevel.IntervalStart(h.clk.t)
	h.join(Call{ID: "a", Queue: "sales"})
	h.clk.t = h.clk.t.Add(5 * time.Second)
	h.serve(h.offer(), time.Minute)
	h.join(Call{ID: "b", Queue: "sales"})
	h.clk.t = h.clk.t.Add(2 * time.Second)
	h.must(h.d.Leave("b", LeftAbandoned))

	w := NewIntervalWriter(s)
	if n, err := w.Flush(t.Context(), h.d); err != nil || n != 0 {
		t.Fatalf("flush of a running interval: %d %v", n, err)
	}
	h.advance(servicelevel.IntervalLength)
	// The store is gone (closed): the intervals wait for the next Flush.
	s.Close()
	if _, err := w.Flush(t.Context(), h.d); err == nil || w.Pending() != 1 {
		t.Fatalf("flush into a closed store: %v, %d pending", err, w.Pending())
	}
	s = openStore(t, path)
	defer s.Close()
	w.s = s
	if n, err := w.Flush(t.Context(), h.d); err != nil || n != 1 || w.Pending() != 0 {
		t.Fatalf("flush: %d %v, %d pending", n, err, w.Pending())
	}
	got, err := StoredIntervals(s, "sales", start.Add(-time.Hour), start.Add(time.Hour))
	if err != nil || len(got) != 1 {
		t.Fatalf("stored %+v %v", got, err)
	}
	iv := got[0]
	if !iv.Start.Equal(start) || iv.Offered != 2 || iv.Answered != 1 || iv.AnsweredInSL != 1 || iv.Abandoned != 1 ||
		iv.AbandonedShort != 1 || iv.AnswerWait != 5*time.Second || iv.Handled != 1 {
		t.Fatalf("interval %+v", iv)
	}
	rec, err := store.Get[store.QueueInterval](s, store.QueueIntervalKey("sales", start))
	if err != nil || rec.Key() != "sales|"+start.UTC().Format(time.RFC3339) {
		t.Fatalf("record %+v %v", rec, err)
	}
}

func TestStoredIntervals_ReadsOneQueueInTimeOrderWithinTheRange(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "callbox.db"))
	defer s.Close()
	var ivs []servicelevel.Interval
	for _, q := range []string{"sales", "sales2", "sale"} {
		for i := 5; i >= 0; i-- {
			ivs = append(ivs, servicelevel.Interval{Queue: q, Start: t0.Add(time.Duration(i) * servicelevel.IntervalLength), Offered: i})
		}
	}
	if n, err := NewIntervalWriter(s).Write(t.Context(), ivs); err != nil || n != len(ivs) {
		t.Fatalf("write %d %v", n, err)
	}
	got, err := StoredIntervals(s, "sales", t0.Add(servicelevel.IntervalLength), t0.Add(4*servicelevel.IntervalLength))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d intervals: %+v", len(got), got)
	}
	for i, iv := range got {
		if iv.Queue != "sales" || iv.Offered != i+1 {
			t.Errorf("interval %d: %+v", i, iv)
		}
	}
}

// BenchmarkStoreCallbacks_Save measures one callback save: one bbolt
// commit with fsync on the test's temporary directory.
func BenchmarkStoreCallbacks_Save(b *testing.B) {
	s, err := store.Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cbs := NewStoreCallbacks(s)
	r := CallbackRecord{ID: "c1", Queue: "sales", Number: "13800000001", Joined: t0, CreatedAt: t0, State: CallbackPending}
	for i := 0; b.Loop(); i++ {
		r.Attempts = i % 100
		if err := cbs.Save(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntervalWriter_Write96 stores a day of one queue's intervals
// in one transaction.
func BenchmarkIntervalWriter_Write96(b *testing.B) {
	s, err := store.Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w := NewIntervalWriter(s)
	ivs := make([]servicelevel.Interval, 96)
	for i := range ivs {
		ivs[i] = servicelevel.Interval{Queue: "sales", Start: t0.Add(time.Duration(i) * servicelevel.IntervalLength), Offered: i}
	}
	for b.Loop() {
		if _, err := w.Write(b.Context(), ivs); err != nil {
			b.Fatal(err)
		}
	}
}
