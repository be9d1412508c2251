package t4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// TIFF tags used by TIFF Class F.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagT4Options       = 292
	tagResolutionUnit  = 296
	tagPageNumber      = 297
	tagSoftware        = 305
	tagBadFaxLines     = 326
	tagCleanFaxData    = 327
)

const (
	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
)

var (
	// ErrNotTIFF is a file that is not a TIFF (including an empty file).
	ErrNotTIFF = errors.New("t4: not a TIFF file")
	// ErrUnsupported is a TIFF that is valid but not a fax image this
	// package reads (2-D coding, colour, several samples).
	ErrUnsupported = errors.New("t4: unsupported TIFF fax image")
)

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // encoded value (any length); placed inline if <= 4 bytes
}

func shortEntry(tag uint16, v ...uint16) ifdEntry {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return ifdEntry{tag, typeShort, uint32(len(v)), b}
}

func longEntry(tag uint16, v uint32) ifdEntry {
	return ifdEntry{tag, typeLong, 1, binary.LittleEndian.AppendUint32(nil, v)}
}

func rationalEntry(tag uint16, num, den uint32) ifdEntry {
	b := binary.LittleEndian.AppendUint32(nil, num)
	return ifdEntry{tag, typeRational, 1, binary.LittleEndian.AppendUint32(b, den)}
}

// WriteTIFF writes the pages as one little-endian TIFF Class F file: per page
// one strip of 1-D MH data, MSB first, with resolution, page number and the
// bad-line count a receiver reports.
func WriteTIFF(w io.Writer, pages []*Page) error {
	if len(pages) == 0 {
		return fmt.Errorf("%w: no pages", ErrBadSize)
	}
	var buf bytes.Buffer
	buf.Write([]byte{'I', 'I', 42, 0, 0, 0, 0, 0}) // first IFD offset patched below
	prevNext := 4                                  // where the previous "next IFD" offset goes
	software := append([]byte("callbox"), 0)
	for i, p := range pages {
		data, err := Encode(p, EncodeOptions{})
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		stripOff := buf.Len()
		buf.Write(data)
		if buf.Len()%2 == 1 {
			buf.WriteByte(0) // TIFF offsets are word-aligned
		}
		clean := uint16(0)
		if p.BadLines > 0 {
			clean = 1 // regenerated: bad lines were replaced by the receiver
		}
		entries := []ifdEntry{
			longEntry(tagNewSubfileType, 2), // one page of a multi-page document
			longEntry(tagImageWidth, uint32(p.Width)),
			longEntry(tagImageLength, uint32(p.Height)),
			shortEntry(tagBitsPerSample, 1),
			shortEntry(tagCompression, 3),
			shortEntry(tagPhotometric, 0),
			shortEntry(tagFillOrder, 1),
			longEntry(tagStripOffsets, uint32(stripOff)),
			shortEntry(tagSamplesPerPixel, 1),
			longEntry(tagRowsPerStrip, uint32(p.Height)),
			longEntry(tagStripByteCounts, uint32(len(data))),
			rationalEntry(tagXResolution, DPI, 1),
			rationalEntry(tagYResolution, uint32(p.Resolution.LinesPerInch()), 1),
			longEntry(tagT4Options, 0),
			shortEntry(tagResolutionUnit, 2),
			shortEntry(tagPageNumber, uint16(i), uint16(len(pages))),
			{tagSoftware, typeASCII, uint32(len(software)), software},
			longEntry(tagBadFaxLines, uint32(p.BadLines)),
			shortEntry(tagCleanFaxData, clean),
		}
		ifdOff := buf.Len()
		binary.LittleEndian.PutUint32(buf.Bytes()[prevNext:], uint32(ifdOff))
		// IFD: count, 12-byte entries, next offset; long values after it.
		extra := ifdOff + 2 + 12*len(entries) + 4
		var ifd, tail []byte
		ifd = binary.LittleEndian.AppendUint16(ifd, uint16(len(entries)))
		for _, e := range entries {
			ifd = binary.LittleEndian.AppendUint16(ifd, e.tag)
			ifd = binary.LittleEndian.AppendUint16(ifd, e.typ)
			ifd = binary.LittleEndian.AppendUint32(ifd, e.count)
			if len(e.value) <= 4 {
				v := make([]byte, 4)
				copy(v, e.value)
				ifd = append(ifd, v...)
				continue
			}
			ifd = binary.LittleEndian.AppendUint32(ifd, uint32(extra+len(tail)))
			tail = append(tail, e.value...)
			if len(tail)%2 == 1 {
				tail = append(tail, 0)
			}
		}
		prevNext = buf.Len() + len(ifd)
		ifd = append(ifd, 0, 0, 0, 0)
		buf.Write(ifd)
		buf.Write(tail)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
