package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"callbox/media"
)

// Ticker is the part of time.Ticker the pacer uses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Clock makes tickers; tests inject one they drive by hand.
type Clock interface {
	NewTicker(d time.Duration) Ticker
}

// RealClock is the wall clock.
type RealClock struct{}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// NewTicker returns a time.Ticker.
func (RealClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

// Pacer plays any number of prompts at real time from one loop: each tick
// of one 20 ms ticker moves every player on by one frame. A thousand calls
// hearing announcements cost one timer, not a thousand, and their frames
// leave in one burst per tick that the RTP layer can batch.
type Pacer struct {
	clock Clock
	log   *slog.Logger

	mu      sync.Mutex
	players map[*player]struct{}
	batch   []*player // reused each tick
}

// NewPacer returns a pacer on clock (nil means RealClock). Run must be
// running for Play to make progress.
func NewPacer(clock Clock, log *slog.Logger) *Pacer {
	if clock == nil {
		clock = RealClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Pacer{clock: clock, log: log, players: map[*player]struct{}{}}
}

// maxCatchUp bounds the frames a player is moved on in one tick after the
// loop fell behind, so a long stall (a suspended VM) does not turn into a
// burst that overflows the far end's jitter buffer.
const maxCatchUp = 5

// Run is the pacing loop. It returns when ctx ends; players still playing
// then end with ctx's error. When the loop falls behind and the ticker
// drops ticks, the next tick moves every player on by the frames that were
// due, so playback keeps real time instead of stretching.
func (p *Pacer) Run(ctx context.Context) error {
	t := p.clock.NewTicker(media.FrameDuration)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			p.stopAll(ctx.Err())
			return ctx.Err()
		case now := <-t.C():
			p.tick(framesDue(last, now))
			last = now
		}
	}
}

// framesDue is how many 20 ms frames elapsed between two ticks: 1 unless
// ticks were dropped.
func framesDue(last, now time.Time) int {
	if last.IsZero() || !now.After(last) {
		return 1
	}
	n := int((now.Sub(last) + media.FrameDuration/2) / media.FrameDuration)
	return min(max(n, 1), maxCatchUp)
}

// Playing returns the number of players.
func (p *Pacer) Playing() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.players)
}

func (p *Pacer) tick(frames int) {
	p.mu.Lock()
	p.batch = p.batch[:0]
	for pl := range p.players {
		p.batch = append(p.batch, pl)
	}
	p.mu.Unlock()
	for _, pl := range p.batch {
		for range frames {
			pl.step()
		}
	}
	clear(p.batch) // do not keep finished players reachable
}

func (p *Pacer) stopAll(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pl := range p.players {
		pl.stop(err)
	}
}

// player is one playback the loop serves.
type player struct {
	mu      sync.Mutex
	src     media.FrameReader
	dst     media.FrameWriter
	frame   media.Frame
	frames  int
	stopped bool
	err     error
	done    chan struct{}
}

// step moves the player on by one frame. Holding mu while writing means
// that once stop returns, dst is never written again.
func (pl *player) step() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.stopped {
		return
	}
	err := pl.src.ReadFrame(&pl.frame)
	if err == nil {
		err = pl.dst.WriteFrame(&pl.frame)
		if err == nil {
			pl.frames++
			return
		}
		err = fmt.Errorf("prompt: write: %w", err)
	}
	pl.finish(err)
}

func (pl *player) stop(err error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.finish(err)
}

func (pl *player) finish(err error) {
	if pl.stopped {
		return
	}
	pl.stopped, pl.err = true, err
	close(pl.done)
}

// Result tells how a playback ended.
type Result struct {
	Frames int  // frames played
	Digit  byte // the key that interrupted it, 0 if none
}

// Duration is how much was played.
func (r Result) Duration() time.Duration { return time.Duration(r.Frames) * media.FrameDuration }

// PlayOption changes how Play behaves.
type PlayOption func(*playOptions)

type playOptions struct {
	digits <-chan byte
}

// WithBargeIn lets a key pressed during playback, received on digits (from
// the leg's RFC 4733 receiver or in-band detector), stop it. Play returns
// the digit in Result.Digit; it is consumed from the channel, so a menu
// that barges in must treat it as the caller's first choice.
func WithBargeIn(digits <-chan byte) PlayOption {
	return func(o *playOptions) { o.digits = digits }
}

// Play sends src to dst at real time and blocks until src ends (nil
// error), ctx ends (ctx's error), a key barges in (nil error, Result.Digit
// set), or reading or writing fails. dst is not written after Play
// returns.
func (p *Pacer) Play(ctx context.Context, src media.FrameReader, dst media.FrameWriter, opts ...PlayOption) (Result, error) {
	var o playOptions
	for _, fn := range opts {
		fn(&o)
	}
	pl := &player{src: src, dst: dst, done: make(chan struct{})}
	p.mu.Lock()
	p.players[pl] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.players, pl)
		p.mu.Unlock()
	}()

	var res Result
	var err error
	select {
	case <-pl.done:
	case <-ctx.Done():
		pl.stop(ctx.Err())
	case d := <-o.digits:
		pl.stop(nil)
		res.Digit = d
	}
	pl.mu.Lock()
	res.Frames, err = pl.frames, pl.err
	pl.mu.Unlock()
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return res, err
}
