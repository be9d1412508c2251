package ivr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxScript bounds a dry run's digit script.
const MaxScript = 100

// ErrScriptEnd is the dry run's "caller hung up": the flow asked for more
// input than the script holds.
var ErrScriptEnd = errors.New("ivr: the digit script ran out")

// DryRun describes a test call: who calls which number when, and what the
// caller presses.
type DryRun struct {
	ANI  string            `json:"ani"`
	DNIS string            `json:"dnis"`
	At   time.Time         `json:"at"`
	Lang string            `json:"lang,omitempty"`
	Vars map[string]string `json:"vars,omitempty"`
	// Digits answers each digit request in turn: "1" for a menu, "1234"
	// for a collect node (without the terminator), "" for no answer.
	Digits []string `json:"digits"`
	// Fail lists the actions that fail in this run ("queue", "transfer",
	// "voicemail", "fax", "callback"), to test the failure exits.
	Fail []string `json:"fail,omitempty"`
}

// DryRunResult is what a dry run did: the engine's result plus the
// actions the flow asked of the call.
type DryRunResult struct {
	Result
	// Actions lists the hand-offs in order: "queue sales", "transfer 201",
	// "voicemail 200", "hangup".
	Actions []string `json:"actions"`
	// Unused counts script entries left over.
	Unused int `json:"unused"`
	// Error is set when the run stopped on an error (script exhausted,
	// step limit).
	Error string `json:"error,omitempty"`
}

// DryRun runs f without a call, so an installer can test a flow before
// publishing it: the clock stands at in.At (business hours are judged
// then), digit requests are answered from the script, and actions succeed
// unless listed in in.Fail. Lookups are real HTTP requests through the
// engine's client.
func (e *Engine) DryRun(ctx context.Context, f *Flow, in DryRun) (DryRunResult, error) {
	if len(in.Digits) > MaxScript {
		return DryRunResult{}, fmt.Errorf("ivr: dry run: more than %d script entries", MaxScript)
	}
	at := in.At
	if at.IsZero() {
		at = e.now()
	}
	de := *e
	de.now = func() time.Time { return at }
	sc := &scriptCall{digits: in.Digits, fail: map[string]bool{}}
	for _, a := range in.Fail {
		sc.fail[a] = true
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sc.hangup = cancel
	res, err := de.Run(ctx, f, sc, Input{CallID: "dry-run", ANI: in.ANI, DNIS: in.DNIS, Lang: in.Lang, Vars: in.Vars})
	out := DryRunResult{Result: res, Actions: sc.actions, Unused: len(sc.digits)}
	if cause := context.Cause(ctx); errors.Is(cause, ErrScriptEnd) {
		out.End = EndCaller
		out.Error = ErrScriptEnd.Error()
		return out, nil
	}
	if err != nil {
		out.Error = err.Error()
		if errors.Is(err, ErrStepLimit) {
			return out, nil
		}
		return out, err
	}
	return out, nil
}

// scriptCall is the dry run's call: digits from a script, actions noted.
type scriptCall struct {
	digits  []string
	fail    map[string]bool
	actions []string
	hangup  context.CancelCauseFunc
}

func (s *scriptCall) Play(ctx context.Context, _ []Prompt, _ bool) error { return ctx.Err() }

func (s *scriptCall) CollectDigits(ctx context.Context, _ DigitRequest) (string, error) {
	if len(s.digits) == 0 {
		// The scripted caller has nothing more to say: hang up, as a real
		// caller would after silence.
		s.hangup(ErrScriptEnd)
		return "", ctx.Err()
	}
	d := s.digits[0]
	s.digits = s.digits[1:]
	return d, nil
}

func (s *scriptCall) act(what, detail string) error {
	s.actions = append(s.actions, what+" "+detail)
	if s.fail[what] {
		return fmt.Errorf("dry run: %s fails as asked", what)
	}
	return nil
}

func (s *scriptCall) Queue(_ context.Context, req QueueRequest) error {
	return s.act("queue", req.Queue)
}

func (s *scriptCall) Transfer(_ context.Context, req TransferRequest) error {
	return s.act("transfer", req.Extension+req.Number)
}

func (s *scriptCall) Voicemail(_ context.Context, req VoicemailRequest) error {
	return s.act("voicemail", req.Mailbox)
}

func (s *scriptCall) SendFax(_ context.Context, req FaxRequest) error {
	return s.act("fax", req.Document)
}

func (s *scriptCall) RequestCallback(_ context.Context, req CallbackRequest) error {
	return s.act("callback", req.Number)
}

func (s *scriptCall) Hangup(context.Context) error {
	s.actions = append(s.actions, "hangup")
	return nil
}
