// Package audiotest generates and measures test audio: sines and dual tones
// at 8 kHz, the level of a frequency and the dominant frequency of a signal.
// Tests compare audio by frequency, never by bytes, so a codec or mixer may
// change the samples as long as the tone survives.
package audiotest

import (
	"math"

	"callbox/media"
	"callbox/media/dsp"
)

// Sine returns n samples of a sine at freq Hz with peak amplitude amp.
func Sine(freq, amp float64, n int) []int16 {
	return Tones(amp, n, freq)
}

// Tones returns n samples of the sum of sines at freqs, each with peak
// amplitude amp.
func Tones(amp float64, n int, freqs ...float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		var v float64
		for _, f := range freqs {
			v += amp * math.Sin(2*math.Pi*f*float64(i)/media.SampleRate)
		}
		x[i] = dsp.Saturate(int32(math.Round(v)))
	}
	return x
}

// Frames cuts x into whole 20 ms frames; a tail shorter than a frame is
// padded with silence.
func Frames(x []int16) []media.Frame {
	n := (len(x) + media.FrameSamples - 1) / media.FrameSamples
	fs := make([]media.Frame, n)
	for i := range fs {
		copy(fs[i][:], x[i*media.FrameSamples:])
	}
	return fs
}

// Join concatenates frames into one sample slice.
func Join(fs []media.Frame) []int16 {
	x := make([]int16, 0, len(fs)*media.FrameSamples)
	for i := range fs {
		x = append(x, fs[i][:]...)
	}
	return x
}

// Level returns the level of freq in x in dBFS (a full-scale sine is 0).
func Level(x []int16, freq float64) float64 {
	return dsp.DBFS(dsp.NewGoertzel(freq, media.SampleRate).Amplitude(x))
}

// Dominant returns the frequency in [lo, hi] Hz with the most power in x,
// to within 1 Hz: a 5 Hz scan over the first 100 ms (whose resolution,
// 10 Hz, matches the step so no peak falls between two probes), then a 1 Hz
// scan of the whole signal around the coarse peak.
func Dominant(x []int16, lo, hi float64) float64 {
	best := scan(x[:min(len(x), media.SampleRate/10)], lo, hi, 5)
	return scan(x, max(lo, best-10), min(hi, best+10), 1)
}

func scan(x []int16, lo, hi, step float64) float64 {
	best, bestP := lo, -1.0
	for f := lo; f <= hi; f += step {
		if p := dsp.NewGoertzel(f, media.SampleRate).Power(x); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// HasTone reports whether freq holds at least share of x's energy, which
// tells a clean tone (share near 1 for a single tone, near 0.5 for each of
// a pair) from noise or a different tone.
func HasTone(x []int16, freq, share float64) bool {
	if len(x) == 0 {
		return false
	}
	p := dsp.NewGoertzel(freq, media.SampleRate).Power(x)
	return dsp.RelativePower(p, dsp.Energy(x), len(x)) >= share
}
