package store

import "time"

// The agent-state log: every change of an agent's state (logged in,
// ready, ringing, on a call, wrap-up, paused with a reason, logged out),
// kept for the reports (pause time by reason, occupancy). Like the CTI's
// kinds the bucket came without a schema step: Open creates it in a file
// of the current schema, and older firmware never reads it.

// KindAgentEvent keeps agent state changes.
const KindAgentEvent Kind = "agentevents"

// AgentEvent is one state change of an agent. Key: ID, a NewID of At, so
// the log lists in time order.
type AgentEvent struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Agent  string    `json:"agent"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"` // the pause reason
	CallID string    `json:"callId,omitempty"`
}

// Kind implements Record.
func (AgentEvent) Kind() Kind { return KindAgentEvent }

// Key implements Record.
func (e AgentEvent) Key() string { return e.ID }

// Validate implements Record.
func (e AgentEvent) Validate() error {
	var f fields
	f.text("id", e.ID, true, 128)
	if e.At.IsZero() {
		f.add("at", codeRequired)
	}
	f.text("agent", e.Agent, true, 64)
	f.name("from", e.From)
	f.name("to", e.To)
	f.text("reason", e.Reason, false, 64)
	f.text("callId", e.CallID, false, 256)
	return f.result(KindAgentEvent, e.ID)
}

func init() {
	recordVersions[KindAgentEvent] = 1
	codecs[KindAgentEvent] = codecFor[AgentEvent]()
}
