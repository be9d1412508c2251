package gpio

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for pattern timing.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func newSimBoard(t *testing.T, clock *fakeClock) (*Board, *SimChip) {
	t.Helper()
	chip := NewSimChip("test")
	b, err := Open(chip, DefaultLayout, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, chip
}

func TestPattern_ActiveFollowsStepsAndHolds(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		p     Pattern
		at    time.Duration
		lit   bool
		holds time.Duration
	}{
		{On, 0, true, 0},
		{On, time.Hour, true, 0},
		{Off, 5 * ms, false, 0},
		{Blink, 0, true, 500 * ms},
		{Blink, 499 * ms, true, 1 * ms},
		{Blink, 500 * ms, false, 500 * ms},
		{Blink, 1000 * ms, true, 500 * ms},
		{Blink, -3 * ms, true, 500 * ms},
		{Heartbeat, 120 * ms, false, 130 * ms},
		{Heartbeat, 260 * ms, true, 90 * ms},
		{Heartbeat, 400 * ms, false, 600 * ms},
		{FastBlink, 1050 * ms, true, 50 * ms},
		{Pattern{Name: "broken", Steps: []time.Duration{0, -1}}, 7 * ms, false, 0},
	}
	for _, c := range cases {
		lit, holds := c.p.Active(c.at)
		if lit != c.lit || holds != c.holds {
			t.Errorf("%s at %v: got lit=%v holds=%v, want %v %v", c.p.Name, c.at, lit, holds, c.lit, c.holds)
		}
	}
}

func TestLayout_ValidateRejectsAmbiguousBoards(t *testing.T) {
	if err := DefaultLayout.Validate(); err != nil {
		t.Fatalf("default layout: %v", err)
	}
	bad := []Layout{
		{Lines: []LineSpec{{Kind: KindLED}}},
		{Lines: []LineSpec{{Name: "x", Kind: "lamp"}}},
		{Lines: []LineSpec{{Name: "x", Kind: KindLED, Offset: 1}, {Name: "x", Kind: KindRelay, Offset: 2}}},
		{Lines: []LineSpec{{Name: "a", Kind: KindLED, Offset: 1}, {Name: "b", Kind: KindRelay, Offset: 1}}},
		{Lines: []LineSpec{{Name: "a", Kind: KindLED, Offset: -1}}},
		{Lines: []LineSpec{{Name: "a", Kind: KindLED, Line: "L"}, {Name: "b", Kind: KindLED, Line: "L"}}},
	}
	for i, l := range bad {
		if err := l.Validate(); !errors.Is(err, ErrBadLayout) {
			t.Errorf("layout %d: got %v, want ErrBadLayout", i, err)
		}
	}
}

