package voicemail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/firmware/store"
)

// ReasonKey is the call data key that says why a call reaches voicemail;
// ReasonBusy there (set by whoever rang the owner and heard busy) picks
// the mailbox's busy greeting.
const (
	ReasonKey  = "voicemail.reason"
	ReasonBusy = "busy"
)

// ErrNoMailbox: the owner's menu was asked for without a mailbox, from a
// phone that is not an extension.
var ErrNoMailbox = errors.New("voicemail: no mailbox for this caller")

// Config is what the firmware gives the voicemail service.
type Config struct {
	// Dir holds the mailboxes (required), e.g. <data>/voicemail.
	Dir string
	// DataDir is the data directory the recording index's paths are
	// relative to (default: Dir's parent).
	DataDir string
	Limits  Limits
	// Store, when set, gets a store.Recording for each message
	// ("vm-<mailbox>-<id>"), removed with it.
	Store *store.Store
	// Voice plays and records (required).
	Voice *ivr.Voice
	// Login checks an owner's PIN. When nil, the PIN is the hash kept on
	// the mailbox's store.Extension (VoicemailPIN): with one set, every
	// caller must type it; without one, owners reach their own mailbox
	// from their own extension, which SIP digest has authenticated, and
	// every other caller is refused.
	Login func(mailbox, pin string) bool
	// MWI hears every change of a mailbox's counts: wire it to the SIP
	// side's message-waiting NOTIFY.
	MWI func(mailbox string, newMsgs, oldMsgs int)
	// Lang is the language for callers whose call has none yet (default
	// "en").
	Lang func() string
	Now  func() time.Time
	Log  *slog.Logger
}

// Service is voicemail on live calls: leaving messages, the owner's menu,
// the message-waiting hook and the recording index.
type Service struct {
	cfg Config
	st  *Store
	log *slog.Logger
}

// NewService opens the mailboxes under cfg.Dir.
func NewService(cfg Config) (*Service, error) {
	if cfg.Dir == "" || cfg.Voice == nil {
		return nil, fmt.Errorf("voicemail: service needs a directory and a voice")
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Dir(cfg.Dir)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, log: cfg.Log}
	if s.log == nil {
		s.log = slog.Default()
	}
	opts := []Option{WithClock(cfg.Now), WithIndex(s.index, s.unindex)}
	if cfg.MWI != nil {
		opts = append(opts, WithChangeHook(func(box string, sum Summary) { cfg.MWI(box, sum.Voice.New, sum.Voice.Old) }))
	}
	st, err := Open(cfg.Dir, cfg.Limits, opts...)
	if err != nil {
		return nil, err
	}
	s.st = st
	return s, nil
}

// Store is the mailboxes.
func (s *Service) Store() *Store { return s.st }

// Name is the service name the supervisor shows.
func (s *Service) Name() string { return "voicemail" }

// expireEvery is how often Run deletes messages past the age limit.
const expireEvery = time.Hour

