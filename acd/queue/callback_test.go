package queue

import (
	"errors"
	"testing"
	"time"
)

func dials(acts []Action) []Dial {
	var out []Dial
	for _, a := range acts {
		if d, ok := a.(Dial); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestCallback_KeepsThePlaceAndPreviewsTheAgentFirst(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.join(Call{ID: "first", Queue: "sales", Caller: "13800000001", CallerName: "Wang"})
	h.clk.t = h.clk.t.Add(10 * time.Second)
	h.join(Call{ID: "second", Queue: "sales"})
	h.clk.t = h.clk.t.Add(10 * time.Second)
	rec, err := h.d.RequestCallback(t.Context(), "first", "13800000001")
	h.must(err)
	if saved, ok := h.cbs.Get("first"); !ok || saved.State != CallbackPending || !saved.Joined.Equal(t0) {
		t.Fatalf("saved %+v", saved)
	}
	if p, _ := h.d.Position("second"); p.Position != 2 {
		t.Errorf("the live caller behind the callback is at %d, want 2", p.Position)
	}
	if s, _ := h.d.Snapshot("sales"); s.Waiting != 1 || s.Callbacks != 1 || s.OldestWait != 10*time.Second {
		t.Errorf("snapshot waiting %d callbacks %d oldest %v", s.Waiting, s.Callbacks, s.OldestWait)
	}
	h.login("101")
	o := h.offer()
	if o.CallID != "first" || o.Callback == nil || o.Callback.Number != "13800000001" || o.Callback.CallerName != "Wang" {
		t.Fatalf("offer %+v", o)
	}
	h.must(h.d.Answered("first", "101")) // the agent took the preview
	ds := dials(h.take())
	if len(ds) != 1 || ds[0] != (Dial{CallbackID: rec.ID, AgentID: "101", Number: "13800000001", Queue: "sales", Attempt: 1}) {
		t.Fatalf("dials %+v", ds)
	}
	h.must(h.d.CallbackResult(t.Context(), "first", OutcomeConnected))
	if saved, _ := h.cbs.Get("first"); saved.State != CallbackDone || saved.Outcome != OutcomeConnected || saved.Agent != "101" {
		t.Errorf("saved after connect %+v", saved)
	}
	h.clk.t = h.clk.t.Add(time.Minute)
	h.must(h.d.Hangup(t.Context(), "first"))
	if o := h.offer(); o.CallID != "second" {
		t.Errorf("then offered %s", o.CallID)
	}
	if n := len(h.d.Callbacks()); n != 0 {
		t.Errorf("%d callbacks left", n)
	}
}

func TestCallback_RetriesThenFailsWithTheOutcome(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101"), CallbackTries: 2, CallbackRetry: 10 * time.Minute})
	h.login("101")
	h.must(h.d.Pause("101", "lunch"))
	h.join(Call{ID: "cb", Queue: "sales"})
	_, err := h.d.RequestCallback(t.Context(), "cb", "+8613800000001")
	h.must(err)
	h.must(h.d.Resume("101"))
	h.must(h.d.Answered("cb", h.offer().AgentID))
	h.must(h.d.CallbackResult(t.Context(), "cb", OutcomeBusy))
	if h.state("101") != "available" {
		t.Fatalf("agent %s after a failed attempt", h.state("101"))
	}
	saved, _ := h.cbs.Get("cb")
	if saved.State != CallbackPending || saved.Attempts != 1 || saved.Outcome != OutcomeBusy ||
		!saved.NextAttempt.Equal(h.clk.t.Add(10*time.Minute)) {
		t.Fatalf("after busy %+v", saved)
	}
	h.take()
	h.advance(9 * time.Minute)
	h.noOffer()
	h.advance(time.Minute)
	h.must(h.d.Answered("cb", h.offer().AgentID))
	if ds := dials(h.take()); len(ds) != 1 || ds[0].Attempt != 2 {
		t.Fatalf("second dial %+v", ds)
	}
	h.must(h.d.CallbackResult(t.Context(), "cb", OutcomeNoAnswer))
	saved, _ = h.cbs.Get("cb")
	if saved.State != CallbackFailed || saved.Outcome != OutcomeNoAnswer || saved.Attempts != 2 {
		t.Fatalf("after the last try %+v", saved)
	}
	snap, _ := h.d.Snapshot("sales")
	if snap.Current.Handled != 0 || snap.Waiting != 0 {
		t.Errorf("failed attempts counted as handled calls: %+v", snap)
	}
}

func TestCallback_UndialableNumberIsRefusedAndNothingLost(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales"})
	h.join(Call{ID: "c1", Queue: "sales"})
	for _, n := range []string{"", "12", "abc", "+", "1380000000012345678901"} {
		if _, err := h.d.RequestCallback(t.Context(), "c1", n); !errors.Is(err, ErrNotDialable) {
			t.Errorf("number %q: %v", n, err)
		}
	}
	h.cbs.Fail = errors.New("disk full")
	if _, err := h.d.RequestCallback(t.Context(), "c1", "13800000001"); err == nil {
		t.Error("failed save reported success")
	}
	if p, err := h.d.Position("c1"); err != nil || p.Position != 1 {
		t.Errorf("caller lost: %+v %v", p, err)
	}
	if len(h.d.Callbacks()) != 0 {
		t.Error("a callback exists after the failures")
	}
}

func TestCallback_InvalidOutcomeFailsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.join(Call{ID: "cb", Queue: "sales"})
	_, err := h.d.RequestCallback(t.Context(), "cb", "99999")
	h.must(err)
	h.login("101")
	h.must(h.d.Answered("cb", h.offer().AgentID))
	h.must(h.d.CallbackResult(t.Context(), "cb", OutcomeInvalid))
	if saved, _ := h.cbs.Get("cb"); saved.State != CallbackFailed || saved.Outcome != OutcomeInvalid || saved.Attempts != 1 {
		t.Errorf("saved %+v", saved)
	}
	if err := h.d.CallbackResult(t.Context(), "cb", OutcomeConnected); !errors.Is(err, ErrNoOffer) {
		t.Errorf("late result: %v", err)
	}
}

func TestCallback_SurvivesRestartInItsPlace(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.join(Call{ID: "vip", Queue: "sales", Priority: 5})
	h.join(Call{ID: "old", Queue: "sales"})
	h.clk.t = h.clk.t.Add(time.Minute)
	_, err := h.d.RequestCallback(t.Context(), "vip", "13800000001")
	h.must(err)
	_, err = h.d.RequestCallback(t.Context(), "old", "13800000002")
	h.must(err)
	h.login("101")
	o := h.offer()
	if o.CallID != "vip" {
		t.Fatalf("offered %s first", o.CallID)
	}
	h.must(h.d.Answered(o.CallID, o.AgentID))
	// The box restarts while vip is being dialled: a new dispatcher on
	// the same store.
	h.clk.t = h.clk.t.Add(time.Minute)
	h.d = h.newDispatcher()
	h.queue(Config{Name: "sales", Members: members("101")})
	h.must(h.d.Restore(t.Context()))
	h.join(Call{ID: "live", Queue: "sales"})
	cbs := h.d.Callbacks()
	if len(cbs) != 2 || cbs[0].ID != "vip" || cbs[1].ID != "old" || cbs[0].State != CallbackPending {
		t.Fatalf("restored %+v", cbs)
	}
	if p, _ := h.d.Position("live"); p.Position != 3 {
		t.Errorf("new caller at %d, want behind both callbacks", p.Position)
	}
	h.take()
	h.login("101")
	if o := h.offer(); o.CallID != "vip" || o.Callback == nil {
		t.Errorf("first after restart %+v", o)
	}
}

func TestCallback_RestoreFailsUndialableAndKeepsOrphans(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.must(h.cbs.Save(ctx, CallbackRecord{ID: "bad", Queue: "sales", Number: "x1", Joined: t0, Seq: 1, State: CallbackPending}))
	h.must(h.cbs.Save(ctx, CallbackRecord{ID: "orphan", Queue: "gone", Number: "13800000001", Joined: t0, Seq: 2, State: CallbackDialing}))
	h.must(h.cbs.Save(ctx, CallbackRecord{ID: "done", Queue: "sales", Number: "13800000001", Joined: t0, Seq: 3, State: CallbackDone}))
	h.queue(Config{Name: "sales", Members: members("101")})
	h.must(h.d.Restore(ctx))
	if saved, _ := h.cbs.Get("bad"); saved.State != CallbackFailed || saved.Outcome != OutcomeInvalid {
		t.Errorf("undialable %+v", saved)
	}
	cbs := h.d.Callbacks()
	if len(cbs) != 1 || cbs[0].ID != "orphan" || cbs[0].State != CallbackPending {
		t.Fatalf("kept %+v", cbs)
	}
	h.login("101")
	h.noOffer()
	h.queue(Config{Name: "gone", Members: members("101")}) // the queue comes back
	if o := h.offer(); o.CallID != "orphan" {
		t.Errorf("offer %+v", o)
	}
}

func TestCallback_CancelWithdrawsAndSaves(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales"})
	h.join(Call{ID: "cb", Queue: "sales"})
	_, err := h.d.RequestCallback(t.Context(), "cb", "13800000001")
	h.must(err)
	if err := h.d.Leave("cb", LeftAbandoned); !errors.Is(err, ErrNotWaiting) {
		t.Errorf("leave of a callback: %v", err)
	}
	h.must(h.d.CancelCallback(t.Context(), "cb"))
	if saved, _ := h.cbs.Get("cb"); saved.State != CallbackFailed || saved.Outcome != OutcomeCancelled {
		t.Errorf("saved %+v", saved)
	}
}

func TestCallback_BookedWithoutWaitingTakesItsPlaceNow(t *testing.T) {
	h := newHarness(t)
	h.queue(Config{Name: "sales", Members: members("101")})
	h.join(Call{ID: "early", Queue: "sales"})
	h.clk.t = h.clk.t.Add(10 * time.Second)
	if _, err := h.d.BookCallback(t.Context(), Call{ID: "ivr", Queue: "sales"}, "12"); !errors.Is(err, ErrNotDialable) {
		t.Fatalf("undialable: %v", err)
	}
	if _, err := h.d.BookCallback(t.Context(), Call{ID: "ivr", Queue: "nope"}, "13800000002"); !errors.Is(err, ErrUnknownQueue) {
		t.Fatalf("unknown queue: %v", err)
	}
	if _, ok := h.cbs.Get("ivr"); ok {
		t.Fatal("a refused booking was saved")
	}
	h.cbs.Fail = errors.New("disk full")
	if _, err := h.d.BookCallback(t.Context(), Call{ID: "ivr", Queue: "sales"}, "13800000002"); err == nil {
		t.Fatal("a booking that could not be saved was accepted")
	}
	if n := len(h.d.Callbacks()); n != 0 {
		t.Fatalf("%d callbacks after a failed save", n)
	}
	h.cbs.Fail = nil
	rec, err := h.d.BookCallback(t.Context(), Call{ID: "ivr", Queue: "sales", Caller: "13800000002"}, "13800000002")
	h.must(err)
	if saved, ok := h.cbs.Get("ivr"); !ok || saved.State != CallbackPending || !saved.Joined.Equal(rec.Joined) {
		t.Fatalf("saved %+v", saved)
	}
	h.join(Call{ID: "late", Queue: "sales"})
	h.login("101")
	if o := h.offer(); o.CallID != "early" {
		t.Fatalf("first offer %s, want the caller who joined before the booking", o.CallID)
	}
	h.must(h.d.Answered("early", "101"))
	h.must(h.d.Hangup(t.Context(), "early"))
	if o := h.offer(); o.CallID != "ivr" || o.Callback == nil {
		t.Fatalf("second offer %+v, want the booked callback ahead of the later caller", o)
	}
	if s, _ := h.d.Snapshot("sales"); s.Day.Callbacks != 1 {
		t.Errorf("figures %+v; the booking counts as a callback", s.Day)
	}
}
