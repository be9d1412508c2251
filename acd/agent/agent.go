package agent

import (
	"errors"
	"time"
)

// State is an agent's availability. The strings equal acd.AgentState's.
type State string

// The agent states.
const (
	LoggedOut State = "loggedout"
	Available State = "available"
	Ringing   State = "ringing"
	OnCall    State = "oncall"
	WrapUp    State = "wrapup"
	Paused    State = "paused"
)

// ReasonNoAnswer is the pause reason the roster itself uses when an agent
// misses too many offers in a row; it is always accepted.
const ReasonNoAnswer = "no-answer"

// Errors returned by Roster methods; check with errors.Is.
var (
	// ErrUnknownAgent: no agent with that ID is on the roster.
	ErrUnknownAgent = errors.New("agent: unknown agent")
	// ErrIllegalTransition: the move is not allowed from the agent's state.
	ErrIllegalTransition = errors.New("agent: illegal state transition")
	// ErrUnknownReason: the pause reason is not in the configured list.
	ErrUnknownReason = errors.New("agent: unknown pause reason")
	// ErrWrongCall: the call named is not the one the agent is on.
	ErrWrongCall = errors.New("agent: not the agent's call")
	// ErrNoExtension: login without an extension to ring.
	ErrNoExtension = errors.New("agent: no extension")
	// ErrExtensionInUse: another agent is logged in at that extension.
	ErrExtensionInUse = errors.New("agent: extension in use")
)

// Skill is one skill an agent has, at a level from 1 (novice) to 10.
type Skill struct {
	Name  string
	Level int
}

// Profile is what the configuration says about an agent (from
// store.Agent): who they are and what they can do.
type Profile struct {
	ID     string
	Name   string
	Skills []Skill
	// WrapUp, when positive, overrides the queue's wrap-up time.
	WrapUp time.Duration
}

// Level returns the agent's level in skill, 0 when they lack it.
func (p *Profile) Level(skill string) int {
	for _, s := range p.Skills {
		if s.Name == skill {
			return s.Level
		}
	}
	return 0
}

// Counters are an agent's running figures, used by queue strategies
// (fewest calls, least talk time, least recent, longest idle) and
// reports. They survive logout; Roster.ResetCounters starts a new day.
type Counters struct {
	// Calls answered.
	Calls int
	// Offers made and Missed offers (rejected or unanswered), in total.
	Offers, Missed int
	// MissedInRow counts unanswered offers since the last answer; it
	// drives auto-pause.
	MissedInRow int
	TalkTime    time.Duration
	WrapTime    time.Duration
	// LastCallEnd is when the last call ended (zero: none yet).
	LastCallEnd time.Time
	// IdleSince is when the agent last became available (zero unless
	// available).
	IdleSince time.Time
}

// Snapshot is a copy of one agent's state, safe to keep.
type Snapshot struct {
	Profile
	State     State
	Extension string
	// Reason is the pause reason while paused.
	Reason string
	// CallID and Queue name the call while ringing, on-call or in wrap-up.
	CallID, Queue string
	// Since is when the agent entered State.
	Since time.Time
	// WrapUntil is when wrap-up ends (zero unless in wrap-up).
	WrapUntil time.Time
	Counters  Counters
}

// Event is one state change, for the event bus and reports.
type Event struct {
	Agent  string
	From   State
	To     State
	Reason string
	CallID string
	Queue  string
	At     time.Time
}
