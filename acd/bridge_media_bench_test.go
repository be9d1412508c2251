package acd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/record"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// BenchmarkCall_RecordedCallMemory reports what recording adds to a
// relayed two-party call, per call, with 200 calls bridged on real
// loopback RTP: heap (heap-B/call), goroutine stacks (stack-B/call) and
// goroutines (goroutines/call), measured after both parties' audio has
// reached every recording.
func BenchmarkCall_RecordedCallMemory(b *testing.B) {
	const calls = 200
	var heap, stack, gor float64
	for b.Loop() {
		heap, stack, gor = recordedCallMemory(b, calls)
	}
	b.ReportMetric(heap, "heap-B/call")
	b.ReportMetric(stack, "stack-B/call")
	b.ReportMetric(gor, "goroutines/call")
}

func recordedCallMemory(b *testing.B, calls int) (heap, stack, gor float64) {
	e, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ports, err := rtp.NewPorts(e, netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var phones []*rawPhone
	for i := range 2 * calls {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		box, err := rtp.Open(ctx, ports, rtp.Config{Timeout: -1, Remote: conn.LocalAddr().(*net.UDPAddr).AddrPort()})
		if err != nil {
			b.Fatal(err)
		}
		defer box.Close()
		defer conn.Close()
		l := newLeg(fmt.Sprint("leg", i), fmt.Sprint(1000+i), SourceExtension)
		l.endpoint = box
		phones = append(phones, &rawPhone{leg: l, box: box, conn: conn, ssrc: uint32(i + 1)})
	}
	callee := map[string]Leg{}
	for i := 0; i < len(phones); i += 2 {
		callee[phones[i].leg.id] = phones[i+1].leg
	}
	var mu sync.Mutex
	live := map[string]*Call{}
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		mu.Lock()
		live[c.Caller().ID()] = c
		mu.Unlock()
		return c.Bridge(ctx, callee[c.Caller().ID()])
	})
	defer hangUpAll(sw)
	for i := 0; i < len(phones); i += 2 {
		if _, err := sw.Accept(phones[i].leg, "201"); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "every bridge up", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for id, c := range live {
			if !c.bridges(callee[id].ID()) {
				return false
			}
		}
		return len(live) == calls
	})
	seq := uint16(0)
	sendAll := func() {
		for range 5 {
			for _, p := range phones {
				p.send(b, seq, 0x90)
			}
			seq++
		}
	}
	sendAll()
	h0, s0, g0 := memNow()

	dir := b.TempDir()
	var counters []*counted
	var stops []func()
	var recs []*record.Recorder
	for i := 0; i < len(phones); i += 2 {
		rec, err := record.Create(filepath.Join(dir, fmt.Sprint(i, ".wav")), record.Stereo, record.ULaw)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
		c := live[phones[i].leg.id]
		for k, w := range []media.FrameWriter{rec.Caller(), rec.Other()} {
			cw := &counted{w: w}
			stop, err := c.Tap(phones[i+k].leg, cw)
			if err != nil {
				b.Fatal(err)
			}
			counters = append(counters, cw)
			stops = append(stops, stop)
		}
	}
	settledGoroutines()
	waitFor(b, "audio in every recording", func() bool {
		sendAll()
		for _, c := range counters {
			if c.n.Load() < 5 {
				return false
			}
		}
		return true
	})
	h1, s1, g1 := memNow()
	for _, stop := range stops {
		stop()
	}
	for _, r := range recs {
		if _, err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(calls)
	// Signed: with no goroutine per recording, the stacks in use can be
	// fewer after the taps than before.
	return (float64(h1) - float64(h0)) / n, (float64(s1) - float64(s0)) / n, float64(g1-g0) / n
}

func memNow() (heap, stack uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse, runtime.NumGoroutine()
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
