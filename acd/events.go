package acd

import "time"

// Event is one state change published on the Bus. The set of event types
// is closed: a subscriber switches on the concrete type.
type Event interface {
	// Meta is the bus's stamp: sequence number and time.
	Meta() Meta
	stamp(m Meta) Event
}

// Meta is what the bus adds to every event. Seq increases by one per
// published event, so a subscriber that sees a gap knows it was too slow
// and events were dropped for it.
type Meta struct {
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
}

// CallRinging: a call entered the switch and its handler started.
type CallRinging struct {
	M    Meta       `json:"meta"`
	Call CallRecord `json:"call"`
}

// CallAnswered: the caller's leg was answered.
type CallAnswered struct {
	M    Meta       `json:"meta"`
	Call CallRecord `json:"call"`
}

// CallEnded: the call is over; Call holds its final record (end time,
// hang-up side and cause, route).
type CallEnded struct {
	M    Meta       `json:"meta"`
	Call CallRecord `json:"call"`
}

// CallTransferred: a party of a bridged call was replaced by another
// (a blind or attended transfer, an INVITE with Replaces, a pickup of a
// transfer); Call holds the record after the change.
type CallTransferred struct {
	M    Meta       `json:"meta"`
	Call CallRecord `json:"call"`
	From Party      `json:"from"` // the party that left
	To   Party      `json:"to"`   // the party that took its place
}

// HandoffKind is how an agent hands a call on.
type HandoffKind string

// The handoff kinds.
const (
	HandoffBlind   HandoffKind = "blind"   // transfer without speaking to the target first
	HandoffConsult HandoffKind = "consult" // consultation, then transfer or cancel
)

// HandoffStage is how far a handoff has come.
type HandoffStage string

// The handoff stages, in the order they can happen.
const (
	HandoffRinging   HandoffStage = "ringing"   // the target is being rung for the call
	HandoffAnswered  HandoffStage = "answered"  // a consultation target answered the agent
	HandoffCompleted HandoffStage = "completed" // the target has taken the agent's place
	HandoffCancelled HandoffStage = "cancelled" // the agent took the call back (or the target hung up)
	HandoffFailed    HandoffStage = "failed"    // the target could not be reached
)

// CallHandoff: an agent is handing a call on to another party (a blind
// or consultative transfer). It is published at each stage so the CTI
// layer can give the target the call's data (customer, IVR digits, notes)
// the moment the target's phone rings. Extension is the
// extension being rung when the box knows it (an extension dialled, or
// the agent a queue picked), empty for an outside number.
type CallHandoff struct {
	M         Meta         `json:"meta"`
	Call      CallRecord   `json:"call"`
	Kind      HandoffKind  `json:"kind"`
	Stage     HandoffStage `json:"stage"`
	From      Party        `json:"from"`   // the agent handing the call on
	Target    string       `json:"target"` // as given: a number, an extension or "queue:NAME"
	Extension string       `json:"extension,omitempty"`
	Agent     string       `json:"agent,omitempty"` // the target agent's ID when a queue picked one
}

// AgentState is an agent's availability, as the ACD keeps it.
type AgentState string

// The agent states.
const (
	AgentLoggedOut AgentState = "loggedout"
	AgentAvailable AgentState = "available"
	AgentRinging   AgentState = "ringing"
	AgentOnCall    AgentState = "oncall"
	AgentWrapUp    AgentState = "wrapup"
	AgentPaused    AgentState = "paused"
)

// AgentStateChanged: an agent moved between states.
type AgentStateChanged struct {
	M      Meta       `json:"meta"`
	Agent  string     `json:"agent"`
	From   AgentState `json:"from"`
	To     AgentState `json:"to"`
	Reason string     `json:"reason,omitempty"` // pause reason
	CallID string     `json:"callId,omitempty"`
}

// QueueJoined: a call started waiting in a queue.
type QueueJoined struct {
	M        Meta   `json:"meta"`
	Queue    string `json:"queue"`
	CallID   string `json:"callId"`
	Caller   Party  `json:"caller"`
	Position int    `json:"position"` // 1 is next
}

// QueueLeft: a call stopped waiting, answered by an agent or not.
type QueueLeft struct {
	M      Meta          `json:"meta"`
	Queue  string        `json:"queue"`
	CallID string        `json:"callId"`
	Reason string        `json:"reason"` // "answered", "abandoned", "timeout", "callback", "overflow"
	Agent  string        `json:"agent,omitempty"`
	Waited time.Duration `json:"waited"`
}

