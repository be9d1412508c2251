package record

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"callbox/media"
	"callbox/media/dsp"
	"callbox/media/wav"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("record: recorder closed")

// Layout is how the two parties are laid out in the file.
type Layout uint8

// Layouts.
const (
	// Stereo puts the caller on the left channel and the other party on the
	// right.
	Stereo Layout = iota
	// Mono mixes both parties into one channel (half the size).
	Mono
)

// framesPerFlush is how many 20 ms frames are buffered between writes: one
// second, the most a crash can lose.
const framesPerFlush = 50

// Pause is a stretch of a recording replaced by silence, as offsets from
// the start of the recording.
type Pause struct {
	Start, End time.Duration
}

// Result describes a finished recording.
type Result struct {
	Path     string
	Layout   Layout
	Duration time.Duration
	Size     int64  // bytes of the whole file
	SHA256   string // hex digest of the whole file
	Pauses   []Pause
}

// Recorder writes one call's recording. Its methods are safe for
// concurrent use: the call goroutine writes frames while an operator's
// request pauses and resumes.
type Recorder struct {
	mu       sync.Mutex
	f        *os.File
	w        *bufio.Writer
	path     string
	layout   Layout
	frames   int64 // frames (pairs) written so far
	pending  int   // frames in w since the last flush
	flushed  int64 // sample bytes on disk and in the header
	paused   bool
	pauses   []Pause
	scratch  [2 * 2 * media.FrameSamples]byte
	caller   side
	other    side
	closed   bool
	writeErr error
}

// Create starts a recording at path, which must not exist yet: the file
// is created with a header that already plays as an empty WAVE file.
func Create(path string, layout Layout) (*Recorder, error) {
	ch := uint16(2)
	if layout == Mono {
		ch = 1
	}
	h := wav.Header{Format: wav.FormatPCM, Channels: ch, SampleRate: media.SampleRate, BitsPerSample: 16}
	hdr, err := h.Encode(0)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("record: create: %w", err)
	}
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("record: write header: %w", err)
	}
	frameBytes := int(ch) * 2 * media.FrameSamples
	r := &Recorder{
		f:      f,
		w:      bufio.NewWriterSize(f, framesPerFlush*frameBytes),
		path:   path,
		layout: layout,
	}
	return r, nil
}

// Path returns the file being written.
func (r *Recorder) Path() string { return r.path }

// Write records one 20 ms step of the call: caller's frame and the other
// party's. A nil frame is silence (a party that sent nothing).
func (r *Recorder) Write(caller, other *media.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(caller, other)
}

func (r *Recorder) write(caller, other *media.Frame) error {
	if r.closed {
		return ErrClosed
	}
	if r.writeErr != nil {
		return r.writeErr
	}
	var silence media.Frame
	if caller == nil || r.paused {
		caller = &silence
	}
	if other == nil || r.paused {
		other = &silence
	}
	b := r.scratch[:]
	if r.layout == Mono {
		for i := range caller {
			v := dsp.Saturate(int32(caller[i]) + int32(other[i]))
			b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		b = b[:2*media.FrameSamples]
	} else {
		for i := range caller {
			l, rt := caller[i], other[i]
			b[4*i], b[4*i+1] = byte(l), byte(uint16(l)>>8)
			b[4*i+2], b[4*i+3] = byte(rt), byte(uint16(rt)>>8)
		}
	}
	if _, err := r.w.Write(b); err != nil {
		r.writeErr = fmt.Errorf("record: write %s: %w", r.path, err)
		return r.writeErr
	}
	r.frames++
	if r.pending++; r.pending >= framesPerFlush {
		return r.flush()
	}
	return nil
}

// flush writes the buffered second to the file and patches the header so
// the file is whole up to here.
func (r *Recorder) flush() error {
	if err := r.w.Flush(); err != nil {
		r.writeErr = fmt.Errorf("record: flush %s: %w", r.path, err)
		return r.writeErr
	}
	r.pending = 0
	r.flushed = r.frames * int64(r.frameBytes())
	if err := wav.PatchSizes(r.f, uint32(min(r.flushed, 0xffffffff))); err != nil {
		r.writeErr = fmt.Errorf("record: %s: %w", r.path, err)
		return r.writeErr
	}
	return nil
}

func (r *Recorder) frameBytes() int {
	if r.layout == Mono {
		return 2 * media.FrameSamples
	}
	return 4 * media.FrameSamples
}

func (r *Recorder) offset() time.Duration { return time.Duration(r.frames) * media.FrameDuration }

// Pause replaces the audio by silence from now until Resume.
func (r *Recorder) Pause() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paused || r.closed {
		return
	}
	r.paused = true
	r.pauses = append(r.pauses, Pause{Start: r.offset()})
}

// Resume records audio again after Pause.
func (r *Recorder) Resume() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.paused {
		return
	}
	r.paused = false
	r.pauses[len(r.pauses)-1].End = r.offset()
}

// Paused reports whether the recording is paused.
func (r *Recorder) Paused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

// Close writes what is buffered, fixes the header, syncs the file to disk
// and returns the result with the file's SHA-256.
func (r *Recorder) Close() (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Result{}, ErrClosed
	}
	r.drainSides()
	if r.paused {
		r.paused = false
		r.pauses[len(r.pauses)-1].End = r.offset()
	}
	r.closed = true
	err := r.writeErr
	if err == nil {
		err = r.flush()
	}
	if err == nil {
		if serr := r.f.Sync(); serr != nil {
			err = fmt.Errorf("record: sync %s: %w", r.path, serr)
		}
	}
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("record: close %s: %w", r.path, cerr)
	}
	if err != nil {
		return Result{}, err
	}
	sum, size, err := hashFile(r.path)
	if err != nil {
		return Result{}, err
	}
	return Result{
		Path:     r.path,
		Layout:   r.layout,
		Duration: r.offset(),
		Size:     size,
		SHA256:   sum,
		Pauses:   r.pauses,
	}, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("record: hash: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("record: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Verify recomputes the SHA-256 of a finished recording and reports
// whether it matches the digest stored with it.
func Verify(path, sha string) (bool, error) {
	sum, _, err := hashFile(path)
	if err != nil {
		return false, err
	}
	return sum == sha, nil
}
