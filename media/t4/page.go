package t4

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// Resolution is the vertical resolution of a fax page.
type Resolution int

// The two resolutions every Group 3 machine supports. Horizontally both are
// 8 pixels/mm (204 dpi); vertically standard is 3.85 lines/mm and fine 7.7.
const (
	Standard Resolution = iota // 98 lines per inch
	Fine                       // 196 lines per inch
)

// LinesPerInch returns the vertical resolution in lines per inch.
func (r Resolution) LinesPerInch() int {
	if r == Fine {
		return 196
	}
	return 98
}

// String names the resolution as the fax protocol reports it.
func (r Resolution) String() string {
	if r == Fine {
		return "fine"
	}
	return "standard"
}

// Fax page geometry: an ISO A4 page is 1728 pixels wide at 204 dpi and
// 297 mm long, which is 1143 lines standard and 2287 lines fine.
const (
	// Width is the scan line length of an A4 page.
	Width = 1728
	// DPI is the horizontal resolution.
	DPI = 204
	// MaxWidth is the widest scan line the codes can express (A3).
	MaxWidth = 2560 + 63
	// MaxHeight bounds the lines of one page a decoder accepts, so that a
	// hostile stream cannot make it allocate without limit (an A4 page at
	// superfine is under 4700 lines; B4 long pages stay below this).
	MaxHeight = 8192
)

// Errors of this package, checked with errors.Is.
var (
	// ErrBadSize is a page width or height outside what fax allows.
	ErrBadSize = errors.New("t4: page size out of range")
	// ErrNoEOL is a stream that does not start with an end-of-line code.
	ErrNoEOL = errors.New("t4: no end-of-line code where a line should start")
	// ErrTooManyBadLines is a page where most lines could not be decoded.
	ErrTooManyBadLines = errors.New("t4: too many damaged lines")
)

// Page is one bi-level fax page: 1 bit per pixel, 1 is black, each row
// starting on a byte boundary, the leftmost pixel in the high bit.
type Page struct {
	Width, Height int
	Resolution    Resolution
	Stride        int // bytes per row
	Pix           []byte
	// BadLines counts the lines a decoder could not read and replaced
	// with the line above (zero for pages that were not decoded).
	BadLines int
}

// NewPage returns an all-white page.
func NewPage(width, height int, res Resolution) (*Page, error) {
	if width <= 0 || width > MaxWidth || height < 0 || height > MaxHeight {
		return nil, fmt.Errorf("%w: %dx%d", ErrBadSize, width, height)
	}
	stride := (width + 7) / 8
	return &Page{Width: width, Height: height, Resolution: res, Stride: stride, Pix: make([]byte, stride*height)}, nil
}

// Black reports whether the pixel at x, y is black.
func (p *Page) Black(x, y int) bool {
	return p.Pix[y*p.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set makes the pixel at x, y black (true) or white.
func (p *Page) Set(x, y int, black bool) {
	i, m := y*p.Stride+x/8, byte(0x80>>(x%8))
	if black {
		p.Pix[i] |= m
	} else {
		p.Pix[i] &^= m
	}
}

// Row returns the packed bits of row y.
func (p *Page) Row(y int) []byte { return p.Pix[y*p.Stride : (y+1)*p.Stride] }

// Equal reports whether two pages have the same size and pixels.
func (p *Page) Equal(q *Page) bool {
	if p.Width != q.Width || p.Height != q.Height {
		return false
	}
	for y := 0; y < p.Height; y++ {
		a, b := p.Row(y), q.Row(y)
		for i := range a {
			m := byte(0xff)
			if i == len(a)-1 && p.Width%8 != 0 {
				m = byte(0xff << (8 - p.Width%8))
			}
			if a[i]&m != b[i]&m {
				return false
			}
		}
	}
	return true
}

// ColorModel, Bounds and At make a Page an image.Image (black on white).
func (p *Page) ColorModel() color.Model { return color.GrayModel }

// Bounds returns the page rectangle.
func (p *Page) Bounds() image.Rectangle { return image.Rect(0, 0, p.Width, p.Height) }

// At returns black or white.
func (p *Page) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= p.Width || y >= p.Height || !p.Black(x, y) {
		return color.Gray{Y: 0xff}
	}
	return color.Gray{}
}

// FromImage scales img to a fax page Width pixels wide at resolution res,
// keeping the aspect ratio of the (square-pixel) source: the source is taken
// to be as wide as the page. Pixels darker than mid-grey become black.
func FromImage(img image.Image, res Resolution) (*Page, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%w: empty image", ErrBadSize)
	}
	// Page width maps to the source width; the height follows from the
	// aspect ratio and the fax's non-square pixels (204 dpi by 98/196 lpi).
	height := int(int64(b.Dy()) * Width * int64(res.LinesPerInch()) / (int64(b.Dx()) * DPI))
	if height < 1 {
		height = 1
	}
	if height > MaxHeight {
		return nil, fmt.Errorf("%w: image would be %d lines long", ErrBadSize, height)
	}
	p, err := NewPage(Width, height, res)
	if err != nil {
		return nil, err
	}
	blackAt := func(x, y int) bool { return dark(img.At(x, y)) }
	if src, ok := img.(*Page); ok {
		blackAt = src.Black // bit lookups, no colour conversion
	}
	for y := 0; y < height; y++ {
		sy := b.Min.Y + int(int64(y)*int64(b.Dy())/int64(height))
		for x := 0; x < Width; x++ {
			sx := b.Min.X + x*b.Dx()/Width
			if blackAt(sx, sy) {
				p.Set(x, y, true)
			}
		}
	}
	return p, nil
}

func dark(c color.Color) bool {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return false // transparent is paper
	}
	// Luma on a white background, 16-bit components.
	y := (299*r + 587*g + 114*b) / 1000
	y = y + (0xffff - a) // composite over white
	return y < 0x8000
}
