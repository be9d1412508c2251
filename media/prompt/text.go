package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"callbox/firmware/store"
)

// Named errors.
var (
	ErrNotFound = errors.New("prompt: not found")
	ErrBadKey   = errors.New("prompt: invalid key or language")
	ErrBadText  = errors.New("prompt: malformed text list")
)

// Entry is one line of a text list.
type Entry struct {
	Key, Text string
}

// maxLine bounds a text list line, so an uploaded list cannot make the
// scanner buffer grow without end.
const maxLine = 4096

// ParseText reads a text list: one "key = text" per line, blank lines and
// lines starting with # ignored. Keys are lower-case letters, digits and
// dashes, each at most once.
func ParseText(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	var out []Entry
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: line %d: want key = text", ErrBadText, n)
		}
		if !ValidKey(k) {
			return nil, fmt.Errorf("%w: line %d: key %q", ErrBadText, n, k)
		}
		if seen[k] {
			return nil, fmt.Errorf("%w: line %d: key %q twice", ErrBadText, n, k)
		}
		seen[k] = true
		out = append(out, Entry{Key: k, Text: v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadText, err)
	}
	return out, nil
}

// ValidKey reports whether s can name a prompt (or a language): 1-64
// characters of a-z, 0-9 and '-'. Keys become file names, so nothing else
// may pass.
func ValidKey(s string) bool { return store.IsPromptName(s) }
