package acd

import (
	"context"
	"errors"
	"io"
	"math"
	"time"

	"callbox/media"
	"callbox/media/prompt"
)

// MusicOnHold plays to w, one frame per 20 ms, until ctx ends (then it
// returns nil) or w fails. The switch plays it to a party whose peer put
// the call on hold, and to a party waiting while a transfer rings.
type MusicOnHold func(ctx context.Context, w media.FrameWriter) error

// WithMusicOnHold sets the music held parties hear (default ToneMusic).
func WithMusicOnHold(m MusicOnHold) Option {
	return func(s *Switch) {
		if m != nil {
			s.music = m
		}
	}
}

// ErrNoMusic is returned by LoopMusic when its source yields no audio at
// all, so a broken source cannot spin a loop.
var ErrNoMusic = errors.New("acd: music source has no audio")

// LoopMusic plays the sources open returns one after another, opening
// a new one each time the last ends: a prompt sequence from the library
// (lib.Sequence(lang, "please-hold")) or an installer's music file. A
// source that is an io.Closer is closed when it ends or the music stops.
func LoopMusic(open func() (media.FrameReader, error)) MusicOnHold {
	return func(ctx context.Context, w media.FrameWriter) error {
		t := time.NewTicker(media.FrameDuration)
		defer t.Stop()
		var src media.FrameReader
		closeSrc := func() {
			if c, ok := src.(io.Closer); ok {
				_ = c.Close()
			}
			src = nil
		}
		defer closeSrc()
		var f media.Frame
		frames := 0 // frames read from the current source
		for {
			if src == nil {
				var err error
				if src, err = open(); err != nil {
					return err
				}
				frames = 0
			}
			if err := src.ReadFrame(&f); err != nil {
				closeSrc()
				if !errors.Is(err, io.EOF) {
					return err
				}
				if frames == 0 {
					return ErrNoMusic
				}
				continue
			}
			frames++
			if err := w.WriteFrame(&f); err != nil {
				return err
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// PromptMusic loops prompts of the library (the installer may replace
// them with music files through the library's override directory), e.g.
// PromptMusic(lib, "en", "please-hold"). A prompt that is missing or
// unreadable falls back to ToneMusic, so a held party never hears dead
// air.
func PromptMusic(lib *prompt.Library, lang string, keys ...string) MusicOnHold {
	prompts := LoopMusic(func() (media.FrameReader, error) { return lib.Sequence(lang, keys...), nil })
	tones := ToneMusic()
	return func(ctx context.Context, w media.FrameWriter) error {
		err := prompts(ctx, w)
		if err == nil || ctx.Err() != nil {
			return err
		}
		return tones(ctx, w)
	}
}

// ToneMusic is music computed, not stored: a soft four-note chime that
// repeats, so a box without music files still tells a held caller the
// call is alive.
func ToneMusic() MusicOnHold {
	return LoopMusic(func() (media.FrameReader, error) { return &chime{}, nil })
}

// chime notes (Hz) and timing: each note sounds for noteFrames, then a
// rest of restFrames after the last.
var chimeNotes = []float64{523.25, 659.25, 783.99, 659.25}

const (
	noteFrames = 15 // 300 ms
	restFrames = 25 // 500 ms
	chimeLevel = 4000
)

// chime is one pass of the pattern, a media.FrameReader ending in io.EOF.
type chime struct {
	frame int
	phase float64
}

func (c *chime) ReadFrame(f *media.Frame) error {
	total := len(chimeNotes)*noteFrames + restFrames
	if c.frame >= total {
		return io.EOF
	}
	note := c.frame / noteFrames
	c.frame++
	if note >= len(chimeNotes) {
		clear(f[:])
		return nil
	}
	step := 2 * math.Pi * chimeNotes[note] / media.SampleRate
	for i := range f {
		f[i] = int16(chimeLevel * math.Sin(c.phase))
		c.phase += step
	}
	c.phase = math.Mod(c.phase, 2*math.Pi)
	return nil
}
