package cdr

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
	"callbox/media"
)

type leg struct {
	id    string
	party acd.Party
	done  chan struct{}
	once  sync.Once
}

func newLeg(id string, p acd.Party) *leg { return &leg{id: id, party: p, done: make(chan struct{})} }

func (l *leg) ID() string                   { return l.id }
func (l *leg) Caller() acd.Party            { return l.party }
func (l *leg) Answer(context.Context) error { return nil }
func (l *leg) Hangup(acd.Cause) error       { l.once.Do(func() { close(l.done) }); return nil }
func (l *leg) Media() media.Endpoint        { return nil }
func (l *leg) Done() <-chan struct{}        { return l.done }

// setup runs a real store, a switch and the writer; calls returns a
// function that waits for the next CDR to be committed.
func setup(t *testing.T, h acd.Handler) (*acd.Switch, *store.Store, func() store.CDR) {
	t.Helper()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"), store.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bus := acd.NewBus(acd.WithBusClock(clock))
	sw := acd.NewSwitch(h, acd.WithBus(bus), acd.WithClock(clock))
	ctx, cancel := context.WithCancel(context.Background())
	w := New(st, bus)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() {
		sw.Shutdown(ctx)
		cancel()
		<-done
	})
	<-w.Ready()
	changes := st.Subscribe(ctx, st.Seq())
	next := func() store.CDR {
		t.Helper()
		for {
			select {
			case ch := <-changes:
				if ch.Kind != store.KindCDR {
					continue
				}
				c, err := store.Get[store.CDR](st, ch.Key)
				if err != nil {
					t.Fatal(err)
				}
				return c
			case <-time.After(10 * time.Second):
				t.Fatal("no CDR written")
			}
		}
	}
	return sw, st, next
}

func TestWriter_RecordsAnsweredCallHungUpByCaller(t *testing.T) {
	sw, _, next := setup(t, func(ctx context.Context, c *acd.Call) error {
		c.AddRoute("flow:main")
		c.AddRoute("queue:sales")
		c.SetQueue("sales")
		agent := newLeg("agent", acd.Party{Number: "201", Source: acd.SourceExtension, Via: "201"})
		c.SetAgent("201")
		c.SetRecording("rec1")
		c.SetMOS(4.2)
		go c.Caller().Hangup(acd.CauseNormalClearing) // the caller hangs up during the bridge
		return c.Bridge(ctx, agent)
	})
	caller := newLeg("in1", acd.Party{Number: "13800138000", Name: "Wang", Source: acd.SourceLine, Via: "fxo1"})
	call, err := sw.Accept(caller, "01088886601")
	if err != nil {
		t.Fatal(err)
	}
	got := next()
	want := store.CDR{ID: call.ID(), Caller: "13800138000", CallerName: "Wang", Callee: "201",
		Direction: store.DirectionIn, Source: "line:fxo1", Route: "flow:main>queue:sales", Queue: "sales",
		Agent: "201", Disposition: store.DispositionAnswered, HangupSide: store.HangupCaller, HangupCause: 16,
		Recording: "rec1", MOS: 4.2}
	got.Start, got.Answer, got.End = time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Fatalf("CDR\n got  %+v\n want %+v", got, want)
	}
}

func TestWriter_RecordsRejectedCall(t *testing.T) {
	sw, st, next := setup(t, func(ctx context.Context, c *acd.Call) error { return acd.Reject(acd.CauseUserBusy) })
	caller := newLeg("ext", acd.Party{Number: "201", Source: acd.SourceExtension, Via: "201"})
	sw.Accept(caller, "202")
	got := next()
	if got.Disposition != store.DispositionBusy || got.HangupSide != store.HangupSystem || got.HangupCause != 17 ||
		got.Direction != store.DirectionOut || got.Callee != "202" || !got.Answer.IsZero() || got.End.Before(got.Start) {
		t.Fatalf("CDR %+v", got)
	}
	if n, _ := store.List[store.CDR](st); len(n) != 1 {
		t.Fatalf("%d CDRs", len(n))
	}
}

