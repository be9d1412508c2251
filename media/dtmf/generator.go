package dtmf

import (
	"io"
	"math"
	"time"

	"callbox/media"
)

// Generator plays digits in band, as a PSTN phone would: each digit's two
// tones for On, then silence for Off. It is a media.FrameReader that ends
// with io.EOF after the last digit's pause, for legs that cannot carry RFC
// 4733 (line cards, modems) and for tests.
type Generator struct {
	digits   []byte
	on, off  int // samples
	pos      int // sample within the current digit's on+off
	row, col float64
	amp      float64
}

// Default in-band timing and level: 100 ms tones with 100 ms pauses, each
// tone at about -10 dBm0, within what every receiver accepts.
const (
	DefaultOn        = 100 * time.Millisecond
	DefaultOff       = 100 * time.Millisecond
	defaultAmplitude = 7000
)

// NewGenerator returns a generator for digits; zero on or off mean the
// defaults.
func NewGenerator(digits string, on, off time.Duration) (*Generator, error) {
	for i := 0; i < len(digits); i++ {
		if _, _, err := Tones(digits[i]); err != nil {
			return nil, err
		}
	}
	if on <= 0 {
		on = DefaultOn
	}
	if off <= 0 {
		off = DefaultOff
	}
	g := &Generator{
		digits: []byte(digits),
		on:     int(on * media.SampleRate / time.Second),
		off:    int(off * media.SampleRate / time.Second),
		amp:    defaultAmplitude,
	}
	g.load()
	return g, nil
}

func (g *Generator) load() {
	if len(g.digits) > 0 {
		// Checked in NewGenerator.
		g.row, g.col, _ = Tones(g.digits[0])
	}
}

// ReadFrame fills f with the next 20 ms; the frame holding the end of the
// last pause is padded with silence.
func (g *Generator) ReadFrame(f *media.Frame) error {
	if len(g.digits) == 0 {
		return io.EOF
	}
	for i := range f {
		if len(g.digits) == 0 {
			f[i] = 0
			continue
		}
		var v float64
		if g.pos < g.on {
			t := float64(g.pos) / media.SampleRate
			v = g.amp * (math.Sin(2*math.Pi*g.row*t) + math.Sin(2*math.Pi*g.col*t))
		}
		f[i] = int16(v)
		if g.pos++; g.pos == g.on+g.off {
			g.pos = 0
			g.digits = g.digits[1:]
			g.load()
		}
	}
	return nil
}
