package agent

import (
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestRoster(t *testing.T, opts ...Option) (*Roster, *fakeClock, *[]Event) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	var events []Event
	opts = append([]Option{WithClock(clk.now), WithEmit(func(e Event) { events = append(events, e) })}, opts...)
	r := NewRoster(opts...)
	r.Set(Profile{ID: "101", Name: "Li"})
	return r, clk, &events
}

func TestRoster_FullCallCycleEmitsTimestampedEvents(t *testing.T) {
	r, clk, events := newTestRoster(t)
	must(t, r.Login("101", "201"))
	clk.advance(time.Second)
	must(t, r.Offer("101", "c1", "sales"))
	clk.advance(2 * time.Second)
	must(t, r.Answer("101", "c1"))
	clk.advance(90 * time.Second)
	talk, err := r.Hangup("101", "c1", 30*time.Second)
	must(t, err)
	if talk != 90*time.Second {
		t.Fatalf("talk = %v, want 90s", talk)
	}
	clk.advance(30 * time.Second)
	exp := r.Tick(nil)
	if len(exp) != 1 || exp[0].CallID != "c1" || exp[0].Spent != 30*time.Second {
		t.Fatalf("expired = %+v", exp)
	}
	want := []State{Available, Ringing, OnCall, WrapUp, Available}
	if len(*events) != len(want) {
		t.Fatalf("events = %+v", *events)
	}
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	at := []time.Duration{0, time.Second, 3 * time.Second, 93 * time.Second, 123 * time.Second}
	for i, e := range *events {
		if e.To != want[i] || !e.At.Equal(start.Add(at[i])) {
			t.Errorf("event %d = %+v, want to %s at +%v", i, e, want[i], at[i])
		}
	}
	if (*events)[3].CallID != "c1" || (*events)[3].Queue != "sales" {
		t.Errorf("wrap-up event lost the call: %+v", (*events)[3])
	}
	c := r.Get("101").Counters()
	if c.Calls != 1 || c.TalkTime != 90*time.Second || c.WrapTime != 30*time.Second ||
		!c.LastCallEnd.Equal(start.Add(93*time.Second)) || !c.IdleSince.Equal(start.Add(123*time.Second)) {
		t.Errorf("counters = %+v", c)
	}
}

func TestRoster_RefusesIllegalTransitions(t *testing.T) {
	r, _, events := newTestRoster(t)
	cases := []struct {
		name string
		do   func() error
	}{
		{"offer while logged out", func() error { return r.Offer("101", "c1", "q") }},
		{"resume while logged out", func() error { return r.Resume("101") }},
		{"logout twice", func() error { return r.Logout("101") }},
		{"answer without ringing", func() error { return r.Answer("101", "c1") }},
		{"hangup without call", func() error { _, err := r.Hangup("101", "c1", 0); return err }},
		{"end wrap-up without call", func() error { _, err := r.EndWrapUp("101"); return err }},
	}
	for _, c := range cases {
		if err := c.do(); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s: err = %v, want ErrIllegalTransition", c.name, err)
		}
	}
	must(t, r.Login("101", "201"))
	if err := r.Login("101", "202"); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("second login: %v", err)
	}
	must(t, r.Offer("101", "c1", "q"))
	must(t, r.Answer("101", "c1"))
	if err := r.Logout("101"); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("logout on call: %v", err)
	}
	if err := r.Pause("101", "lunch"); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("pause on call: %v", err)
	}
	if _, err := r.Hangup("101", "other", 0); !errors.Is(err, ErrWrongCall) {
		t.Errorf("hangup of another call: %v", err)
	}
	if len(*events) != 3 {
		t.Errorf("refused moves emitted events: %+v", *events)
	}
	if err := r.Login("999", "201"); !errors.Is(err, ErrUnknownAgent) {
		t.Errorf("unknown agent: %v", err)
	}
	if err := r.Login("101", ""); err == nil {
		t.Error("login without extension accepted")
	}
	r.Set(Profile{ID: "102"})
	if err := r.Login("102", "201"); !errors.Is(err, ErrExtensionInUse) {
		t.Errorf("second agent at 201: %v", err)
	}
}

