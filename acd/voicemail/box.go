package voicemail

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/firmware/store"
	"callbox/media/wav"
)

// Named errors.
var (
	// ErrFull: the mailbox holds its limit of messages or bytes; the
	// caller hears "this mailbox is full".
	ErrFull = errors.New("voicemail: mailbox full")
	// ErrNotFound: no such message.
	ErrNotFound = errors.New("voicemail: no such message")
	// ErrBadMailbox: a mailbox id that cannot name a directory.
	ErrBadMailbox = errors.New("voicemail: bad mailbox id")
	// ErrEmpty: the recording holds no audio (the caller hung up at the
	// tone); it is dropped, not stored.
	ErrEmpty = errors.New("voicemail: empty recording")
)

// Folder is where a message sits: new until heard and saved, or saved.
type Folder string

// The folders.
const (
	FolderNew   Folder = "new"
	FolderSaved Folder = "saved"
)

// Limits keep a mailbox within its share of the disk.
type Limits struct {
	// MaxMessages per mailbox (0: 100).
	MaxMessages int
	// MaxBytes of audio per mailbox (0: 50 MB).
	MaxBytes int64
	// MaxAge after which Expire deletes a message (0: never).
	MaxAge time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessages <= 0 {
		l.MaxMessages = 100
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 50 << 20
	}
	return l
}

// Message is one voicemail message's details; its audio is the WAV file
// at Store.AudioPath.
type Message struct {
	ID        string        `json:"id"`
	Mailbox   string        `json:"mailbox"`
	From      string        `json:"from,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	Duration  time.Duration `json:"duration"`
	Size      int64         `json:"size"`
	Folder    Folder        `json:"folder"`
	// CallID is the call the message was left on, when known.
	CallID string `json:"callId,omitempty"`
}

// Store keeps mailboxes under one directory: <dir>/<mailbox>/<id>.wav
// with <id>.json beside it. Files are written to a temporary name, synced
// and renamed, audio first and details last, so a crash leaves either a
// whole message or nothing (Open sweeps up the leftovers).
type Store struct {
	dir    string
	limits Limits
	now    func() time.Time
	// changed, when set, hears every change of a mailbox's counts (to
	// send message-waiting NOTIFYs). It runs after the change, outside
	// the store's lock.
	changed func(mailbox string, s Summary)
	// added and removed, when set, hear each message filed and deleted
	// (the recording index in the store).
	added   func(m Message)
	removed func(mailbox, id string)

	mu   sync.Mutex
	last int64 // the last id handed out, so ids never repeat
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock for message times and expiry.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithChangeHook sets the function told of every change of a mailbox's
// counts.
func WithChangeHook(f func(mailbox string, s Summary)) Option {
	return func(s *Store) { s.changed = f }
}

// WithIndex sets the functions told of each message filed and deleted,
// outside the store's lock.
func WithIndex(added func(m Message), removed func(mailbox, id string)) Option {
	return func(s *Store) { s.added, s.removed = added, removed }
}

const (
	tmpPrefix    = ".tmp-"
	greetingName = "greeting.wav"
)

// Open opens (creating it if needed) the mailbox directory and removes
// what an interrupted write left behind.
func Open(dir string, limits Limits, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, limits: limits.withDefaults(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	boxes, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	for _, b := range boxes {
		if b.IsDir() && validMailbox(b.Name()) {
			if err := sweep(filepath.Join(dir, b.Name())); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// sweep removes temporary files, audio without details and details
// without audio.
func sweep(box string) error {
	entries, err := os.ReadDir(box)
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	for name := range names {
		var orphan bool
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			orphan = true
		case isGreetingFile(name):
		case strings.HasSuffix(name, ".wav"):
			orphan = !names[strings.TrimSuffix(name, ".wav")+".json"]
		case strings.HasSuffix(name, ".json"):
			orphan = !names[strings.TrimSuffix(name, ".json")+".wav"]
		}
		if orphan {
			if err := os.Remove(filepath.Join(box, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("voicemail: sweep: %w", err)
			}
		}
	}
	return nil
}

// validMailbox: 1-32 of a-z, 0-9, '-' (extension numbers, queue names).
func validMailbox(s string) bool { return store.IsSlug(s, 32) }

func validID(s string) bool {
	if s == "" || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (s *Store) box(mailbox string) (string, error) {
	if !validMailbox(mailbox) {
		return "", fmt.Errorf("%w: %q", ErrBadMailbox, mailbox)
	}
	return filepath.Join(s.dir, mailbox), nil
}

// List returns a mailbox's messages: new ones first, then saved, each
// oldest first. A mailbox nobody has written to is empty.
func (s *Store) List(mailbox string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list(mailbox)
}

func (s *Store) list(mailbox string) ([]Message, error) {
	dir, err := s.box(mailbox)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	var out []Message
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) || !strings.HasSuffix(name, ".json") {
			continue
		}
		m, err := readDetails(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Message) int {
		if a.Folder != b.Folder {
			if a.Folder == FolderNew {
				return -1
			}
			return 1
		}
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func readDetails(path string) (Message, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Message{}, fmt.Errorf("voicemail: %w", err)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("voicemail: %s: %w", filepath.Base(path), err)
	}
	return m, nil
}

// AudioPath is the WAV file of a message, for playing.
func (s *Store) AudioPath(m Message) string {
	return filepath.Join(s.dir, m.Mailbox, m.ID+".wav")
}

// Summary counts a mailbox's messages for the message-waiting lamp.
func (s *Store) Summary(mailbox string) (Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary(mailbox)
}

func (s *Store) summary(mailbox string) (Summary, error) {
	ms, err := s.list(mailbox)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	for _, m := range ms {
		if m.Folder == FolderNew {
			sum.Voice.New++
		} else {
			sum.Voice.Old++
		}
	}
	sum.Waiting = sum.Voice.New > 0
	return sum, nil
}

// notify tells the change hook a mailbox's new counts.
func (s *Store) notify(mailbox string) {
	if s.changed == nil {
		return
	}
	sum, err := s.Summary(mailbox)
	if err == nil {
		s.changed(mailbox, sum)
	}
}

// room reports ErrFull when a mailbox cannot take another message of
// size bytes.
func (s *Store) room(mailbox string, size int64) error {
	ms, err := s.list(mailbox)
	if err != nil {
		return err
	}
	var used int64
	for _, m := range ms {
		used += m.Size
	}
	if len(ms) >= s.limits.MaxMessages || used+size > s.limits.MaxBytes {
		return fmt.Errorf("%w: %s holds %d messages, %d bytes", ErrFull, mailbox, len(ms), used)
	}
	return nil
}

// newID returns a unique, time-ordered message id.
func (s *Store) newID() string {
	id := s.now().UnixNano()
	if id <= s.last {
		id = s.last + 1
	}
	s.last = id
	return strconv.FormatInt(id, 10)
}

// writeFile writes data to path crash-safely: temporary file, sync,
// rename, directory sync.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return werr
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// duration reads a WAV file's header and size to find its length.
func duration(f *os.File) (time.Duration, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	h, err := wav.ParseHeader(f)
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	n := st.Size() - h.DataOffset
	if h.DataSize >= 0 && h.DataSize < n {
		n = h.DataSize
	}
	if n <= 0 || h.ByteRate() <= 0 {
		return 0, ErrEmpty
	}
	return time.Duration(n) * time.Second / time.Duration(h.ByteRate()), nil
}
