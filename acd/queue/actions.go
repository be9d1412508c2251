package queue

import (
	"time"

	"callbox/acd/agent"
)

// Action is a command for the switch. The set is closed: the switch
// switches on the concrete type (Offer, Cancel, Announce, Route, Dial).
type Action interface{ action() }

// Offer rings an agent for a call. The switch reports back with
// Dispatcher.Answered, Rejected or NoAnswer. When Callback is set the call
// is a callback: the agent previews it first, and on Answered the
// dispatcher asks the switch to Dial the customer.
type Offer struct {
	CallID    string
	AgentID   string
	Queue     string
	Extension string
	// RingFor is how long the offer stands; the dispatcher cancels it
	// after that.
	RingFor  time.Duration
	Callback *CallbackRecord
}

// CancelReason says why an offer was withdrawn.
type CancelReason string

// The cancel reasons.
const (
	CancelAnsweredElsewhere CancelReason = "answered-elsewhere"
	CancelTimeout           CancelReason = "timeout"
	CancelCallerLeft        CancelReason = "caller-left"
	CancelAgentGone         CancelReason = "agent-gone"
)

// Cancel stops an agent's phone ringing for a call.
type Cancel struct {
	CallID  string
	AgentID string
	Reason  CancelReason
}

// Announce asks the switch to tell a waiting caller their position and
// estimated wait (media/prompt SayPosition and SayWait).
type Announce struct {
	CallID   string
	Queue    string
	Lang     string
	Position int
	// EstimatedWait is zero when unknown (no agent staffed).
	EstimatedWait    time.Duration
	SayPosition      bool
	SayWait          bool
	EstimatedMinutes int
}

// RouteReason says why a caller leaves a queue for a destination.
type RouteReason string

// The route reasons.
const (
	RouteMaxWait      RouteReason = "timeout"
	RouteEmpty        RouteReason = "empty"
	RouteQueueRemoved RouteReason = "queue-removed"
)

// Route tells the switch a waiting caller must leave the queue for To
// (DestNone: hang up with a "no service" cause or play the closed
// message). When To is another queue the dispatcher has already moved
// the call there, keeping its place in time (Moved): the caller keeps
// waiting and the switch need do nothing but update the CDR route.
type Route struct {
	CallID string
	Queue  string
	Reason RouteReason
	To     Destination
	Moved  bool
}

// Dial asks the switch to call a callback's customer and bridge them to
// the agent, who is already on the line with the preview. The switch
// reports with Dispatcher.CallbackResult.
type Dial struct {
	CallbackID string
	AgentID    string
	Number     string
	Queue      string
	Attempt    int
}

func (Offer) action()    {}
func (Cancel) action()   {}
func (Announce) action() {}
func (Route) action()    {}
func (Dial) action()     {}

// Event is a notification for the event bus (agent.Event, Joined, Left,
// CallbackChanged).
type Event any

// LeaveReason is why a call stopped waiting, as Left reports it.
type LeaveReason string

// The leave reasons (the strings of acd.QueueLeft.Reason).
const (
	LeftAnswered  LeaveReason = "answered"
	LeftAbandoned LeaveReason = "abandoned"
	LeftTimeout   LeaveReason = "timeout"
	LeftCallback  LeaveReason = "callback"
	LeftOverflow  LeaveReason = "overflow"
	LeftExit      LeaveReason = "exit"
)

// Joined: a call started waiting in a queue.
type Joined struct {
	Queue    string
	CallID   string
	Caller   string
	Priority int
	Position int
	At       time.Time
}

// Left: a call stopped waiting in a queue.
type Left struct {
	Queue  string
	CallID string
	Reason LeaveReason
	Agent  string
	Waited time.Duration
	At     time.Time
}

// CallbackChanged: a callback was created or its state changed.
type CallbackChanged struct {
	Callback CallbackRecord
}

var _ Event = agent.Event{}
