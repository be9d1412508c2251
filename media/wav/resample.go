package wav

import (
	"math"

	"callbox/media"
)

// resampler converts a mono stream at one rate to 8 kHz: a windowed-sinc
// low-pass below 8 kHz's Nyquist frequency (when the input is faster), then
// linear interpolation at the output instants. It is streaming: samples go
// in one at a time and outputs come out as their instants pass, so a long
// file needs no more memory than the filter. The filter runs only for the
// input samples an output instant touches (two per output), not for every
// input sample.
type resampler struct {
	step   float64   // input samples per output sample
	taps   []float64 // FIR coefficients; nil when no filtering is needed
	hist   []float64 // ring of the last len(taps) inputs; hi is the oldest
	hi     int
	prev   float64 // filtered sample idx-1, when prevOK
	prevOK bool
	idx    float64 // index of the sample being pushed
	next   float64 // input index of the next output
}

// cutoff is where the low-pass starts to roll off, under the 4 kHz
// Nyquist limit of the 8 kHz output with room for the transition band.
const cutoff = 3400.0

func newResampler(rate uint32) *resampler {
	r := &resampler{step: float64(rate) / media.SampleRate}
	if rate <= media.SampleRate {
		return r
	}
	// Taps grow with the ratio so the transition band stays under about
	// 700 Hz whatever the input rate, putting 5 kHz 70 dB down.
	half := int(math.Ceil(16 * r.step))
	n := 2*half + 1
	r.taps = make([]float64, n)
	fc := cutoff / float64(rate)
	var sum float64
	for i := range r.taps {
		k := float64(i - half)
		v := 2 * fc
		if k != 0 {
			v = math.Sin(2*math.Pi*fc*k) / (math.Pi * k)
		}
		// Blackman window.
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/float64(n-1))
		r.taps[i] = v * w
		sum += r.taps[i]
	}
	for i := range r.taps {
		r.taps[i] /= sum
	}
	r.hist = make([]float64, n)
	return r
}

// filtered returns the low-passed sample back samples before the newest.
func (r *resampler) filtered(back int) float64 {
	if r.taps == nil {
		return r.hist[(r.hi+len(r.hist)-1-back)%len(r.hist)]
	}
	// taps[k] weighs the sample len(taps)-1-k before the output's; one
	// sample further back, the oldest tap falls off the ring and is dropped.
	var y float64
	j := r.hi
	for _, c := range r.taps[back:] {
		y += c * r.hist[j]
		if j++; j == len(r.hist) {
			j = 0
		}
	}
	return y
}

// push feeds one input sample and appends to out each output it completes.
func (r *resampler) push(x float64, out []int16) []int16 {
	if r.hist == nil {
		r.hist = make([]float64, 2)
	}
	r.hist[r.hi] = x
	r.hi = (r.hi + 1) % len(r.hist)
	if r.next > r.idx {
		r.prevOK = false
		r.idx++
		return out
	}
	y := r.filtered(0)
	if !r.prevOK {
		r.prev = y
		if r.idx > 0 {
			r.prev = r.filtered(1)
		}
	}
	for r.next <= r.idx {
		frac := r.next - (r.idx - 1)
		out = append(out, clamp(r.prev+(y-r.prev)*frac))
		r.next += r.step
	}
	r.prev, r.prevOK = y, true
	r.idx++
	return out
}

func clamp(v float64) int16 {
	v = math.Round(v)
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}
