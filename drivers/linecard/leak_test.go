package linecard

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestSim_SequentialCallsLeaveNoPortsOrGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	ports := newPorts(t)
	box, err := NewSim(SimConfig{Lines: 1, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	far, err := NewSim(SimConfig{Lines: 1, Ports: ports, Peer: box.Lines()[0].Addr()})
	if err != nil {
		t.Fatal(err)
	}
	line, caller := box.Lines()[0], far.Lines()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	for i := range 100 {
		dialed := make(chan error, 1)
		go func() { dialed <- caller.Dial(ctx, "1", "2") }()
		if e := nextEvent(t, line.Events()); e.Kind != EventRing {
			t.Fatalf("call %d: %v", i, e.Kind)
		}
		if err := line.OffHook(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if err := <-dialed; err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		nextEvent(t, caller.Events()) // answer
		if i%2 == 0 {
			caller.OnHook()
		} else {
			line.OnHook()
		}
		if e := nextEvent(t, pick(i%2 == 0, line, caller).Events()); e.Kind != EventHangup {
			t.Fatalf("call %d: %v", i, e.Kind)
		}
		// The side that saw the BYE frees its line when its handler
		// returns; wait for that before the next call.
		for j := 0; pick(i%2 == 0, line, caller).Media() != nil; j++ {
			if j > 10000 {
				t.Fatalf("call %d: line never freed", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if n := ports.InUse(); n != 0 {
		t.Fatalf("%d RTP ports still in use", n)
	}
	box.Close()
	far.Close()
	for i := 0; runtime.NumGoroutine() > base+2 && i < 2000; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("goroutines: baseline %d, after %d", base, runtime.NumGoroutine())
	// +2: the relay engine's loop of newPorts lives until cleanup.
	if n := runtime.NumGoroutine(); n > base+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines %d > baseline %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func pick(first bool, a, b *SimLine) *SimLine {
	if first {
		return a
	}
	return b
}
