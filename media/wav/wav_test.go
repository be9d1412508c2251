package wav

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
)

// readAll decodes every frame of a WAVE stream.
func readAll(t *testing.T, b []byte) []int16 {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var x []int16
	var f media.Frame
	for {
		err := r.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			return x
		}
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, f[:]...)
	}
}

func encode(t *testing.T, h Header, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, h, data); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkTone(t *testing.T, x []int16, freq, wantDB float64) {
	t.Helper()
	// Skip the filter's ramp-in and the padded tail.
	x = x[200 : len(x)-400]
	if f := audiotest.Dominant(x, 100, 3900); math.Abs(f-freq) > 2 {
		t.Fatalf("dominant %v Hz, want %v", f, freq)
	}
	if l := audiotest.Level(x, freq); math.Abs(l-wantDB) > 0.5 {
		t.Fatalf("level %.2f dBFS, want %.2f", l, wantDB)
	}
}

func TestReader_Reads8kPCMExactly(t *testing.T) {
	pcm := audiotest.Sine(1000, 8000, 8000)
	b := encode(t, Header{Format: FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16}, PCM16(pcm))
	x := readAll(t, b)
	if len(x) != 8000 || !slicesEqual(x, pcm) {
		t.Fatalf("got %d samples, not the original", len(x))
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReader_Resamples16kAndDropsWhatCannotBeHeard(t *testing.T) {
	h := Header{Format: FormatPCM, Channels: 1, SampleRate: 16000, BitsPerSample: 16}
	x := readAll(t, encode(t, h, PCM16(tone16k(1000, 8000, 16000))))
	if n := len(x); n < 7900 || n > 8160 {
		t.Fatalf("%d samples for 1 s", n)
	}
	checkTone(t, x, 1000, audiotest.Level(audiotest.Sine(1000, 8000, 8000), 1000))

	// 5 kHz cannot exist at 8 kHz; without the low-pass it would alias to 3 kHz.
	x = readAll(t, encode(t, h, PCM16(tone16k(5000, 8000, 16000))))
	if l := audiotest.Level(x[200:len(x)-400], 3000); l > -50 {
		t.Fatalf("5 kHz aliased to 3 kHz at %.1f dBFS", l)
	}
}

func tone16k(freq, amp float64, n int) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return x
}

func TestReader_DownmixesStereo8BitAt44k(t *testing.T) {
	const rate = 44100
	var data []byte
	for i := range rate {
		v := 60 * math.Sin(2*math.Pi*440*float64(i)/rate)
		data = append(data, byte(128+int(v)), byte(128+int(v)))
	}
	x := readAll(t, encode(t, Header{Format: FormatPCM, Channels: 2, SampleRate: rate, BitsPerSample: 8}, data))
	checkTone(t, x, 440, 20*math.Log10(60*256/32767.0))
}

func TestReader_ReadsG711Files(t *testing.T) {
	pcm := audiotest.Sine(1000, 8000, 8000)
	want := audiotest.Level(pcm, 1000)
	ul := make([]byte, len(pcm))
	g711.EncodeUlaw(ul, pcm)
	checkTone(t, readAll(t, encode(t, Header{Format: FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, ul)), 1000, want)
	al := make([]byte, len(pcm))
	g711.EncodeAlaw(al, pcm)
	checkTone(t, readAll(t, encode(t, Header{Format: FormatALaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, al)), 1000, want)
}

func TestReader_ReadsFilesMadeBySox(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed (scripts/test-packages.txt lists it)")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-r", "8000", "-e", "mu-law"},
		{"-r", "8000", "-e", "a-law"},
		{"-r", "16000", "-e", "signed-integer", "-b", "16"},
		{"-r", "22050", "-c", "2", "-e", "signed-integer", "-b", "16"},
	} {
		p := filepath.Join(dir, "t.wav")
		cmd := exec.Command("sox", append(append([]string{"-n"}, args...), p, "synth", "1", "sine", "800", "vol", "0.25")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v %s", args, err, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkTone(t, readAll(t, b), 800, 20*math.Log10(0.25))
	}
}

func TestParseHeader_RejectsWhatItCannotPlay(t *testing.T) {
	good := encode(t, Header{Format: FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16}, make([]byte, 8))
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"empty":     {nil, ErrNotWAV},
		"not riff":  {append([]byte("RIFX"), good[4:]...), ErrNotWAV},
		"truncated": {good[:30], ErrTruncated},
		"float":     {patch(good, 20, 3), ErrUnsupported},
		"24-bit":    {patch(good, 34, 24), ErrUnsupported},
		"0 chans":   {patch(good, 22, 0), ErrUnsupported},
	}
	for name, c := range cases {
		if _, err := ParseHeader(bytes.NewReader(c.b)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func patch(b []byte, off int, v byte) []byte {
	c := bytes.Clone(b)
	c[off] = v
	return c
}

func TestParseHeader_SkipsChunksAndTreatsZeroSizeAsToEnd(t *testing.T) {
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd size, padded
	hdr := encode(t, Header{Format: FormatMuLaw, Channels: 1, SampleRate: 8000, BitsPerSample: 8}, nil)
	b = append(b, hdr[12:36]...) // fmt chunk
	b = append(b, "data\x00\x00\x00\x00"...)
	b = append(b, bytes.Repeat([]byte{0xff}, 320)...)
	h, err := ParseHeader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if h.DataOffset != int64(len(b)-320) || h.DataSize != -1 || h.Format != FormatMuLaw {
		t.Fatalf("%+v", h)
	}
	if x := readAll(t, b); len(x) != 320 {
		t.Fatalf("read %d samples, want 320", len(x))
	}
}

func TestRepair_FixesSizesAndCutsPartialSample(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.wav")
	h := Header{Format: FormatPCM, Channels: 2, SampleRate: 8000, BitsPerSample: 16}
	hdr, err := h.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	data := PCM16(audiotest.Sine(500, 4000, 1001)) // 1001 samples: half a stereo frame extra
	if err := os.WriteFile(p, append(hdr, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	got, changed, err := Repair(p)
	if err != nil || !changed || got.DataSize != 2000 {
		t.Fatalf("repair: %+v %v %v", got, changed, err)
	}
	if st, _ := os.Stat(p); st.Size() != HeaderSize+2000 {
		t.Fatalf("size %d", st.Size())
	}
	if _, changed, err := Repair(p); changed || err != nil {
		t.Fatalf("second repair changed=%v err=%v", changed, err)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, h := range []Header{
		{Format: FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16},
		{Format: FormatMuLaw, Channels: 2, SampleRate: 8000, BitsPerSample: 8},
		{Format: FormatPCM, Channels: 1, SampleRate: 44100, BitsPerSample: 8},
	} {
		b, err := h.Encode(4)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(b, 1, 2, 3, 4))
	}
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		var fr media.Frame
		for range 1000 {
			if err := r.ReadFrame(&fr); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("read error on in-memory data: %v", err)
				}
				return
			}
		}
		t.Fatal("more frames than the input can hold")
	})
}
