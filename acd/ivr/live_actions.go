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
	if l.a.Queue == nil {
		return fmt.Errorf("%w: queue", ErrNotOffered)
	}
	l.handOff(req.Lang)
	return l.a.Queue(ctx, l.c, req)
}

// Transfer implements Call.
func (l *Live) Transfer(ctx context.Context, req TransferRequest) error {
	if l.a.Transfer == nil {
		return fmt.Errorf("%w: transfer", ErrNotOffered)
	}
	l.handOff("")
	return l.a.Transfer(ctx, l.c, req)
}

// Voicemail implements Call.
func (l *Live) Voicemail(ctx context.Context, req VoicemailRequest) error {
	if l.a.Voicemail == nil {
		return fmt.Errorf("%w: voicemail", ErrNotOffered)
	}
	l.handOff(req.Lang)
	return l.a.Voicemail(ctx, l.c, req)
}

// SendFax implements Call.
func (l *Live) SendFax(ctx context.Context, req FaxRequest) error {
	if l.a.SendFax == nil {
		return fmt.Errorf("%w: fax", ErrNotOffered)
	}
	l.handOff("")
	return l.a.SendFax(ctx, l.c, req)
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
