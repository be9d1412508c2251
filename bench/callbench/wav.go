package main

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"
)

// errNotWAV means a recording's header is not a PCM WAV header.
var errNotWAV = errors.New("not a WAV file")

// wavInfo is what a recording's header says.
type wavInfo struct {
	Channels   int
	Rate       int
	Bits       int
	DataBytes  int64
	Duration   time.Duration
	HeaderSize int64
}

// readWAV reads the header of the recording at path; the data size
// comes from the header, bounded by the file's size.
func readWAV(path string) (wavInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return wavInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return wavInfo{}, err
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return wavInfo{}, err
	}
	return parseWAV(head[:n], st.Size())
}

// parseWAV reads a RIFF/WAVE header (the "fmt " chunk, then the start
// of the "data" chunk) from the first bytes of a file of size bytes.
func parseWAV(b []byte, size int64) (wavInfo, error) {
	var w wavInfo
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errNotWAV
	}
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		n := int64(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if n < 16 || body+16 > len(b) {
				return w, errNotWAV
			}
			w.Channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			w.Rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			w.Bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if w.Rate <= 0 || w.Channels <= 0 || w.Bits <= 0 || w.Bits%8 != 0 {
				return w, errNotWAV
			}
			w.HeaderSize = int64(body)
			w.DataBytes = min(n, max(size-int64(body), 0))
			perSec := int64(w.Rate) * int64(w.Channels) * int64(w.Bits/8)
			w.Duration = time.Duration(w.DataBytes * int64(time.Second) / perSec)
			return w, nil
		}
		if n > int64(len(b)) {
			break
		}
		off = body + int(n) + int(n&1)
	}
	return w, errNotWAV
}
