// Package agent keeps the state of the people who take queue calls.
//
// An agent is a person, not a phone: they log in at any extension and
// carry their state, counters and skills with them. A Roster holds every
// known agent and moves each one through a state machine that accepts
// only legal transitions:
//
//	logged-out --Login--> available
//	available  --Offer--> ringing --Answer--> on-call --Hangup--> wrap-up --(timer/EndWrapUp)--> available
//	ringing    --Decline (reject, no answer, cancel)--> available, or paused after N misses in a row
//	available, ringing, wrap-up --Pause(reason)--> paused --Resume--> available
//	any state but on-call --Logout--> logged-out
//
// An illegal move returns an error wrapping ErrIllegalTransition and
// changes nothing. Every change is timestamped with the injected clock and
// handed to the Roster's emit function as an Event, which the bus adapter
// forwards to the acd event bus (the states spell the same strings as
// acd.AgentState).
//
// Wrap-up belongs to the agent, not to a queue: an agent in wrap-up is in
// wrap-up for every queue it serves, so no queue can ring it early.
//
// A Roster is not safe for concurrent use; its owner (the queue
// dispatcher) serializes calls. Emit is called synchronously and must not
// call back into the Roster.
package agent
