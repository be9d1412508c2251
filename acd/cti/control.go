package cti

import (
	"context"
	"errors"
)

// Errors of the CTI.
var (
	// ErrUnknownCall: no active or recent call has this ID.
	ErrUnknownCall = errors.New("cti: unknown call")
	// ErrNoControl: the firmware wired no call control.
	ErrNoControl = errors.New("cti: call control is not available")
	// ErrNoAgents: the firmware wired no agent control.
	ErrNoAgents = errors.New("cti: agent control is not available")
	// ErrReplayGap: the events after the asked ID are no longer kept.
	ErrReplayGap = errors.New("cti: events no longer kept")
	// ErrBadToken: an API token is malformed, unknown, disabled, expired
	// or wrong.
	ErrBadToken = errors.New("cti: bad API token")
	// ErrBadSignature: a webhook signature header is malformed, stale or
	// does not match the body.
	ErrBadSignature = errors.New("cti: bad webhook signature")
)

// Control changes live calls. The B2BUA's owner implements it; each
// method returns ErrUnknownCall (possibly wrapped) for a call ID the
// switch does not have.
type Control interface {
	// Originate is click-to-dial: ring extension ext first and, when it
	// answers, dial number from it. It returns the new call's ID once
	// ext rings.
	Originate(ctx context.Context, ext, number string) (callID string, err error)
	// Hangup ends the call.
	Hangup(ctx context.Context, callID string) error
	// Hold puts the caller on hold (on) or takes them off it.
	Hold(ctx context.Context, callID string, on bool) error
	// Transfer sends the caller to target (an extension or a number)
	// and drops the agent's leg: a blind transfer.
	Transfer(ctx context.Context, callID, target string) error
	// Conference adds target to the call, all parties hearing each
	// other.
	Conference(ctx context.Context, callID, target string) error
}

// Agents changes an agent's state in the ACD. The queue's owner
// implements it; errors are the queue's.
type Agents interface {
	Login(ctx context.Context, agent, ext string) error
	Logout(ctx context.Context, agent string) error
	Pause(ctx context.Context, agent, reason string) error
	Ready(ctx context.Context, agent string) error
}

// Errors of the optional call-control features. The firmware maps the
// implementations' errors to them, so the API can say what happened.
var (
	// ErrNotSupported: the wired control cannot do this.
	ErrNotSupported = errors.New("cti: not supported by the call control")
	// ErrNotRinging: no call rings the phone to answer.
	ErrNotRinging = errors.New("cti: nothing rings the phone")
	// ErrPhoneRefused: the phone refused the remote answer (its SIP
	// status is in the message).
	ErrPhoneRefused = errors.New("cti: the phone refused")
	// ErrPhoneSilent: the phone did not answer the request in time.
	ErrPhoneSilent = errors.New("cti: the phone did not respond")
	// ErrConsulting: the call has a consultation going.
	ErrConsulting = errors.New("cti: a consultation is in progress")
	// ErrNoConsult: the call has no (answered) consultation.
	ErrNoConsult = errors.New("cti: no consultation in progress")
)

// Consulter is a Control that also does consultative transfers: the
// customer is held while the agent's phone talks to a target, then the
// two are joined (CompleteConsult) or the agent goes back
// (CancelConsult).
type Consulter interface {
	// Consult holds the customer and connects the agent's phone to
	// target; it blocks while target rings and returns nil once it
	// answered.
	Consult(ctx context.Context, callID, target string) error
	// CompleteConsult joins the customer and the target and releases
	// the agent.
	CompleteConsult(ctx context.Context, callID string) error
	// CancelConsult drops the target (or stops its ringing) and gives
	// the agent back to the customer.
	CancelConsult(ctx context.Context, callID string) error
}

// Answerer is a Control that can answer a call ringing a phone from the
// box (SIP NOTIFY with Event: talk; best effort, the phone decides).
type Answerer interface {
	// Answer makes the phone of extension ext answer the ringing for
	// call callID: ErrNotRinging, ErrPhoneRefused or ErrPhoneSilent
	// when it does not.
	Answer(ctx context.Context, callID, ext string) error
}
