package tone

import (
	"errors"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/dsp"
)

func render(t *testing.T, g *Generator, d time.Duration) []int16 {
	t.Helper()
	var x []int16
	var f media.Frame
	for range int(d / media.FrameDuration) {
		if err := g.ReadFrame(&f); err != nil {
			t.Fatal(err)
		}
		x = append(x, f[:]...)
	}
	return x
}

func samples(d time.Duration) int { return int(d * media.SampleRate / time.Second) }

func TestGenerator_EveryPlanSoundsItsFrequenciesInCadence(t *testing.T) {
	for _, c := range Countries() {
		for _, k := range []Kind{Dial, Ringback, Busy, Congestion, CallWaiting} {
			s, err := Lookup(c, k)
			if err != nil {
				t.Fatalf("%s %s: %v", c, k, err)
			}
			g, _ := New(c, k)
			cadence := s.Cadence
			if len(cadence) == 0 {
				cadence = []time.Duration{2 * time.Second}
			}
			var period time.Duration
			for _, d := range cadence {
				period += d
			}
			period = (period + media.FrameDuration - 1) / media.FrameDuration * media.FrameDuration
			x := render(t, g, 2*period)
			at := 0
			for cycle := range 2 {
				for i, d := range cadence {
					seg := x[at : at+samples(d)]
					at += samples(d)
					// Keep clear of the edges: 5 ms each side.
					seg = seg[40 : len(seg)-40]
					if i%2 == 1 {
						if dsp.Energy(seg) != 0 {
							t.Fatalf("%s %s cycle %d: segment %d should be silent", c, k, cycle, i)
						}
						continue
					}
					for _, f := range s.Freqs {
						if !audiotest.HasTone(seg, float64(f), 0.8/float64(len(s.Freqs))) {
							t.Fatalf("%s %s cycle %d: segment %d lacks %d Hz", c, k, cycle, i, f)
						}
					}
				}
				if len(s.Cadence) == 0 {
					break
				}
			}
		}
	}
}

func TestLookup_ChinaUses450HzAndUnknownIsAnError(t *testing.T) {
	for _, k := range []Kind{Dial, Ringback, Busy, Congestion, CallWaiting} {
		s, err := Lookup("cn", k)
		if err != nil || len(s.Freqs) != 1 || s.Freqs[0] != 450 {
			t.Fatalf("cn %s: %+v %v", k, s, err)
		}
	}
	if _, err := New("xx", Dial); !errors.Is(err, ErrUnknown) {
		t.Fatalf("err = %v", err)
	}
}

func TestGenerator_BusyCadenceTimesMatch(t *testing.T) {
	g, _ := New("us", Busy)
	x := render(t, g, 2*time.Second)
	// On for 0.5 s, off for 0.5 s: count the sounding 10 ms blocks.
	on := 0
	for i := 0; i+80 <= len(x); i += 80 {
		if dsp.Energy(x[i:i+80]) > 0 {
			on++
		}
	}
	if on != 100 {
		t.Fatalf("%d of 200 blocks sound, want 100", on)
	}
}

func BenchmarkGeneratorFrame(b *testing.B) {
	g, _ := New("us", Ringback)
	var f media.Frame
	b.ReportAllocs()
	for b.Loop() {
		_ = g.ReadFrame(&f)
	}
}
