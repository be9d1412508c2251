package voicemail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"callbox/acd/ivr"
	"callbox/media/prompt"
	"callbox/media/record"
)

// ErrLogin ends the owner's menu after too many wrong PINs.
var ErrLogin = errors.New("voicemail: login failed")

// Menu settings.
const (
	pinTries       = 3
	maxPINDigits   = 12
	menuTimeout    = 6 * time.Second
	menuIdleLimit  = 3
	MaxMessageTime = 3 * time.Minute
	maxGreeting    = time.Minute
)

// Phone is what the mailbox menus need from a call: the IVR's play and
// collect, and recording. *ivr.Live implements it.
type Phone interface {
	Play(ctx context.Context, prompts []ivr.Prompt, bargeIn bool) error
	CollectDigits(ctx context.Context, req ivr.DigitRequest) (string, error)
	// Record beeps, then writes the caller's audio as a new WAV file at
	// path until '#', opts.Max or hang-up (then with ctx's error, the
	// file finished all the same).
	Record(ctx context.Context, path string, opts ivr.RecordOptions) (record.Result, error)
}

func keys(lang string, ks ...string) []ivr.Prompt {
	out := make([]ivr.Prompt, len(ks))
	for i, k := range ks {
		out[i] = ivr.Prompt{Lang: lang, Key: k}
	}
	return out
}

// LeaveOption adds to what Leave keeps with a message.
type LeaveOption func(*Deposit)

// WithBusy says the owner is busy (on another call), so a busy greeting,
// when the mailbox has one, is played instead of the unavailable one.
func WithBusy(busy bool) LeaveOption { return func(d *Deposit) { d.busy = busy } }

// greetingFor is what a caller hears before the instructions: the
// owner's busy greeting when busy and recorded, else their unavailable
// greeting, else their recorded name inside the standard greeting, else
// the standard greeting.
func greetingFor(st *Store, mailbox, lang string, busy bool) []ivr.Prompt {
	if busy {
		if p, ok := st.GreetingFile(mailbox, GreetingBusy); ok {
			return []ivr.Prompt{{File: p}}
		}
	}
	if p, ok := st.GreetingFile(mailbox, GreetingUnavailable); ok {
		return []ivr.Prompt{{File: p}}
	}
	if p, ok := st.GreetingFile(mailbox, GreetingName); ok {
		return append([]ivr.Prompt{{File: p}}, keys(lang, "vm-unavailable")...)
	}
	return keys(lang, "vm-unavailable")
}

// WithCallID keeps the call's ID with the message (for the recording
// index and the call record).
func WithCallID(id string) LeaveOption { return func(d *Deposit) { d.CallID = id } }

// Leave lets a caller leave a message in mailbox: the owner's greeting
// (or the standard one), the instructions, the recording. A caller who
// hangs up after speaking still leaves the message. A full mailbox is
// announced and returns ErrFull.
func Leave(ctx context.Context, ph Phone, st *Store, mailbox, from, lang string, opts ...LeaveOption) (Message, error) {
	dep, err := st.Begin(mailbox, from)
	if errors.Is(err, ErrFull) {
		return Message{}, errors.Join(err, ph.Play(ctx, keys(lang, "vm-mailbox-full", "goodbye"), false))
	}
	if err != nil {
		return Message{}, err
	}
	for _, o := range opts {
		o(dep)
	}
	greeting := greetingFor(st, mailbox, lang, dep.busy)
	if err := ph.Play(ctx, append(greeting, keys(lang, "vm-leave-message")...), true); err != nil {
		return Message{}, errors.Join(err, dep.Abort())
	}
	_, rerr := ph.Record(ctx, dep.Path(), ivr.RecordOptions{Max: MaxMessageTime})
	if rerr != nil && ctx.Err() == nil {
		return Message{}, errors.Join(rerr, dep.Abort())
	}
	// Recorded up to the hang-up, the key or the limit: keep it.
	m, err := dep.Commit()
	if err != nil {
		return Message{}, err
	}
	if ctx.Err() == nil {
		// The message is safe; a caller who hangs up during the
		// thank-you has done nothing wrong.
		_ = ph.Play(ctx, keys(lang, "vm-message-saved", "goodbye"), false)
	}
	return m, nil
}

// Login is how Menu checks a PIN (the store's password check).
type Login func(pin string) bool