func TestBoard_LEDPatternDrivesLineOnlyOnChanges(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b, chip := newSimBoard(t, clock)
	led, err := b.LED("status")
	if err != nil {
		t.Fatal(err)
	}
	if err := led.Set(Blink); err != nil {
		t.Fatal(err)
	}
	if lit, _ := chip.Active("status"); !lit {
		t.Fatal("blink should light at once")
	}
	writes := chip.Writes()
	next, err := b.refresh(clock.Add(100 * time.Millisecond))
	if err != nil || next != 400*time.Millisecond {
		t.Fatalf("refresh: next=%v err=%v", next, err)
	}
	if chip.Writes() != writes {
		t.Fatal("an unchanged level was written again")
	}
	if _, err := b.refresh(clock.Add(400 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if lit, _ := chip.Active("status"); lit {
		t.Fatal("blink should be dark in its second half")
	}
	if err := led.Set(On); err != nil {
		t.Fatal(err)
	}
	if next, _ := b.refresh(clock.Add(time.Hour)); next != 0 {
		t.Fatalf("steady LEDs should need no wake-up, got %v", next)
	}
	if led.Pattern().Name != "on" {
		t.Fatalf("pattern %q", led.Pattern().Name)
	}
}

func TestBoard_RunBlinksUntilCancelled(t *testing.T) {
	chip := NewSimChip("test")
	b, err := Open(chip, DefaultLayout)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	led, _ := b.LED("lines")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	if err := led.Set(FastBlink); err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until the LED has gone dark and lit again by itself.
	seen := map[bool]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(seen) < 2 || chip.Writes() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("LED did not blink: seen %v, writes %d", seen, chip.Writes())
		}
		lit, _ := chip.Active("lines")
		seen[lit] = true
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestBoard_ButtonEdgesArriveInOrder(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b, chip := newSimBoard(t, clock)
	if err := chip.Press("reset"); err != nil {
		t.Fatal(err)
	}
	if err := chip.Press("reset"); err != nil { // no change, no edge
		t.Fatal(err)
	}
	btn, _ := b.Button("reset")
	if p, err := btn.Pressed(); err != nil || !p {
		t.Fatalf("Pressed: %v %v", p, err)
	}
	if err := chip.Release("reset"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []bool{true, false} {
		e := <-b.Events()
		if e.Name != "reset" || e.Pressed != want || !e.At.Equal(clock.Now()) {
			t.Fatalf("edge %+v, want pressed=%v", e, want)
		}
	}
	select {
	case e := <-b.Events():
		t.Fatalf("unexpected edge %+v", e)
	default:
	}
	if err := chip.Press("status"); !errors.Is(err, ErrNoLine) {
		t.Fatalf("pressing an LED: %v", err)
	}
	if high, _ := chip.Level("reset"); !high {
		t.Fatal("an active-low button at rest reads high")
	}
}

func TestBoard_DropsEdgesNobodyReads(t *testing.T) {
	b, chip := newSimBoard(t, &fakeClock{})
	for range eventBuffer {
		chip.Press("reset")
		chip.Release("reset")
	}
	if b.Dropped() != eventBuffer {
		t.Fatalf("dropped %d, want %d", b.Dropped(), eventBuffer)
	}
}

func TestBoard_RelayAndStateForStatusPage(t *testing.T) {
	b, chip := newSimBoard(t, &fakeClock{t: time.Unix(5, 0)})
	r, err := b.Relay("bypass")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set(true); err != nil || !r.Closed() {
		t.Fatalf("Set: %v closed=%v", err, r.Closed())
	}
	if a, _ := chip.Active("bypass"); !a {
		t.Fatal("relay line not driven")
	}
	led, _ := b.LED("status")
	led.Set(Heartbeat)
	got := b.Summary()
	want := "button reset=released, led lines=off, led status=heartbeat, relay bypass=closed"
	if got != want {
		t.Fatalf("Summary:\n got %q\nwant %q", got, want)
	}
	if _, err := b.Relay("status"); !errors.Is(err, ErrNoLine) {
		t.Fatalf("an LED is not a relay: %v", err)
	}
	if _, err := b.LED("nope"); !errors.Is(err, ErrNoLine) {
		t.Fatal(err)
	}
	if _, err := b.Button("nope"); !errors.Is(err, ErrNoLine) {
		t.Fatal(err)
	}
}

func TestBoard_CloseReleasesLinesAndStopsWrites(t *testing.T) {
	chip := NewSimChip("test")
	b, err := Open(chip, DefaultLayout)
	if err != nil {
		t.Fatal(err)
	}
	led, _ := b.LED("status")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := chip.Active("status"); ok {
		t.Fatal("line still requested after Close")
	}
	if err := led.Set(On); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if err := b.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}

// failingChip refuses the n-th request.
type failingChip struct {
	*SimChip
	n, calls int
}

func (c *failingChip) Output(spec LineSpec, active bool) (Output, error) {
	if c.calls++; c.calls == c.n {
		return nil, errors.New("line busy")
	}
	return c.SimChip.Output(spec, active)
}

func TestOpen_ReleasesEarlierLinesWhenOneFails(t *testing.T) {
	chip := &failingChip{SimChip: NewSimChip("test"), n: 3}
	_, err := Open(chip, DefaultLayout)
	if err == nil || !strings.Contains(err.Error(), `relay line "bypass"`) {
		t.Fatalf("got %v", err)
	}
	if _, ok := chip.Active("status"); ok {
		t.Fatal("earlier line left requested")
	}
}

type fakeLookup struct {
	names map[string]int
	n     int
}

func (f fakeLookup) FindLine(name string) (int, error) {
	if off, ok := f.names[name]; ok {
		return off, nil
	}
	return 0, errNotFoundLikeKernel
}
func (f fakeLookup) Lines() int { return f.n }

func TestResolve_MapsLineNamesAndOffsets(t *testing.T) {
	chip := fakeLookup{names: map[string]int{"CALLBOX_LED": 5}, n: 32}
	if off, err := resolve(chip, LineSpec{Name: "s", Line: "CALLBOX_LED", Offset: 9}); err != nil || off != 5 {
		t.Fatalf("by name: %d %v", off, err)
	}
	if off, err := resolve(chip, LineSpec{Name: "s", Offset: 31}); err != nil || off != 31 {
		t.Fatalf("by offset: %d %v", off, err)
	}
	if _, err := resolve(chip, LineSpec{Name: "s", Offset: 32}); !errors.Is(err, ErrNoLine) {
		t.Fatalf("offset past the chip: %v", err)
	}
	if _, err := resolve(chip, LineSpec{Name: "s", Line: "MISSING"}); !errors.Is(err, ErrNoLine) {
		t.Fatalf("missing name: %v", err)
	}
}

func TestOpenChip_FailsWithoutDevice(t *testing.T) {
	_, err := OpenChip(filepath.Join(t.TempDir(), "gpiochip0"))
	if !errors.Is(err, ErrNoChip) {
		t.Fatalf("got %v", err)
	}
	notDev := filepath.Join(t.TempDir(), "gpiochip0")
	os.WriteFile(notDev, nil, 0o600)
	if _, err := OpenChip(notDev); !errors.Is(err, ErrNoChip) {
		t.Fatalf("regular file: %v", err)
	}
}

func TestProbe_FallsBackToSimulatorAndSaysWhy(t *testing.T) {
	empty := t.TempDir()
	b, err := Probe(context.Background(), ProbeConfig{Layout: DefaultLayout, DevDir: empty})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Chip().Simulated() || !strings.Contains(b.Note(), "no gpiochip device") {
		t.Fatalf("simulated=%v note=%q", b.Chip().Simulated(), b.Note())
	}

	fake := t.TempDir()
	os.WriteFile(filepath.Join(fake, "gpiochip10"), nil, 0o600)
	os.WriteFile(filepath.Join(fake, "gpiochip2"), nil, 0o600)
	b2, err := Probe(context.Background(), ProbeConfig{Layout: DefaultLayout, DevDir: fake})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if !b2.Chip().Simulated() || !strings.Contains(b2.Note(), "gpiochip2") {
		t.Fatalf("should try the lowest chip and fall back: %q", b2.Note())
	}

	if _, err := Probe(context.Background(), ProbeConfig{Layout: Layout{Lines: []LineSpec{{}}}}); !errors.Is(err, ErrBadLayout) {
		t.Fatalf("bad layout: %v", err)
	}
}
