package wav

import (
	"errors"
	"fmt"
	"io"

	"callbox/media"
	"callbox/media/g711"
)

// Reader decodes a WAVE stream into 8 kHz mono frames: channels are
// averaged, G.711 is expanded, other rates are resampled. It implements
// media.FrameReader; the last frame is padded with silence and is followed
// by io.EOF.
type Reader struct {
	h         Header
	r         io.Reader
	remaining int64 // sample bytes left; -1 to read to EOF
	raw       []byte
	rawN      int
	rs        *resampler
	out       []int16 // 8 kHz samples decoded but not yet returned
	eof       bool
}

// rawChunk is how many input bytes are read at a time (any block align
// up to 8 channels × 2 bytes divides it).
const rawChunk = 4096

// NewReader parses the header of r and returns a Reader positioned at the
// first sample.
func NewReader(r io.Reader) (*Reader, error) {
	h, err := ParseHeader(r)
	if err != nil {
		return nil, err
	}
	rd := &Reader{h: h, r: r, remaining: h.DataSize, raw: make([]byte, rawChunk), out: make([]int16, 0, 2*media.FrameSamples)}
	if h.SampleRate != media.SampleRate {
		rd.rs = newResampler(h.SampleRate)
	}
	return rd, nil
}

// Header returns the parsed header.
func (r *Reader) Header() Header { return r.h }

// ReadFrame fills f with the next 20 ms.
func (r *Reader) ReadFrame(f *media.Frame) error {
	for len(r.out) < media.FrameSamples && !r.eof {
		if err := r.fill(); err != nil {
			return err
		}
	}
	if len(r.out) == 0 {
		return io.EOF
	}
	n := copy(f[:], r.out)
	clear(f[n:])
	r.out = r.out[:copy(r.out, r.out[n:])]
	return nil
}

// fill reads one chunk of input and decodes it into r.out.
func (r *Reader) fill() error {
	want := len(r.raw) - r.rawN
	if r.remaining >= 0 {
		want = int(min(int64(want), r.remaining))
	}
	n, err := io.ReadAtLeast(r.r, r.raw[r.rawN:r.rawN+want], min(want, 1))
	if r.remaining >= 0 {
		r.remaining -= int64(n)
	}
	r.rawN += n
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || want == 0:
		r.eof = true
	case err != nil:
		return fmt.Errorf("wav: read: %w", err)
	}
	ba := r.h.BlockAlign()
	whole := r.rawN - r.rawN%ba
	r.decode(r.raw[:whole])
	r.rawN = copy(r.raw, r.raw[whole:r.rawN])
	return nil
}

func (r *Reader) decode(b []byte) {
	ch := int(r.h.Channels)
	ba := r.h.BlockAlign()
	for off := 0; off+ba <= len(b); off += ba {
		var sum int32
		for c := range ch {
			sum += int32(r.h.sample(b[off+c*ba/ch:]))
		}
		v := int16(sum / int32(ch))
		if r.rs == nil {
			r.out = append(r.out, v)
			continue
		}
		r.out = r.rs.push(float64(v), r.out)
	}
}

// sample decodes the first sample of b in the file's format.
func (h Header) sample(b []byte) int16 {
	switch h.Format {
	case FormatMuLaw:
		var s [1]int16
		g711.DecodeUlaw(s[:], b[:1])
		return s[0]
	case FormatALaw:
		var s [1]int16
		g711.DecodeAlaw(s[:], b[:1])
		return s[0]
	}
	if h.BitsPerSample == 8 {
		return (int16(b[0]) - 128) << 8
	}
	return int16(uint16(b[0]) | uint16(b[1])<<8)
}

// Split decodes sample bytes of h's format into one slice of 16-bit
// samples per channel, at the file's own rate (a trailing partial
// sample is left out): for looking at each party of a stereo recording.
func (h Header) Split(data []byte) [][]int16 {
	ch, ba := int(h.Channels), h.BlockAlign()
	out := make([][]int16, ch)
	for c := range out {
		out[c] = make([]int16, 0, len(data)/ba)
	}
	for off := 0; off+ba <= len(data); off += ba {
		for c := range ch {
			out[c] = append(out[c], h.sample(data[off+c*ba/ch:]))
		}
	}
	return out
}
