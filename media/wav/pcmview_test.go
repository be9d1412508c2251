package wav

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"callbox/media/audiotest"
	"callbox/media/g711"
)

// g711Stereo is a μ-law or A-law stereo file of n samples a channel: a
// 440 Hz tone on the left, 1 kHz on the right.
func g711Stereo(t testing.TB, format Format, n int) []byte {
	t.Helper()
	l, r := audiotest.Sine(440, 6000, n), audiotest.Sine(1000, 6000, n)
	data := make([]byte, 2*n)
	var b [1]byte
	for i := range n {
		for c, x := range [][]int16{l, r} {
			if format == FormatMuLaw {
				g711.EncodeUlaw(b[:], x[i:i+1])
			} else {
				g711.EncodeAlaw(b[:], x[i:i+1])
			}
			data[2*i+c] = b[0]
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, Header{Format: format, Channels: 2, SampleRate: 8000, BitsPerSample: 8}, data); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantPCM is the 16-bit PCM file a view of file must read as.
func wantPCM(t testing.TB, file []byte) []byte {
	t.Helper()
	h, err := ParseHeader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	data := file[h.DataOffset:]
	if h.DataSize >= 0 {
		data = data[:min(int64(len(data)), h.DataSize)]
	}
	ch := h.Split(data)
	pcm := make([]int16, 0, len(ch)*len(ch[0]))
	for i := range ch[0] {
		for c := range ch {
			pcm = append(pcm, ch[c][i])
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, Header{Format: FormatPCM, Channels: h.Channels, SampleRate: h.SampleRate, BitsPerSample: 16}, PCM16(pcm)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readView opens the view of file and reads all of it.
func readView(t *testing.T, file []byte) (*PCMView, []byte) {
	t.Helper()
	v, err := NewPCMView(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(v)
	if err != nil {
		t.Fatal(err)
	}
	return v, got
}

func TestPCMView_ReadsAsThePCMFileOfTheSameSamples(t *testing.T) {
	for _, format := range []Format{FormatMuLaw, FormatALaw} {
		file := g711Stereo(t, format, 8000)
		v, got := readView(t, file)
		want := wantPCM(t, file)
		if !bytes.Equal(got, want) || v.Size() != int64(len(want)) {
			t.Fatalf("format %d: view of %d bytes (size %d), want the %d of the PCM file", format, len(got), v.Size(), len(want))
		}
		// It plays as the tones: the Reader down-mixes both channels.
		x := readAll(t, got)
		if !audiotest.HasTone(x, 440, 0.2) || !audiotest.HasTone(x, 1000, 0.2) {
			t.Fatal("the view does not hold both tones")
		}
	}
}

func TestPCMView_SeeksAndReadsAnyRangeAsThePlayerAsks(t *testing.T) {
	file := g711Stereo(t, FormatMuLaw, 3000)
	want := wantPCM(t, file)
	v, err := NewPCMView(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(27, 11))
	for range 500 {
		off := rng.Int64N(int64(len(want)) + 10)
		buf := make([]byte, 1+rng.IntN(9000))
		if pos, err := v.Seek(off, io.SeekStart); err != nil || pos != off {
			t.Fatalf("seek %d: %d %v", off, pos, err)
		}
		n, err := io.ReadFull(v, buf)
		end := min(off+int64(len(buf)), int64(len(want)))
		if off >= int64(len(want)) {
			if n != 0 || !errors.Is(err, io.EOF) {
				t.Fatalf("read past the end at %d: %d bytes, %v", off, n, err)
			}
			continue
		}
		if int64(n) != end-off || !bytes.Equal(buf[:n], want[off:end]) {
			t.Fatalf("bytes %d..%d: read %d, not the PCM file's (%v)", off, end, n, err)
		}
	}
	if pos, err := v.Seek(-10, io.SeekEnd); err != nil || pos != int64(len(want))-10 {
		t.Fatalf("seek from the end: %d %v", pos, err)
	}
	if _, err := v.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("seek before the start accepted")
	}
}

func TestPCMView_ShowsWhatACutShortFileHolds(t *testing.T) {
	file := g711Stereo(t, FormatMuLaw, 1000)
	// The header declares 2,000 bytes; the file was cut after 1,001 of
	// them (a partial sample).
	_, got := readView(t, file[:HeaderSize+1001])
	want := wantPCM(t, file[:HeaderSize+1000])
	if !bytes.Equal(got[HeaderSize:], want[HeaderSize:]) || len(got) != HeaderSize+2000 {
		t.Fatalf("view of %d bytes, want the 500 whole samples", len(got))
	}
	h, err := ParseHeader(bytes.NewReader(got))
	if err != nil || h.DataSize != 2000 || h.Format != FormatPCM || h.BitsPerSample != 16 {
		t.Fatalf("view header %+v: %v", h, err)
	}
}

func TestPCMView_RefusesWhatNeedsNoViewAndWhatIsNotWAVE(t *testing.T) {
	var pcm bytes.Buffer
	if err := Write(&pcm, Header{Format: FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 16}, make([]byte, 320)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPCMView(bytes.NewReader(pcm.Bytes()), int64(pcm.Len())); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("PCM file: %v, want ErrUnsupported", err)
	}
	junk := []byte("not a wave file at all, just some text")
	if _, err := NewPCMView(bytes.NewReader(junk), int64(len(junk))); !errors.Is(err, ErrNotWAV) {
		t.Fatalf("junk: %v, want ErrNotWAV", err)
	}
}

func FuzzPCMView(f *testing.F) {
	f.Add(g711Stereo(f, FormatMuLaw, 40), int64(45))
	f.Add(g711Stereo(f, FormatALaw, 7)[:HeaderSize+5], int64(3))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x07\x00\x01\x00\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00\xff\x7f"), int64(1))
	f.Fuzz(func(t *testing.T, b []byte, seek int64) {
		v, err := NewPCMView(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		all, err := io.ReadAll(v)
		if err != nil || int64(len(all)) != v.Size() {
			t.Fatalf("read %d of %d bytes: %v", len(all), v.Size(), err)
		}
		h, err := ParseHeader(bytes.NewReader(all))
		if err != nil || h.Format != FormatPCM || h.BitsPerSample != 16 || h.DataOffset+max(h.DataSize, 0) != int64(len(all)) {
			t.Fatalf("the view is not a whole PCM file: %+v %v", h, err)
		}
		off := seek % (v.Size() + 1)
		if off < 0 {
			off = -off
		}
		if _, err := v.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(v)
		if err != nil || !bytes.Equal(rest, all[off:]) {
			t.Fatalf("from %d: %d bytes, not the view's (%v)", off, len(rest), err)
		}
	})
}
