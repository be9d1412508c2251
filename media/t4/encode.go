package t4

import (
	"fmt"
	"math/bits"
)

// Order is the bit order of the coded bytes.
type Order int

const (
	// MSBFirst puts the first bit of the stream in the high bit of each
	// byte (TIFF FillOrder 1).
	MSBFirst Order = iota
	// LSBFirst puts the first bit in the low bit (TIFF FillOrder 2, and the
	// order most fax modems move data in, AT+FBO=0).
	LSBFirst
)

// EncodeOptions tune the coded stream.
type EncodeOptions struct {
	Order Order
	// MinLineBits pads each coded line with zero fill bits before its EOL
	// up to this many bits, for the minimum scan line time of the receiver
	// (T.30 DIS bits 21-23). Zero means no padding.
	MinLineBits int
	// NoRTC leaves out the return-to-control sequence at the end, as a
	// TIFF-F strip does.
	NoRTC bool
}

// bitWriter collects a bit stream MSB first.
type bitWriter struct {
	buf  []byte
	acc  uint32
	nacc uint
	n    int // bits written in total
}

func (w *bitWriter) put(c code) { w.putBits(uint32(c.bits), uint(c.n)) }

func (w *bitWriter) putBits(v uint32, n uint) {
	w.acc = w.acc<<n | v&(1<<n-1)
	w.nacc += n
	w.n += int(n)
	for w.nacc >= 8 {
		w.nacc -= 8
		w.buf = append(w.buf, byte(w.acc>>w.nacc))
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.nacc)))
		w.nacc = 0
	}
	return w.buf
}

func (w *bitWriter) putRun(cs *codeSet, run int) {
	// MaxWidth keeps every run under 2560+64, so one make-up code and one
	// terminating code always suffice.
	if run >= 64 {
		w.put(cs.makeup[run/64-1])
		run %= 64
	}
	w.put(cs.term[run])
}

// Encode codes the page as T.4 one-dimensional Modified Huffman (T.4 §4.1):
// an EOL before every line, then RTC (six EOLs) after the last one.
func Encode(p *Page, opt EncodeOptions) ([]byte, error) {
	if p.Width <= 0 || p.Width > MaxWidth || p.Height < 0 || p.Height > MaxHeight || len(p.Pix) < p.Stride*p.Height || p.Stride < (p.Width+7)/8 {
		return nil, fmt.Errorf("%w: %dx%d", ErrBadSize, p.Width, p.Height)
	}
	w := &bitWriter{buf: make([]byte, 0, p.Height*p.Width/40+64)}
	for y := 0; y < p.Height; y++ {
		start := w.n
		w.putBits(eolCode, eolLen)
		encodeRow(w, p.Row(y), p.Width)
		if pad := opt.MinLineBits - (w.n - start - eolLen); pad > 0 {
			// Fill goes before the next EOL; a run of zeros of any length
			// is what a decoder skips while looking for the EOL.
			for pad > 0 {
				n := min(pad, 16)
				w.putBits(0, uint(n))
				pad -= n
			}
		}
	}
	if !opt.NoRTC {
		for range rtcEOLs {
			w.putBits(eolCode, eolLen)
		}
	}
	out := w.bytes()
	if opt.Order == LSBFirst {
		reverseBits(out)
	}
	return out, nil
}

// encodeRow writes alternating white and black runs, starting with white
// (a zero-length white run when the line starts black).
func encodeRow(w *bitWriter, row []byte, width int) {
	x, isBlack := 0, false
	for x < width {
		n := runLength(row, x, width, isBlack)
		if isBlack {
			w.putRun(black, n)
		} else {
			w.putRun(white, n)
		}
		x += n
		isBlack = !isBlack
	}
	if width == 0 {
		w.putRun(white, 0)
	}
}

// runLength counts pixels of one colour from x, a byte at a time where it can.
func runLength(row []byte, x, width int, isBlack bool) int {
	start := x
	for x < width {
		b := row[x/8]
		if !isBlack {
			b = ^b
		}
		// Bits from x within this byte that match the colour.
		off := uint(x % 8)
		b <<= off
		ones := bits.LeadingZeros8(^b)
		if rem := 8 - int(off); ones >= rem {
			x += rem
			continue
		}
		x += ones
		break
	}
	if x > width {
		x = width
	}
	return x - start
}

func reverseBits(b []byte) {
	for i, v := range b {
		b[i] = bits.Reverse8(v)
	}
}
