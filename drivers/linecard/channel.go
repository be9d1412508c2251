package linecard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callbox/media"
)

// Channel is one PSTN line.
type Channel interface {
	// ID names the line ("dahdi:1", "sim:2"); it is the Device of its
	// store.Line record.
	ID() string
	// Events delivers what happens on the line, in order. The channel
	// is closed when the Channel is closed.
	Events() <-chan Event
	// OffHook answers a ringing line.
	OffHook(ctx context.Context) error
	// Dial seizes an idle line and calls number, presenting callerID
	// where the line allows it. It returns once the far end answered
	// (or, on lines without answer supervision, once dialling is done).
	Dial(ctx context.Context, number, callerID string) error
	// OnHook hangs up (or refuses a ringing call). Idle lines ignore it.
	OnHook() error
	// Media is the line's audio: decoded 20 ms frames through Reader and
	// Writer, and RelayTo for the switch's bridges. Valid while a call
	// is up.
	Media() media.Endpoint
	// SendDigit plays a DTMF digit toward the far end.
	SendDigit(ctx context.Context, digit byte) error
	// Close releases the line; Events is closed.
	Close() error
}

// EventKind is what happened on a line.
type EventKind uint8

// The event kinds.
const (
	// EventRing: an inbound call; CallerID is set when the line
	// delivered one.
	EventRing EventKind = iota + 1
	// EventAnswer: the far end answered a call dialled out.
	EventAnswer
	// EventHangup: the far end hung up (or cancelled before answer).
	EventHangup
	// EventDigit: a DTMF digit from the far end.
	EventDigit
	// EventAlarm: the line is out of service (no battery, card alarm).
	EventAlarm
	// EventNoAlarm: the line is back in service.
	EventNoAlarm
)

// String names the kind for logs.
func (k EventKind) String() string {
	switch k {
	case EventRing:
		return "ring"
	case EventAnswer:
		return "answer"
	case EventHangup:
		return "hangup"
	case EventDigit:
		return "digit"
	case EventAlarm:
		return "alarm"
	case EventNoAlarm:
		return "noalarm"
	}
	return "unknown"
}

// CallerID is the calling party a line reports.
type CallerID struct {
	Number string
	Name   string
}

// Event is one thing that happened on a line.
type Event struct {
	Kind     EventKind
	At       time.Time
	CallerID CallerID // EventRing
	Dialed   string   // EventRing: the number called (DNIS), if the line knows it
	Digit    byte     // EventDigit
	// Cause is the SIP status or line reason behind an EventHangup, 0
	// for a plain hang-up.
	Cause int
}

// Named errors.
var (
	// ErrNoHardware: no DAHDI device on this machine.
	ErrNoHardware = errors.New("linecard: no DAHDI hardware")
	// ErrBusy: the line is already in a call.
	ErrBusy = errors.New("linecard: line busy")
	// ErrNotRinging: OffHook on a line that is not ringing.
	ErrNotRinging = errors.New("linecard: line not ringing")
	// ErrClosed: the channel was closed.
	ErrClosed = errors.New("linecard: channel closed")
	// ErrRejected: the far end refused a call dialled out; the error is
	// a *RejectedError with the status.
	ErrRejected = errors.New("linecard: call rejected")
	// ErrNoPeer: a simulated line has no peer to dial.
	ErrNoPeer = errors.New("linecard: no peer configured for outbound calls")
)

// RejectedError is the far end's refusal of a call dialled out; it
// matches ErrRejected with errors.Is. Status is the SIP final response
// on simulated lines.
type RejectedError struct {
	Status int
	Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("linecard: call rejected: %d %s", e.Status, e.Reason)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }
