// Package voicemail keeps voice mailboxes: messages left by callers, the
// limits that keep a box from filling the disk, the phone menus (leave a
// message; the owner's PIN-protected listen, save, delete and greeting
// menu), and the message-waiting summary body (RFC 3842) that lights the
// lamp on the owner's SIP phone.
//
// A Store keeps each mailbox in a directory: one WAV file per message with
// a small JSON file of its details beside it. A message is recorded into a
// Deposit (a temporary file), then committed: audio synced and renamed
// first, details last, so a crash leaves a whole message or nothing, and
// Open sweeps away the rest. Every change calls the store's change hook
// with the mailbox's new counts, which is where the switch sends its
// NOTIFY. Mailbox ids are extension numbers or queue names.
//
// The menus talk to the call through Phone, the IVR's play and collect
// plus recording (*ivr.Live), so they run inside the call's goroutine like
// any IVR node. Service puts it together for live calls: Deposit and
// Leave (the router's and the IVR's way to leave a message), Mailbox (the
// owner's PIN menu), the message-waiting hook for the SIP side and the
// recording index in the store.
package voicemail
