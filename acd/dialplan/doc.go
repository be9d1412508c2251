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
// Numbers are matched with Asterisk-style patterns (see Pattern). An
// E.164 number ("+8613800138000", as customer records, callbacks and
// click-to-dial carry them) dialled at an extension first meets the
// routes written for "+"; when none takes it, the routes see it in the
// form a phone of the site dials it (Outward, Config.Numbering: the
// national form at home, the international prefix abroad), and the
// Decision keeps what was dialled (Dialed) and what is sent (Number).
// FormatNumber turns the sent number into the form a trunk wants on the
// wire (store.Trunk.NumberFormat).
package dialplan
