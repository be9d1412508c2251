package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Named errors.
var (
	ErrNotWAV      = errors.New("wav: not a RIFF/WAVE file")
	ErrUnsupported = errors.New("wav: unsupported format")
	ErrTruncated   = errors.New("wav: header truncated")
)

// Format is the WAVE format tag.
type Format uint16

// Format tags the box reads and writes.
const (
	FormatPCM        Format = 1
	FormatALaw       Format = 6
	FormatMuLaw      Format = 7
	formatExtensible Format = 0xfffe
)

// Header describes a WAVE file's audio and where its samples are.
type Header struct {
	Format        Format
	Channels      uint16
	SampleRate    uint32
	BitsPerSample uint16
	// DataOffset is the file offset of the first sample byte.
	DataOffset int64
	// DataSize is the sample bytes the header declares, or -1 when the
	// header says nothing usable (0 or 0xFFFFFFFF, as a writer that died
	// before fixing the header leaves it): read to the end of the file.
	DataSize int64
}

// Limits a header must meet to be accepted.
const (
	maxChannels = 8
	minRate     = 4000
	maxRate     = 192000
	// maxChunks bounds the chunks skipped before "data", so a file of
	// millions of empty chunks cannot keep the parser busy.
	maxChunks = 64
)

// BlockAlign is the bytes of one sample for all channels.
func (h Header) BlockAlign() int { return int(h.Channels) * int(h.BitsPerSample) / 8 }

// ByteRate is the bytes of one second of audio.
func (h Header) ByteRate() int { return h.BlockAlign() * int(h.SampleRate) }

func (h Header) validate() error {
	if h.Channels == 0 || h.Channels > maxChannels {
		return fmt.Errorf("%w: %d channels", ErrUnsupported, h.Channels)
	}
	if h.SampleRate < minRate || h.SampleRate > maxRate {
		return fmt.Errorf("%w: %d Hz", ErrUnsupported, h.SampleRate)
	}
	switch h.Format {
	case FormatPCM:
		if h.BitsPerSample != 8 && h.BitsPerSample != 16 {
			return fmt.Errorf("%w: %d-bit PCM", ErrUnsupported, h.BitsPerSample)
		}
	case FormatALaw, FormatMuLaw:
		if h.BitsPerSample != 8 {
			return fmt.Errorf("%w: %d-bit G.711", ErrUnsupported, h.BitsPerSample)
		}
	default:
		return fmt.Errorf("%w: format tag %#x", ErrUnsupported, uint16(h.Format))
	}
	return nil
}

// ParseHeader reads a WAVE header from r, leaving r at the first sample
// byte. Chunks before "data" other than "fmt " (LIST, fact, ...) are
// skipped.
func ParseHeader(r io.Reader) (Header, error) {
	var b [12]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Header{}, fmt.Errorf("%w: %w", ErrNotWAV, err)
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Header{}, ErrNotWAV
	}
	h := Header{DataOffset: 12}
	haveFmt := false
	for range maxChunks {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return Header{}, fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		h.DataOffset += 8
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if err := h.parseFmt(r, size); err != nil {
				return Header{}, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Header{}, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			h.DataSize = int64(size)
			if size == 0 || size == 0xffffffff {
				h.DataSize = -1
			}
			return h, nil
		default:
			if err := skip(r, int64(size)+int64(size&1)); err != nil {
				return Header{}, err
			}
		}
		h.DataOffset += int64(size) + int64(size&1)
	}
	return Header{}, fmt.Errorf("%w: no data chunk in the first %d chunks", ErrNotWAV, maxChunks)
}

func (h *Header) parseFmt(r io.Reader, size uint32) error {
	if size < 16 || size > 1024 {
		return fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
	}
	padded := size + size&1
	var buf [1024 + 1]byte
	b := buf[:padded]
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	h.Format = Format(binary.LittleEndian.Uint16(b[0:]))
	h.Channels = binary.LittleEndian.Uint16(b[2:])
	h.SampleRate = binary.LittleEndian.Uint32(b[4:])
	h.BitsPerSample = binary.LittleEndian.Uint16(b[14:])
	if h.Format == formatExtensible {
		// WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then
		// the sub-format GUID whose first two bytes are the real tag.
		if size < 40 {
			return fmt.Errorf("%w: short extensible fmt", ErrNotWAV)
		}
		h.Format = Format(binary.LittleEndian.Uint16(b[24:]))
	}
	return h.validate()
}

func skip(r io.Reader, n int64) error {
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(n, io.SeekCurrent); err != nil {
			return fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		return nil
	}
	if m, err := io.CopyN(io.Discard, r, n); err != nil {
		return fmt.Errorf("%w: skipped %d of %d bytes: %w", ErrTruncated, m, n, err)
	}
	return nil
}

// Encode returns the header of a file whose sample data is dataSize bytes:
// a canonical 44-byte header (RIFF, fmt of 16 bytes, data). Writers that
// do not know the size yet write Encode(0) and fix it up later; DataOffset
// of the result's file is always 44.
func (h Header) Encode(dataSize uint32) ([]byte, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, HeaderSize)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], riffSize(dataSize))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], uint16(h.Format))
	binary.LittleEndian.PutUint16(b[22:], h.Channels)
	binary.LittleEndian.PutUint32(b[24:], h.SampleRate)
	binary.LittleEndian.PutUint32(b[28:], uint32(h.ByteRate()))
	binary.LittleEndian.PutUint16(b[32:], uint16(h.BlockAlign()))
	binary.LittleEndian.PutUint16(b[34:], h.BitsPerSample)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], dataSize)
	return b, nil
}

// HeaderSize is the size of the header Encode writes.
const HeaderSize = 44

// Offsets of the two size fields in an Encode header.
const (
	riffSizeOffset = 4
	dataSizeOffset = 40
)

func riffSize(dataSize uint32) uint32 {
	// RIFF size counts everything after its own field, including the pad
	// byte an odd data chunk needs.
	return 36 + dataSize + dataSize&1
}

// PatchSizes writes the RIFF and data sizes for dataSize bytes of samples
// into a file that starts with an Encode header.
func PatchSizes(w io.WriterAt, dataSize uint32) error {
	return patchSizes(w, dataSizeOffset, dataSize)
}

func patchSizes(w io.WriterAt, dataSizeAt int64, dataSize uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(dataSizeAt-riffSizeOffset)+dataSize+dataSize&1)
	if _, err := w.WriteAt(b[:], riffSizeOffset); err != nil {
		return fmt.Errorf("wav: patch RIFF size: %w", err)
	}
	binary.LittleEndian.PutUint32(b[:], dataSize)
	if _, err := w.WriteAt(b[:], dataSizeAt); err != nil {
		return fmt.Errorf("wav: patch data size: %w", err)
	}
	return nil
}

// Write writes a whole file: the header for len(data) bytes, then data.
func Write(w io.Writer, h Header, data []byte) error {
	hdr, err := h.Encode(uint32(len(data)))
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("wav: write header: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("wav: write data: %w", err)
	}
	if len(data)%2 == 1 {
		if _, err := w.Write([]byte{0}); err != nil {
			return fmt.Errorf("wav: write pad: %w", err)
		}
	}
	return nil
}

// PCM16 returns samples as little-endian 16-bit PCM bytes.
func PCM16(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, v := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}
