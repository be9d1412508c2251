package queue

import (
	"errors"
	"io"
	"math"
	"sync"

	"callbox/media"
)

// holdNotes is the built-in hold music: a slow C-major arpeggio, soft
// enough to talk over, computed so the firmware carries no audio file.
var holdNotes = []float64{523.25, 659.25, 783.99, 659.25}

const (
	holdNoteSamples = media.SampleRate * 2 / 5 // 400 ms a note
	holdGapSamples  = media.SampleRate / 20    // 50 ms between notes
	holdAmplitude   = 2500
)

// HoldMusic is the built-in music on hold: a never-ending
// media.FrameReader.
type HoldMusic struct {
	note  int
	pos   int
	phase float64
}

// NewHoldMusic returns the built-in music at its start.
func NewHoldMusic() *HoldMusic { return &HoldMusic{} }

// ReadFrame fills f with the next 20 ms; it never fails.
func (h *HoldMusic) ReadFrame(f *media.Frame) error {
	for i := range f {
		if h.pos >= holdNoteSamples+holdGapSamples {
			h.pos, h.phase = 0, 0
			h.note = (h.note + 1) % len(holdNotes)
		}
		if h.pos < holdNoteSamples {
			// A short fade at both ends keeps the notes from clicking.
			env := min(1, float64(h.pos)/200, float64(holdNoteSamples-h.pos)/200)
			f[i] = int16(holdAmplitude * env * math.Sin(h.phase))
			h.phase += 2 * math.Pi * holdNotes[h.note] / media.SampleRate
		} else {
			f[i] = 0
		}
		h.pos++
	}
	return nil
}

// holdSource is what a waiting caller hears: hold music, interrupted by
// an announcement whenever one is queued. It never ends by itself.
type holdSource struct {
	newMusic func() media.FrameReader
	music    media.FrameReader
	mu       sync.Mutex
	cur      announcement // the announcement playing, if any
	next     []announcement
	said     int // announcements played to the end
}

type announcement interface {
	media.FrameReader
	Close() error
}

func newHoldSource(music func() media.FrameReader) *holdSource {
	return &holdSource{newMusic: music, music: music()}
}

// announce queues a to play after the one playing (if any).
func (h *holdSource) announce(a announcement) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next = append(h.next, a)
}

// ReadFrame implements media.FrameReader.
func (h *holdSource) ReadFrame(f *media.Frame) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if h.cur == nil && len(h.next) > 0 {
			h.cur, h.next = h.next[0], h.next[1:]
		}
		if h.cur == nil {
			break
		}
		err := h.cur.ReadFrame(f)
		if err == nil {
			return nil
		}
		h.cur.Close()
		h.cur = nil
		if errors.Is(err, io.EOF) {
			h.said++
		}
		// A prompt that fails to read is skipped: the caller hears music
		// instead of silence.
	}
	if err := h.music.ReadFrame(f); err != nil {
		// The music ended (or failed): start it again from the top; a
		// source that cannot even start plays silence.
		h.music = h.newMusic()
		if err := h.music.ReadFrame(f); err != nil {
			clear(f[:])
		}
	}
	return nil
}

// close releases the announcements not played.
func (h *holdSource) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		h.cur.Close()
		h.cur = nil
	}
	for _, a := range h.next {
		a.Close()
	}
	h.next = nil
}
