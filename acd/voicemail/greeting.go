package voicemail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"callbox/media"
	"callbox/media/wav"
)

// GreetingKind is which of a mailbox's greetings: the one callers hear
// when the owner does not answer, the one for a busy owner, or the
// owner's recorded name (said inside the standard greeting).
type GreetingKind string

// The greeting kinds.
const (
	GreetingUnavailable GreetingKind = "unavailable"
	GreetingBusy        GreetingKind = "busy"
	GreetingName        GreetingKind = "name"
)

// GreetingKinds lists the kinds in the order pages show them.
var GreetingKinds = []GreetingKind{GreetingUnavailable, GreetingBusy, GreetingName}

// Errors of greeting uploads.
var (
	// ErrBadGreetingKind: not one of GreetingKinds.
	ErrBadGreetingKind = errors.New("voicemail: unknown greeting kind")
	// ErrBadAudio: the upload is not a WAV file the box can play; the
	// wrapped media/wav error says why.
	ErrBadAudio = errors.New("voicemail: not a playable WAV file")
	// ErrTooLong: the greeting lasts longer than MaxGreetingTime, or the
	// upload is larger than MaxGreetingBytes.
	ErrTooLong = errors.New("voicemail: greeting too long")
)

// Limits of an uploaded greeting.
const (
	// MaxGreetingTime is the longest greeting kept.
	MaxGreetingTime = 2 * time.Minute
	// MaxGreetingBytes bounds an upload before it is decoded: two
	// minutes of 44.1 kHz 16-bit stereo fit, with room for extra chunks.
	MaxGreetingBytes = 24 << 20
	// minGreeting is the shortest greeting worth keeping.
	minGreeting = 500 * time.Millisecond
)

// ParseGreetingKind checks a kind named in a request.
func ParseGreetingKind(s string) (GreetingKind, error) {
	for _, k := range GreetingKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrBadGreetingKind, s)
}

// fileName is the kind's file in the mailbox directory; the unavailable
// greeting keeps the name phones have always recorded to.
func (k GreetingKind) fileName() string {
	if k == GreetingUnavailable {
		return greetingName
	}
	return "greeting-" + string(k) + ".wav"
}

// isGreetingFile reports whether name is one of the greeting files, which
// have no details file beside them.
func isGreetingFile(name string) bool {
	for _, k := range GreetingKinds {
		if k.fileName() == name {
			return true
		}
	}
	return false
}

// DecodeGreeting reads an uploaded WAV file (PCM 8 or 16 bit, μ-law or
// A-law, any rate and channel count media/wav reads) and returns it as
// the box stores greetings: 8 kHz mono 16-bit PCM, with its length. It
// reads at most MaxGreetingBytes+1 bytes of r. Errors: ErrBadAudio
// (wrapping the wav error), ErrTooLong, ErrEmpty for less than half a
// second of audio.
func DecodeGreeting(r io.Reader) ([]byte, time.Duration, error) {
	lr := &io.LimitedReader{R: r, N: MaxGreetingBytes + 1}
	rd, err := wav.NewReader(lr)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrBadAudio, err)
	}
	const maxFrames = int(MaxGreetingTime / media.FrameDuration)
	samples := make([]int16, 0, 50*media.FrameSamples)
	var f media.Frame
	for frames := 0; ; frames++ {
		err := rd.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %w", ErrBadAudio, err)
		}
		if frames == maxFrames {
			return nil, 0, fmt.Errorf("%w: more than %v", ErrTooLong, MaxGreetingTime)
		}
		samples = append(samples, f[:]...)
	}
	if lr.N <= 0 {
		return nil, 0, fmt.Errorf("%w: larger than %d bytes", ErrTooLong, MaxGreetingBytes)
	}
	d := time.Duration(len(samples)) * time.Second / media.SampleRate
	if d < minGreeting {
		return nil, 0, fmt.Errorf("%w: %v of audio", ErrEmpty, d)
	}
	var out bytes.Buffer
	h := wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: media.SampleRate, BitsPerSample: 16}
	if err := wav.Write(&out, h, wav.PCM16(samples)); err != nil {
		return nil, 0, fmt.Errorf("voicemail: greeting: %w", err)
	}
	return out.Bytes(), d, nil
}

// PutGreeting sets a mailbox's greeting of kind k from an uploaded or
// recorded WAV file (see DecodeGreeting), replacing any earlier one
// atomically, and returns its length.
func (s *Store) PutGreeting(mailbox string, k GreetingKind, r io.Reader) (time.Duration, error) {
	if _, err := ParseGreetingKind(string(k)); err != nil {
		return 0, err
	}
	dir, err := s.box(mailbox)
	if err != nil {
		return 0, err
	}
	data, d, err := DecodeGreeting(r)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("voicemail: %w", err)
	}
	if err := writeFile(filepath.Join(dir, k.fileName()), data); err != nil {
		return 0, fmt.Errorf("voicemail: greeting: %w", err)
	}
	return d, nil
}

// RemoveGreeting deletes a mailbox's greeting of kind k, so callers hear
// the standard one; removing one that is not there is not an error.
func (s *Store) RemoveGreeting(mailbox string, k GreetingKind) error {
	if _, err := ParseGreetingKind(string(k)); err != nil {
		return err
	}
	dir, err := s.box(mailbox)
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(dir, k.fileName()))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("voicemail: greeting: %w", err)
	}
	if err == nil {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("voicemail: greeting: %w", err)
		}
	}
	return nil
}

// GreetingFile returns the path of a mailbox's greeting of kind k, if it
// has one.
func (s *Store) GreetingFile(mailbox string, k GreetingKind) (string, bool) {
	if _, err := ParseGreetingKind(string(k)); err != nil {
		return "", false
	}
	dir, err := s.box(mailbox)
	if err != nil {
		return "", false
	}
	p := filepath.Join(dir, k.fileName())
	_, err = os.Stat(p)
	return p, err == nil
}

// Greetings reports which greetings a mailbox has.
func (s *Store) Greetings(mailbox string) map[GreetingKind]bool {
	out := make(map[GreetingKind]bool, len(GreetingKinds))
	for _, k := range GreetingKinds {
		_, out[k] = s.GreetingFile(mailbox, k)
	}
	return out
}
