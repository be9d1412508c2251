// Package detect recognises fax and modem answer tones in call audio so an
// inbound call can be routed to the fax receiver: CNG, the calling fax
// machine's 1100 Hz beep (0.5 s on, 3 s off, ITU-T T.30), and CED, the
// answering machine's 2100 Hz tone (2.6-4 s, possibly with phase reversals
// as ANSam, ITU-T V.25/V.8).
package detect

import (
	"callbox/media"
	"callbox/media/dsp"
)

// Tone is a detected fax or modem tone.
type Tone uint8

// Tones.
const (
	CNG Tone = iota + 1
	CED
)

// String returns the tone's name.
func (t Tone) String() string {
	switch t {
	case CNG:
		return "CNG"
	case CED:
		return "CED"
	}
	return "unknown"
}

// Detection rules, in 20 ms frames.
const (
	// A frame holds the tone when the tone carries this share of its energy
	// (speech spreads energy over many frequencies) ...
	minShare = 0.7
	// ... at no less than this peak amplitude (about -43 dBm0).
	minAmplitude = 200
	// CNG bursts last 0.5 s ± 15%; accept 0.35-0.8 s, counting partial
	// frames at the edges.
	cngMinFrames = 18
	cngMaxFrames = 40
	// CED is reported once it has sounded for 0.5 s.
	cedFrames = 25
	// One frame may miss inside a tone: an ANSam phase reversal or a
	// burst of line noise.
	maxGap = 1
)

// run follows one frequency's bursts.
type run struct {
	g        dsp.Goertzel
	frames   int // frames of the current burst
	gap      int // consecutive missing frames inside it
	reported bool
}

// Detector is a media.FrameWriter stage that calls emit when it hears CNG
// (at the end of each 0.5 s burst) or CED (once per tone, after 0.5 s). It
// is not safe for concurrent use.
type Detector struct {
	emit     func(Tone)
	cng, ced run
	minPower float64
}

// NewDetector returns a detector calling emit for each tone heard.
func NewDetector(emit func(Tone)) *Detector {
	a := minAmplitude * media.FrameSamples / 2.0
	return &Detector{
		emit:     emit,
		cng:      run{g: dsp.NewGoertzel(1100, media.SampleRate)},
		ced:      run{g: dsp.NewGoertzel(2100, media.SampleRate)},
		minPower: a * a,
	}
}

// WriteFrame consumes one frame. It never fails.
func (d *Detector) WriteFrame(f *media.Frame) error {
	x := f[:]
	e := dsp.Energy(x)
	cng := d.present(&d.cng, x, e)
	ced := d.present(&d.ced, x, e)

	if cng {
		d.cng.frames++
		d.cng.gap = 0
	} else if d.cng.frames > 0 {
		if d.cng.gap++; d.cng.gap > maxGap {
			if n := d.cng.frames; n >= cngMinFrames && n <= cngMaxFrames {
				d.fire(CNG)
			}
			d.cng.frames, d.cng.gap = 0, 0
		}
	}

	if ced {
		d.ced.frames++
		d.ced.gap = 0
		if d.ced.frames >= cedFrames && !d.ced.reported {
			d.ced.reported = true
			d.fire(CED)
		}
	} else if d.ced.frames > 0 {
		if d.ced.gap++; d.ced.gap > maxGap {
			d.ced = run{g: d.ced.g}
		}
	}
	return nil
}

func (d *Detector) present(r *run, x []int16, energy float64) bool {
	p := r.g.Power(x)
	return p >= d.minPower && dsp.RelativePower(p, energy, len(x)) >= minShare
}

func (d *Detector) fire(t Tone) {
	if d.emit != nil {
		d.emit(t)
	}
}
