package record

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
)

// BenchmarkRecorder_OneSecondCall is the cost of a whole short recorded
// call: create the file, write one second of both parties through the
// side writers (as the bridge's taps do), close it. B/op is what one
// recording allocates over its life.
func BenchmarkRecorder_OneSecondCall(b *testing.B) {
	caller := audiotest.Frames(audiotest.Sine(440, 6000, media.SampleRate))
	other := audiotest.Frames(audiotest.Sine(1000, 6000, media.SampleRate))
	dir := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r, err := Create(filepath.Join(dir, fmt.Sprintf("%d.wav", i)), Stereo, ULaw)
		if err != nil {
			b.Fatal(err)
		}
		i++
		cw, ow := r.Caller(), r.Other()
		for k := range caller {
			if err := cw.WriteFrame(&caller[k]); err != nil {
				b.Fatal(err)
			}
			if err := ow.WriteFrame(&other[k]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecorder_HeapPerOpenRecording reports the heap one recording
// in progress holds (heap-B/rec): 200 recordings open at once, each a
// little way into its call, the way a box carries many recorded calls.
func BenchmarkRecorder_HeapPerOpenRecording(b *testing.B) {
	const open = 200
	caller := audiotest.Frames(audiotest.Sine(440, 6000, 30*media.FrameSamples))
	dir := b.TempDir()
	var per float64
	n := 0
	for b.Loop() {
		recs := make([]*Recorder, open)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range recs {
			r, err := Create(filepath.Join(dir, fmt.Sprintf("%d-%d.wav", n, i)), Stereo, ULaw)
			if err != nil {
				b.Fatal(err)
			}
			for k := range 30 {
				_ = r.Caller().WriteFrame(&caller[k])
				if k%3 != 0 { // the other side a little behind
					_ = r.Other().WriteFrame(&caller[k])
				}
			}
			recs[i] = r
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / open
		for _, r := range recs {
			if _, err := r.Close(); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric(per, "heap-B/rec")
}

// BenchmarkRecorder_PartiesOneFrameApart is the per-frame cost of a
// recording fed the way a box's captures feed it: each party's frames
// come on their own, the caller's one frame ahead of the other party's,
// so at every window boundary the other party's frame is behind the
// caller's. One op is one 20 ms step: a frame of each party.
func BenchmarkRecorder_PartiesOneFrameApart(b *testing.B) {
	for _, enc := range []Encoding{PCM16, ULaw} {
		b.Run(enc.String(), func(b *testing.B) {
			r, err := Create(filepath.Join(b.TempDir(), "bench.wav"), Stereo, enc)
			if err != nil {
				b.Fatal(err)
			}
			caller := audiotest.Frames(audiotest.Sine(440, 6000, 50*media.FrameSamples))
			other := audiotest.Frames(audiotest.Sine(1000, 6000, 50*media.FrameSamples))
			cw, ow := r.Caller(), r.Other()
			_ = cw.WriteFrame(&caller[0])
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				k++
				if err := cw.WriteFrame(&caller[k%50]); err != nil {
					b.Fatal(err)
				}
				if err := ow.WriteFrame(&other[k%50]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if _, err := r.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
