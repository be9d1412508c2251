package t4

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrNotPBM is input that is not a portable bitmap.
var ErrNotPBM = errors.New("t4: not a PBM bitmap")

// ReadPBM reads a portable bitmap, raw (P4) or plain (P1). The pixels keep
// their size: use FromImage or FitWidth to make a fax page of it.
func ReadPBM(data []byte) (*Page, error) {
	if len(data) < 2 || data[0] != 'P' || (data[1] != '4' && data[1] != '1') {
		return nil, fmt.Errorf("%w: missing P1/P4 magic", ErrNotPBM)
	}
	raw := data[1] == '4'
	pos := 2
	var dims [2]int
	for i := range dims {
		tok, next, err := pbmToken(data, pos)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(string(tok))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: bad dimension %q", ErrNotPBM, tok)
		}
		dims[i], pos = n, next
	}
	width, height := dims[0], dims[1]
	if width > 1<<15 || height > 1<<15 {
		return nil, fmt.Errorf("%w: %dx%d", ErrBadSize, width, height)
	}
	p := &Page{Width: width, Height: height, Stride: (width + 7) / 8}
	if raw {
		pos++ // the single whitespace after the height
		need := p.Stride * height
		if pos > len(data) || len(data)-pos < need {
			return nil, fmt.Errorf("%w: %d bytes of pixels, want %d", ErrNotPBM, max(0, len(data)-pos), need)
		}
		p.Pix = append([]byte(nil), data[pos:pos+need]...)
		return p, nil
	}
	if len(data)-pos < width*height {
		// Each plain pixel takes at least one byte: refuse before allocating.
		return nil, fmt.Errorf("%w: %d bytes for %dx%d pixels", ErrNotPBM, len(data)-pos, width, height)
	}
	p.Pix = make([]byte, p.Stride*height)
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			for pos < len(data) && (isSpace(data[pos]) || data[pos] == '#') {
				if data[pos] == '#' {
					for pos < len(data) && data[pos] != '\n' {
						pos++
					}
					continue
				}
				pos++
			}
			if pos >= len(data) || (data[pos] != '0' && data[pos] != '1') {
				return nil, fmt.Errorf("%w: pixel data ends at row %d", ErrNotPBM, y)
			}
			if data[pos] == '1' {
				p.Set(x, y, true)
			}
			pos++
		}
	}
	return p, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// pbmToken returns the next header token, skipping whitespace and comments.
func pbmToken(data []byte, pos int) ([]byte, int, error) {
	for pos < len(data) {
		switch {
		case isSpace(data[pos]):
			pos++
		case data[pos] == '#':
			if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
				pos += i + 1
			} else {
				pos = len(data)
			}
		default:
			start := pos
			for pos < len(data) && !isSpace(data[pos]) && data[pos] != '#' {
				pos++
			}
			return data[start:pos], pos, nil
		}
	}
	return nil, pos, fmt.Errorf("%w: header ends early", ErrNotPBM)
}

// FitWidth returns p as a page exactly width pixels wide, centred and
// cropped or padded with white, without scaling: for a bitmap already
// rendered at fax resolution (pdftoppm -rx 204).
func FitWidth(p *Page, width int, res Resolution) (*Page, error) {
	q, err := NewPage(width, p.Height, res)
	if err != nil {
		return nil, err
	}
	off := (width - p.Width) / 2
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			if dx := x + off; dx >= 0 && dx < width && p.Black(x, y) {
				q.Set(dx, y, true)
			}
		}
	}
	return q, nil
}
