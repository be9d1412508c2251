package prompt

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/media"
)

// fakeClock hands out tickers the test drives by hand and counts them.
type fakeClock struct {
	made atomic.Int32
	c    chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{c: make(chan time.Time)} }

func (f *fakeClock) NewTicker(time.Duration) Ticker {
	f.made.Add(1)
	return fakeTicker{f.c}
}

type fakeTicker struct{ c chan time.Time }

func (t fakeTicker) C() <-chan time.Time { return t.c }
func (t fakeTicker) Stop()               {}

// counted yields n frames whose first sample is the frame number.
type counted struct{ n, i int }

func (c *counted) ReadFrame(f *media.Frame) error {
	if c.i == c.n {
		return io.EOF
	}
	f[0] = int16(c.i)
	c.i++
	return nil
}

// sink records the first sample of every frame written.
type sink struct {
	mu  sync.Mutex
	got []int16
}

func (s *sink) WriteFrame(f *media.Frame) error {
	s.mu.Lock()
	s.got = append(s.got, f[0])
	s.mu.Unlock()
	return nil
}

func (s *sink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func startPacer(t *testing.T, clk Clock) *Pacer {
	t.Helper()
	p := NewPacer(clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// waitPlaying ticks nothing; it waits for Play calls to register.
func waitPlaying(t *testing.T, p *Pacer, n int) {
	t.Helper()
	for p.Playing() != n {
		time.Sleep(time.Millisecond)
	}
}

func TestPacer_OneTickerServesManyPlayers(t *testing.T) {
	clk := newFakeClock()
	p := startPacer(t, clk)
	const players = 200
	sinks := make([]*sink, players)
	results := make([]Result, players)
	errs := make([]error, players)
	var wg sync.WaitGroup
	for i := range players {
		sinks[i] = &sink{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = p.Play(context.Background(), &counted{n: 1 + i%10}, sinks[i])
		}()
	}
	waitPlaying(t, p, players)
	// Ten ticks play ten frames each; the eleventh finds every source ended.
	for range 11 {
		clk.c <- time.Time{}
	}
	wg.Wait()
	if clk.made.Load() != 1 {
		t.Fatalf("%d tickers for %d players, want 1", clk.made.Load(), players)
	}
	for i := range players {
		want := 1 + i%10
		if errs[i] != nil || results[i].Frames != want || sinks[i].len() != want {
			t.Fatalf("player %d: %+v %v, %d frames written, want %d", i, results[i], errs[i], sinks[i].len(), want)
		}
		for k, v := range sinks[i].got {
			if int(v) != k {
				t.Fatalf("player %d frame %d out of order", i, k)
			}
		}
	}
	if p.Playing() != 0 {
		t.Fatalf("%d players left", p.Playing())
	}
}

func TestPacer_KeyPressBargesInAndStopsWriting(t *testing.T) {
	clk := newFakeClock()
	p := startPacer(t, clk)
	digits := make(chan byte, 1)
	s := &sink{}
	done := make(chan Result)
	go func() {
		r, err := p.Play(context.Background(), &counted{n: 1000}, s, WithBargeIn(digits))
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	waitPlaying(t, p, 1)
	for range 3 {
		clk.c <- time.Time{}
	}
	digits <- '5'
	r := <-done
	// The third tick may still be in the loop when the key arrives.
	if r.Digit != '5' || r.Frames < 2 {
		t.Fatalf("result %+v", r)
	}
	n := s.len()
	for range 5 {
		clk.c <- time.Time{}
	}
	if s.len() != n {
		t.Fatal("frames written after Play returned")
	}
}

func TestPacer_NoBargeInIgnoresKeys(t *testing.T) {
	clk := newFakeClock()
	p := startPacer(t, clk)
	done := make(chan Result)
	go func() {
		r, _ := p.Play(context.Background(), &counted{n: 3}, &sink{})
		done <- r
	}()
	waitPlaying(t, p, 1)
	for range 4 {
		clk.c <- time.Time{}
	}
	if r := <-done; r.Frames != 3 || r.Digit != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestPacer_HangUpEndsPlayback(t *testing.T) {
	clk := newFakeClock()
	p := startPacer(t, clk)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := p.Play(ctx, &counted{n: 1000}, &sink{})
		errc <- err
	}()
	waitPlaying(t, p, 1)
	clk.c <- time.Time{}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestPacer_PlaysShippedPromptAtRealTime(t *testing.T) {
	p := startPacer(t, RealClock{})
	lib := NewLibrary("")
	seq := lib.Sequence("en", "digit-1")
	defer seq.Close()
	s := &sink{}
	r, err := p.Play(context.Background(), seq, s)
	if err != nil || r.Frames == 0 || r.Frames != s.len() {
		t.Fatalf("%+v %v, sink %d", r, err, s.len())
	}
}

func BenchmarkPacerTick1000(b *testing.B) {
	p := NewPacer(newFakeClock(), nil)
	for range 1000 {
		pl := &player{src: media.FrameReaderFunc(func(*media.Frame) error { return nil }), dst: media.FrameWriterFunc(func(*media.Frame) error { return nil }), done: make(chan struct{})}
		p.players[pl] = struct{}{}
	}
	b.ReportAllocs()
	for b.Loop() {
		p.tick(1)
	}
}

func TestPacer_CatchesUpAfterDroppedTicks(t *testing.T) {
	clk := newFakeClock()
	p := startPacer(t, clk)
	s := &sink{}
	done := make(chan Result)
	go func() {
		r, _ := p.Play(context.Background(), &counted{n: 1000}, s)
		done <- r
	}()
	waitPlaying(t, p, 1)
	t0 := time.Unix(1000, 0)
	// A tick, then the next arrives 60 ms later (two were dropped), then
	// one 10 s later (a stall: capped), then a regular one.
	for _, at := range []time.Duration{0, 60 * time.Millisecond, 10060 * time.Millisecond, 10080 * time.Millisecond} {
		clk.c <- t0.Add(at)
	}
	// The loop takes the next tick only after finishing the last; the
	// sync tick itself may or may not have played yet.
	clk.c <- t0.Add(10100 * time.Millisecond)
	if got, want := s.len(), 1+3+maxCatchUp+1; got != want && got != want+1 {
		t.Fatalf("%d frames played, want %d", got, want)
	}
}
