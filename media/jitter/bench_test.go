package jitter

import (
	"runtime"
	"testing"
)

// BenchmarkBuffer_HeapPerStream reports the heap a decoded stream's
// buffer holds while its reader keeps up (heap-B/stream): 1,000 buffers,
// each with a packet or two in flight.
func BenchmarkBuffer_HeapPerStream(b *testing.B) {
	const streams = 1000
	payload := make([]byte, 160)
	var per float64
	for b.Loop() {
		bufs := make([]*Buffer, streams)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range bufs {
			bufs[i] = New(3)
			for s := range uint16(5) {
				bufs[i].Push(s, uint32(s)*160, payload)
				if s < 4 {
					bufs[i].Pop()
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / streams
		runtime.KeepAlive(bufs)
	}
	b.ReportMetric(per, "heap-B/stream")
}
