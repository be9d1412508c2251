package prompt

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"callbox/media"
	"callbox/media/wav"
)

//go:embed text sounds
var shipped embed.FS

// Languages are the languages of the shipped prompt set.
var Languages = []string{"en", "zh"}

// Library finds prompts by language and key.
type Library struct {
	fsys     fs.FS  // the shipped set: text/<lang>.txt, sounds/<lang>/<key>.wav
	override string // directory of uploaded replacements, <lang>/<key>.wav; "" for none
}

// NewLibrary returns a library of the shipped prompts, with replacements
// looked up first in overrideDir (which need not exist yet; "" disables
// replacements).
func NewLibrary(overrideDir string) *Library {
	return &Library{fsys: shipped, override: overrideDir}
}

// Prompt is an open prompt: a media.FrameReader of 8 kHz frames that must
// be closed.
type Prompt struct {
	*wav.Reader
	c io.Closer
}

// Close releases the file.
func (p *Prompt) Close() error { return p.c.Close() }

func check(lang, key string) error {
	if !ValidKey(lang) || !ValidKey(key) {
		return fmt.Errorf("%w: %q/%q", ErrBadKey, lang, key)
	}
	return nil
}

// Open opens a prompt, the installer's replacement if there is one.
func (l *Library) Open(lang, key string) (*Prompt, error) {
	if err := check(lang, key); err != nil {
		return nil, err
	}
	var f io.ReadCloser
	var err error
	if l.override != "" {
		of, err := os.Open(filepath.Join(l.override, lang, key+".wav"))
		switch {
		case err == nil:
			f = of
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("prompt: %s/%s: %w", lang, key, err)
		}
	}
	if f == nil {
		f, err = l.fsys.Open(path.Join("sounds", lang, key+".wav"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, lang, key)
		}
		if err != nil {
			return nil, fmt.Errorf("prompt: %s/%s: %w", lang, key, err)
		}
	}
	r, err := wav.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("prompt: %s/%s: %w", lang, key, err)
	}
	return &Prompt{Reader: r, c: f}, nil
}

// Entries returns a language's shipped text list, in file order.
func (l *Library) Entries(lang string) ([]Entry, error) {
	if !ValidKey(lang) {
		return nil, fmt.Errorf("%w: language %q", ErrBadKey, lang)
	}
	f, err := l.fsys.Open(path.Join("text", lang+".txt"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: language %s", ErrNotFound, lang)
	}
	if err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	defer f.Close()
	return ParseText(f)
}

// Install stores an uploaded replacement for a prompt. The upload must be
// a WAVE file the box can play (PCM 8/16-bit, μ-law or A-law, any common
// rate); it is written to a temporary file, checked, synced and renamed
// into place, so a playing call never sees half a file.
func (l *Library) Install(lang, key string, r io.Reader) error {
	if err := check(lang, key); err != nil {
		return err
	}
	if l.override == "" {
		return fmt.Errorf("prompt: no override directory configured")
	}
	dir := filepath.Join(l.override, lang)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("prompt: install: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+key+".*.tmp")
	if err != nil {
		return fmt.Errorf("prompt: install: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("prompt: install %s/%s: %w", lang, key, err)
	}
	if err := playable(tmp); err != nil {
		return fmt.Errorf("prompt: install %s/%s: %w", lang, key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("prompt: install: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("prompt: install: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, key+".wav")); err != nil {
		return fmt.Errorf("prompt: install: %w", err)
	}
	return nil
}

// playable decodes the whole file once, so a broken upload is refused
// instead of failing in a caller's ear.
func playable(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r, err := wav.NewReader(f)
	if err != nil {
		return err
	}
	var fr media.Frame
	for {
		err := r.ReadFrame(&fr)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Revert removes an installed replacement, so the shipped prompt plays
// again. Reverting a prompt that has no replacement is not an error.
func (l *Library) Revert(lang, key string) error {
	if err := check(lang, key); err != nil {
		return err
	}
	if l.override == "" {
		return nil
	}
	err := os.Remove(filepath.Join(l.override, lang, key+".wav"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prompt: revert %s/%s: %w", lang, key, err)
	}
	return nil
}

// Has reports whether a prompt exists, shipped or installed.
func (l *Library) Has(lang, key string) bool {
	p, err := l.Open(lang, key)
	if err != nil {
		return false
	}
	p.Close()
	return true
}

// Sequence plays prompts one after another as one media.FrameReader,
// opening each only when the previous one ends. Close it when done.
type Sequence struct {
	lib  *Library
	lang string
	keys []string
	cur  *Prompt
}

// Sequence returns a reader of the prompts keys in lang.
func (l *Library) Sequence(lang string, keys ...string) *Sequence {
	return &Sequence{lib: l, lang: lang, keys: slices.Clone(keys)}
}

// ReadFrame returns the next frame of the sequence, io.EOF after the last.
func (s *Sequence) ReadFrame(f *media.Frame) error {
	for {
		if s.cur == nil {
			if len(s.keys) == 0 {
				return io.EOF
			}
			p, err := s.lib.Open(s.lang, s.keys[0])
			if err != nil {
				return err
			}
			s.cur, s.keys = p, s.keys[1:]
		}
		err := s.cur.ReadFrame(f)
		if !errors.Is(err, io.EOF) {
			return err
		}
		s.cur.Close()
		s.cur = nil
	}
}

// Close closes the prompt being read.
func (s *Sequence) Close() error {
	s.keys = nil
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}
