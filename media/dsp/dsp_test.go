package dsp

import (
	"math"
	"testing"
)

func sine(freq, amp float64, n int) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return x
}

func TestGoertzel_MeasuresAmplitudeOfTone(t *testing.T) {
	x := sine(697, 10000, 400)
	got := NewGoertzel(697, 8000).Amplitude(x)
	if math.Abs(got-10000) > 200 {
		t.Fatalf("amplitude = %.0f, want about 10000", got)
	}
	if off := NewGoertzel(1209, 8000).Amplitude(x); off > 500 {
		t.Fatalf("amplitude at 1209 Hz = %.0f, want near 0", off)
	}
}

func TestRelativePower_PureToneIsOne(t *testing.T) {
	x := sine(1000, 8000, 160)
	g := NewGoertzel(1000, 8000)
	r := RelativePower(g.Power(x), Energy(x), len(x))
	if math.Abs(r-1) > 0.05 {
		t.Fatalf("relative power = %.3f, want 1", r)
	}
}

func TestSaturate_ClampsBothEnds(t *testing.T) {
	if Saturate(40000) != math.MaxInt16 || Saturate(-40000) != math.MinInt16 || Saturate(5) != 5 {
		t.Fatal("saturate wrong")
	}
}
