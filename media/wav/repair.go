package wav

import (
	"fmt"
	"os"
)

// maxData is the most sample bytes a 32-bit RIFF size can describe.
const maxData = 0xffffffff - 64

// Repair makes the header of the WAVE file at path agree with the samples
// the file holds: the data chunk is taken to run to the end of the file (as
// in files this box writes, where data is the last chunk), a trailing
// partial sample is cut off, and the RIFF and data sizes are rewritten. It
// reports whether anything changed. A file too damaged to have a header
// gives an error wrapping ErrNotWAV or ErrTruncated and is left alone.
func Repair(path string) (Header, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Header{}, false, fmt.Errorf("wav: repair: %w", err)
	}
	defer f.Close()
	h, err := ParseHeader(f)
	if err != nil {
		return Header{}, false, fmt.Errorf("wav: repair %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return Header{}, false, fmt.Errorf("wav: repair: %w", err)
	}
	avail := st.Size() - h.DataOffset
	avail -= avail % int64(h.BlockAlign())
	avail = min(avail, maxData-maxData%int64(h.BlockAlign()))
	if h.DataSize == avail && h.DataOffset+avail == st.Size() {
		return h, false, nil
	}
	if h.DataOffset+avail < st.Size() {
		if err := f.Truncate(h.DataOffset + avail); err != nil {
			return Header{}, false, fmt.Errorf("wav: repair: %w", err)
		}
	}
	if err := patchSizes(f, h.DataOffset-4, uint32(avail)); err != nil {
		return Header{}, false, err
	}
	if err := f.Sync(); err != nil {
		return Header{}, false, fmt.Errorf("wav: repair: %w", err)
	}
	h.DataSize = avail
	return h, true, nil
}
