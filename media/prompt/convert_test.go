package prompt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/dsp"
	"callbox/media/wav"
)

// decodeMuLaw checks b is an 8 kHz mono μ-law file and returns its samples.
func decodeMuLaw(t *testing.T, b []byte) []int16 {
	t.Helper()
	r, err := wav.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Format != wav.FormatMuLaw || h.SampleRate != media.SampleRate || h.Channels != 1 {
		t.Fatalf("header %+v, want 8 kHz mono μ-law", h)
	}
	return readAll(t, r)
}

func TestConvert_Turns16kPCMInto8kMuLawKeepingTheSound(t *testing.T) {
	out, d, err := Convert(bytes.NewReader(toneWAV(t, 16000, 1000)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d != 500*time.Millisecond {
		t.Errorf("length %v, want 500ms", d)
	}
	x := decodeMuLaw(t, out)
	if f := audiotest.Dominant(x[100:len(x)-200], 100, 3900); math.Abs(f-1000) > 2 {
		t.Fatalf("converted audio is %v Hz, want 1000 Hz", f)
	}
}

func TestConvert_RefusesLongSilentAndForeignFiles(t *testing.T) {
	if _, _, err := Convert(bytes.NewReader(toneWAV(t, 8000, 440)), 200*time.Millisecond); !errors.Is(err, ErrTooLong) {
		t.Errorf("long: %v", err)
	}
	var silent bytes.Buffer
	if err := wav.Write(&silent, wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16}, make([]byte, 1600)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Convert(&silent, time.Minute); !errors.Is(err, ErrSilent) {
		t.Errorf("silent: %v", err)
	}
	if _, _, err := Convert(strings.NewReader("ID3\x04 an mp3 file"), time.Minute); !errors.Is(err, wav.ErrNotWAV) {
		t.Errorf("mp3: %v", err)
	}
}

func TestSpeak_SaysTextAsTheGeneratorDoes(t *testing.T) {
	if !CanSpeak("en") {
		t.Skip("espeak-ng is not installed")
	}
	for _, lang := range Languages {
		text := map[string]string{"en": "Thank you for calling.", "zh": "谢谢您的来电。"}[lang]
		out, d, err := Speak(context.Background(), lang, text, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		x := decodeMuLaw(t, out)
		if d < 300*time.Millisecond || d > 10*time.Second || dsp.RMS(x) < 300 {
			t.Fatalf("%s: %v long, RMS %.0f: not speech", lang, d, dsp.RMS(x))
		}
	}
}

func TestSpeak_WithoutEspeakSaysSo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if CanSpeak("en") {
		t.Fatal("CanSpeak with an empty PATH")
	}
	if _, _, err := Speak(context.Background(), "en", "hello", time.Minute); !errors.Is(err, ErrNoSpeech) {
		t.Fatalf("got %v, want ErrNoSpeech", err)
	}
}

func TestSpeak_TextStartingWithADashIsSpokenNotAnOption(t *testing.T) {
	if !CanSpeak("en") {
		t.Skip("espeak-ng is not installed")
	}
	if _, _, err := Speak(context.Background(), "en", "--version please", time.Minute); err != nil {
		t.Fatal(err)
	}
}

func FuzzConvert(f *testing.F) {
	var b bytes.Buffer
	_ = wav.Write(&b, wav.Header{Format: wav.FormatMuLaw, Channels: 2, SampleRate: 11025, BitsPerSample: 8}, []byte{1, 2, 3, 200, 5, 6})
	f.Add(b.Bytes())
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00\x10\x00\x20\x00"))
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, d, err := Convert(bytes.NewReader(in), 2*time.Second)
		if err != nil {
			return
		}
		if d <= 0 || d > 2*time.Second {
			t.Fatalf("accepted %v of audio", d)
		}
		decodeMuLaw(t, out)
	})
}

// BenchmarkConvert_ThirtySecondsAt16kHz is the work of one typical upload:
// thirty seconds of 16 kHz PCM resampled and encoded to 8 kHz μ-law.
func BenchmarkConvert_ThirtySecondsAt16kHz(b *testing.B) {
	x := make([]int16, 30*16000)
	for i := range x {
		x[i] = int16(6000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	var in bytes.Buffer
	if err := wav.Write(&in, wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 16000, BitsPerSample: 16}, wav.PCM16(x)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		if _, _, err := Convert(bytes.NewReader(in.Bytes()), time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
