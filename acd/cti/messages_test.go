package cti

import (
	"context"
	"encoding/json"
	"testing"

	"callbox/acd"
	"callbox/firmware/store"
)

func TestHub_UnclaimedMessageReachesTheLoggedInAgentsOfItsQueueAtOnce(t *testing.T) {
	r := newRig(t, Config{})
	put(t, r.st, store.Queue{Name: "sms", Strategy: store.StrategyLongestIdle, Members: []store.QueueMember{
		{Agent: "11", Level: 1, Weight: 1}, {Agent: "12", Level: 1, Weight: 1}, {Agent: "13", Level: 1, Weight: 1}}})
	put(t, r.st, store.Queue{Name: "fax", Strategy: store.StrategyLongestIdle, Members: []store.QueueMember{
		{Agent: "13", Level: 1, Weight: 1}}})
	ctx := context.Background()
	subs := map[string]<-chan Event{}
	for _, a := range []string{"11", "12", "13", "14"} {
		subs[a], _ = r.hub.Subscribe(ctx, Filter{Agent: a}, 0)
	}
	// 11, 12 and 14 are logged in; 13 is not; 14 is not in the queue.
	for _, a := range []string{"11", "12", "14"} {
		r.bus.Publish(acd.AgentStateChanged{Agent: a, To: acd.AgentAvailable})
		next(t, subs[a], EventAgentState)
	}
	// got says whether agent a sees the message before the state change
	// published after it.
	got := func(a, id string) bool {
		t.Helper()
		to := acd.AgentPaused
		if a == "13" {
			to = acd.AgentLoggedOut // 13 stays out
		}
		r.bus.Publish(acd.AgentStateChanged{Agent: a, To: to})
		e := firstOf(t, subs[a], EventMessageReceived, EventAgentState)
		if e.Type == EventAgentState {
			return false
		}
		var m acd.MessageReceived
		if err := json.Unmarshal(e.Data, &m); err != nil || m.ID != id {
			t.Fatalf("%s got %s (%v)", a, e.Data, err)
		}
		next(t, subs[a], EventAgentState)
		return true
	}
	sms := acd.MessageReceived{ID: "m1", Channel: acd.MessageSMS, From: "+8613800138000", Text: "hello",
		Conversation: "+8613800138000", Queue: "sms"}
	r.bus.Publish(sms)
	for a, want := range map[string]bool{"11": true, "12": true, "13": false, "14": false} {
		if got(a, "m1") != want {
			t.Errorf("agent %s sees the queue's unclaimed message: %v, want %v", a, !want, want)
		}
	}

	// A queue with nobody logged in: its members get it for when they log in.
	r.bus.Publish(acd.MessageReceived{ID: "m2", Channel: acd.MessageFax, From: "+8613800138000", Pages: 2, Queue: "fax"})
	if !got("13", "m2") || got("11", "m2") {
		t.Error("the fax queue's message went to the wrong agents")
	}

	// No queue: every logged-in agent (11, 12, 14 paused but logged in).
	r.bus.Publish(acd.MessageReceived{ID: "m3", Channel: acd.MessageSMS, From: "+8613800138001", Text: "hi"})
	for a, want := range map[string]bool{"11": true, "12": true, "13": false, "14": true} {
		if got(a, "m3") != want {
			t.Errorf("agent %s sees the message of no queue: %v, want %v", a, !want, want)
		}
	}

	// A message held by an agent still goes to that agent only.
	r.bus.Publish(acd.MessageReceived{ID: "m4", Channel: acd.MessageSMS, From: "+8613800138000", Queue: "sms", Agent: "12"})
	if !got("12", "m4") || got("11", "m4") {
		t.Error("a held message went to another agent")
	}
}
