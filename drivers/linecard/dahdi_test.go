package linecard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/g711"
)

// fakeDevice is a DAHDI channel file made of a script of reads and a
// record of what the driver did.
type fakeDevice struct {
	reads  chan func(p []byte) (int, error) // each read takes the next step
	events chan int                         // what DAHDI_GETEVENT returns
	closed chan struct{}

	noToneDetect bool // the card has no DTMF detector

	mu     sync.Mutex
	sets   []string
	writes [][]byte
	dials  []string
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{reads: make(chan func([]byte) (int, error), 16), events: make(chan int, 16),
		closed: make(chan struct{})}
}

func (d *fakeDevice) Read(p []byte) (int, error) {
	select {
	case step := <-d.reads:
		return step(p)
	case <-d.closed:
		return 0, io.EOF
	}
}

func (d *fakeDevice) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes = append(d.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (d *fakeDevice) SetInt(req uint32, v int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if req == ioctlToneDetect && d.noToneDetect {
		return syscall.EINVAL
	}
	name := map[uint32]string{ioctlSetBlocksize: "blocksize", ioctlSetLaw: "law", ioctlToneDetect: "tonedetect", ioctlFlush: "flush",
		ioctlHook: "hook"}[req]
	d.sets = append(d.sets, name+"="+string(rune('0'+v%10)))
	return nil
}

func (d *fakeDevice) GetInt(req uint32) (int, error) {
	if req != ioctlGetEvent {
		return 0, syscall.EINVAL
	}
	return <-d.events, nil
}

func (d *fakeDevice) Dial(op *dialOp) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for n < len(op.Dialstr) && op.Dialstr[n] != 0 {
		n++
	}
	d.dials = append(d.dials, string(op.Dialstr[:n]))
	return nil
}

func (d *fakeDevice) Close() error { close(d.closed); return nil }

// event makes the next read report a pending event.
func (d *fakeDevice) event(ev int) {
	d.events <- ev
	d.reads <- func([]byte) (int, error) { return 0, syscall.Errno(errnoEventPending) }
}

func (d *fakeDevice) audio(b []byte) {
	d.reads <- func(p []byte) (int, error) { return copy(p, b), nil }
}

func nextEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func openFake(t *testing.T, law g711.Law) (*DAHDI, *fakeDevice) {
	dev := newFakeDevice()
	d, err := newDAHDI("dahdi:1", dev, law, time.Now, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dev
}

func TestDAHDI_RingAnswerDigitsAndHangup(t *testing.T) {
	d, dev := openFake(t, g711.Alaw)
	// No caller ID on this line: the ring is announced at the second
	// ring, and cannot be answered before.
	dev.event(dahdiEventRingOffHook)
	dev.event(dahdiEventRingBegin)
	if err := d.OffHook(context.Background()); !errors.Is(err, ErrNotRinging) {
		t.Fatalf("OffHook before the ring was announced = %v", err)
	}
	dev.event(dahdiEventRingOffHook)
	if e := nextEvent(t, d.Events()); e.Kind != EventRing || e.CallerID != (CallerID{}) {
		t.Fatalf("event %+v, want ring without caller ID", e)
	}
	if err := d.OffHook(context.Background()); err != nil {
		t.Fatal(err)
	}
	dev.event(dahdiEventDTMFDown | '5')
	dev.event(dahdiEventDTMFUp | '5')
	if e := nextEvent(t, d.Events()); e.Kind != EventDigit || e.Digit != '5' {
		t.Fatalf("event %+v, want digit 5", e)
	}
	dev.event(dahdiEventOnHook)
	if e := nextEvent(t, d.Events()); e.Kind != EventHangup {
		t.Fatalf("event %v, want hangup", e.Kind)
	}
	if err := d.OffHook(context.Background()); !errors.Is(err, ErrNotRinging) {
		t.Fatalf("OffHook when idle = %v", err)
	}
	dev.mu.Lock()
	defer dev.mu.Unlock()
	want := []string{"blocksize=0", "law=2", "tonedetect=3", "flush=7", "hook=1"}
	if len(dev.sets) != len(want) {
		t.Fatalf("ioctls %v, want %v", dev.sets, want)
	}
	for i := range want {
		if dev.sets[i] != want[i] {
			t.Fatalf("ioctls %v, want %v", dev.sets, want)
		}
	}
}

func TestDAHDI_RingCarriesFSKCallerIDSentAfterFirstRing(t *testing.T) {
	d, dev := openFake(t, g711.Alaw)
	dev.event(dahdiEventRingOffHook)
	// The exchange's V.23 burst, as A-law chunks between the rings.
	audio := modulate(planV23, mdmf("13800138000", "WANG"))
	audio = append(audio, make([]int16, chunk)...) // then silence
	for i := 0; i+chunk <= len(audio); i += chunk {
		raw := make([]byte, chunk)
		g711.EncodeAlaw(raw, audio[i:i+chunk])
		dev.audio(raw)
	}
	e := nextEvent(t, d.Events())
	if e.Kind != EventRing || e.CallerID != (CallerID{Number: "13800138000", Name: "WANG"}) {
		t.Fatalf("event %+v", e)
	}
	dev.event(dahdiEventRingOffHook) // the second ring announces nothing more
	if err := d.OffHook(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-d.Events():
		t.Fatalf("unexpected %+v", e)
	default:
	}
}

func TestDAHDI_FramesAre160ByteChunksInTheLineLaw(t *testing.T) {
	for _, law := range []g711.Law{g711.Alaw, g711.Ulaw} {
		d, dev := openFake(t, law)
		var in media.Frame
		for i := range in {
			in[i] = int16((i%40 - 20) * 800)
		}
		raw := make([]byte, chunk)
		if law == g711.Alaw {
			g711.EncodeAlaw(raw, in[:])
		} else {
			g711.EncodeUlaw(raw, in[:])
		}
		dev.audio(raw)
		var got media.Frame
		if err := d.Media().Reader().ReadFrame(&got); err != nil {
			t.Fatal(err)
		}
		var want media.Frame
		if law == g711.Alaw {
			g711.DecodeAlaw(want[:], raw)
		} else {
			g711.DecodeUlaw(want[:], raw)
		}
		if got != want {
			t.Fatalf("law %d: decoded frame differs", law)
		}
		if err := d.Media().Writer().WriteFrame(&in); err != nil {
			t.Fatal(err)
		}
		dev.mu.Lock()
		w := dev.writes[0]
		dev.mu.Unlock()
		if len(w) != 160 || string(w) != string(raw) {
			t.Fatalf("law %d: wrote %d bytes, want the 160 encoded", law, len(w))
		}
	}
}

func TestDAHDI_DialSeizesAndWaitsForDialComplete(t *testing.T) {
	d, dev := openFake(t, g711.Alaw)
	done := make(chan error, 1)
	go func() { done <- d.Dial(context.Background(), "13800138000", "") }()
	// The driver reports completion only after the digits went out.
	for {
		dev.mu.Lock()
		n := len(dev.dials)
		dev.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	dev.event(dahdiEventDialComplete)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if dev.dials[0] != "T13800138000" {
		t.Fatalf("dial string %q", dev.dials[0])
	}
	if err := d.Dial(context.Background(), "1", ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Dial = %v", err)
	}
	dev.event(dahdiEventPolarity)
	if e := nextEvent(t, d.Events()); e.Kind != EventAnswer {
		t.Fatalf("event %v, want answer", e.Kind)
	}
}

func TestDAHDI_DetectsDigitsInBandWithoutHardwareDetector(t *testing.T) {
	dev := newFakeDevice()
	dev.noToneDetect = true
	d, err := newDAHDI("dahdi:1", dev, g711.Alaw, time.Now, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	row, col, err := dtmf.Tones('7')
	if err != nil {
		t.Fatal(err)
	}
	// 100 ms of the digit, then 100 ms of silence, as A-law chunks.
	for n := range 10 {
		var f [chunk]int16
		for i := range f {
			if n < 5 {
				k := float64(n*chunk + i)
				f[i] = int16(6000*math.Sin(2*math.Pi*row*k/8000) + 6000*math.Sin(2*math.Pi*col*k/8000))
			}
		}
		raw := make([]byte, chunk)
		g711.EncodeAlaw(raw, f[:])
		dev.audio(raw)
	}
	if e := nextEvent(t, d.Events()); e.Kind != EventDigit || e.Digit != '7' {
		t.Fatalf("event %+v, want digit 7", e)
	}
}

func TestDAHDI_DialOpLayoutMatchesKernelStruct(t *testing.T) {
	if n := unsafe.Sizeof(dialOp{}); n != 260 {
		t.Fatalf("sizeof(dahdi_dialoperation) = %d, want 260", n)
	}
}

func TestOpenDAHDI_NoHardware(t *testing.T) {
	if _, err := OpenDAHDI(1, WithDir(filepath.Join(t.TempDir(), "dahdi"))); !errors.Is(err, ErrNoHardware) {
		t.Fatalf("OpenDAHDI = %v, want ErrNoHardware", err)
	}
}

// With a directory that exists but whose "channel" is an ordinary file,
// the real open path runs: the file opens, DAHDI_SPECIFY is refused
// (ENOTTY) and the error says so instead of claiming there is no
// hardware.
func TestOpenDAHDI_SpecifyFailsOnANonDAHDIFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "channel"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDAHDI(7, WithDir(dir))
	if err == nil || errors.Is(err, ErrNoHardware) || !errors.Is(err, syscall.ENOTTY) ||
		!strings.Contains(err.Error(), "DAHDI_SPECIFY 7") {
		t.Fatalf("OpenDAHDI = %v", err)
	}
	if _, err := OpenDAHDI(7, WithDir(t.TempDir())); !errors.Is(err, ErrNoHardware) {
		t.Fatalf("directory without a channel node: %v", err)
	}
}

// frameSink collects what a listener hears.
type frameSink struct{ frames chan media.Frame }

func (s frameSink) WriteFrame(f *media.Frame) error { s.frames <- *f; return nil }

func TestDAHDI_ListenerHearsEveryFrameBesideTheReader(t *testing.T) {
	d, dev := openFake(t, g711.Alaw)
	sink := frameSink{frames: make(chan media.Frame, 16)}
	stop := d.Listen(sink)
	raw := make([]byte, chunk)
	for i := range 3 {
		for j := range raw {
			raw[j] = byte(i*50 + j%7)
		}
		dev.audio(raw)
		var read, heard media.Frame
		if err := d.Media().Reader().ReadFrame(&read); err != nil {
			t.Fatal(err)
		}
		select {
		case heard = <-sink.frames:
		case <-time.After(10 * time.Second):
			t.Fatalf("frame %d: the listener heard nothing", i)
		}
		if read != heard {
			t.Fatalf("frame %d: the listener heard another frame than the reader", i)
		}
	}
	stop()
	stop() // idempotent
	dev.audio(raw)
	var f media.Frame
	if err := d.Media().Reader().ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink.frames:
		t.Fatal("a stopped listener still hears the line")
	default:
	}
	d.lmu.Lock()
	n := len(d.listeners)
	d.lmu.Unlock()
	if n != 0 {
		t.Fatalf("%d listeners left after stop", n)
	}
}
