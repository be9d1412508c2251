package linecard

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/relay"
	"callbox/media/rtp"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func newPorts(t *testing.T) *rtp.Ports {
	t.Helper()
	e, err := relay.NewEngine(relay.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	p, err := rtp.NewPorts(e, loopback, 41000, 41999)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newSim(t *testing.T, cfg SimConfig) *Sim {
	t.Helper()
	s, err := NewSim(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// energy is the RMS level of a frame.
func energy(f *media.Frame) float64 {
	var sum float64
	for _, s := range f {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(f)))
}

// waitAudio reads frames until one carries sound, within a bounded
// number of frames.
func waitAudio(t *testing.T, r media.FrameReader) {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		var f media.Frame
		for range 500 {
			if err := r.ReadFrame(&f); err != nil {
				got <- err
				return
			}
			if energy(&f) > 300 {
				got <- nil
				return
			}
		}
		got <- errors.New("500 frames of silence")
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no audio")
	}
}

// tone writes n frames of a 1 kHz tone, paced at 20 ms.
func tone(ctx context.Context, w media.FrameWriter, n int) {
	var f media.Frame
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	k := 0
	for range n {
		for i := range f {
			f[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(k)/media.SampleRate))
			k++
		}
		if w.WriteFrame(&f) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func TestSim_LineToLineCallCarriesCallerIDAudioAndHangup(t *testing.T) {
	ports := newPorts(t)
	box := newSim(t, SimConfig{Lines: 1, Ports: ports})
	line := box.Lines()[0]
	far := newSim(t, SimConfig{Lines: 1, Ports: ports, Peer: line.Addr()}).Lines()[0]

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dialed := make(chan error, 1)
	go func() { dialed <- far.Dial(ctx, "01088886601", "13800138000") }()

	ring := nextEvent(t, line.Events())
	if ring.Kind != EventRing || ring.CallerID.Number != "13800138000" || ring.Dialed != "01088886601" {
		t.Fatalf("ring event %+v", ring)
	}
	if err := far.OffHook(ctx); !errors.Is(err, ErrNotRinging) {
		t.Fatalf("OffHook on the dialling side = %v", err)
	}
	if err := line.OffHook(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-dialed; err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, far.Events()); e.Kind != EventAnswer {
		t.Fatalf("far end event %v, want answer", e.Kind)
	}
	go tone(ctx, far.Media().Writer(), 100)
	waitAudio(t, line.Media().Reader())

	if err := far.OnHook(); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, line.Events()); e.Kind != EventHangup {
		t.Fatalf("event %v, want hangup", e.Kind)
	}
	// The line is free again.
	go func() { dialed <- far.Dial(ctx, "2", "3") }()
	if e := nextEvent(t, line.Events()); e.Kind != EventRing {
		t.Fatalf("second call: %v", e.Kind)
	}
	line.OnHook() // refuse
	if err := <-dialed; !errors.Is(err, ErrRejected) {
		t.Fatalf("refused Dial = %v, want ErrRejected", err)
	}
}

func TestSim_BusyLineRefusesSecondCall(t *testing.T) {
	ports := newPorts(t)
	line := newSim(t, SimConfig{Lines: 1, Ports: ports}).Lines()[0]
	callers := newSim(t, SimConfig{Lines: 2, Ports: ports, Peer: line.Addr()}).Lines()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := make(chan error, 1)
	go func() { first <- callers[0].Dial(ctx, "1", "100") }()
	nextEvent(t, line.Events())
	if err := callers[1].Dial(ctx, "1", "200"); !errors.Is(err, ErrRejected) {
		t.Fatalf("second caller = %v, want ErrRejected (486)", err)
	}
	if err := line.OffHook(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	line.OnHook()
	if e := nextEvent(t, callers[0].Events()); e.Kind != EventAnswer {
		t.Fatalf("%v", e.Kind)
	}
	if e := nextEvent(t, callers[0].Events()); e.Kind != EventHangup {
		t.Fatalf("caller saw %v, want hangup after the line's BYE", e.Kind)
	}
}

func TestSim_DialWithoutPeer(t *testing.T) {
	line := newSim(t, SimConfig{Lines: 1, Ports: newPorts(t)}).Lines()[0]
	if err := line.Dial(context.Background(), "1", ""); !errors.Is(err, ErrNoPeer) {
		t.Fatalf("Dial = %v, want ErrNoPeer", err)
	}
}

func TestProbe_FallsBackToSimulatedLines(t *testing.T) {
	lines, err := Probe(ProbeConfig{Dir: filepath.Join(t.TempDir(), "dahdi"), Sim: SimConfig{Lines: 3, Ports: newPorts(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer lines.Close()
	if lines.Sim == nil || len(lines.Channels) != 3 || lines.Channels[2].ID() != "sim:3" {
		t.Fatalf("probe found %d channels, sim %v", len(lines.Channels), lines.Sim != nil)
	}
}