// Menu is the owner's phone menu: PIN, the count of new messages, then
// listen (1), record a greeting (3), exit (*). While listening: replay
// (1), delete (7), save (9), next (#). A nil login means the caller is
// known to be the owner already (calling from the mailbox's own,
// authenticated phone) and is not asked for a PIN.
func Menu(ctx context.Context, ph Phone, st *Store, mailbox, lang string, login Login) error {
	if login != nil {
		ok, err := askPIN(ctx, ph, lang, login)
		if err != nil || !ok {
			return errors.Join(err, errFromLogin(ok))
		}
	}
	sum, err := st.Summary(mailbox)
	if err != nil {
		return err
	}
	count, err := prompt.SayNewMessages(lang, sum.Voice.New)
	if err != nil {
		return err
	}
	intro := keys(lang, count...)
	idle := 0
	for idle < menuIdleLimit {
		d, err := ph.CollectDigits(ctx, ivr.DigitRequest{Prompts: append(intro, keys(lang, "vm-main-menu")...),
			BargeIn: true, Min: 1, Max: 1, FirstTimeout: menuTimeout})
		intro = nil
		if err != nil {
			return err
		}
		switch d {
		case "1":
			idle = 0
			if err := listen(ctx, ph, st, mailbox, lang); err != nil {
				return err
			}
		case "3":
			idle = 0
			if err := recordGreeting(ctx, ph, st, mailbox, lang); err != nil {
				return err
			}
		case "*":
			return ph.Play(ctx, keys(lang, "goodbye"), false)
		case "":
			idle++
		default:
			intro = keys(lang, "invalid-choice")
		}
	}
	return ph.Play(ctx, keys(lang, "goodbye"), false)
}

func errFromLogin(ok bool) error {
	if ok {
		return nil
	}
	return ErrLogin
}

func askPIN(ctx context.Context, ph Phone, lang string, login Login) (bool, error) {
	for range pinTries {
		pin, err := ph.CollectDigits(ctx, ivr.DigitRequest{Prompts: keys(lang, "vm-enter-password"), BargeIn: true,
			Min: 1, Max: maxPINDigits, Terminator: '#', FirstTimeout: menuTimeout, InterDigitTimeout: menuTimeout})
		if err != nil {
			return false, err
		}
		if pin != "" && login(pin) {
			return true, nil
		}
		if err := ph.Play(ctx, keys(lang, "vm-login-incorrect"), false); err != nil {
			return false, err
		}
	}
	return false, ph.Play(ctx, keys(lang, "goodbye"), false)
}

// listen plays every message, new first.
func listen(ctx context.Context, ph Phone, st *Store, mailbox, lang string) error {
	ms, err := st.List(mailbox)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return ph.Play(ctx, keys(lang, "vm-no-messages"), false)
	}
	for i, m := range ms {
		num, err := prompt.SayNumber(lang, i+1)
		if err != nil {
			return err
		}
		head := append([]string{"vm-message"}, num...)
		if lang == "zh" {
			head = append(head, "vm-message-suffix")
		}
		play := append(keys(lang, head...), ivr.Prompt{File: st.AudioPath(m)})
	message:
		for {
			d, err := ph.CollectDigits(ctx, ivr.DigitRequest{Prompts: append(play, keys(lang, "vm-message-menu")...),
				BargeIn: true, Min: 1, Max: 1, FirstTimeout: menuTimeout})
			if err != nil {
				return err
			}
			switch d {
			case "1":
				play = []ivr.Prompt{{File: st.AudioPath(m)}}
			case "7":
				if err := st.Delete(mailbox, m.ID); err != nil {
					return err
				}
				if err := ph.Play(ctx, keys(lang, "vm-message-deleted"), false); err != nil {
					return err
				}
				break message
			case "9":
				if err := st.Save(mailbox, m.ID); err != nil {
					return err
				}
				if err := ph.Play(ctx, keys(lang, "vm-message-saved"), false); err != nil {
					return err
				}
				break message
			case "#", "":
				break message
			default:
				play = keys(lang, "invalid-choice")
			}
		}
	}
	return ph.Play(ctx, keys(lang, "vm-end-of-messages"), false)
}

func recordGreeting(ctx context.Context, ph Phone, st *Store, mailbox, lang string) error {
	if err := ph.Play(ctx, keys(lang, "vm-record-greeting"), false); err != nil {
		return err
	}
	dir, err := st.box(mailbox)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	tmp := filepath.Join(dir, tmpPrefix+"greeting-"+st.newTmp()+".wav")
	defer os.Remove(tmp)
	if _, err := ph.Record(ctx, tmp, ivr.RecordOptions{Max: maxGreeting}); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("voicemail: greeting: %w", err)
	}
	err = st.SetGreeting(mailbox, f)
	f.Close()
	if err != nil {
		// A greeting too short to keep: say so and carry on.
		return ph.Play(ctx, keys(lang, "please-try-again"), false)
	}
	return ph.Play(ctx, keys(lang, "vm-greeting-saved"), false)
}
