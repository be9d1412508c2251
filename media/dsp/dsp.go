// Package dsp holds the small signal-processing pieces the media stages
// share: Goertzel filters for single-frequency power, block energy and level
// conversions. Everything works on 8 kHz int16 PCM without allocating.
package dsp

import "math"

// FullScale is the amplitude of a full-scale int16 sine.
const FullScale = 32767.0

// Goertzel measures the power of one frequency in a block of samples. It is
// cheaper than an FFT when only a handful of frequencies matter (DTMF, fax
// tones, test checks). The zero value is not useful; use NewGoertzel.
type Goertzel struct {
	Freq  float64
	coeff float64
}

// NewGoertzel returns a filter for freq Hz at the given sample rate. The
// frequency need not fall on an FFT bin: the generalised form evaluates the
// transform at exactly freq.
func NewGoertzel(freq, rate float64) Goertzel {
	return Goertzel{Freq: freq, coeff: 2 * math.Cos(2*math.Pi*freq/rate)}
}

// Power returns |X(freq)|² over x. For a sine of amplitude A that fills the
// block it is about (A·len(x)/2)².
func (g Goertzel) Power(x []int16) float64 {
	var s1, s2 float64
	c := g.coeff
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// Amplitude returns the estimated peak amplitude of the freq component of x.
func (g Goertzel) Amplitude(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	return 2 * math.Sqrt(math.Max(g.Power(x), 0)) / float64(len(x))
}

// Energy returns the sum of squares of x.
func Energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		f := float64(v)
		e += f * f
	}
	return e
}

// RelativePower scales a Goertzel power so that a pure tone at the filter
// frequency gives 1 relative to the block's energy: the share of the
// block's energy that sits at that frequency.
func RelativePower(power, energy float64, n int) float64 {
	if energy <= 0 || n == 0 {
		return 0
	}
	return power / (energy * float64(n) / 2)
}

// RMS returns the root mean square of x.
func RMS(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(Energy(x) / float64(len(x)))
}

// DBFS converts a peak sine amplitude to dB relative to full scale.
func DBFS(amplitude float64) float64 {
	if amplitude <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(amplitude/FullScale)
}

// Saturate clamps a mixed sample to the int16 range.
func Saturate(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}
