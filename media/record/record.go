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
	"callbox/media/g711"
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

// Encoding is how a recording stores its samples.
type Encoding uint8

// Encodings.
const (
	// PCM16 stores 16-bit linear samples.
	PCM16 Encoding = iota
	// ULaw stores 8-bit G.711 μ-law samples: half the bytes of PCM16, and
	// nothing lost for a call carried in μ-law (the samples are the ones
	// the phones sent). μ-law rather than A-law because it has an exact
	// zero, so silence and a mono mix of silences stay silent.
	ULaw
)

func (e Encoding) String() string {
	if e == ULaw {
		return "ulaw"
	}
	return "pcm16"
}

// bytesPerSample is the size of one sample of one channel.
func (e Encoding) bytesPerSample() int64 {
	if e == ULaw {
		return 1
	}
	return 2
}

// ulawSilence is μ-law's zero.
const ulawSilence = 0xff

// framesPerFlush is how many 20 ms frames go by between header patches:
// one second, the most a crash can hide until Recover runs.
const framesPerFlush = 50

// ringBytes is about how much of the newest audio is kept in memory
// before it goes to the file: 5 KB, 320 ms of μ-law stereo (160 ms of
// 16-bit stereo). It is written a half at a time, so a party up to half
// of it behind the other (160 ms of μ-law stereo) still lands in memory;
// a frame older than what is kept is merged into the file where it
// belongs, at the cost of a read and a write.
const ringBytes = 5 << 10

// Pause is a stretch of a recording replaced by silence, as offsets from
// the start of the recording.
type Pause struct {
	Start, End time.Duration
}

// Result describes a finished recording.
type Result struct {
	Path     string
	Layout   Layout
	Encoding Encoding
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
	enc    Encoding
	fb     int64 // bytes of one frame in the file (every channel)
	// ring holds frames base..base+2*half-1, frame k at (k mod 2*half),
	// silence where nothing was written; frames before base are in the
	// file. It goes out half at a time, and base is always a multiple
	// of half, so each half is one write.
	ring     []byte
	half     int64  // frames in half the ring
	silence  []byte // half a ring of silence, to refill a half written out
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

// ulawSilenceHalf is the silence of the largest half ring (μ-law mono,
// the smallest frame), shared by every μ-law recorder.
var ulawSilenceHalf = func() []byte {
	b := make([]byte, ringBytes/2)
	for i := range b {
		b[i] = ulawSilence
	}
	return b
}()

// Create starts a recording at path, which must not exist yet: the file
// is created with a header that already plays as an empty WAVE file.
func Create(path string, layout Layout, enc Encoding) (*Recorder, error) {
	ch := uint16(2)
	if layout == Mono {
		ch = 1
	}
	h := wav.Header{Format: wav.FormatPCM, Channels: ch, SampleRate: media.SampleRate, BitsPerSample: 16}
	if enc == ULaw {
		h.Format, h.BitsPerSample = wav.FormatMuLaw, 8
	}
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
	fb := int64(ch) * enc.bytesPerSample() * media.FrameSamples
	half := max(1, ringBytes/2/fb)
	r := &Recorder{f: f, path: path, layout: layout, enc: enc, fb: fb, half: half, ring: make([]byte, 2*half*fb)}
	if enc == ULaw {
		r.silence = ulawSilenceHalf[:half*fb]
	}
	r.quiet(r.ring)
	return r, nil
}

// quiet fills b, a part of the ring or a frame of the file, with
// silence.
func (r *Recorder) quiet(b []byte) {
	if r.silence == nil {
		clear(b)
		return
	}
	for len(b) > 0 {
		b = b[copy(b, r.silence):]
	}
}

// at is where frame pos is in the ring.
func (r *Recorder) at(pos int64) []byte { return r.frames(pos, 1) }

// frames is n frames of the ring from frame pos on; they must not wrap
// past the ring's end.
func (r *Recorder) frames(pos, n int64) []byte {
	o := pos % (2 * r.half) * r.fb
	return r.ring[o : o+n*r.fb]
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
// ring, or merged into the file if the ring has moved past it. Silence
// (nil, paused, or all zero) needs no writing: the ring is silent where
// nothing was put.
func (r *Recorder) place(pos int64, i int, f *media.Frame) error {
	if err := r.slide(pos); err != nil {
		return err
	}
	r.end = max(r.end, pos+1)
	if f == nil || r.paused || silent(f) {
		return nil
	}
	if pos >= r.base {
		r.put(r.at(pos), i, f)
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
	if r.enc == ULaw {
		r.putULaw(b, i, f)
		return
	}
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

// putULaw is put for a μ-law file.
func (r *Recorder) putULaw(b []byte, i int, f *media.Frame) {
	if r.layout == Mono {
		var had media.Frame
		g711.DecodeUlaw(had[:], b)
		for k, v := range f {
			had[k] = dsp.Saturate(int32(had[k]) + int32(v))
		}
		g711.EncodeUlaw(b, had[:])
		return
	}
	b = b[i : 2*media.FrameSamples]
	for k, v := range f {
		b[2*k] = g711.EncodeUlawSample(v)
	}
}

// slide moves the ring on until it holds pos, writing out the older
// half each time. Frames are placed at most one past the furthest so
// far, so this writes one half at most; a frame further ahead would
// leave silence written in between, not a hole.
func (r *Recorder) slide(pos int64) error {
	for pos >= r.base+2*r.half {
		b := r.frames(r.base, r.half)
		if _, err := r.f.WriteAt(b, wav.HeaderSize+r.base*r.fb); err != nil {
			r.writeErr = fmt.Errorf("record: write %s: %w", r.path, err)
			return r.writeErr
		}
		r.quiet(b)
		r.base += r.half
		if r.base-r.flushed >= framesPerFlush {
			if err := r.patch(r.base); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeRing writes the ring's frames up to the furthest placed: from
// base to the ring's end, then from its start if they wrap.
func (r *Recorder) writeRing() error {
	for pos := r.base; pos < r.end; {
		n := min(r.end-pos, 2*r.half-pos%(2*r.half))
		if _, err := r.f.WriteAt(r.frames(pos, n), wav.HeaderSize+pos*r.fb); err != nil {
			r.writeErr = fmt.Errorf("record: write %s: %w", r.path, err)
			return r.writeErr
		}
		pos += n
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
	r.quiet(b[n:]) // past the end of the file: silence
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
		err = r.writeRing()
	}
	if err == nil {
		// The file holds every frame up to the furthest placed; a
		// frame merged past it (none should be) is cut off.
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
	r.ring = nil
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
		Encoding: r.enc,
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
