package cti

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"callbox/acd"
)

// firstOf returns the first event on ch of one of typs.
func firstOf(t *testing.T, ch <-chan Event, typs ...string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed while waiting for %v", typs)
			}
			for _, typ := range typs {
				if e.Type == typ {
					return e
				}
			}
		case <-timeout:
			t.Fatalf("no event of %v", typs)
		}
	}
}

func TestHub_QueueStatsReachSupervisorsNotAgents(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	sup, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	ag, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)
	r.bus.Publish(acd.QueueStats{Queue: "sales", Waiting: 3, Available: 1, ServiceLevel: 87.5})
	// A later event the agent does see: the stream keeps order, so the
	// figures would have come before it.
	r.bus.Publish(acd.AgentStateChanged{Agent: "11", To: acd.AgentAvailable})

	var s acd.QueueStats
	if err := json.Unmarshal(next(t, sup, EventQueueStats).Data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Queue != "sales" || s.Waiting != 3 || s.Available != 1 || s.ServiceLevel != 87.5 || s.M.Seq == 0 {
		t.Errorf("supervisor got %+v", s)
	}
	if e := firstOf(t, ag, EventQueueStats, EventAgentState); e.Type != EventAgentState {
		t.Errorf("agent got %s before its own state", e.Type)
	}
}

func TestHub_MessageReceivedReachesItsAgentAndSupervisors(t *testing.T) {
	r := newRig(t, Config{})
	ctx := context.Background()
	sup, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	mine, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)
	other, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	r.bus.Publish(acd.MessageReceived{ID: "m1", Channel: acd.MessageSMS, From: "+8613800138000", Text: "hello",
		Conversation: "+8613800138000", Queue: "sms", Agent: "11"})
	r.bus.Publish(acd.AgentStateChanged{Agent: "12", To: acd.AgentAvailable})

	for name, ch := range map[string]<-chan Event{"supervisor": sup, "agent": mine} {
		e := next(t, ch, EventMessageReceived)
		var m acd.MessageReceived
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		if e.Agent != "11" || m.ID != "m1" || m.Text != "hello" || m.Queue != "sms" {
			t.Errorf("%s got %+v %+v", name, e, m)
		}
	}
	if e := firstOf(t, other, EventMessageReceived, EventAgentState); e.Type != EventAgentState {
		t.Error("another agent got the message")
	}
}

func TestWebhook_WallboardFiguresOnlyWhenNamed(t *testing.T) {
	cases := []struct {
		events []string
		typ    string
		want   bool
	}{
		{nil, EventCallEnded, true},
		{nil, EventQueueStats, false},
		{[]string{"*"}, EventQueueStats, false},
		{[]string{"*"}, EventMessageReceived, true},
		{[]string{EventQueueStats}, EventQueueStats, true},
		{[]string{EventCallEnded}, EventMessageReceived, false},
	}
	for _, c := range cases {
		if got := wants(c.events, c.typ); got != c.want {
			t.Errorf("hook %v, event %s: %v, want %v", c.events, c.typ, got, c.want)
		}
	}
}
