package acd

import (
	"context"

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
