package record

import (
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

// framesPerFlush is how many 20 ms frames go by between header patches:
// one second, the most a crash can hide until Recover runs.
const framesPerFlush = 50

// window is how many of the newest frames are kept in memory before they
// go to the file: 160 ms, 5 KB in stereo. A frame older than that is
// merged into the file where it belongs.
const window = 8

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
// concurrent use: each party's tap writes frames while an operator's
// request pauses and resumes.
type Recorder struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	layout Layout
	fb     int64 // bytes of one frame in the file (every channel)
	// win holds frames base..base+window-1, zero where nothing was
	// written (silence); frames before base are in the file.
	win      []byte
	base     int64
	end      int64 // one past the furthest frame placed
	flushed  int64 // frames the header declares
	parties  [2]party
	paused   bool
	pauses   []Pause
	merge    [4 * media.FrameSamples]byte // a file frame being merged into
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
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("record: create: %w", err)
	}
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("record: write header: %w", err)
	}
	fb := int64(ch) * 2 * media.FrameSamples
	return &Recorder{f: f, path: path, layout: layout, fb: fb, win: make([]byte, window*fb)}, nil
}

// Path returns the file being written.
func (r *Recorder) Path() string { return r.path }

// Write records one 20 ms step of the call: caller's frame and the other
// party's, side by side after the furthest either party has reached. A
// nil frame is silence (a party that sent nothing).
func (r *Recorder) Write(caller, other *media.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return err
	}
	pos := max(r.parties[0].next, r.parties[1].next)
	for i, f := range [2]*media.Frame{caller, other} {
		r.parties[i].started = true
		r.parties[i].next = pos + 1
		if err := r.place(pos, i, f); err != nil {
			return err
		}
	}
	return nil
}

func (r *Recorder) usable() error {
	if r.closed {
		return ErrClosed
	}
	return r.writeErr
}

// place puts party i's frame at frame pos of the recording: into the
// window, or merged into the file if the window has moved past it. Silence
// (nil, paused, or all zero) needs no writing: the file is silent where
// nothing was written.
func (r *Recorder) place(pos int64, i int, f *media.Frame) error {
	if pos >= r.base+window {
		if err := r.slide(pos); err != nil {
			return err
		}
	}
	r.end = max(r.end, pos+1)
	if f == nil || r.paused || silent(f) {
		return nil
	}
	if pos >= r.base {
		r.put(r.win[(pos-r.base)*r.fb:], i, f)
		return nil
	}
	return r.mergeLate(pos, i, f)
}

func silent(f *media.Frame) bool {
	for _, v := range f {
		if v != 0 {
			return false
		}
	}
	return true
}

// put writes party i's samples into one frame of the file's layout: its
// own channel in stereo, added to what is there in mono.
func (r *Recorder) put(b []byte, i int, f *media.Frame) {
	if r.layout == Mono {
		for k, v := range f {
			s := dsp.Saturate(int32(int16(uint16(b[2*k])|uint16(b[2*k+1])<<8)) + int32(v))
			b[2*k], b[2*k+1] = byte(s), byte(uint16(s)>>8)
		}
		return
	}
	for k, v := range f {
		o := 4*k + 2*i
		b[o], b[o+1] = byte(v), byte(uint16(v)>>8)
	}
}

// slide writes the window out and moves it to the stretch that holds
// pos; the frames skipped over stay silent (a hole in the file).
func (r *Recorder) slide(pos int64) error {
	if err := r.writeWindow(); err != nil {
		return err
	}
	clear(r.win)
	r.base = pos - pos%window
	if r.base-r.flushed >= framesPerFlush {
		return r.patch(r.base)
	}
	return nil
}

// writeWindow writes the window's frames up to the furthest placed.
func (r *Recorder) writeWindow() error {
	n := min(r.end-r.base, window)
	if n <= 0 {
		return nil
	}
	if _, err := r.f.WriteAt(r.win[:n*r.fb], wav.HeaderSize+r.base*r.fb); err != nil {
		r.writeErr = fmt.Errorf("record: write %s: %w", r.path, err)
		return r.writeErr
	}
	return nil
}

// mergeLate merges a frame that came after the window moved on (its
// party's audio arrived behind the other's) into the file.
func (r *Recorder) mergeLate(pos int64, i int, f *media.Frame) error {
	b := r.merge[:r.fb]
	off := wav.HeaderSize + pos*r.fb
	n, err := r.f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		r.writeErr = fmt.Errorf("record: read %s: %w", r.path, err)
		return r.writeErr
	}
	clear(b[n:]) // past the end of the file: silence
	r.put(b, i, f)
	if _, err := r.f.WriteAt(b, off); err != nil {
		r.writeErr = fmt.Errorf("record: write %s: %w", r.path, err)
		return r.writeErr
	}
	return nil
}

// patch declares frames in the header, so the file plays up to there.
func (r *Recorder) patch(frames int64) error {
	if err := wav.PatchSizes(r.f, uint32(min(frames*r.fb, 0xffffffff))); err != nil {
		r.writeErr = fmt.Errorf("record: %s: %w", r.path, err)
		return r.writeErr
	}
	r.flushed = frames
	return nil
}

func (r *Recorder) offset() time.Duration { return time.Duration(r.end) * media.FrameDuration }

// Pause replaces the audio by silence from now (the furthest either party
// has reached) until Resume.
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
	if r.paused {
		r.paused = false
		r.pauses[len(r.pauses)-1].End = r.offset()
	}
	r.closed = true
	err := r.writeErr
	if err == nil {
		err = r.writeWindow()
	}
	if err == nil {
		// A recording that ends in silence ends in a hole: give the
		// file its full length.
		if terr := r.f.Truncate(wav.HeaderSize + r.end*r.fb); terr != nil {
			err = fmt.Errorf("record: %s: %w", r.path, terr)
		}
	}
	if err == nil {
		err = r.patch(r.end)
	}
	if err == nil {
		if serr := r.f.Sync(); serr != nil {
			err = fmt.Errorf("record: sync %s: %w", r.path, serr)
		}
	}
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("record: close %s: %w", r.path, cerr)
	}
	r.win = nil
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
	// A small buffer (Close runs while other calls record); the bare
	// Reader keeps os.File's WriteTo from bringing a 32 KB one.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 8<<10))
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
