package ivr

import (
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
)

// BenchmarkListener_InbandFrame is the cost of one 20 ms frame of caller
// audio on a leg without digit events: in-band DTMF detection plus the
// recording sink. A box core spends 20 ms per frame of real time, so
// 20 ms / (ns/op) is how many such calls one core could listen to.
func BenchmarkListener_InbandFrame(b *testing.B) {
	var speech media.Frame
	copy(speech[:], audiotest.Tones(6000, media.FrameSamples, 350, 440))
	ls := &listener{digits: make(chan byte, 32)}
	ls.det = startListenerDetector(ls)
	written := 0
	ls.setSink(media.FrameWriterFunc(func(*media.Frame) error { written++; return nil }))
	b.ReportAllocs()
	for b.Loop() {
		_ = ls.WriteFrame(&speech)
	}
	if written == 0 {
		b.Fatal("the sink saw no frames")
	}
}
