package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"callbox/media/t4"
)

// DocDir is where fax documents for sending are kept, relative to the data
// directory: NAME.tif (the pages, TIFF-F) and NAME.png (a preview of the
// first page).
const DocDir = "fax/docs"

// Errors of fax documents, checked with errors.Is.
var (
	// ErrBadDocument is an upload that cannot be faxed; it wraps the
	// reason (fax.ErrEmptyDocument, fax.ErrUnknownFormat, fax.ErrBadPDF,
	// a t4 error), which fax.Message explains to the uploader.
	ErrBadDocument = errors.New("messaging: the document cannot be faxed")
	// ErrBadName is a document name that is not 1-64 letters, digits,
	// '.', '_' or '-' (not starting with '.').
	ErrBadName = errors.New("messaging: bad document name")
)

// Document is a fax document ready to send.
type Document struct {
	Name  string `json:"name"`
	Pages int    `json:"pages"`
	// Path and Preview are relative to the data directory.
	Path     string    `json:"path"`
	Preview  string    `json:"preview"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

func checkName(name string) error {
	if name == "" || len(name) > 64 || name[0] == '.' || strings.Contains(name, "..") {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: %q", ErrBadName, name)
		}
	}
	return nil
}

func docPath(name string) string    { return DocDir + "/" + name + ".tif" }
func docPreview(name string) string { return DocDir + "/" + name + ".png" }

// SaveDocument checks an upload (TIFF, PNG, PBM or PDF), converts it to fax
// pages and keeps it under name, replacing a document of that name. Nothing
// is written for a document that cannot be faxed.
func SaveDocument(ctx context.Context, dataDir, name string, data []byte) (Document, error) {
	if err := checkName(name); err != nil {
		return Document{}, err
	}
	if err := ctx.Err(); err != nil {
		return Document{}, err
	}
	pages, err := loadDocument(ctx, data)
	if err != nil {
		return Document{}, err
	}
	var tif bytes.Buffer
	if err := t4.WriteTIFF(&tif, pages); err != nil {
		return Document{}, fmt.Errorf("messaging: writing fax document: %w", err)
	}
	prev, err := previewPNG(pages[0])
	if err != nil {
		return Document{}, err
	}
	// The preview first: a document is listed by its TIFF, so a crash in
	// between leaves at most a stray preview.
	if err := writeFile(filepath.Join(dataDir, docPreview(name)), prev); err != nil {
		return Document{}, err
	}
	if err := writeFile(filepath.Join(dataDir, docPath(name)), tif.Bytes()); err != nil {
		return Document{}, err
	}
	return Document{Name: name, Pages: len(pages), Path: docPath(name), Preview: docPreview(name),
		Size: int64(tif.Len()), Modified: time.Now()}, nil
}

// Documents lists the fax documents, by name.
func Documents(dataDir string) ([]Document, error) {
	ents, err := os.ReadDir(filepath.Join(dataDir, DocDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("messaging: listing fax documents: %w", err)
	}
	var out []Document
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".tif")
		if !ok || e.IsDir() || checkName(name) != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		d := Document{Name: name, Path: docPath(name), Preview: docPreview(name), Size: info.Size(), Modified: info.ModTime()}
		if data, err := os.ReadFile(filepath.Join(dataDir, d.Path)); err == nil {
			if pages, err := t4.ReadTIFF(data); err == nil {
				d.Pages = len(pages)
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Document) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteDocument removes a fax document and its preview. Faxes already
// queued with it fail (their file is gone), which is what deleting means.
func DeleteDocument(dataDir, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(dataDir, docPath(name)))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNoDocument, name)
	}
	if err != nil {
		return fmt.Errorf("messaging: deleting fax document: %w", err)
	}
	_ = os.Remove(filepath.Join(dataDir, docPreview(name)))
	return nil
}

// previewPNG draws a page as a grey PNG with square pixels: fax pixels are
// twice as tall as wide at standard resolution and square at fine, so a
// 2x1 (standard) or 2x2 (fine) block of fax pixels becomes one grey pixel.
func previewPNG(p *t4.Page) ([]byte, error) {
	bh := 1
	if p.Resolution == t4.Fine {
		bh = 2
	}
	w, h := (p.Width+1)/2, (p.Height+bh-1)/bh
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			black, n := 0, 0
			for dy := range bh {
				for dx := range 2 {
					px, py := 2*x+dx, y*bh+dy
					if px < p.Width && py < p.Height {
						n++
						if p.Black(px, py) {
							black++
						}
					}
				}
			}
			img.SetGray(x, y, color.Gray{Y: uint8(255 - 255*black/max(n, 1))})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("messaging: fax preview: %w", err)
	}
	return b.Bytes(), nil
}

// writeFile writes data crash-safe: a temporary file, fsync, rename, fsync
// of the directory.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("messaging: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("messaging: writing %s: %w", filepath.Base(path), err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
