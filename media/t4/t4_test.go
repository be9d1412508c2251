package t4

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/ccitt"
)

// testPage draws a page with runs of every length class: text-like strokes,
// a long black bar, single pixels at the edges and a checkerboard band.
func testPage(t testing.TB, width, height int, res Resolution, seed uint64) *Page {
	t.Helper()
	p, err := NewPage(width, height, res)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < height; y++ {
		switch {
		case y%50 == 0:
			for x := 0; x < width; x++ {
				p.Set(x, y, true)
			}
		case y%50 < 10:
			for x := 0; x < width; x++ {
				p.Set(x, y, (x/(1+y%7))%2 == 0)
			}
		default:
			for i := 0; i < 6; i++ {
				x0 := rng.IntN(width)
				n := rng.IntN(width - x0 + 1)
				for x := x0; x < x0+n; x++ {
					p.Set(x, y, true)
				}
			}
		}
		p.Set(0, y, y%3 == 0)
		p.Set(width-1, y, y%2 == 0)
	}
	return p
}

func decodeCCITT(t testing.TB, data []byte, order ccitt.Order, width, height int) *Page {
	t.Helper()
	r := ccitt.NewReader(bytes.NewReader(data), order, ccitt.Group3, width, height, &ccitt.Options{Invert: true})
	pix, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ccitt decode: %v", err)
	}
	stride := (width + 7) / 8
	if len(pix) != stride*height {
		t.Fatalf("ccitt decoded %d bytes, want %d", len(pix), stride*height)
	}
	return &Page{Width: width, Height: height, Stride: stride, Pix: pix}
}

func TestEncode_CCITTDecodesEveryRunLength(t *testing.T) {
	// One line per run length 0..MaxWidth-1 of white followed by black.
	width := MaxWidth
	p, _ := NewPage(width, 0, Standard)
	for run := 0; run < width; run += 1 + run/40 {
		row := make([]byte, p.Stride)
		fillBlack(row, run, width)
		p.Pix = append(p.Pix, row...)
		p.Height++
		row2 := make([]byte, p.Stride)
		fillBlack(row2, 0, run)
		p.Pix = append(p.Pix, row2...)
		p.Height++
	}
	data, err := Encode(p, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeCCITT(t, data, ccitt.MSB, width, p.Height)
	if !got.Equal(p) {
		t.Fatal("x/image/ccitt decodes a different page")
	}
	own, err := Decode(data, width, Standard, MSBFirst)
	if err != nil || !own.Equal(p) || own.BadLines != 0 {
		t.Fatalf("own decoder: err=%v bad=%d", err, own.BadLines)
	}
}

func TestEncode_RoundTripsStandardAndFinePages(t *testing.T) {
	for _, tc := range []struct {
		res   Resolution
		order Order
		h     int
	}{{Standard, MSBFirst, 1143}, {Fine, LSBFirst, 2287}} {
		p := testPage(t, Width, tc.h, tc.res, 7)
		data, err := Encode(p, EncodeOptions{Order: tc.order})
		if err != nil {
			t.Fatal(err)
		}
		// x/image/ccitt does not skip fill bits, so only the own decoder
		// sees the padded stream.
		padded, err := Encode(p, EncodeOptions{Order: tc.order, MinLineBits: 400})
		if err != nil {
			t.Fatal(err)
		}
		co := ccitt.MSB
		if tc.order == LSBFirst {
			co = ccitt.LSB
		}
		if got := decodeCCITT(t, data, co, Width, tc.h); !got.Equal(p) {
			t.Fatalf("%v: ccitt decodes a different page", tc.res)
		}
		got, err := Decode(padded, Width, tc.res, tc.order)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(p) || got.BadLines != 0 {
			t.Fatalf("%v: own decoder differs (bad lines %d, height %d)", tc.res, got.BadLines, got.Height)
		}
	}
}

func TestDecode_ReplacesDamagedLineWithLineAbove(t *testing.T) {
	p := testPage(t, Width, 200, Standard, 3)
	data, _ := Encode(p, EncodeOptions{})
	// Flip bits in the middle of the stream: the damage stays within a few
	// lines because every line starts at an EOL.
	for i := len(data) / 2; i < len(data)/2+4; i++ {
		data[i] ^= 0x5a
	}
	got, err := Decode(data, Width, Standard, MSBFirst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Height != p.Height {
		t.Fatalf("height %d, want %d", got.Height, p.Height)
	}
	if got.BadLines == 0 || got.BadLines > 10 {
		t.Fatalf("bad lines %d, want a few", got.BadLines)
	}
}

func TestDecode_RejectsStreamWithoutEOL(t *testing.T) {
	if _, err := Decode([]byte{0xff, 0xff, 0x12}, Width, Standard, MSBFirst); err != ErrNoEOL {
		t.Fatalf("err = %v, want ErrNoEOL", err)
	}
}

func FuzzDecode(f *testing.F) {
	p := testPage(f, 64, 20, Standard, 1)
	data, _ := Encode(p, EncodeOptions{})
	f.Add(data, 64)
	f.Add([]byte{0, 1, 0, 0x10}, 8)
	f.Add([]byte{}, 1728)
	f.Fuzz(func(t *testing.T, data []byte, width int) {
		width = width%200 + 1
		if width < 1 {
			width += 200
		}
		got, err := Decode(data, width, Standard, MSBFirst)
		if err != nil {
			return
		}
		if len(got.Pix) != got.Stride*got.Height {
			t.Fatalf("pix %d for %dx%d", len(got.Pix), got.Stride, got.Height)
		}
		// Whatever decoded must encode and decode to itself.
		again, err := Encode(got, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(again, width, Standard, MSBFirst)
		if err != nil || !back.Equal(got) || back.BadLines != 0 {
			t.Fatalf("re-encoded page does not round-trip: %v", err)
		}
	})
}

func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add([]byte{0xff, 0x00, 0x0f, 0xf0, 0xaa}, 40)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, pix []byte, width int) {
		width = width%300 + 1
		if width < 1 {
			width += 300
		}
		stride := (width + 7) / 8
		height := len(pix) / stride
		p := &Page{Width: width, Height: height, Stride: stride, Pix: pix[:stride*height]}
		data, err := Encode(p, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(data, width, Standard, MSBFirst)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(p) {
			t.Fatal("round trip differs")
		}
		if height > 0 {
			if c := decodeCCITT(t, data, ccitt.MSB, width, height); !c.Equal(p) {
				t.Fatal("ccitt decodes a different page")
			}
		}
	})
}

func BenchmarkEncodeA4Fine(b *testing.B) {
	p := testPage(b, Width, 2287, Fine, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(p, EncodeOptions{Order: LSBFirst}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeA4Fine(b *testing.B) {
	p := testPage(b, Width, 2287, Fine, 5)
	data, _ := Encode(p, EncodeOptions{Order: LSBFirst})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, Width, Fine, LSBFirst); err != nil {
			b.Fatal(err)
		}
	}
}
