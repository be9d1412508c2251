package rtp

import (
	"sync"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
)

// collector is a FrameWriter that keeps what it hears.
type collector struct {
	mu  sync.Mutex
	pcm []int16
}

func (c *collector) WriteFrame(f *media.Frame) error {
	c.mu.Lock()
	c.pcm = append(c.pcm, f[:]...)
	c.mu.Unlock()
	return nil
}

func (c *collector) samples() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.pcm...)
}

func TestListen_HearsTheLegBesideItsReaderAndTheRelay(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33200, 33299)
	pa, pb := newPhone(t), newPhone(t)
	a := open(t, p, Config{Codec: media.PCMU, Remote: pa.addr(), Timeout: -1})
	b := open(t, p, Config{Codec: media.PCMU, Remote: pb.addr(), Timeout: -1})
	stopRelay := a.RelayTo(b)
	defer stopRelay()
	// The reader and the listener each drain their own jitter buffer
	// while the tone comes in, as an IVR and a detector would.
	var read, heard collector
	r := a.Reader()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		var f media.Frame
		for r.ReadFrame(&f) == nil && read.WriteFrame(&f) == nil {
		}
	}()
	stopListen := a.Listen(&heard)

	tone := audiotest.Sine(1100, 8000, 4000) // CNG's frequency, 0.5 s
	pay := make([]byte, 160)
	relayed := 0
	for off := 0; off < len(tone); off += 160 {
		g711.EncodeUlaw(pay, tone[off:off+160])
		pa.send(a.LocalAddr(), 0, pay)
		if pkt, _ := pb.recv(); len(pkt) > 12 {
			relayed++
		}
		time.Sleep(time.Millisecond)
	}
	want := len(tone) - 3*160 // the jitter buffers hold the last few back
	deadline := time.Now().Add(10 * time.Second)
	for (len(heard.samples()) < want || len(read.samples()) < want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stopListen()
	stopListen() // idempotent
	if relayed != len(tone)/160 {
		t.Errorf("relayed %d packets of %d", relayed, len(tone)/160)
	}
	for name, got := range map[string][]int16{"reader": read.samples(), "listener": heard.samples()} {
		if len(got) < want {
			t.Fatalf("%s heard %d samples, want about %d", name, len(got), len(tone))
		}
		if fr := audiotest.Dominant(got, 300, 3400); fr < 1095 || fr > 1105 {
			t.Errorf("%s heard %v Hz, want 1100", name, fr)
		}
	}
	a.rxMu.Lock()
	left := len(a.listeners)
	a.rxMu.Unlock()
	if left != 0 {
		t.Fatalf("%d listeners left after stop", left)
	}
	a.Close()
	<-readDone
}

func TestListen_EndsWhenTheLegCloses(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33300, 33399)
	pa := newPhone(t)
	a := open(t, p, Config{Codec: media.PCMA, Remote: pa.addr(), Timeout: -1})
	var heard collector
	stop := a.Listen(&heard)
	a.Close()
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return after the leg closed")
	}
}
