package voicemail

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Deposit is a message being recorded: the recorder writes a WAV file at
// Path, then Commit files the message or Abort drops it. A crash before
// Commit leaves only a temporary file that Open removes.
type Deposit struct {
	s       *Store
	mailbox string
	from    string
	path    string
	done    bool
	busy    bool // the owner is busy: the busy greeting (WithBusy)
	// CallID, when set before Commit, is kept with the message.
	CallID string
}

// Begin starts a message for mailbox from a caller. It returns ErrFull
// before anything is recorded when the mailbox is at its limit, so the
// caller hears that at once instead of after speaking.
func (s *Store) Begin(mailbox, from string) (*Deposit, error) {
	dir, err := s.box(mailbox)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	err = s.room(mailbox, 0)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	path := filepath.Join(dir, tmpPrefix+s.newTmp()+".wav")
	return &Deposit{s: s, mailbox: mailbox, from: from, path: path}, nil
}

// Path is where the recording goes: a file that does not exist yet, in
// the mailbox's directory (so Commit is a rename).
func (d *Deposit) Path() string { return d.path }

// Abort drops the recording.
func (d *Deposit) Abort() error {
	if d.done {
		return nil
	}
	d.done = true
	if err := os.Remove(d.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("voicemail: %w", err)
	}
	return nil
}

// Commit files the message: the audio is synced and renamed into place,
// then its details are written. A recording without audio is dropped
// with ErrEmpty; one that no longer fits (another caller filled the box
// meanwhile, or it is over the byte limit) with ErrFull.
func (d *Deposit) Commit() (Message, error) {
	if d.done {
		return Message{}, fmt.Errorf("voicemail: deposit already finished")
	}
	m, err := d.commit()
	if err != nil {
		d.Abort()
		return Message{}, err
	}
	d.done = true
	if d.s.added != nil {
		d.s.added(m)
	}
	d.s.notify(d.mailbox)
	return m, nil
}

func (d *Deposit) commit() (Message, error) {
	f, err := os.OpenFile(d.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Message{}, ErrEmpty
	}
	if err != nil {
		return Message{}, fmt.Errorf("voicemail: %w", err)
	}
	defer f.Close()
	dur, err := duration(f)
	if err != nil {
		if errors.Is(err, ErrEmpty) {
			return Message{}, err
		}
		return Message{}, fmt.Errorf("voicemail: recording: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Message{}, fmt.Errorf("voicemail: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return Message{}, fmt.Errorf("voicemail: %w", err)
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if err := d.s.room(d.mailbox, st.Size()); err != nil {
		return Message{}, err
	}
	m := Message{ID: d.s.newID(), Mailbox: d.mailbox, From: d.from, CreatedAt: d.s.now(),
		Duration: dur, Size: st.Size(), Folder: FolderNew, CallID: d.CallID}
	if err := os.Rename(d.path, d.s.AudioPath(m)); err != nil {
		return Message{}, fmt.Errorf("voicemail: %w", err)
	}
	if err := d.s.writeDetails(m); err != nil {
		os.Remove(d.s.AudioPath(m))
		return Message{}, err
	}
	return m, nil
}

// newTmp names a temporary recording: random, so two callers leaving
// messages at once never meet.
func (s *Store) newTmp() string {
	var b [8]byte
	// crypto/rand.Read never fails on the platforms the box runs on.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Store) detailsPath(m Message) string {
	return filepath.Join(s.dir, m.Mailbox, m.ID+".json")
}

func (s *Store) writeDetails(m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	if err := writeFile(s.detailsPath(m), b); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	return nil
}

// find returns a message by id; the caller holds s.mu.
func (s *Store) find(mailbox, id string) (Message, error) {
	if _, err := s.box(mailbox); err != nil {
		return Message{}, err
	}
	if !validID(id) {
		return Message{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	m, err := readDetails(filepath.Join(s.dir, mailbox, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Message{}, fmt.Errorf("%w: %s/%s", ErrNotFound, mailbox, id)
	}
	return m, err
}

// Save moves a message to the saved folder.
func (s *Store) Save(mailbox, id string) error {
	s.mu.Lock()
	m, err := s.find(mailbox, id)
	if err == nil && m.Folder != FolderSaved {
		m.Folder = FolderSaved
		err = s.writeDetails(m)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.notify(mailbox)
	return nil
}

// Delete removes a message: details first, so a crash in between leaves
// audio that Open sweeps away, never details without audio.
func (s *Store) Delete(mailbox, id string) error {
	s.mu.Lock()
	err := s.delete(mailbox, id)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.removed != nil {
		s.removed(mailbox, id)
	}
	s.notify(mailbox)
	return nil
}

func (s *Store) delete(mailbox, id string) error {
	m, err := s.find(mailbox, id)
	if err != nil {
		return err
	}
	if err := os.Remove(s.detailsPath(m)); err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	if err := os.Remove(s.AudioPath(m)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("voicemail: %w", err)
	}
	return nil
}

// Expire deletes messages older than the age limit in every mailbox and
// returns how many went.
func (s *Store) Expire() (int, error) {
	if s.limits.MaxAge <= 0 {
		return 0, nil
	}
	boxes, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("voicemail: %w", err)
	}
	cutoff := s.now().Add(-s.limits.MaxAge)
	total := 0
	for _, b := range boxes {
		if !b.IsDir() || !validMailbox(b.Name()) {
			continue
		}
		s.mu.Lock()
		ms, err := s.list(b.Name())
		n := 0
		var gone []Message
		for _, m := range ms {
			if err == nil && m.CreatedAt.Before(cutoff) {
				if err = s.delete(m.Mailbox, m.ID); err == nil {
					n++
					gone = append(gone, m)
				}
			}
		}
		s.mu.Unlock()
		for _, m := range gone {
			if s.removed != nil {
				s.removed(m.Mailbox, m.ID)
			}
		}
		total += n
		if n > 0 {
			s.notify(b.Name())
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Greeting returns the path of a mailbox's unavailable greeting, if it
// has one.
func (s *Store) Greeting(mailbox string) (string, bool) {
	return s.GreetingFile(mailbox, GreetingUnavailable)
}

// SetGreeting stores a mailbox's unavailable greeting from a WAV
// recording or upload (see PutGreeting).
func (s *Store) SetGreeting(mailbox string, r io.Reader) error {
	_, err := s.PutGreeting(mailbox, GreetingUnavailable, r)
	return err
}
