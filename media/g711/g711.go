// Package g711 converts between 16-bit linear PCM and G.711 μ-law and A-law
// (ITU-T G.711), and transcodes directly between the two laws. Decoding and
// transcoding use the tables of github.com/zaf/g711 (BSD-3-Clause);
// encoding uses tables filled at start from its segment arithmetic. All
// work one sample at a time into caller-provided buffers, so nothing
// allocates on the packet path.
package g711

import (
	"errors"
	"fmt"

	"callbox/media"

	zg711 "github.com/zaf/g711"
)

// ErrUnsupportedCodec is returned for a codec that is not PCMU or PCMA.
var ErrUnsupportedCodec = errors.New("g711: unsupported codec")

// DecodeUlaw decodes μ-law bytes from src into dst and returns the number
// of samples written: min(len(dst), len(src)).
func DecodeUlaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = zg711.DecodeUlawFrame(src[i])
	}
	return n
}

// Encoding tables, filled from zaf/g711's segment arithmetic at start, so
// encoding a frame is 160 lookups instead of 160 bit searches. μ-law
// codes 14 bits of a sample and A-law 13 (the low bits never change the
// code; a test checks every sample), so the tables are 16 KiB and 8 KiB
// and stay in the first-level cache beside the audio.
var ulawEnc, alawEnc = func() (u *[1 << 14]byte, a *[1 << 13]byte) {
	u, a = new([1 << 14]byte), new([1 << 13]byte)
	for i := range u {
		u[i] = zg711.EncodeUlawFrame(int16(uint16(i << 2)))
	}
	for i := range a {
		a[i] = zg711.EncodeAlawFrame(int16(uint16(i << 3)))
	}
	return u, a
}()

// EncodeUlawSample encodes one sample into μ-law, for callers that lay
// the bytes out themselves (a stereo recording interleaves two parties).
func EncodeUlawSample(v int16) byte { return ulawEnc[uint16(v)>>2] }

// EncodeUlaw encodes samples from src into μ-law bytes in dst and returns
// the number of bytes written: min(len(dst), len(src)).
func EncodeUlaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = ulawEnc[uint16(src[i])>>2]
	}
	return n
}

// DecodeAlaw decodes A-law bytes from src into dst and returns the number
// of samples written.
func DecodeAlaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = zg711.DecodeAlawFrame(src[i])
	}
	return n
}

// EncodeAlaw encodes samples from src into A-law bytes in dst and returns
// the number of bytes written.
func EncodeAlaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = alawEnc[uint16(src[i])>>3]
	}
	return n
}

// UlawToAlaw transcodes μ-law bytes to A-law without going through linear
// PCM and returns the number of bytes written. dst and src may be the same
// slice.
func UlawToAlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = zg711.Ulaw2AlawFrame(src[i])
	}
	return n
}

// AlawToUlaw transcodes A-law bytes to μ-law and returns the number of
// bytes written. dst and src may be the same slice.
func AlawToUlaw(dst, src []byte) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] = zg711.Alaw2UlawFrame(src[i])
	}
	return n
}

// Law is one of the two G.711 companding laws.
type Law uint8

// The two laws.
const (
	Ulaw Law = iota + 1
	Alaw
)

// LawOf returns the law a negotiated codec uses.
func LawOf(c media.Codec) (Law, error) {
	switch c.Name {
	case media.PCMU.Name:
		return Ulaw, nil
	case media.PCMA.Name:
		return Alaw, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnsupportedCodec, c.Name)
}

// Decoder turns RTP payloads of one codec into linear PCM.
type Decoder struct{ law Law }

// NewDecoder returns a decoder for PCMU or PCMA.
func NewDecoder(c media.Codec) (Decoder, error) {
	law, err := LawOf(c)
	return Decoder{law: law}, err
}

// Decode decodes payload into dst and returns the samples written.
func (d Decoder) Decode(dst []int16, payload []byte) int {
	if d.law == Alaw {
		return DecodeAlaw(dst, payload)
	}
	return DecodeUlaw(dst, payload)
}

// DecodeFrame decodes a 20 ms payload into f. A short payload leaves the
// rest of f silent, so a truncated packet never replays stale audio.
func (d Decoder) DecodeFrame(f *media.Frame, payload []byte) int {
	n := d.Decode(f[:], payload)
	clear(f[n:])
	return n
}

// Encoder turns linear PCM into RTP payloads of one codec.
type Encoder struct{ law Law }

// NewEncoder returns an encoder for PCMU or PCMA.
func NewEncoder(c media.Codec) (Encoder, error) {
	law, err := LawOf(c)
	return Encoder{law: law}, err
}

// Encode encodes src into dst and returns the bytes written.
func (e Encoder) Encode(dst []byte, src []int16) int {
	if e.law == Alaw {
		return EncodeAlaw(dst, src)
	}
	return EncodeUlaw(dst, src)
}

// Transcode converts a payload from one law to the other (or copies it when
// both are the same) and returns the bytes written.
func Transcode(dst, src []byte, from, to Law) int {
	switch {
	case from == to:
		return copy(dst, src)
	case from == Ulaw:
		return UlawToAlaw(dst, src)
	default:
		return AlawToUlaw(dst, src)
	}
}
