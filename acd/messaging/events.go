package messaging

import (
	"time"

	"callbox/firmware/store"
)

// EventKind says what happened to a message.
type EventKind string

// The event kinds.
const (
	// EventSMS: an inbound SMS joined a conversation; Queue and Agent say
	// who should answer it.
	EventSMS EventKind = "sms"
	// EventAutoReply: an inbound SMS was answered by Rule.
	EventAutoReply EventKind = "autoreply"
	// EventFax: a fax came in, a work item for Queue.
	EventFax EventKind = "fax"
)

// Event tells the agent console about an inbound message. The acd.Bus has
// a closed set of event types, so the wiring passes these on (Config.OnEvent)
// to whatever feeds the console.
type Event struct {
	Kind         EventKind     `json:"kind"`
	Conversation string        `json:"conversation,omitempty"`
	Queue        string        `json:"queue,omitempty"`
	Agent        string        `json:"agent,omitempty"`
	Rule         string        `json:"rule,omitempty"`
	CustomerID   string        `json:"customerId,omitempty"`
	Message      store.Message `json:"message"`
	At           time.Time     `json:"at"`
}
