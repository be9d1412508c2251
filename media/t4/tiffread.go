package t4

import (
	"encoding/binary"
	"fmt"
)

// maxTIFFPages bounds the IFD chain a reader follows, so that a looping
// chain in a hostile file ends.
const maxTIFFPages = 500

type tiffReader struct {
	data []byte
	bo   binary.ByteOrder
}

func (t *tiffReader) u16(off int) (uint16, bool) {
	if off < 0 || off+2 > len(t.data) {
		return 0, false
	}
	return t.bo.Uint16(t.data[off:]), true
}

func (t *tiffReader) u32(off int) (uint32, bool) {
	if off < 0 || off+4 > len(t.data) {
		return 0, false
	}
	return t.bo.Uint32(t.data[off:]), true
}

// field is one IFD entry's values as integers (rationals: numerator/denominator pairs).
type field []uint32

func (t *tiffReader) field(entry int) (uint16, field, error) {
	tag, _ := t.u16(entry)
	typ, _ := t.u16(entry + 2)
	count, _ := t.u32(entry + 4)
	size := map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8}[typ]
	if size == 0 {
		return tag, nil, nil // a type we do not need; ignore the tag
	}
	if count > 1<<16 {
		return 0, nil, fmt.Errorf("%w: tag %d has %d values", ErrNotTIFF, tag, count)
	}
	total := size * int(count)
	off := entry + 8
	if total > 4 {
		o, _ := t.u32(entry + 8)
		off = int(o)
	}
	if off < 0 || off+total > len(t.data) || int64(off)+int64(total) < 0 {
		return 0, nil, fmt.Errorf("%w: tag %d points outside the file", ErrNotTIFF, tag)
	}
	var vals field
	for i := 0; i < int(count); i++ {
		p := off + i*size
		switch typ {
		case 1, 2:
			vals = append(vals, uint32(t.data[p]))
		case 3:
			v, _ := t.u16(p)
			vals = append(vals, uint32(v))
		case 4:
			v, _ := t.u32(p)
			vals = append(vals, v)
		case 5:
			n, _ := t.u32(p)
			d, _ := t.u32(p + 4)
			vals = append(vals, n, d)
		}
	}
	return tag, vals, nil
}

// ReadTIFF reads every page of a TIFF fax file: bi-level, Compression 3
// (T.4 1-D) in either fill order. A page whose lines do not all decode is
// returned with BadLines set, as a fax receiver would keep it.
func ReadTIFF(data []byte) ([]*Page, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotTIFF)
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotTIFF, len(data))
	}
	t := &tiffReader{data: data}
	switch string(data[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: bad byte-order mark", ErrNotTIFF)
	}
	if m, _ := t.u16(2); m != 42 {
		return nil, fmt.Errorf("%w: bad magic number", ErrNotTIFF)
	}
	next, _ := t.u32(4)
	var pages []*Page
	seen := map[uint32]bool{}
	for next != 0 {
		if seen[next] || len(pages) >= maxTIFFPages {
			return nil, fmt.Errorf("%w: IFD chain loops or is too long", ErrNotTIFF)
		}
		seen[next] = true
		p, n, err := t.page(int(next))
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", len(pages)+1, err)
		}
		pages = append(pages, p)
		next = n
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: no pages", ErrNotTIFF)
	}
	return pages, nil
}

func (t *tiffReader) page(off int) (*Page, uint32, error) {
	n, ok := t.u16(off)
	if !ok || off+2+12*int(n)+4 > len(t.data) {
		return nil, 0, fmt.Errorf("%w: IFD outside the file", ErrNotTIFF)
	}
	f := map[uint16]field{}
	for i := 0; i < int(n); i++ {
		tag, vals, err := t.field(off + 2 + 12*i)
		if err != nil {
			return nil, 0, err
		}
		if vals != nil {
			f[tag] = vals
		}
	}
	next, _ := t.u32(off + 2 + 12*int(n))
	one := func(tag uint16, def uint32) uint32 {
		if v := f[tag]; len(v) > 0 {
			return v[0]
		}
		return def
	}
	width, height := int(one(tagImageWidth, 0)), int(one(tagImageLength, 0))
	if width <= 0 || width > MaxWidth || height <= 0 || height > MaxHeight {
		return nil, 0, fmt.Errorf("%w: %dx%d", ErrBadSize, width, height)
	}
	if one(tagBitsPerSample, 1) != 1 || one(tagSamplesPerPixel, 1) != 1 {
		return nil, 0, fmt.Errorf("%w: not a bi-level image", ErrUnsupported)
	}
	if c := one(tagCompression, 1); c != 3 {
		return nil, 0, fmt.Errorf("%w: compression %d (fax TIFF uses 3)", ErrUnsupported, c)
	}
	if one(tagT4Options, 0)&1 != 0 {
		return nil, 0, fmt.Errorf("%w: 2-D coding", ErrUnsupported)
	}
	order := MSBFirst
	if one(tagFillOrder, 1) == 2 {
		order = LSBFirst
	}
	res := Standard
	if y := f[tagYResolution]; len(y) == 2 && y[1] != 0 && y[0]/y[1] >= 150 {
		res = Fine
	}
	offs, counts := f[tagStripOffsets], f[tagStripByteCounts]
	if len(offs) == 0 || len(offs) != len(counts) {
		return nil, 0, fmt.Errorf("%w: strip table", ErrNotTIFF)
	}
	rowsPerStrip := int(one(tagRowsPerStrip, uint32(height)))
	if rowsPerStrip <= 0 || rowsPerStrip > height {
		rowsPerStrip = height
	}
	p, err := NewPage(width, height, res)
	if err != nil {
		return nil, 0, err
	}
	y := 0
	for i := range offs {
		o, c := int64(offs[i]), int64(counts[i])
		if o+c > int64(len(t.data)) {
			return nil, 0, fmt.Errorf("%w: strip %d outside the file", ErrNotTIFF, i)
		}
		rows := min(rowsPerStrip, height-y)
		if rows <= 0 {
			break
		}
		sp, err := decodeLines(t.data[o:o+c], width, res, order, false, rows)
		if err != nil {
			return nil, 0, err
		}
		copy(p.Pix[y*p.Stride:], sp.Pix)
		p.BadLines += sp.BadLines + (rows - min(rows, sp.Height)) // missing lines count as bad
		y += rows
	}
	if one(tagPhotometric, 0) == 1 {
		for i := range p.Pix {
			p.Pix[i] = ^p.Pix[i]
		}
	}
	return p, next, nil
}
