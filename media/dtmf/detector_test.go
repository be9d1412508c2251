package dtmf

import (
	"os"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
)

// digitSamples returns a digit's dual tone at amp per tone for n samples.
func digitSamples(t testing.TB, d byte, amp float64, n int) []int16 {
	row, col, err := Tones(d)
	if err != nil {
		t.Fatal(err)
	}
	return audiotest.Tones(amp, n, row, col)
}

func detect(x []int16) string {
	var got []byte
	det := NewDetector(func(d byte) { got = append(got, d) })
	for _, f := range audiotest.Frames(x) {
		if err := det.WriteFrame(&f); err != nil {
			panic(err)
		}
	}
	return string(got)
}

func silence(n int) []int16 { return make([]int16, n) }

func TestDetector_FindsAllSixteenDigits(t *testing.T) {
	var x []int16
	for _, d := range []byte(digits) {
		x = append(x, digitSamples(t, d, 5000, 800)...)
		x = append(x, silence(400)...)
	}
	if got := detect(x); got != digits {
		t.Fatalf("detected %q, want %q", got, digits)
	}
}

func TestDetector_Finds40msDigitsAtEveryAlignment(t *testing.T) {
	for off := 0; off < blockSize; off += 7 {
		x := silence(off)
		for _, d := range []byte("159#") {
			x = append(x, digitSamples(t, d, 3000, 320)...)
			x = append(x, silence(320)...)
		}
		if got := detect(x); got != "159#" {
			t.Fatalf("offset %d: detected %q", off, got)
		}
	}
}

func TestDetector_RejectsTonesShorterThan25ms(t *testing.T) {
	for off := 0; off < blockSize; off += 11 {
		x := append(silence(off), digitSamples(t, '8', 5000, 200)...)
		x = append(x, silence(800)...)
		if got := detect(x); got != "" {
			t.Fatalf("offset %d: 25 ms tone detected as %q", off, got)
		}
	}
}

func TestDetector_SurvivesG711AndTwist(t *testing.T) {
	row, col, _ := Tones('6')
	// Row 6 dB above column: within normal twist.
	a := audiotest.Tones(6000, 1600, row)
	b := audiotest.Tones(3000, 1600, col)
	x := make([]int16, len(a))
	for i := range x {
		x[i] = a[i] + b[i]
	}
	ul := make([]byte, len(x))
	g711.EncodeUlaw(ul, x)
	g711.DecodeUlaw(x, ul)
	if got := detect(x); got != "6" {
		t.Fatalf("detected %q", got)
	}
	// Column 10 dB above row: too much reverse twist.
	a = audiotest.Tones(1000, 1600, row)
	b = audiotest.Tones(3200, 1600, col)
	for i := range x {
		x[i] = a[i] + b[i]
	}
	if got := detect(x); got != "" {
		t.Fatalf("reverse twist detected %q", got)
	}
}

func TestDetector_RejectsSingleTones(t *testing.T) {
	for _, f := range append(rowFreqs[:], colFreqs[:]...) {
		if got := detect(audiotest.Sine(f, 8000, 8000)); got != "" {
			t.Fatalf("single %v Hz detected as %q", f, got)
		}
	}
	// Dial and ringback tones are not digits either.
	if got := detect(audiotest.Tones(5000, 8000, 350, 440)); got != "" {
		t.Fatalf("dial tone detected as %q", got)
	}
}

func TestDetector_HoldsDigitForItsWholeLength(t *testing.T) {
	x := digitSamples(t, '2', 5000, 8000*2)
	if got := detect(x); got != "2" {
		t.Fatalf("long digit detected as %q", got)
	}
}

// speech loads the espeak-ng samples made by testdata/make-speech.sh.
func speech(t testing.TB, name string) []int16 {
	ul, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int16, len(ul))
	g711.DecodeUlaw(x, ul)
	return x
}

func TestDetector_SpeechRaisesNoDigit(t *testing.T) {
	for _, name := range []string{"speech-en.ul", "speech-zh.ul"} {
		x := speech(t, name)
		if got := detect(x); got != "" {
			t.Fatalf("%s: speech detected as %q", name, got)
		}
		// Speech around a real digit does not hide it.
		y := append(append(append([]int16{}, x[:8000]...), digitSamples(t, '9', 4000, 480)...), x[8000:16000]...)
		if got := detect(y); got != "9" {
			t.Fatalf("%s: digit between speech detected as %q", name, got)
		}
	}
}

func BenchmarkDetectorFrame(b *testing.B) {
	fs := audiotest.Frames(digitSamples(b, '5', 5000, media.SampleRate))
	det := NewDetector(func(byte) {})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = det.WriteFrame(&fs[i%len(fs)])
		i++
	}
}

func TestDetector_NoiseRaisesNoDigit(t *testing.T) {
	x := make([]int16, 5*media.SampleRate)
	seed := uint32(1)
	for i := range x {
		seed = seed*1664525 + 1013904223
		x[i] = int16(seed>>16) / 4
	}
	if got := detect(x); got != "" {
		t.Fatalf("white noise detected as %q", got)
	}
}

func TestDetector_LevelLimits(t *testing.T) {
	// -26 dBm0 per tone (a weak PSTN line) is heard; -45 dBm0 is noise.
	quiet := append(digitSamples(t, '0', 1130, 480), silence(400)...)
	if got := detect(quiet); got != "0" {
		t.Fatalf("-26 dBm0 digit detected as %q", got)
	}
	faint := append(digitSamples(t, '0', 128, 480), silence(400)...)
	if got := detect(faint); got != "" {
		t.Fatalf("-45 dBm0 digit detected as %q", got)
	}
}
