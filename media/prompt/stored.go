package prompt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The installer's prompts are store records (store.CustomPrompt), so a
// backup carries them and a standby receives them over the change feed.
// Calls play files, though: Follow keeps the library's override directory
// a copy of those records.

// Follow makes the override directory of lib hold exactly the custom
// prompts of st: at start it writes every record and removes every file
// without one (a restored backup thus brings its own prompts and drops
// the old ones), then it applies each change until ctx ends. Write
// failures of one prompt are logged and do not stop the others. It is
// meant to run as a supervised service: it returns nil when ctx ends, and
// ErrFeedEnded when the change feed ends first (the store closed, or it
// dropped a subscriber that fell behind), so the supervisor restarts it
// and it reconciles from the records again.
func Follow(ctx context.Context, st *store.Store, lib *Library, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	if lib.override == "" {
		return fmt.Errorf("prompt: follow: the library has no override directory")
	}
	after := st.Seq()
	all, err := store.List[store.CustomPrompt](st)
	if err != nil {
		return fmt.Errorf("prompt: follow: %w", err)
	}
	want := map[string]bool{}
	for _, p := range all {
		want[p.Key()] = true
		if err := lib.mirror(p); err != nil {
			log.Warn("prompt: cannot write a custom prompt", "prompt", p.Key(), "err", err)
		}
	}
	if err := lib.prune(want); err != nil {
		log.Warn("prompt: cannot clear old custom prompts", "err", err)
	}
	for c := range st.Subscribe(ctx, after) {
		if c.Kind != store.KindCustomPrompt {
			continue
		}
		// The record as it is now, not as the change left it: changes
		// replayed out of date still end in the current state.
		p, err := store.Get[store.CustomPrompt](st, c.Key)
		switch {
		case err == nil:
			err = lib.mirror(p)
		case errors.Is(err, store.ErrNotFound):
			lang, name, _ := strings.Cut(c.Key, "/")
			err = lib.Revert(lang, name)
		}
		if err != nil {
			log.Warn("prompt: cannot mirror a custom prompt", "prompt", c.Key, "err", err)
		}
	}
	if ctx.Err() == nil {
		return ErrFeedEnded
	}
	return nil
}

// ErrFeedEnded: the store's change feed ended while Follow still ran;
// run it again to catch up.
var ErrFeedEnded = errors.New("prompt: the store's change feed ended")

// mirror writes p into the override directory unless the file there
// already holds the same audio.
func (l *Library) mirror(p store.CustomPrompt) error {
	old, err := os.ReadFile(filepath.Join(l.override, string(p.Lang), p.Name+".wav"))
	if err == nil && bytes.Equal(old, p.Audio) {
		return nil
	}
	return l.Install(string(p.Lang), p.Name, bytes.NewReader(p.Audio))
}

// prune removes override files (and leftovers of interrupted installs)
// that no record in want ("lang/name") accounts for.
func (l *Library) prune(want map[string]bool) error {
	langs, err := os.ReadDir(l.override)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range langs {
		if !d.IsDir() || !ValidKey(d.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(l.override, d.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			name, isWAV := strings.CutSuffix(f.Name(), ".wav")
			stale := strings.HasPrefix(f.Name(), ".") && strings.HasSuffix(f.Name(), ".tmp")
			if !stale && (!isWAV || want[d.Name()+"/"+name]) {
				continue
			}
			if err := os.Remove(filepath.Join(l.override, d.Name(), f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Exists reports whether a prompt can be played in lang: shipped, in the
// override directory, or stored and about to be mirrored there by Follow
// (the moments right after an upload). It is the flow validator's prompt
// check.
func Exists(st *store.Store, lib *Library) func(lang, key string) bool {
	return func(lang, key string) bool {
		return lib.Has(lang, key) || store.HasCustomPrompt(st, i18n.Lang(lang), key)
	}
}

// Shipped returns the WAV file of a shipped prompt as built into the
// firmware, whatever replaces it (ErrNotFound when there is none).
func Shipped(lang, key string) ([]byte, error) {
	if err := check(lang, key); err != nil {
		return nil, err
	}
	b, err := fs.ReadFile(shipped, path.Join("sounds", lang, key+".wav"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, lang, key)
	}
	if err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	return b, nil
}
