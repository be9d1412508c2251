package t4

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWritePDF_PopplerRendersTheSamePixels renders the PDF with Debian's
// pdftoppm at the fax resolution and compares every pixel with the pages.
func TestWritePDF_PopplerRendersTheSamePixels(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (poppler-utils) not installed")
	}
	std := pdfPage(t, 1728, 300, Standard)
	fine := pdfPage(t, 1728, 500, Fine)
	var buf bytes.Buffer
	if err := WritePDF(&buf, []*Page{std, fine}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "fax.pdf")
	if err := os.WriteFile(pdf, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, want := range []*Page{std, fine} {
		n := []string{"1", "2"}[i]
		out := filepath.Join(dir, "p"+n)
		lpi := []string{"98", "196"}[i]
		cmd := exec.Command("pdftoppm", "-f", n, "-l", n, "-rx", "204", "-ry", lpi, "-mono", "-singlefile", pdf, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, msg)
		}
		data, err := os.ReadFile(out + ".pbm")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadPBM(data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Width != want.Width || got.Height != want.Height {
			t.Fatalf("page %s rendered %dx%d, want %dx%d", n, got.Width, got.Height, want.Width, want.Height)
		}
		got.Resolution = want.Resolution
		if !got.Equal(want) {
			t.Fatalf("page %s renders differently", n)
		}
	}
}

func TestWritePDF_RefusesNoPagesAndBadSizes(t *testing.T) {
	if err := WritePDF(&bytes.Buffer{}, nil); !errors.Is(err, ErrBadSize) {
		t.Fatalf("no pages: %v", err)
	}
	if err := WritePDF(&bytes.Buffer{}, []*Page{{Width: 0, Height: 10}}); !errors.Is(err, ErrBadSize) {
		t.Fatalf("empty page: %v", err)
	}
}

func pdfPage(t *testing.T, w, h int, res Resolution) *Page {
	t.Helper()
	p, err := NewPage(w, h, res)
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			p.Set(x, y, x < 6 || y < 3 || x >= w-6 || y >= h-3 || (y%20 < 2 && (x/13)%3 == 0) || (x-y)%97 == 0)
		}
	}
	return p
}
