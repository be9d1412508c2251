package wav

import (
	"errors"
	"fmt"
	"io"

	"callbox/media/g711"
)

// PCMView is a G.711 WAVE file seen as the 16-bit PCM WAVE file it
// decodes to, for players that play only PCM (not every browser plays
// μ-law or A-law WAVE). Its header and samples are made on the fly from
// the file's, so a player that seeks with a range request costs only the
// samples it asks for. It is an io.ReadSeeker, for http.ServeContent.
type PCMView struct {
	src io.ReaderAt
	h   Header // the file's
	hdr []byte // the view's header
	n   int64  // the file's sample bytes in view: whole samples only
	off int64  // read position in the view
	raw []byte // file bytes being decoded
	pcm []int16
}

// viewChunk is how many file bytes a Read decodes at a time.
const viewChunk = 4096

// maxViewData is the most file sample bytes a view shows: twice that is
// what a 32-bit RIFF size can describe.
const maxViewData = maxData / 2

// errSeek is a seek before the start of the view.
var errSeek = errors.New("wav: seek before the start")

// NewPCMView returns the view of src, a G.711 WAVE file of size bytes.
// Its samples are the ones the header declares, or up to the end of the
// file if that is sooner or the header declares none (a file whose
// writer died). A file that is not G.711 needs no view: the error wraps
// ErrUnsupported; one that is not WAVE at all wraps ErrNotWAV or
// ErrTruncated.
func NewPCMView(src io.ReaderAt, size int64) (*PCMView, error) {
	h, err := ParseHeader(io.NewSectionReader(src, 0, size))
	if err != nil {
		return nil, err
	}
	if h.Format != FormatMuLaw && h.Format != FormatALaw {
		return nil, fmt.Errorf("%w: format tag %#x is not G.711", ErrUnsupported, uint16(h.Format))
	}
	n := max(0, size-h.DataOffset)
	if h.DataSize >= 0 {
		n = min(n, h.DataSize)
	}
	ba := int64(h.BlockAlign())
	n = min(n, maxViewData)
	n -= n % ba
	out := Header{Format: FormatPCM, Channels: h.Channels, SampleRate: h.SampleRate, BitsPerSample: 16}
	hdr, err := out.Encode(uint32(2 * n))
	if err != nil {
		return nil, err
	}
	return &PCMView{src: src, h: h, hdr: hdr, n: n, raw: make([]byte, viewChunk), pcm: make([]int16, viewChunk)}, nil
}

// Header returns the header of the file seen through the view.
func (v *PCMView) Header() Header { return v.h }

// Size is the view's size in bytes.
func (v *PCMView) Size() int64 { return HeaderSize + 2*v.n }

// Read reads the view from the current position.
func (v *PCMView) Read(p []byte) (int, error) {
	size := v.Size()
	if v.off >= size {
		return 0, io.EOF
	}
	total := 0
	if v.off < HeaderSize {
		k := copy(p, v.hdr[v.off:])
		v.off += int64(k)
		p, total = p[k:], k
	}
	for len(p) > 0 && v.off < size {
		d := v.off - HeaderSize // position in the view's samples
		first := d / 2          // the file's sample byte it comes from
		want := min((int64(len(p))+d%2+1)/2, v.n-first, viewChunk)
		m, err := v.src.ReadAt(v.raw[:want], v.h.DataOffset+first)
		if m == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the file shrank under the view
			}
			return total, fmt.Errorf("wav: view: %w", err)
		}
		pcm := v.pcm[:m]
		if v.h.Format == FormatMuLaw {
			g711.DecodeUlaw(pcm, v.raw[:m])
		} else {
			g711.DecodeAlaw(pcm, v.raw[:m])
		}
		k := 0
		for i, s := range pcm {
			b := [2]byte{byte(s), byte(uint16(s) >> 8)}
			from := 0
			if i == 0 {
				from = int(d % 2)
			}
			c := copy(p[k:], b[from:])
			k += c
			if k == len(p) {
				break
			}
		}
		v.off += int64(k)
		p, total = p[k:], total+k
	}
	return total, nil
}

// Seek sets the position for the next Read.
func (v *PCMView) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += v.off
	case io.SeekEnd:
		offset += v.Size()
	default:
		return v.off, fmt.Errorf("wav: seek whence %d", whence)
	}
	if offset < 0 {
		return v.off, errSeek
	}
	v.off = offset
	return offset, nil
}
