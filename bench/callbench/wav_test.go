package main

import (
	"encoding/binary"
	"testing"
	"time"
)

func wavHeader(channels, rate, bits int, data uint32) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(bits))
	b = append(b, "data"...)
	return binary.LittleEndian.AppendUint32(b, data)
}

func TestParseWAV_StereoRecordingOfThirtySeconds(t *testing.T) {
	h := wavHeader(2, 8000, 16, 30*32000)
	w, err := parseWAV(h, int64(len(h))+30*32000)
	if err != nil {
		t.Fatal(err)
	}
	if w.Duration != 30*time.Second || w.Channels != 2 || w.DataBytes != 960000 {
		t.Fatalf("%+v", w)
	}
}

func TestParseWAV_DataSizeBoundedByTheFile(t *testing.T) {
	h := wavHeader(1, 8000, 16, 0xffffffff) // a header never fixed
	w, err := parseWAV(h, int64(len(h))+16000)
	if err != nil || w.Duration != time.Second {
		t.Fatalf("%+v %v", w, err)
	}
}

func TestParseWAV_RefusesOtherFiles(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("RIFF\x00\x00\x00\x00AVI "), wavHeader(0, 8000, 16, 10)} {
		if _, err := parseWAV(b, 100); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wavHeader(2, 8000, 16, 64000), int64(1000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVELIST\x04\x00\x00\x00abcd"), int64(10))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		w, err := parseWAV(b, size)
		if err == nil && (w.DataBytes < 0 || w.Duration < 0) {
			t.Fatalf("negative %+v", w)
		}
	})
}
