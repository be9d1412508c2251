// Package tone generates the call-progress tones callers hear (dial,
// ringback, busy, congestion, call waiting) in the cadences of the
// country the box is set up for. Tones are computed, never stored: a
// Generator is a media.FrameReader that never ends.
package tone

import (
	"errors"
	"fmt"
	"math"
	"time"

	"callbox/media"
)

// ErrUnknown is returned for a country or tone kind with no plan.
var ErrUnknown = errors.New("tone: no such tone plan")

// Kind is a call-progress tone.
type Kind uint8

// Tone kinds.
const (
	Dial Kind = iota + 1
	Ringback
	Busy
	Congestion
	CallWaiting
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Dial:
		return "dial"
	case Ringback:
		return "ringback"
	case Busy:
		return "busy"
	case Congestion:
		return "congestion"
	case CallWaiting:
		return "call-waiting"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Spec is one tone: the frequencies sounding together (whole Hz) and the
// cadence, alternating on and off durations starting with on, repeated.
// An empty cadence is a continuous tone.
type Spec struct {
	Freqs   []int
	Cadence []time.Duration
}

const ms = time.Millisecond

// plans holds the tones per country setting: China (GB 3380, 450 Hz), North
// America (ANSI T1.401 precise tones), Europe (ETSI TR 101 041 / CEPT
// 425 Hz) and the United Kingdom (SIN 350).
var plans = map[string]map[Kind]Spec{
	"cn": {
		Dial:        {Freqs: []int{450}},
		Ringback:    {Freqs: []int{450}, Cadence: []time.Duration{1000 * ms, 4000 * ms}},
		Busy:        {Freqs: []int{450}, Cadence: []time.Duration{350 * ms, 350 * ms}},
		Congestion:  {Freqs: []int{450}, Cadence: []time.Duration{700 * ms, 700 * ms}},
		CallWaiting: {Freqs: []int{450}, Cadence: []time.Duration{400 * ms, 4000 * ms}},
	},
	"us": {
		Dial:        {Freqs: []int{350, 440}},
		Ringback:    {Freqs: []int{440, 480}, Cadence: []time.Duration{2000 * ms, 4000 * ms}},
		Busy:        {Freqs: []int{480, 620}, Cadence: []time.Duration{500 * ms, 500 * ms}},
		Congestion:  {Freqs: []int{480, 620}, Cadence: []time.Duration{250 * ms, 250 * ms}},
		CallWaiting: {Freqs: []int{440}, Cadence: []time.Duration{300 * ms, 9700 * ms}},
	},
	"eu": {
		Dial:        {Freqs: []int{425}},
		Ringback:    {Freqs: []int{425}, Cadence: []time.Duration{1000 * ms, 4000 * ms}},
		Busy:        {Freqs: []int{425}, Cadence: []time.Duration{500 * ms, 500 * ms}},
		Congestion:  {Freqs: []int{425}, Cadence: []time.Duration{200 * ms, 200 * ms}},
		CallWaiting: {Freqs: []int{425}, Cadence: []time.Duration{200 * ms, 200 * ms, 200 * ms, 4400 * ms}},
	},
	"uk": {
		Dial:        {Freqs: []int{350, 450}},
		Ringback:    {Freqs: []int{400, 450}, Cadence: []time.Duration{400 * ms, 200 * ms, 400 * ms, 2000 * ms}},
		Busy:        {Freqs: []int{400}, Cadence: []time.Duration{375 * ms, 375 * ms}},
		Congestion:  {Freqs: []int{400}, Cadence: []time.Duration{400 * ms, 350 * ms, 225 * ms, 525 * ms}},
		CallWaiting: {Freqs: []int{400}, Cadence: []time.Duration{100 * ms, 3000 * ms}},
	},
}

// Countries returns the country settings that have tone plans.
func Countries() []string { return []string{"cn", "eu", "uk", "us"} }

// Lookup returns the tone of kind for a country setting.
func Lookup(country string, kind Kind) (Spec, error) {
	s, ok := plans[country][kind]
	if !ok {
		return Spec{}, fmt.Errorf("%w: %s %s", ErrUnknown, country, kind)
	}
	return s, nil
}

// Amplitude is each component's peak, about -13 dBm0 (a G.711 sine at
// 0 dBm0 peaks near 22700), the level national plans give within a few dB.
const Amplitude = 5000

// table is one cycle of sine in media.SampleRate steps, so a whole-Hz
// frequency advances its phase by exactly freq entries per sample and never
// drifts.
var table = func() (t [media.SampleRate]int16) {
	for i := range t {
		t[i] = int16(math.Round(Amplitude * math.Sin(2*math.Pi*float64(i)/media.SampleRate)))
	}
	return t
}()

// Generator plays a Spec as 20 ms frames, forever.
type Generator struct {
	freqs  []int
	phases []int
	steps  []int // cadence in samples
	seg    int   // index into steps
	left   int   // samples left in the segment
}

// New returns a generator for a country's tone.
func New(country string, kind Kind) (*Generator, error) {
	s, err := Lookup(country, kind)
	if err != nil {
		return nil, err
	}
	return NewSpec(s), nil
}

// NewSpec returns a generator for any tone, such as a custom one.
func NewSpec(s Spec) *Generator {
	g := &Generator{freqs: s.Freqs, phases: make([]int, len(s.Freqs))}
	for _, d := range s.Cadence {
		g.steps = append(g.steps, max(1, int(d*media.SampleRate/time.Second)))
	}
	if len(g.steps) > 0 {
		g.left = g.steps[0]
	}
	return g
}

// ReadFrame fills f with the next 20 ms. It never returns an error.
func (g *Generator) ReadFrame(f *media.Frame) error {
	for i := range f {
		on := true
		if len(g.steps) > 0 {
			if g.left == 0 {
				g.seg = (g.seg + 1) % len(g.steps)
				g.left = g.steps[g.seg]
			}
			g.left--
			on = g.seg%2 == 0
		}
		var v int32
		for k, fr := range g.freqs {
			if on {
				v += int32(table[g.phases[k]])
			}
			// The phase runs through silence too, so each burst starts
			// where a continuous tone would be, as a real oscillator gated
			// by a cadence would.
			g.phases[k] = (g.phases[k] + fr) % media.SampleRate
		}
		f[i] = int16(v)
	}
	return nil
}
