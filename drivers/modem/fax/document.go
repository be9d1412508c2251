package fax

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"callbox/firmware/i18n"
	"callbox/media/t4"
)

// Errors of document loading, checked with errors.Is.
var (
	// ErrEmptyDocument is a 0-byte upload.
	ErrEmptyDocument = errors.New("fax: the document is empty")
	// ErrUnknownFormat is a file that is none of TIFF, PNG, PBM or PDF.
	ErrUnknownFormat = errors.New("fax: the document is not a TIFF, PNG, PBM or PDF file")
	// ErrBadPDF is a PDF the rasterizer could not render.
	ErrBadPDF = errors.New("fax: the PDF cannot be rendered for faxing")
	// ErrNoRasterizer is a PDF on a system without pdftoppm.
	ErrNoRasterizer = errors.New("fax: PDF support needs pdftoppm (poppler-utils)")
	// ErrTooManyPages is a document longer than MaxPages.
	ErrTooManyPages = errors.New("fax: too many pages")
)

// Message explains a document error in lang for the person who uploaded
// the file; other errors give their English text.
func Message(lang i18n.Lang, err error) string {
	switch {
	case errors.Is(err, ErrEmptyDocument):
		return i18n.T(lang, "fax.error.empty")
	case errors.Is(err, ErrUnknownFormat), errors.Is(err, t4.ErrNotTIFF), errors.Is(err, t4.ErrNotPBM), errors.Is(err, t4.ErrUnsupported):
		return i18n.T(lang, "fax.error.format")
	case errors.Is(err, ErrBadPDF):
		return i18n.T(lang, "fax.error.pdf")
	case errors.Is(err, ErrTooManyPages):
		return i18n.T(lang, "fax.error.pages", MaxPages)
	case errors.Is(err, ErrNoRasterizer):
		return i18n.T(lang, "fax.error.noraster")
	}
	return err.Error()
}

// MaxPages bounds one fax document.
const MaxPages = 100

// maxImagePixels bounds an uploaded image (a 600 dpi A4 scan is 35 M).
const maxImagePixels = 40 << 20

// LoadDocument reads a document to fax and returns its pages at resolution
// res. TIFF fax pages keep their own resolution; images are scaled to the
// fax width.
func LoadDocument(ctx context.Context, data []byte, res t4.Resolution) ([]*t4.Page, error) {
	var pages []*t4.Page
	var err error
	switch {
	case len(data) == 0:
		return nil, ErrEmptyDocument
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		pages, err = t4.ReadTIFF(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		cfg, derr := png.DecodeConfig(bytes.NewReader(data))
		if derr != nil {
			return nil, fmt.Errorf("%w: PNG: %v", ErrUnknownFormat, derr)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
			return nil, fmt.Errorf("%w: %dx%d image", t4.ErrBadSize, cfg.Width, cfg.Height)
		}
		img, derr := png.Decode(bytes.NewReader(data))
		if derr != nil {
			return nil, fmt.Errorf("%w: PNG: %v", ErrUnknownFormat, derr)
		}
		var p *t4.Page
		p, err = t4.FromImage(img, res)
		pages = []*t4.Page{p}
	case bytes.HasPrefix(data, []byte("P4")) || bytes.HasPrefix(data, []byte("P1")):
		var p *t4.Page
		if p, err = t4.ReadPBM(data); err == nil {
			p, err = t4.FromImage(p, res)
		}
		pages = []*t4.Page{p}
	case bytes.HasPrefix(data, []byte("%PDF-")):
		pages, err = rasterize(ctx, data, res)
	default:
		return nil, ErrUnknownFormat
	}
	if err != nil {
		return nil, err
	}
	if len(pages) > MaxPages {
		return nil, fmt.Errorf("%w: %d (at most %d)", ErrTooManyPages, len(pages), MaxPages)
	}
	return pages, nil
}

// rasterize renders a PDF with pdftoppm at fax resolution (204 dpi across,
// 98 or 196 down) into bitmaps, and fits them to the fax width.
func rasterize(ctx context.Context, data []byte, res t4.Resolution) ([]*t4.Page, error) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, ErrNoRasterizer
	}
	dir, err := os.MkdirTemp("", "callbox-fax-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-mono", "-rx", fmt.Sprint(t4.DPI), "-ry", fmt.Sprint(res.LinesPerInch()),
		"-l", fmt.Sprint(MaxPages+1), in, filepath.Join(dir, "page"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := bytes.TrimSpace(stderr.Bytes())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("%w: %s", ErrBadPDF, msg)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "page-*.pbm"))
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no pages", ErrBadPDF)
	}
	// page-1.pbm ... page-10.pbm: sort by length then name for page order.
	sort.Slice(files, func(i, j int) bool {
		if len(files[i]) != len(files[j]) {
			return len(files[i]) < len(files[j])
		}
		return files[i] < files[j]
	})
	var pages []*t4.Page
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		bm, err := t4.ReadPBM(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
		}
		p, err := t4.FitWidth(bm, t4.Width, res)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}