// Run deletes messages older than the age limit, at start and then every
// hour, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(expireEvery)
	defer t.Stop()
	for {
		if n, err := s.st.Expire(); err != nil {
			s.log.WarnContext(ctx, "voicemail: expiry", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "voicemail: old messages deleted", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Service) lang(c *acd.Call, want string) string {
	if want != "" {
		return want
	}
	if l, ok := c.Get(ivr.CallLang); ok && l != "" {
		return l
	}
	if s.cfg.Lang != nil {
		if l := s.cfg.Lang(); l != "" {
			return l
		}
	}
	return "en"
}

// Leave is the IVR's voicemail action (ivr.Actions.Voicemail): the caller
// leaves a message in req.Mailbox in req.Lang.
func (s *Service) Leave(ctx context.Context, c *acd.Call, req ivr.VoicemailRequest) error {
	return s.deposit(ctx, c, req.Mailbox, s.lang(c, req.Lang))
}

// Deposit answers c and lets the caller leave a message in mailbox (the
// router's voicemail target: busy or unanswered extensions, after-hours
// routes).
func (s *Service) Deposit(ctx context.Context, c *acd.Call, mailbox string) error {
	return s.deposit(ctx, c, mailbox, s.lang(c, ""))
}

func (s *Service) deposit(ctx context.Context, c *acd.Call, mailbox, lang string) error {
	if err := c.Answer(ctx); err != nil {
		return fmt.Errorf("voicemail: answer: %w", err)
	}
	c.AddRoute("voicemail:" + mailbox)
	live := ivr.NewLive(c, s.cfg.Voice, ivr.Actions{})
	defer live.Close()
	reason, _ := c.Get(ReasonKey)
	m, err := Leave(ctx, live, s.st, mailbox, c.Caller().Caller().Number, lang, WithCallID(c.ID()), WithBusy(reason == ReasonBusy))
	if err != nil {
		if errors.Is(err, ErrEmpty) {
			// The caller hung up at the tone: nothing to keep, nothing
			// went wrong.
			return nil
		}
		return err
	}
	c.SetDisposition(acd.DispositionVoicemail)
	c.Set("voicemail.message", m.Mailbox+"/"+m.ID)
	return nil
}

// Mailbox answers c and runs the owner's menu for mailbox; "" means the
// calling extension's own.
func (s *Service) Mailbox(ctx context.Context, c *acd.Call, mailbox string) error {
	p := c.Caller().Caller()
	own := ""
	if p.Source == acd.SourceExtension {
		own = p.Via
		if own == "" {
			own = p.Number
		}
	}
	if mailbox == "" {
		if own == "" {
			return ErrNoMailbox
		}
		mailbox = own
	}
	if err := c.Answer(ctx); err != nil {
		return fmt.Errorf("voicemail: answer: %w", err)
	}
	c.AddRoute("mailbox:" + mailbox)
	live := ivr.NewLive(c, s.cfg.Voice, ivr.Actions{})
	defer live.Close()
	login := s.login(mailbox, own)
	err := Menu(ctx, live, s.st, mailbox, s.lang(c, ""), login)
	if errors.Is(err, ErrLogin) {
		// Told and said goodbye: the call ends normally, the attempt is
		// logged for whoever looks for PIN guessing.
		s.log.WarnContext(ctx, "voicemail: login failed", "mailbox", mailbox, "caller", c.Caller().Caller().Number)
		return nil
	}
	return err
}

// login is how the owner's menu of mailbox checks a caller at extension
// own; nil lets them in without a PIN.
func (s *Service) login(mailbox, own string) Login {
	if s.cfg.Login != nil {
		return func(pin string) bool { return s.cfg.Login(mailbox, pin) }
	}
	if s.cfg.Store != nil {
		if e, err := store.Get[store.Extension](s.cfg.Store, mailbox); err == nil && e.VoicemailPIN != "" {
			return e.CheckVoicemailPIN
		}
	}
	if mailbox == own {
		return nil
	}
	return func(string) bool { return false }
}

func indexID(mailbox, id string) string { return "vm-" + mailbox + "-" + id }

// index records a new message in the store's recording index as it is
// filed; a failure is logged, the message itself is safe on disk.
func (s *Service) index(m Message) {
	if s.cfg.Store == nil {
		return
	}
	path := s.st.AudioPath(m)
	sum, err := fileSHA256(path)
	if err == nil {
		var rel string
		rel, err = filepath.Rel(s.cfg.DataDir, path)
		if err == nil {
			_, err = store.Put(s.cfg.Store, store.Recording{ID: indexID(m.Mailbox, m.ID), Path: filepath.ToSlash(rel),
				SHA256: sum, Duration: m.Duration, Size: m.Size, CallID: m.CallID, CreatedAt: m.CreatedAt})
		}
	}
	if err != nil {
		s.log.Warn("voicemail: message not indexed", "mailbox", m.Mailbox, "id", m.ID, "err", err)
	}
}

func (s *Service) unindex(mailbox, id string) {
	if s.cfg.Store == nil {
		return
	}
	if _, err := store.Delete[store.Recording](s.cfg.Store, indexID(mailbox, id)); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("voicemail: index entry not removed", "mailbox", mailbox, "id", id, "err", err)
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
