package ivr

import (
	"context"
	"fmt"

	"callbox/acd"
)

// The hand-offs: each stops the listener first, because the call's audio
// is about to belong to someone else (an agent, a mailbox, a fax), and
// tells the call the caller's language, which stays with it.

// Queue implements Call.
func (l *Live) Queue(ctx context.Context, req QueueRequest) error {
	return handOffTo(ctx, l, "queue", req.Lang, l.a.Queue, req)
}

// Transfer implements Call.
func (l *Live) Transfer(ctx context.Context, req TransferRequest) error {
	return handOffTo(ctx, l, "transfer", "", l.a.Transfer, req)
}

// Voicemail implements Call.
func (l *Live) Voicemail(ctx context.Context, req VoicemailRequest) error {
	return handOffTo(ctx, l, "voicemail", req.Lang, l.a.Voicemail, req)
}

// SendFax implements Call.
func (l *Live) SendFax(ctx context.Context, req FaxRequest) error {
	return handOffTo(ctx, l, "fax", "", l.a.SendFax, req)
}

// handOffTo gives the call to the switch's action (ErrNotOffered, naming
// what, when the switch has none), after the hand-off: the listener
// stopped and the caller's language, when lang says one, set on the call.
func handOffTo[R any](ctx context.Context, l *Live, what, lang string, action func(context.Context, *acd.Call, R) error, req R) error {
	if action == nil {
		return fmt.Errorf("%w: %s", ErrNotOffered, what)
	}
	l.handOff(lang)
	return action(ctx, l.c, req)
}

// RequestCallback implements Call; the caller stays in the flow, so the
// listener keeps running.
func (l *Live) RequestCallback(ctx context.Context, req CallbackRequest) error {
	if l.a.Callback == nil {
		return fmt.Errorf("%w: callback", ErrNotOffered)
	}
	return l.a.Callback(ctx, l.c, req)
}

// Hangup implements Call: the caller's leg is released at once; the
// switch finishes the call when the handler returns.
func (l *Live) Hangup(context.Context) error {
	// Hanging up first ends the leg's media, which lets the listener go.
	l.hungUp = true
	err := l.c.Caller().Hangup(acd.CauseNormalClearing)
	l.quiet()
	return err
}

func (l *Live) handOff(lang string) {
	l.quiet()
	if lang != "" {
		l.c.Set(CallLang, lang)
	}
}
