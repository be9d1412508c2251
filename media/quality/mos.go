package quality

import "time"

// Call holds what the E-model needs about one direction of a call.
type Call struct {
	Loss      float64       // packet loss ratio in [0,1]
	Jitter    time.Duration // RFC 3550 interarrival jitter
	RoundTrip time.Duration // from RTCP, 0 when unknown
	// PLC says the decoder conceals lost packets (G.711 appendix I); it
	// changes the codec's robustness to loss.
	PLC bool
}

// MOS estimates the mean opinion score (1.0–4.5) of a G.711 call with a
// simplified ITU-T G.107 E-model: R = 93.2 − Id − Ie,eff, where the delay
// impairment Id comes from the one-way delay (half the round trip plus a
// jitter buffer of twice the jitter plus one 20 ms packet) and Ie,eff from
// random loss with the G.113 robustness factor of G.711 (Bpl 4.3, or 25.1
// with packet-loss concealment).
func MOS(c Call) float64 {
	delay := c.RoundTrip/2 + 2*c.Jitter + 20*time.Millisecond
	d := float64(delay) / float64(time.Millisecond)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	bpl := 4.3
	if c.PLC {
		bpl = 25.1
	}
	ppl := c.Loss * 100
	if ppl < 0 {
		ppl = 0
	}
	ie := 95 * ppl / (ppl + bpl) // Ie of G.711 is 0
	r := 93.2 - id - ie
	return RtoMOS(r)
}

// RtoMOS maps an E-model rating to MOS (G.107 annex B).
func RtoMOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	// The cubic dips just under 1 for very small R; the scale stops at 1.
	return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
}