func TestFromCall_Dispositions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rec  acd.CallRecord
		want store.Disposition
	}{
		{"abandoned in queue", acd.CallRecord{Queue: "sales", Answer: t0, HangupSide: acd.SideCaller}, store.DispositionAbandoned},
		{"caller gave up ringing", acd.CallRecord{HangupSide: acd.SideCaller, Cause: acd.CauseNormalClearing}, store.DispositionNoAnswer},
		{"no answer", acd.CallRecord{HangupSide: acd.SideCallee, Cause: acd.CauseNoAnswer}, store.DispositionNoAnswer},
		{"failed", acd.CallRecord{HangupSide: acd.SideSystem, Cause: acd.CauseTemporaryFailure}, store.DispositionFailed},
		{"voicemail", acd.CallRecord{Answer: t0, Disposition: acd.DispositionVoicemail}, store.DispositionVoicemail},
	} {
		if got := FromCall(tc.rec).Disposition; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestWriter_SavesWithoutFieldsThatFailValidation(t *testing.T) {
	sw, _, next := setup(t, func(ctx context.Context, c *acd.Call) error {
		c.SetAgent("alice") // agents are numbers in the store
		c.SetQueue("sales")
		return c.Answer(ctx)
	})
	sw.Accept(newLeg("in", acd.Party{Number: "13800138000", Source: acd.SourceTrunk, Via: "carrier"}), "8001")
	got := next()
	if got.Agent != "" || got.Queue != "sales" || got.Caller != "13800138000" {
		t.Fatalf("CDR %+v", got)
	}
}

func TestFromCall_FaxKeepsItsDisposition(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	r := acd.CallRecord{ID: "c1", Caller: acd.Party{Number: "01066667777", Source: acd.SourceLine, Via: "line2"},
		Dialed: "88886666", Start: at, Answer: at.Add(time.Second), End: at.Add(time.Minute),
		Disposition: acd.DispositionFax, Route: []string{"inbound:ivr", "flow:demo", "fax:203"}}
	c := FromCall(r)
	if c.Disposition != store.DispositionFax {
		t.Fatalf("disposition %q, want fax", c.Disposition)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestWriter_RecordsEveryCallOfABurst(t *testing.T) {
	sw, st, next := setup(t, func(ctx context.Context, c *acd.Call) error { return acd.Reject(acd.CauseUserBusy) })
	const n = 600 // more than one transaction's worth
	want := map[string]bool{}
	for i := range n {
		call, err := sw.Accept(newLeg(fmt.Sprint("in", i), acd.Party{Number: "201", Source: acd.SourceExtension, Via: "201"}), "202")
		if err != nil {
			t.Fatal(err)
		}
		want[call.ID()] = true
	}
	for range n {
		c := next()
		if !want[c.ID] {
			t.Fatalf("CDR %q twice or of no call", c.ID)
		}
		delete(want, c.ID)
	}
	if all, _ := store.List[store.CDR](st); len(all) != n {
		t.Fatalf("%d CDRs in the store, want %d", len(all), n)
	}
}

func TestWriter_ARecordThatCannotBeSavedLosesNoneOfTheOthersInItsTransaction(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logged bytes.Buffer
	w := New(st, acd.NewBus(), WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	rec := func(id, caller, agent string) store.CDR {
		return store.CDR{ID: id, Caller: caller, Callee: "202", Direction: store.DirectionOut, Agent: agent,
			Start: at, End: at.Add(time.Minute), Disposition: store.DispositionNoAnswer}
	}
	w.saveAll([]store.CDR{
		rec("a", "201", ""),
		rec("b", strings.Repeat("1", 200), ""), // a caller number no CDR can hold
		rec("c", "203", "alice"),               // an agent name where a number belongs: saved without it
	})
	all, err := store.List[store.CDR](st)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "a" || all[1].ID != "c" || all[1].Agent != "" {
		t.Fatalf("saved %+v", all)
	}
	if !strings.Contains(logged.String(), "call_id=b") {
		t.Fatalf("the lost record is not logged:\n%s", logged.String())
	}
}
