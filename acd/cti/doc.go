// Package cti is the box's computer-telephony integration: it turns the
// ACD's events into what an agent's screen and a company's CRM need.
//
// A Hub follows the event bus (calls ringing, answered, ended; agent
// state; queue joins, leaves and live figures; inbound SMS and faxes) and is told by the queue when it offers a call to
// an agent (Hub.Offered). For each offer it assembles the screen pop: the
// caller's number, their customer record merged from the directory's data
// sources, their last contacts, the IVR path and digits, the queue, the
// wait and the skills asked. The customer lookup starts when the call
// rings, so the record is usually ready when an agent is chosen; a slow or
// dead source never delays the offer past Config.PopTimeout: the pop is
// then marked partial and names the sources that failed, and the source
// errors show on the status page (Hub.Status).
//
// The queue calls Hub.Offer, which returns at once (the pop is published
// when ready), so the agent's phone never waits for the pop. The same
// lookup names the caller on the agent's desk phone (Hub.CallerName,
// Hub.DisplayName), within Config.NameTimeout.
//
// Every ended call with a party outside the box joins the customer
// history (a store.Contact keyed "call.<call ID>", linked to the built-in
// customer that matched), and the agent's wrap-up code and notes are saved
// with it (Hub.WrapUp), whether they come before or after the hang-up. The
// pop's last contacts come from a directory.HistoryIndex that follows the
// store, so a pop costs the same with ten or a million contacts.
//
// A transfer carries the call's data with it (handoff.go): at each
// stage of an acd.CallHandoff the Hub publishes call.handoff, and when
// the target rings at an extension where an agent is logged in (or a
// queue picked one) that agent gets the customer call's pop, saying who
// hands it over and how, with the notes agents wrote on the call
// (Hub.Annotate) and earlier agents' wrap-ups. A queue target's own
// offer and the transfer pop the agent once (the second is an update);
// a cancelled or failed transfer withdraws the pop; a completed one
// makes the target the call's handler, and the call's history entry
// names them, those who handed it on, and the notes.
//
// The Hub keeps each agent's current call (current.go, Hub.CurrentCall):
// the queue call they answered, the call handed to them, or the call
// they placed by click-to-dial (Hub.Originated, which pops the dialled
// customer and names the agent in the call's history), until it ends or
// they hand it on; call.current tells the agent, and a console that
// reloads asks for it. An inbound message nobody holds goes at once to
// the logged-in agents of its queue (Event.To).
//
// Every event the Hub publishes gets an increasing ID and is kept in a
// bounded window, so an SSE or WebSocket client that reconnects with the
// last ID it saw gets what it missed (Hub.Subscribe). Agents see their own
// events (an inbound message goes to the agent it is assigned to);
// supervisors see all (Filter), including each queue's live figures
// (queue.stats), which name no agent. The same events go to the
// configured webhooks (store.Webhook; queue.stats only to a webhook that
// names it), signed with HMAC-SHA256 (Sign,
// VerifySignature), retried with exponential backoff from a bounded queue,
// each attempt kept in a delivery log.
//
// Call control and agent state are reached through two small interfaces
// the firmware wires (Control, Agents), so the API does not depend on the
// B2BUA's or the queue's internals. A Control may also be a Consulter
// (consultative transfer: hold the customer, talk to a target, then join
// them or go back) and an Answerer (answer a ringing desk phone from the
// box, best effort); the API says so (501) when it is not.
//
// Callbacks scheduled through the API (ScheduleCallback) are checked
// against the site's dialplan and queues, kept in the store
// (store.ScheduledCallback) and handed to their queue when due through a
// Booker (the queue's own BookCallback), which then stores, dials and
// retries them like any callback; their notes join the callback's pop. API tokens (NewToken, CheckToken) let a
// CRM use the API without a browser session; agent scripts (CheckAnswers)
// guide the agent through a queue's questions.
package cti
