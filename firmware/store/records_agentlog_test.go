package store

import (
	"errors"
	"testing"
	"time"
)

// validAgentEventRecords are valid agent-state records, for the table of
// every kind in records_test.go.
func validAgentEventRecords() []Record {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return []Record{AgentEvent{ID: NewID(at), At: at, Agent: "801", From: "available", To: "paused", Reason: "lunch"}}
}

func TestAgentEvent_RefusesMissingAgentAndTime(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, e := range []AgentEvent{
		{ID: NewID(at), From: "available", To: "paused"},
		{ID: NewID(at), At: at, Agent: "801", From: "available", To: "on call!"},
		{At: at, Agent: "801", From: "available", To: "paused"},
	} {
		var ve *ValidationError
		if err := e.Validate(); !errors.As(err, &ve) {
			t.Errorf("%+v: got %v, want a validation error", e, err)
		}
	}
}
