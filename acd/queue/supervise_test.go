package queue_test

import (
	"context"
	"errors"
	"testing"

	"callbox/acd/queue"
	"callbox/firmware/store"
	"callbox/media/mix"
)

func TestLive_WhisperingSupervisorIsHeardByTheAgentOnlyThenBarges(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	d := r.live.Dispatcher()
	desk, boss := r.phone("201"), r.phone("401")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101")

	done := make(chan error, 1)
	go func() { done <- r.live.Supervise(context.Background(), "101", "401", mix.Whisper) }()
	sup, _ := answer(t, boss)
	// The agent hearing the supervisor shows the whisper is in place; only
	// then is the caller's silence meaningful.
	if !hears(t, sup, agentCall, 1500) {
		t.Fatal("the agent does not hear the whispering supervisor")
	}
	if !silent(t, sup, caller, 1500) {
		t.Error("the caller hears the whispering supervisor")
	}
	if !hears(t, caller, sup, 1000) || !hears(t, agentCall, sup, 700) {
		t.Error("the whispering supervisor does not hear both sides")
	}
	if !hears(t, caller, agentCall, 1000) || !hears(t, agentCall, caller, 700) {
		t.Error("caller and agent stopped hearing each other under whisper")
	}
	if err := r.live.SetSupervision("101", mix.Barge); err != nil {
		t.Fatal(err)
	}
	if !hears(t, sup, caller, 1500) || !hears(t, sup, agentCall, 1500) {
		t.Error("barge after whisper is not heard by both")
	}
	if err := r.live.SetSupervision("101", mix.Listen); err != nil {
		t.Fatal(err)
	}
	if !hears(t, caller, sup, 1000) {
		t.Error("back to listening, the supervisor does not hear the caller")
	}
	if !silent(t, sup, agentCall, 1500) || !silent(t, sup, caller, 1500) {
		t.Error("a supervisor back to listening is heard")
	}
	hangup(t, sup, sup)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Supervise: %v", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("Supervise did not return when the supervisor hung up")
	}
	if !hears(t, caller, agentCall, 1000) || !hears(t, agentCall, caller, 700) {
		t.Error("call broken after the whispering supervisor left")
	}
	hangup(t, caller, agentCall)
	if err := r.live.SetSupervision("101", mix.Whisper); !errors.Is(err, queue.ErrNotOnCall) {
		t.Errorf("whisper after the call: %v; want ErrNotOnCall", err)
	}
}
