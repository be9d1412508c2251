package acd

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultBuffer is a subscriber's queue length unless it asks otherwise.
const DefaultBuffer = 256

// Bus is the one in-process event bus. Publish never blocks: each
// subscriber has a bounded buffer, and when it is full the event is
// dropped for that subscriber alone and counted. Every subscriber sees
// the events it gets in publish order.
type Bus struct {
	now func() time.Time
	log *slog.Logger

	mu     sync.Mutex
	seq    uint64
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	name    string
	ch      chan Event
	dropped uint64
	stop    func() bool
}

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithBusClock sets the clock that stamps events.
func WithBusClock(now func() time.Time) BusOption { return func(b *Bus) { b.now = now } }

// WithBusLogger sets the logger that reports drops.
func WithBusLogger(l *slog.Logger) BusOption { return func(b *Bus) { b.log = l } }

// NewBus makes an empty bus.
func NewBus(opts ...BusOption) *Bus {
	b := &Bus{now: time.Now, log: slog.Default(), subs: map[*subscriber]struct{}{}}
	for _, o := range opts {
		o(b)
	}
	return b
}

// SubscribeOption configures one subscription.
type SubscribeOption func(*subscriber)

// WithBuffer sets the subscriber's queue length (default DefaultBuffer).
func WithBuffer(n int) SubscribeOption {
	return func(s *subscriber) {
		if n > 0 {
			s.ch = make(chan Event, n)
		}
	}
}

// WithName names the subscriber in Stats and drop logs.
func WithName(name string) SubscribeOption { return func(s *subscriber) { s.name = name } }

// Subscribe returns a channel of every event published from now on. The
// channel is closed when ctx ends or the bus closes. A subscriber that
// falls behind by more than its buffer loses events (Stats counts them;
// Meta.Seq shows the gap).
func (b *Bus) Subscribe(ctx context.Context, opts ...SubscribeOption) <-chan Event {
	s := &subscriber{name: "anonymous"}
	for _, o := range opts {
		o(s)
	}
	if s.ch == nil {
		s.ch = make(chan Event, DefaultBuffer)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch
	}
	b.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, func() { b.remove(s) })
	return s.ch
}

func (b *Bus) remove(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	close(s.ch)
}

// Publish stamps e with the next sequence number and the time, and
// queues it for every subscriber without waiting. It returns the stamped
// event.
func (b *Bus) Publish(e Event) Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	e = e.stamp(Meta{Seq: b.seq, At: b.now()})
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped++
			// Log the first drop and then every 1000th, so a stuck
			// subscriber is visible without flooding the log.
			if s.dropped == 1 || s.dropped%1000 == 0 {
				b.log.Warn("event bus: subscriber too slow, events dropped",
					"subscriber", s.name, "dropped", s.dropped)
			}
		}
	}
	return e
}

// SubscriberStats describes one subscriber for the status page.
type SubscriberStats struct {
	Name    string `json:"name"`
	Queued  int    `json:"queued"`
	Buffer  int    `json:"buffer"`
	Dropped uint64 `json:"dropped"`
}

// Stats lists the current subscribers, with their drops.
func (b *Bus) Stats() []SubscriberStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]SubscriberStats, 0, len(b.subs))
	for s := range b.subs {
		out = append(out, SubscriberStats{Name: s.name, Queued: len(s.ch), Buffer: cap(s.ch), Dropped: s.dropped})
	}
	slices.SortFunc(out, func(a, b SubscriberStats) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Seq is the sequence number of the last published event.
func (b *Bus) Seq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// Close closes every subscriber's channel; later Subscribe calls get a
// closed channel and Publish reaches nobody.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		s.stop()
		delete(b.subs, s)
		close(s.ch)
	}
}
