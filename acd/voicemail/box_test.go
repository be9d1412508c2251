package voicemail

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/media/wav"
)

// recording returns a μ-law 8 kHz WAV file of the given length.
func recording(t testing.TB, d time.Duration) []byte {
	t.Helper()
	n := int(d / time.Second * 8000)
	h, err := wav.Header{Format: wav.FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}.Encode(uint32(n))
	if err != nil {
		t.Fatal(err)
	}
	return append(h, bytes.Repeat([]byte{0xff}, n)...)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type hookLog struct {
	mu  sync.Mutex
	got []Summary
}

func (h *hookLog) note(mailbox string, s Summary) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, s)
}

func (h *hookLog) last() Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[len(h.got)-1]
}

func leave(t *testing.T, s *Store, mailbox, from string, d time.Duration) (Message, error) {
	t.Helper()
	dep, err := s.Begin(mailbox, from)
	if err != nil {
		return Message{}, err
	}
	if err := os.WriteFile(dep.Path(), recording(t, d), 0o640); err != nil {
		dep.Abort()
		return Message{}, err
	}
	return dep.Commit()
}

func TestStore_DepositListSaveDeleteAndTheLamp(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	hooks := &hookLog{}
	s, err := Open(t.TempDir(), Limits{}, WithClock(clk.Now), WithChangeHook(hooks.note))
	if err != nil {
		t.Fatal(err)
	}
	first, err := leave(t, s, "201", "13800001111", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duration != 3*time.Second || first.Folder != FolderNew || first.From != "13800001111" {
		t.Fatalf("message %+v", first)
	}
	if got := hooks.last(); !got.Waiting || got.Voice.New != 1 {
		t.Fatalf("lamp %+v", got)
	}
	clk.Add(time.Minute)
	second, err := leave(t, s, "201", "13900002222", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save("201", first.ID); err != nil {
		t.Fatal(err)
	}
	ms, err := s.List("201")
	if err != nil || len(ms) != 2 || ms[0].ID != second.ID || ms[1].Folder != FolderSaved {
		t.Fatalf("list %+v, %v", ms, err)
	}
	if b, err := os.ReadFile(s.AudioPath(ms[0])); err != nil || len(b) != wav.HeaderSize+8000 {
		t.Fatalf("audio %d bytes, %v", len(b), err)
	}
	if err := s.Delete("201", second.ID); err != nil {
		t.Fatal(err)
	}
	if got := hooks.last(); got.Waiting || got.Voice.New != 0 || got.Voice.Old != 1 {
		t.Fatalf("lamp after delete %+v", got)
	}
	if err := s.Delete("201", second.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete %v", err)
	}
	if ms, _ := s.List("202"); len(ms) != 0 {
		t.Fatal("an untouched mailbox has messages")
	}
}

func TestStore_FullMailboxRefusesBeforeRecording(t *testing.T) {
	s, err := Open(t.TempDir(), Limits{MaxMessages: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := leave(t, s, "201", "1", time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Begin("201", "1"); !errors.Is(err, ErrFull) {
		t.Fatalf("err %v", err)
	}
	// Bytes: a recording that outgrows the box stops the recorder.
	s2, err := Open(t.TempDir(), Limits{MaxBytes: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leave(t, s2, "201", "1", 3*time.Second); !errors.Is(err, ErrFull) {
		t.Fatalf("err %v", err)
	}
	if ms, _ := s2.List("201"); len(ms) != 0 {
		t.Fatal("a refused message was kept")
	}
}

func TestStore_EmptyRecordingIsDropped(t *testing.T) {
	s, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leave(t, s, "201", "1", 0); !errors.Is(err, ErrEmpty) {
		t.Fatalf("err %v", err)
	}
	dep, _ := s.Begin("201", "1")
	os.WriteFile(dep.Path(), []byte("not a wav file at all, just words"), 0o640)
	if _, err := dep.Commit(); err == nil || errors.Is(err, ErrEmpty) {
		t.Fatalf("garbage err %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, "201"))
	if len(entries) != 0 {
		t.Fatalf("left %d files", len(entries))
	}
}

func TestStore_ExpireDeletesOldMessagesOnly(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s, err := Open(t.TempDir(), Limits{MaxAge: 30 * 24 * time.Hour}, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leave(t, s, "201", "old", time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Add(20 * 24 * time.Hour)
	if _, err := leave(t, s, "queue-sales", "newer", time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Add(11 * 24 * time.Hour)
	n, err := s.Expire()
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	if ms, _ := s.List("201"); len(ms) != 0 {
		t.Fatal("old message kept")
	}
	if ms, _ := s.List("queue-sales"); len(ms) != 1 {
		t.Fatal("newer message expired")
	}
}

func TestOpen_SweepsWhatACrashLeftBehind(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := leave(t, s, "201", "1", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	box := filepath.Join(dir, "201")
	// A recording cut off mid-write, audio whose details never got
	// written, and details whose audio a half-done delete removed.
	for name, data := range map[string][]byte{
		".tmp-123.wav": recording(t, time.Second),
		"111.wav":      recording(t, time.Second),
		"222.json":     []byte(`{"id":"222","mailbox":"201","folder":"new"}`),
		"greeting.wav": recording(t, time.Second),
	} {
		if err := os.WriteFile(filepath.Join(box, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(box)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{kept.ID + ".json", kept.ID + ".wav", "greeting.wav"}
	if len(names) != len(want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	if ms, _ := s.List("201"); len(ms) != 1 {
		t.Fatalf("messages %d", len(ms))
	}
}

func TestStore_RefusesMailboxIdsThatAreNotNames(t *testing.T) {
	s, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "../etc", "a/b", "201 ", "ADMIN"} {
		if _, err := s.Begin(id, "1"); !errors.Is(err, ErrBadMailbox) {
			t.Errorf("%q: err %v", id, err)
		}
	}
	if err := s.Delete("201", "../../x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad message id: %v", err)
	}
}

func TestStore_GreetingMustBePlayable(t *testing.T) {
	s, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Greeting("201"); ok {
		t.Fatal("greeting before one was set")
	}
	if err := s.SetGreeting("201", bytes.NewReader([]byte("hello"))); err == nil {
		t.Fatal("accepted a non-WAV greeting")
	}
	if err := s.SetGreeting("201", bytes.NewReader(recording(t, 2*time.Second))); err != nil {
		t.Fatal(err)
	}
	if p, ok := s.Greeting("201"); !ok || filepath.Base(p) != "greeting.wav" {
		t.Fatalf("greeting %q %v", p, ok)
	}
}
