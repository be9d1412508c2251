package ivr

import (
	"context"
	"time"
)

// Call is what the engine needs from a live call; the switch implements
// it around a call's legs and media, the dry run with a script. Every
// method blocks until its action is over and returns early with ctx's
// error when the caller hangs up.
//
// Actions that hand the call on (Queue, Transfer, Voicemail, SendFax)
// return nil when the call was served and the flow is over, and an error
// when it was not (busy, no answer, mailbox full, unknown target); the
// flow then takes the node's failure exit.
type Call interface {
	// Play plays prompts in order. With bargeIn a key press stops the
	// playback; the key must then be the first digit the next
	// CollectDigits returns.
	Play(ctx context.Context, prompts []Prompt, bargeIn bool) error
	// CollectDigits plays req.Prompts (interrupted by the first key when
	// req.BargeIn) and collects digits until req.Max digits, the
	// terminator or a timeout. It returns the digits without the
	// terminator; "" means the caller pressed nothing in time.
	CollectDigits(ctx context.Context, req DigitRequest) (string, error)
	// Queue waits in an ACD queue until an agent takes the call (nil) or
	// the queue gives up on it (an error saying why: full, closed, waited
	// too long).
	Queue(ctx context.Context, req QueueRequest) error
	// Transfer connects the call to an extension or an outside number.
	Transfer(ctx context.Context, req TransferRequest) error
	// Voicemail lets the caller leave a message in a mailbox.
	Voicemail(ctx context.Context, req VoicemailRequest) error
	// SendFax switches the call to fax and sends a stored document.
	SendFax(ctx context.Context, req FaxRequest) error
	// RequestCallback books a callback; the flow continues afterwards.
	RequestCallback(ctx context.Context, req CallbackRequest) error
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// Prompt is one thing to play: a system or installer prompt by key in a
// language (media/prompt.Library), or an uploaded file by name.
type Prompt struct {
	Lang string `json:"lang,omitempty"`
	Key  string `json:"key,omitempty"`
	File string `json:"file,omitempty"`
}

func (p Prompt) String() string {
	if p.File != "" {
		return "file:" + p.File
	}
	return p.Lang + "/" + p.Key
}

// DigitRequest asks for caller digits.
type DigitRequest struct {
	Prompts []Prompt
	BargeIn bool
	Min     int
	Max     int
	// Terminator ends input early ('#', '*' or 0 for none); it is not
	// part of the result.
	Terminator byte
	// FirstTimeout is how long to wait for the first key after the
	// prompts; InterDigitTimeout for each further key.
	FirstTimeout      time.Duration
	InterDigitTimeout time.Duration
}

// Skill is a skill an agent must have, at least at MinLevel.
type Skill struct {
	Skill    string `json:"skill"`
	MinLevel int    `json:"minLevel,omitempty"`
}

// QueueRequest puts the caller into an ACD queue.
type QueueRequest struct {
	Queue    string
	Priority int
	Skills   []Skill
	// Lang is the caller's language, for announcements and agent choice.
	Lang string
	// Vars travel with the call to the agent's pop-up.
	Vars map[string]string
}

// TransferRequest names where to connect the call: exactly one of
// Extension and Number is set.
type TransferRequest struct {
	Extension string
	Number    string
}

// VoicemailRequest names the mailbox and the language of its prompts.
type VoicemailRequest struct {
	Mailbox string
	Lang    string
}

// FaxRequest names a stored fax document.
type FaxRequest struct {
	Document string
}

// CallbackRequest books a callback from a queue to a number.
type CallbackRequest struct {
	Queue  string
	Number string
	Lang   string
}
