package acd

import (
	"context"
	"sync/atomic"

	"callbox/media"
)

// Leg is one side of a call, whatever carries it: a SIP dialog, a PSTN
// channel, a modem channel.
type Leg interface {
	// ID is unique among the legs alive in the box (a SIP Call-ID plus
	// tag, "line:fxo1/42").
	ID() string
	// Caller is who placed this leg's call (for an inbound leg, the
	// outside party; for an outbound leg, the number presented).
	Caller() Party
	// Answer connects the leg (200 OK, off-hook). Answering twice is a
	// no-op.
	Answer(ctx context.Context) error
	// Hangup ends the leg with a cause. Hanging up a leg that has ended
	// already returns nil.
	Hangup(cause Cause) error
	// Media is where the leg's audio comes and goes; nil until the leg
	// has media (before answer or early media).
	Media() media.Endpoint
	// Done is closed when the leg has ended, from either end.
	Done() <-chan struct{}
}

// EndContexter is implemented by legs whose end cancels a context: its
// Done is the leg's Done. AfterEnd then watches the leg without a
// goroutine of its own (context.AfterFunc).
type EndContexter interface {
	EndContext() context.Context
}

// Ending is a leg's end kept as a context: a leg embeds it for Done and
// EndContext and calls End once it has ended, and AfterEnd then watches
// it without a goroutine.
type Ending struct {
	ctx context.Context
	end context.CancelFunc
}

// NewEnding returns an Ending that has not ended.
func NewEnding() Ending {
	ctx, cancel := context.WithCancel(context.Background())
	return Ending{ctx: ctx, end: cancel}
}

// Done is closed by End.
func (e *Ending) Done() <-chan struct{} { return e.ctx.Done() }

// EndContext implements EndContexter.
func (e *Ending) EndContext() context.Context { return e.ctx }

// End ends it; later calls do nothing.
func (e *Ending) End() { e.end() }

// AfterEnd arranges for f to run in its own goroutine once leg has
// ended (at once if it has), like context.AfterFunc: stop cancels it
// and reports whether it stopped f from being started. A leg that is an
// EndContexter is watched at no cost until it ends; any other leg costs
// a goroutine parked on Done until it ends or stop is called.
func AfterEnd(leg Leg, f func()) (stop func() bool) {
	if e, ok := leg.(EndContexter); ok {
		return context.AfterFunc(e.EndContext(), f)
	}
	const armed, fired, stopped = 0, 1, 2
	var state atomic.Int32
	quit := make(chan struct{})
	go func() {
		select {
		case <-leg.Done():
			if state.CompareAndSwap(armed, fired) {
				f()
			}
		case <-quit:
		}
	}()
	return func() bool {
		if state.CompareAndSwap(armed, stopped) {
			close(quit)
			return true
		}
		return false
	}
}

// CauseReporter is implemented by legs that know why they ended (the
// Q.850 cause from a SIP final response, BYE Reason or line event). The
// switch asks it after Done is closed, for the CDR.
type CauseReporter interface {
	EndCause() Cause
}

// DigitSource is implemented by legs that deliver the far end's DTMF
// digits (RFC 4733 events on SIP legs, line events on PSTN lines). IVR
// collects from it; legs without it need in-band detection on
// Media().Reader().
type DigitSource interface {
	Digits() <-chan byte
}

// Source is what carries a party's call into the box.
type Source string

// The sources of calls.
const (
	SourceLine      Source = "line"      // a PSTN line (drivers/linecard)
	SourceTrunk     Source = "trunk"     // a SIP trunk
	SourceExtension Source = "extension" // a registered phone
	SourceModem     Source = "modem"     // a GSM modem channel
)

// External reports whether calls from this source come from outside the
// site (lines, trunks, modems).
func (s Source) External() bool { return s == SourceLine || s == SourceTrunk || s == SourceModem }

// Party is one end of a call as the people involved know it.
type Party struct {
	// Number is the caller ID or extension number; may be empty when
	// withheld.
	Number string `json:"number,omitempty"`
	// Name is the display name, if any.
	Name string `json:"name,omitempty"`
	// Source is what carries the call.
	Source Source `json:"source"`
	// Via names the line, trunk or extension the call came over ("fxo1",
	// "carrier", "201").
	Via string `json:"via,omitempty"`
}

// Origin is the source as a CDR writes it: "line:fxo1", "trunk:carrier",
// "ext:201".
func (p Party) Origin() string {
	if p.Via == "" {
		return string(p.Source)
	}
	if p.Source == SourceExtension {
		return "ext:" + p.Via
	}
	return string(p.Source) + ":" + p.Via
}

// String is "Name <number>" or the number alone.
func (p Party) String() string {
	n := p.Number
	if n == "" {
		n = "anonymous"
	}
	if p.Name == "" {
		return n
	}
	return p.Name + " <" + n + ">"
}
