package detect

import (
	"os"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
)

func ms(d int) int { return d * media.SampleRate / 1000 }

func listen(t *testing.T, x []int16) []Tone {
	t.Helper()
	var got []Tone
	d := NewDetector(func(tn Tone) { got = append(got, tn) })
	for _, f := range audiotest.Frames(x) {
		if err := d.WriteFrame(&f); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func cat(parts ...[]int16) []int16 {
	var x []int16
	for _, p := range parts {
		x = append(x, p...)
	}
	return x
}

func TestDetector_HearsCNGBursts(t *testing.T) {
	var x []int16
	for range 3 {
		x = cat(x, make([]int16, ms(3000)), audiotest.Sine(1100, 3000, ms(500)))
	}
	x = cat(x, make([]int16, ms(200)))
	got := listen(t, x)
	if len(got) != 3 || got[0] != CNG {
		t.Fatalf("got %v, want 3 × CNG", got)
	}
}

func TestDetector_HearsCEDWithPhaseReversals(t *testing.T) {
	// ANSam-like: 2100 Hz whose phase flips every 450 ms.
	x := make([]int16, ms(3000))
	tone := audiotest.Sine(2100, 4000, len(x))
	for i := range x {
		x[i] = tone[i]
		if (i/ms(450))%2 == 1 {
			x[i] = -tone[i]
		}
	}
	x = cat(x, make([]int16, ms(100)))
	// Through G.711, as it arrives from a trunk.
	ul := make([]byte, len(x))
	g711.EncodeAlaw(ul, x)
	g711.DecodeAlaw(x, ul)
	got := listen(t, x)
	if len(got) != 1 || got[0] != CED {
		t.Fatalf("got %v, want one CED", got)
	}
}

func TestDetector_IgnoresToneOfWrongShape(t *testing.T) {
	cases := map[string][]int16{
		"steady 1100 Hz":       audiotest.Sine(1100, 3000, ms(3000)),
		"short 1100 Hz blip":   cat(audiotest.Sine(1100, 3000, ms(150)), make([]int16, ms(500))),
		"short 2100 Hz blip":   cat(audiotest.Sine(2100, 3000, ms(300)), make([]int16, ms(500))),
		"quiet CNG":            cat(audiotest.Sine(1100, 50, ms(500)), make([]int16, ms(500))),
		"dial tone":            audiotest.Tones(3000, ms(3000), 350, 440),
		"DTMF 1 (697+1209 Hz)": cat(audiotest.Tones(3000, ms(500), 697, 1209), make([]int16, ms(500))),
	}
	for name, x := range cases {
		if got := listen(t, x); len(got) != 0 {
			t.Errorf("%s: detected %v", name, got)
		}
	}
}

func TestDetector_SpeechIsNotFax(t *testing.T) {
	for _, name := range []string{"speech-en.ul", "speech-zh.ul"} {
		ul, err := os.ReadFile("../dtmf/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]int16, len(ul))
		g711.DecodeUlaw(x, ul)
		if got := listen(t, x); len(got) != 0 {
			t.Fatalf("%s: detected %v", name, got)
		}
	}
}

func BenchmarkDetectorFrame(b *testing.B) {
	fs := audiotest.Frames(audiotest.Sine(1100, 3000, int(time.Second/time.Millisecond)*8))
	d := NewDetector(func(Tone) {})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = d.WriteFrame(&fs[i%len(fs)])
		i++
	}
}
