package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

func TestLog_KeepsEveryAgentChangeAndSkipsOnlyABadOne(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { at = at.Add(time.Second); return at }
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := acd.NewBus(acd.WithBusClock(clock))
	g := NewLog(st, bus, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	<-g.Ready()
	changes := st.Subscribe(ctx, st.Seq())

	bus.Publish(acd.AgentStateChanged{Agent: "801", From: acd.AgentLoggedOut, To: acd.AgentAvailable})
	bus.Publish(acd.CallRinging{}) // not an agent change: not kept
	bus.Publish(acd.AgentStateChanged{Agent: strings.Repeat("x", 100), From: acd.AgentAvailable, To: acd.AgentPaused})
	bus.Publish(acd.AgentStateChanged{Agent: "801", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: "lunch"})
	for kept := 0; kept < 2; {
		select {
		case c := <-changes:
			if c.Kind == store.KindAgentEvent {
				kept++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d agent changes kept, want 2", kept)
		}
	}
	cancel()
	<-done

	got, err := store.List[store.AgentEvent](st)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].To != "available" || got[1].To != "paused" || got[1].Reason != "lunch" || !got[0].At.Before(got[1].At) {
		t.Fatalf("kept %+v", got)
	}
}
