package prompt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/audiotest"
	"callbox/media/wav"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// storedTone is a custom prompt of a freq tone, converted as the web page
// stores uploads.
func storedTone(t *testing.T, lang i18n.Lang, name string, freq float64) store.CustomPrompt {
	t.Helper()
	audio, d, err := Convert(bytes.NewReader(toneWAV(t, 8000, freq)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return store.CustomPrompt{Lang: lang, Name: name, Audio: audio, Source: store.PromptUpload, Millis: int(d.Milliseconds()), UpdatedAt: time.Now()}
}

// eventually polls cond until it holds, failing the test after a generous
// bound (this is waiting for a goroutine, not measuring it).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestFollow_MirrorsTheStoredPromptsAndDropsFilesWithoutARecord(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	lib := NewLibrary(dir)
	// Left from before a restore: a prompt the store no longer has, and
	// an interrupted install.
	if err := lib.Install("en", "old-offer", bytes.NewReader(toneWAV(t, 8000, 500))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", ".welcome.123.tmp"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, storedTone(t, i18n.ZH, "welcome", 1000)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, st, lib, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Follow: %v", err)
		}
	}()

	eventually(t, "the stored prompt is written and the old ones removed", func() bool {
		return exists(filepath.Join(dir, "zh", "welcome.wav")) && !exists(filepath.Join(dir, "en", "old-offer.wav")) &&
			!exists(filepath.Join(dir, "en", ".welcome.123.tmp"))
	})
	p, err := lib.Open("zh", "welcome")
	if err != nil {
		t.Fatal(err)
	}
	x := readAll(t, p)
	p.Close()
	if f := audiotest.Dominant(x[100:len(x)-200], 100, 3900); math.Abs(f-1000) > 2 {
		t.Fatalf("zh/welcome plays %v Hz, want the stored 1000 Hz", f)
	}

	// Changes while it runs: a new prompt appears, a deleted one goes
	// back to the shipped recording.
	if _, err := store.Put(st, storedTone(t, i18n.EN, "price-list", 700)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Delete[store.CustomPrompt](st, store.PromptKey(i18n.ZH, "welcome")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the change feed is applied", func() bool {
		return lib.Has("en", "price-list") && !exists(filepath.Join(dir, "zh", "welcome.wav"))
	})
	p, err = lib.Open("zh", "welcome")
	if err != nil {
		t.Fatal(err)
	}
	if p.Header().Format != wav.FormatMuLaw || p.Header().DataSize == int64(len(storedTone(t, i18n.ZH, "welcome", 1000).Audio)-44) {
		t.Error("zh/welcome is not the shipped prompt again")
	}
	p.Close()
}

func TestFollow_RefusesALibraryWithoutOverrideDirectory(t *testing.T) {
	if err := Follow(context.Background(), openStore(t), NewLibrary(""), nil); err == nil {
		t.Fatal("Follow ran without a directory to write to")
	}
}

func TestExists_KnowsAStoredPromptBeforeItIsMirrored(t *testing.T) {
	st := openStore(t)
	lib := NewLibrary(t.TempDir())
	has := Exists(st, lib)
	if !has("en", "welcome") {
		t.Error("a shipped prompt does not exist")
	}
	if has("en", "price-list") {
		t.Error("an unknown prompt exists")
	}
	if _, err := store.Put(st, storedTone(t, i18n.EN, "price-list", 700)); err != nil {
		t.Fatal(err)
	}
	if !has("en", "price-list") || has("zh", "price-list") {
		t.Error("a stored prompt is not found in its own language only")
	}
}

func TestShipped_IsTheBuiltInFileWhateverReplacesIt(t *testing.T) {
	dir := t.TempDir()
	lib := NewLibrary(dir)
	if err := lib.Install("en", "goodbye", bytes.NewReader(toneWAV(t, 8000, 700))); err != nil {
		t.Fatal(err)
	}
	b, err := Shipped("en", "goodbye")
	if err != nil {
		t.Fatal(err)
	}
	if h, err := wav.ParseHeader(bytes.NewReader(b)); err != nil || h.Format != wav.FormatMuLaw {
		t.Fatalf("shipped goodbye: %+v %v", h, err)
	}
	if _, err := Shipped("en", "price-list"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := Shipped("en", "../text/en"); !errors.Is(err, ErrBadKey) {
		t.Errorf("bad key: %v", err)
	}
}

func TestFollow_ARestoredBackupBringsItsPromptsToTheOverrideDirectory(t *testing.T) {
	old := openStore(t)
	if _, err := store.Put(old, storedTone(t, i18n.EN, "price-list", 700)); err != nil {
		t.Fatal(err)
	}
	var backup bytes.Buffer
	if _, err := old.Backup(&backup); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "restored.db")
	if err := store.Restore(path, &backup); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The box that restores had a prompt of its own, not in the backup.
	dir := t.TempDir()
	lib := NewLibrary(dir)
	if err := lib.Install("zh", "local-only", bytes.NewReader(toneWAV(t, 8000, 500))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, st, lib, nil) }()
	eventually(t, "the backup's prompt is playable and the local one gone", func() bool {
		return exists(filepath.Join(dir, "en", "price-list.wav")) && !lib.Has("zh", "local-only")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Closing the store under Follow is an error either way (it may close
// before Follow lists the records, or after it subscribed), never a
// quiet nil the supervisor would not restart.
func TestFollow_ReportsTheStoreClosingUnderIt(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Follow(context.Background(), st, NewLibrary(t.TempDir()), nil) }()
	st.Close()
	if err := <-done; err == nil {
		t.Fatal("Follow returned nil with its context still running")
	}
}