// QueueStats: a queue's live figures changed (a caller joined or left,
// an agent's state moved). The ACD publishes it at most about once a
// second per queue, so a wallboard can follow it without polling.
type QueueStats struct {
	M     Meta   `json:"meta"`
	Queue string `json:"queue"`
	// Waiting callers now, the wait of the oldest of them (at M.At), and
	// the callbacks holding a place.
	Waiting    int           `json:"waiting"`
	OldestWait time.Duration `json:"oldestWait"`
	Callbacks  int           `json:"callbacks"`
	// Members logged in, and those of them free to take a call.
	LoggedIn  int `json:"loggedIn"`
	Available int `json:"available"`
	// EstimatedWait for a caller joining now.
	EstimatedWait time.Duration `json:"estimatedWait"`
	// Today's figures since midnight: waits ended, answered, abandoned,
	// the service level in percent (100 with no call counted), the
	// longest wait that ended and the average speed of answer.
	Offered      int           `json:"offered"`
	Answered     int           `json:"answered"`
	Abandoned    int           `json:"abandoned"`
	ServiceLevel float64       `json:"serviceLevel"`
	LongestWait  time.Duration `json:"longestWait"`
	ASA          time.Duration `json:"asa"`
	// IntervalServiceLevel is the service level of the running 15-minute
	// interval.
	IntervalServiceLevel float64 `json:"intervalServiceLevel"`
}

// MessageChannel is how a message came in.
type MessageChannel string

// The message channels.
const (
	MessageSMS MessageChannel = "sms"
	MessageFax MessageChannel = "fax"
)

// MessageReceived: an inbound SMS or fax was stored and routed. Queue and
// Agent say who should answer it; Rule is set instead when an automatic
// reply already did.
type MessageReceived struct {
	M            Meta           `json:"meta"`
	ID           string         `json:"id"` // the stored message's ID
	Channel      MessageChannel `json:"channel"`
	From         string         `json:"from"`
	To           string         `json:"to,omitempty"`    // the line or modem it came in on
	Text         string         `json:"text,omitempty"`  // SMS
	Pages        int            `json:"pages,omitempty"` // fax
	Conversation string         `json:"conversation,omitempty"`
	Queue        string         `json:"queue,omitempty"`
	Agent        string         `json:"agent,omitempty"`
	Rule         string         `json:"rule,omitempty"`
	CustomerID   string         `json:"customerId,omitempty"`
}

// Meta implements Event.
func (e CallRinging) Meta() Meta { return e.M }

// Meta implements Event.
func (e CallAnswered) Meta() Meta { return e.M }

// Meta implements Event.
func (e CallEnded) Meta() Meta { return e.M }

// Meta implements Event.
func (e CallTransferred) Meta() Meta { return e.M }

// Meta implements Event.
func (e CallHandoff) Meta() Meta { return e.M }

// Meta implements Event.
func (e AgentStateChanged) Meta() Meta { return e.M }

// Meta implements Event.
func (e QueueJoined) Meta() Meta { return e.M }

// Meta implements Event.
func (e QueueLeft) Meta() Meta { return e.M }

// Meta implements Event.
func (e QueueStats) Meta() Meta { return e.M }

// Meta implements Event.
func (e MessageReceived) Meta() Meta { return e.M }

func (e CallRinging) stamp(m Meta) Event       { e.M = m; return e }
func (e CallAnswered) stamp(m Meta) Event      { e.M = m; return e }
func (e CallEnded) stamp(m Meta) Event         { e.M = m; return e }
func (e CallTransferred) stamp(m Meta) Event   { e.M = m; return e }
func (e CallHandoff) stamp(m Meta) Event       { e.M = m; return e }
func (e AgentStateChanged) stamp(m Meta) Event { e.M = m; return e }
func (e QueueJoined) stamp(m Meta) Event       { e.M = m; return e }
func (e QueueLeft) stamp(m Meta) Event         { e.M = m; return e }
func (e QueueStats) stamp(m Meta) Event        { e.M = m; return e }
func (e MessageReceived) stamp(m Meta) Event   { e.M = m; return e }
