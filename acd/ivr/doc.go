// Package ivr holds the IVR: flows as data, their validation, and the
// engine that runs them inside a call.
//
// A flow is a Document, JSON that the web designer edits: typed nodes with
// an id, a canvas position, settings and named exits to other nodes. The
// node types are declared in one ordered list (registry.go), which also
// feeds the designer's palette (NodeTypes). Parse imports a file and
// refuses a bad one with the line and the reason (*ImportError); Validate
// lists every problem of a flow (missing or dangling exits, unreachable
// nodes, loops that never wait for the caller, missing settings, unknown
// prompts, queues, hours, mailboxes and flows) attached to node ids, so the
// designer can highlight them; messages come from firmware/i18n.
//
// Publishing (Publish) validates a store.Flow record, bumps its version and
// compiles it into a *Flow: immutable, so a call that started on version 3
// finishes on version 3 whatever is published meanwhile. The Catalog holds
// the published version of each flow for new calls.
//
// Engine.Run executes a flow as plain blocking calls on the call's own
// goroutine against the small Call interface (play, collect digits, queue,
// transfer, voicemail, fax, callback, hang up), which the switch
// implements. Lookup nodes make their own HTTP requests with a timeout and
// fail safe to their error exit. Every step is logged (node, time, exit,
// digits, prompts) for the call record and the agent's pop-up; a hang-up
// cancels the context and ends the run; a step limit stops a caller who
// loops for ever. A goto node continues in another flow; a subflow node
// runs another flow until it reaches a return node, then carries on. Engine.DryRun runs a flow with a given caller number,
// dialled number, time and digit script, without a call, so an installer
// can test a flow before publishing it.
//
// On a live call, Live is that Call over an *acd.Call: prompts go through
// the box's prompt.Pacer to the caller leg's media, a key barges in, digits
// come from the leg's RFC 4733 events (acd.DigitSource on the leg or its
// media endpoint, when telephone-events were negotiated) or otherwise
// from in-band detection on the caller's audio, which Live takes through
// the leg's own RelayTo (stopped, and waited for, before any hand-off);
// Record writes the caller to a WAV file with media/record. Hand-offs (queue,
// transfer, voicemail, callback, fax) are functions in Actions that the
// firmware fills; a nil one fails its node, and without SendFax the fax
// node is neither offered (Palette) nor publishable (Checks.NoFax).
// Runner.Run is what the router calls: it answers, runs the published
// flow with the caller's number, the dialled number and the time in the
// box's zone as facts, and leaves the path, the digits and the language
// on the call for the agent's pop-up and the CDR.
//
// Shelf keeps flows in the store for the designer: a draft beside the
// published record, kept versions to restore, import and export; Follow
// keeps a Catalog in step with the store's change feed.
//
// DemoFlow, DemoHours and DemoOrders are the demonstration configuration
// that `callbox --demo` installs; DemoOrders is a made-up order service for
// the demo only.
package ivr