func TestRoster_PauseReasonsComeFromTheList(t *testing.T) {
	r, _, events := newTestRoster(t, WithReasons("lunch", "training"))
	must(t, r.Login("101", "201"))
	if err := r.Pause("101", "smoking"); !errors.Is(err, ErrUnknownReason) {
		t.Fatalf("unlisted reason: %v", err)
	}
	must(t, r.Pause("101", "lunch"))
	must(t, r.Pause("101", "training")) // reason change
	must(t, r.Resume("101"))
	got := (*events)[2]
	if got.To != Paused || got.Reason != "training" {
		t.Errorf("reason change event = %+v", got)
	}
	if s := r.Get("101").Snapshot(); s.State != Available || s.Reason != "" {
		t.Errorf("after resume: %+v", s)
	}
}

func TestRoster_AutoPausesAfterMissedOffersInARow(t *testing.T) {
	r, _, _ := newTestRoster(t, WithAutoPause(2))
	must(t, r.Login("101", "201"))
	ring := func(call string, missed bool) State {
		t.Helper()
		must(t, r.Offer("101", call, "q"))
		st, err := r.Decline("101", call, missed)
		must(t, err)
		return st
	}
	if st := ring("c1", true); st != Available {
		t.Fatalf("first miss -> %s", st)
	}
	if st := ring("c2", false); st != Available {
		t.Fatalf("cancelled offer -> %s", st)
	}
	must(t, r.Offer("101", "c3", "q"))
	must(t, r.Answer("101", "c3")) // an answer resets the run
	_, err := r.Hangup("101", "c3", 0)
	must(t, err)
	ring("c4", true)
	if st := ring("c5", true); st != Paused {
		t.Fatalf("second miss in a row -> %s, want paused", st)
	}
	s := r.Get("101").Snapshot()
	if s.Reason != ReasonNoAnswer || s.Counters.Missed != 3 || s.Counters.Offers != 5 {
		t.Errorf("snapshot = %+v", s)
	}
}

func TestRoster_AgentWrapUpOverridesQueue(t *testing.T) {
	r, clk, _ := newTestRoster(t)
	r.Set(Profile{ID: "101", WrapUp: 5 * time.Second})
	must(t, r.Login("101", "201"))
	must(t, r.Offer("101", "c1", "q"))
	must(t, r.Answer("101", "c1"))
	_, err := r.Hangup("101", "c1", time.Minute)
	must(t, err)
	if w := r.NextWake(); !w.Equal(clk.t.Add(5 * time.Second)) {
		t.Fatalf("wake = %v", w)
	}
	clk.advance(4 * time.Second)
	if exp := r.Tick(nil); len(exp) != 0 {
		t.Fatalf("wrap-up ended early: %+v", exp)
	}
	spent, err := r.EndWrapUp("101")
	must(t, err)
	if spent != 4*time.Second || !r.NextWake().IsZero() {
		t.Errorf("spent = %v, wake = %v", spent, r.NextWake())
	}
}

func TestRoster_RemoveLogsOutAndForgets(t *testing.T) {
	r, _, events := newTestRoster(t)
	must(t, r.Login("101", "201"))
	must(t, r.Offer("101", "c1", "q"))
	must(t, r.Answer("101", "c1"))
	snap, err := r.Remove("101")
	must(t, err)
	if snap.State != OnCall || snap.CallID != "c1" {
		t.Errorf("snapshot = %+v", snap)
	}
	if last := (*events)[len(*events)-1]; last.To != LoggedOut {
		t.Errorf("last event = %+v", last)
	}
	if r.Get("101") != nil || r.Len() != 0 {
		t.Error("agent still on the roster")
	}
	if _, err := r.Remove("101"); !errors.Is(err, ErrUnknownAgent) {
		t.Errorf("second remove: %v", err)
	}
}

func TestRoster_ResetCountersKeepsIdleAndLastCall(t *testing.T) {
	r, _, _ := newTestRoster(t)
	must(t, r.Login("101", "201"))
	must(t, r.Offer("101", "c1", "q"))
	must(t, r.Answer("101", "c1"))
	_, err := r.Hangup("101", "c1", 0)
	must(t, err)
	before := *r.Get("101").Counters()
	r.ResetCounters()
	c := r.Get("101").Counters()
	if c.Calls != 0 || c.Offers != 0 || !c.LastCallEnd.Equal(before.LastCallEnd) || !c.IdleSince.Equal(before.IdleSince) {
		t.Errorf("after reset: %+v", c)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
