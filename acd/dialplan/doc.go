// Package dialplan decides where a call goes. A Config (what the
// installer edits) compiles into a Plan; Plan.Decide is a pure function
// from the call's facts (source, caller, dialled number) to a Decision.
//
// The rules are tried in one readable order (see insideSteps and
// outsideSteps in plan.go):
//
//	calls from extensions: emergency numbers (always allowed), feature
//	  codes, internal extensions, outbound routes in order
//	calls from lines and trunks: inbound routes in order, by line/trunk,
//	  DID and caller number
//
// Numbers are matched with Asterisk-style patterns (see Pattern).
package dialplan
