package t4

import (
	"fmt"
	"math/bits"
)

// bitReader reads a stream MSB first.
type bitReader struct {
	data []byte
	pos  int // in bits
}

func (r *bitReader) left() int { return len(r.data)*8 - r.pos }

// restZero reports whether only zero bits (padding) are left.
func (r *bitReader) restZero() bool {
	for p := r.pos; p < len(r.data)*8; p++ {
		if r.data[p/8]>>(7-uint(p%8))&1 != 0 {
			return false
		}
	}
	return true
}

func (r *bitReader) bit() (uint32, bool) {
	if r.pos >= len(r.data)*8 {
		return 0, false
	}
	b := r.data[r.pos/8] >> (7 - uint(r.pos%8)) & 1
	r.pos++
	return uint32(b), true
}

// code reads one code word of cs and returns its run length, or -1 for a
// bit pattern that is no code word (or the end of the data).
func (r *bitReader) code(cs *codeSet) int {
	var v uint32
	for n := 1; n <= maxCodeLen; n++ {
		b, ok := r.bit()
		if !ok {
			return -1
		}
		v = v<<1 | b
		if run := cs.decode[n][v]; run >= 0 {
			return int(run)
		}
	}
	return -1
}

// eol consumes fill bits and an EOL if they come next; otherwise it leaves
// the position where it was and returns false.
func (r *bitReader) eol() bool {
	start, zeros := r.pos, 0
	for {
		b, ok := r.bit()
		if !ok {
			r.pos = start
			return false
		}
		if b == 1 {
			if zeros >= eolLen-1 {
				return true
			}
			r.pos = start
			return false
		}
		zeros++
	}
}

// syncEOL skips to just after the next EOL; false at the end of the data.
func (r *bitReader) syncEOL() bool {
	zeros := 0
	for {
		b, ok := r.bit()
		if !ok {
			return false
		}
		if b == 1 {
			if zeros >= eolLen-1 {
				return true
			}
			zeros = 0
			continue
		}
		zeros++
	}
}

// Decode reads a T.4 one-dimensional MH page of the given width. It starts at
// the first EOL (anything before it is ignored, as modems may send fill),
// stops at RTC or the end of the data, and replaces a line that does not
// decode with the line above it, counting it in Page.BadLines.
func Decode(data []byte, width int, res Resolution, order Order) (*Page, error) {
	return decodeLines(data, width, res, order, true, MaxHeight)
}

// decodeLines decodes at most maxRows lines. A TIFF strip may start with the
// first line's codes rather than an EOL, so needEOL says whether one is
// required first.
func decodeLines(data []byte, width int, res Resolution, order Order, needEOL bool, maxRows int) (*Page, error) {
	if width <= 0 || width > MaxWidth {
		return nil, fmt.Errorf("%w: width %d", ErrBadSize, width)
	}
	if order == LSBFirst {
		rev := make([]byte, len(data))
		for i, v := range data {
			rev[i] = bits.Reverse8(v)
		}
		data = rev
	}
	r := &bitReader{data: data}
	if needEOL {
		if !r.syncEOL() {
			return nil, ErrNoEOL
		}
	} else {
		r.eol()
	}
	stride := (width + 7) / 8
	var pix []byte
	row := make([]byte, stride)
	prev := make([]byte, stride)
	height, bad := 0, 0
	for {
		// Two EOLs in a row (an empty line cannot be coded) is RTC.
		if r.eol() || r.restZero() {
			break
		}
		if height >= maxRows {
			if maxRows < MaxHeight {
				break
			}
			return nil, fmt.Errorf("%w: more than %d lines", ErrBadSize, MaxHeight)
		}
		ok := decodeRow(r, row, width)
		// A whole line must be followed by an EOL, or end the data.
		if ok && !r.eol() && r.left() >= eolLen {
			ok = false
		}
		if !ok {
			bad++
			copy(row, prev)
			if !r.syncEOL() {
				pix = append(pix, row...)
				height++
				break
			}
		}
		pix = append(pix, row...)
		height++
		row, prev = prev, row
	}
	return &Page{Width: width, Height: height, Resolution: res, Stride: stride, Pix: pix, BadLines: bad}, nil
}

// decodeRow decodes one line's runs into row; false if the code words are
// broken or the runs do not add up to the width.
func decodeRow(r *bitReader, row []byte, width int) bool {
	clear(row)
	x, isBlack := 0, false
	for x < width {
		cs := white
		if isBlack {
			cs = black
		}
		run := 0
		for {
			n := r.code(cs)
			if n < 0 {
				return false
			}
			run += n
			if n < 64 {
				break
			}
		}
		if x+run > width {
			return false
		}
		if isBlack {
			fillBlack(row, x, x+run)
		}
		x += run
		isBlack = !isBlack
	}
	return true
}

// fillBlack sets pixels [from, to) of a packed row.
func fillBlack(row []byte, from, to int) {
	for from < to && from%8 != 0 {
		row[from/8] |= 0x80 >> (from % 8)
		from++
	}
	for ; from+8 <= to; from += 8 {
		row[from/8] = 0xff
	}
	for ; from < to; from++ {
		row[from/8] |= 0x80 >> (from % 8)
	}
}
