package t4

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/image/tiff"
)

func TestTIFF_WriteReadKeepsPagesAndResolution(t *testing.T) {
	pages := []*Page{testPage(t, Width, 300, Standard, 1), testPage(t, Width, 500, Fine, 2), testPage(t, Width, 40, Standard, 3)}
	pages[1].BadLines = 4
	var buf bytes.Buffer
	if err := WriteTIFF(&buf, pages); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTIFF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pages) {
		t.Fatalf("%d pages, want %d", len(got), len(pages))
	}
	for i := range pages {
		if !got[i].Equal(pages[i]) || got[i].Resolution != pages[i].Resolution {
			t.Errorf("page %d differs (res %v)", i+1, got[i].Resolution)
		}
	}
	// x/image/tiff reads the first page to the same pixels.
	img, err := tiff.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("x/image/tiff: %v", err)
	}
	first, err := FromImageExact(img)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(pages[0]) {
		t.Fatal("x/image/tiff decodes a different first page")
	}
}

// FromImageExact copies an image pixel for pixel (no scaling), for checks.
func FromImageExact(img image.Image) (*Page, error) {
	b := img.Bounds()
	p, err := NewPage(b.Dx(), b.Dy(), Standard)
	if err != nil {
		return nil, err
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			p.Set(x, y, dark(img.At(b.Min.X+x, b.Min.Y+y)))
		}
	}
	return p, nil
}

func TestReadTIFF_RejectsEmptyAndForeignFiles(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     {},
		"png":       []byte("\x89PNG\r\n\x1a\n0000000000"),
		"truncated": []byte("II*\x00\x08\x00\x00\x00\x05"),
	} {
		if _, err := ReadTIFF(data); !errors.Is(err, ErrNotTIFF) {
			t.Errorf("%s: err = %v, want ErrNotTIFF", name, err)
		}
	}
}

// TestTIFF_EfixCrossCheck has Debian's efix (from efax) decode the TIFF-F
// this package writes, and encode a TIFF-F this package reads.
func TestTIFF_EfixCrossCheck(t *testing.T) {
	efix, err := exec.LookPath("efix")
	if err != nil {
		t.Skip("efix (Debian package efax) not installed")
	}
	dir := t.TempDir()
	page := testPage(t, Width, 400, Fine, 9)
	var buf bytes.Buffer
	if err := WriteTIFF(&buf, []*Page{page}); err != nil {
		t.Fatal(err)
	}
	tif := filepath.Join(dir, "in.tif")
	if err := os.WriteFile(tif, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.%d.pbm")
	if b, err := exec.Command(efix, "-v", "e", "-i", "tiffg3", "-o", "pbm", "-n", out, tif).CombinedOutput(); err != nil {
		t.Fatalf("efix: %v: %s", err, b)
	}
	pbm, err := os.ReadFile(fmt.Sprintf(out, 1))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadPBM(pbm)
	if err != nil {
		t.Fatal(err)
	}
	// efix writes the page at its own page size; compare the image area.
	if got.Width < page.Width || got.Height < page.Height {
		t.Fatalf("efix page %dx%d smaller than %dx%d", got.Width, got.Height, page.Width, page.Height)
	}
	for y := 0; y < page.Height; y++ {
		for x := 0; x < page.Width; x++ {
			if got.Black(x, y) != page.Black(x, y) {
				t.Fatalf("efix pixel %d,%d differs", x, y)
			}
		}
	}
	// And the other way: efix codes a PBM as TIFF-F, we read it back.
	src := filepath.Join(dir, "src.pbm")
	if err := os.WriteFile(src, pbmBytes(page), 0o644); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(dir, "back.tif")
	if b, err := exec.Command(efix, "-v", "e", "-i", "pbm", "-o", "tiffg3", "-n", back, src).CombinedOutput(); err != nil {
		t.Fatalf("efix: %v: %s", err, b)
	}
	data, err := os.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := ReadTIFF(data)
	if err != nil {
		t.Fatalf("reading efix's TIFF: %v", err)
	}
	for y := 0; y < page.Height; y++ {
		for x := 0; x < page.Width; x++ {
			if pages[0].Black(x, y) != page.Black(x, y) {
				t.Fatalf("efix TIFF pixel %d,%d differs", x, y)
			}
		}
	}
}

func pbmBytes(p *Page) []byte {
	return append([]byte(fmt.Sprintf("P4\n%d %d\n", p.Width, p.Height)), p.Pix[:p.Stride*p.Height]...)
}

func TestReadPBM_PlainAndRawAgree(t *testing.T) {
	raw, err := ReadPBM([]byte("P4\n# c\n10 2\n\xff\xc0\x00\x40"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ReadPBM([]byte("P1 10 2\n1111111111\n0 0 0 0 0 0 0 0 0 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !raw.Equal(plain) {
		t.Fatal("P1 and P4 of the same bitmap differ")
	}
	if _, err := ReadPBM([]byte("P4\n10 2\n\xff")); !errors.Is(err, ErrNotPBM) {
		t.Fatalf("short P4: %v", err)
	}
}

func FuzzReadTIFF(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteTIFF(&buf, []*Page{testPage(f, 64, 10, Fine, 4)})
	f.Add(buf.Bytes())
	f.Add([]byte("MM\x00*\x00\x00\x00\x08"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := ReadTIFF(data)
		if err != nil {
			return
		}
		for _, p := range pages {
			if len(p.Pix) != p.Stride*p.Height {
				t.Fatalf("page pix %d for %dx%d", len(p.Pix), p.Stride, p.Height)
			}
		}
	})
}

func FuzzReadPBM(f *testing.F) {
	f.Add([]byte("P4\n10 2\n\xff\xc0\x00\x40"))
	f.Add([]byte("P1 3 1 1 0 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPBM(data)
		if err == nil && len(p.Pix) != p.Stride*p.Height {
			t.Fatal("bad pix length")
		}
	})
}
