package g711

import (
	"errors"
	"math"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"

	zg711 "github.com/zaf/g711"
)

func TestTranscode_UlawAlawKeeps1kHzToneWithinHalfDB(t *testing.T) {
	pcm := audiotest.Sine(1000, 8000, 8000)
	want := audiotest.Level(pcm, 1000)

	ulaw := make([]byte, len(pcm))
	EncodeUlaw(ulaw, pcm)
	alaw := make([]byte, len(pcm))
	UlawToAlaw(alaw, ulaw)
	back := make([]int16, len(pcm))
	DecodeAlaw(back, alaw)
	if got := audiotest.Level(back, 1000); math.Abs(got-want) > 0.5 {
		t.Fatalf("μ-law→A-law level %.2f dBFS, original %.2f", got, want)
	}
	if f := audiotest.Dominant(back, 200, 3800); math.Abs(f-1000) > 2 {
		t.Fatalf("dominant frequency %.0f Hz, want 1000", f)
	}

	EncodeAlaw(alaw, pcm)
	AlawToUlaw(ulaw, alaw)
	DecodeUlaw(back, ulaw)
	if got := audiotest.Level(back, 1000); math.Abs(got-want) > 0.5 {
		t.Fatalf("A-law→μ-law level %.2f dBFS, original %.2f", got, want)
	}
}

func TestRoundTrip_EachLawKeepsQuietAndLoudTones(t *testing.T) {
	for _, amp := range []float64{300, 3000, 30000} {
		pcm := audiotest.Sine(1000, amp, 1600)
		want := audiotest.Level(pcm, 1000)
		buf := make([]byte, len(pcm))
		back := make([]int16, len(pcm))
		EncodeUlaw(buf, pcm)
		DecodeUlaw(back, buf)
		if got := audiotest.Level(back, 1000); math.Abs(got-want) > 0.5 {
			t.Errorf("μ-law amp %v: %.2f dBFS, want %.2f", amp, got, want)
		}
		EncodeAlaw(buf, pcm)
		DecodeAlaw(back, buf)
		if got := audiotest.Level(back, 1000); math.Abs(got-want) > 0.5 {
			t.Errorf("A-law amp %v: %.2f dBFS, want %.2f", amp, got, want)
		}
	}
}

func TestCodec_DecoderMatchesLawAndRejectsOthers(t *testing.T) {
	pcm := audiotest.Sine(440, 5000, media.FrameSamples)
	for _, c := range []media.Codec{media.PCMU, media.PCMA} {
		enc, err := NewEncoder(c)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := NewDecoder(c)
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, media.FrameSamples)
		enc.Encode(payload, pcm)
		var f media.Frame
		f[100] = 1234
		if n := dec.DecodeFrame(&f, payload[:80]); n != 80 || f[100] != 0 {
			t.Fatalf("%s: short payload decoded %d samples, tail %d", c.Name, n, f[100])
		}
		dec.DecodeFrame(&f, payload)
		if math.Abs(audiotest.Level(f[:], 440)-audiotest.Level(pcm, 440)) > 0.5 {
			t.Fatalf("%s: level changed", c.Name)
		}
	}
	if _, err := NewDecoder(media.Codec{Name: "G729"}); !errors.Is(err, ErrUnsupportedCodec) {
		t.Fatalf("G729: err = %v", err)
	}
}

func TestTranscode_SameLawCopies(t *testing.T) {
	src := []byte{1, 2, 3}
	dst := make([]byte, 3)
	if n := Transcode(dst, src, Alaw, Alaw); n != 3 || dst[2] != 3 {
		t.Fatal("copy failed")
	}
}

func BenchmarkDecodeUlawFrame(b *testing.B) {
	src := make([]byte, media.FrameSamples)
	EncodeUlaw(src, audiotest.Sine(1000, 8000, media.FrameSamples))
	var f media.Frame
	b.ReportAllocs()
	for b.Loop() {
		DecodeUlaw(f[:], src)
	}
}

func BenchmarkEncodeUlawFrame(b *testing.B) {
	pcm := audiotest.Sine(1000, 8000, media.FrameSamples)
	dst := make([]byte, media.FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		EncodeUlaw(dst, pcm)
	}
}

func BenchmarkEncodeAlawFrame(b *testing.B) {
	pcm := audiotest.Sine(1000, 8000, media.FrameSamples)
	dst := make([]byte, media.FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		EncodeAlaw(dst, pcm)
	}
}

func BenchmarkUlawToAlawFrame(b *testing.B) {
	src := make([]byte, media.FrameSamples)
	dst := make([]byte, media.FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		UlawToAlaw(dst, src)
	}
}

func TestEncodeTables_MatchZafArithmetic(t *testing.T) {
	for i := range 1 << 16 {
		v := int16(uint16(i))
		var u, a [1]byte
		EncodeUlaw(u[:], []int16{v})
		EncodeAlaw(a[:], []int16{v})
		if u[0] != zg711.EncodeUlawFrame(v) || a[0] != zg711.EncodeAlawFrame(v) {
			t.Fatalf("sample %d: table differs from zaf/g711", v)
		}
	}
}
