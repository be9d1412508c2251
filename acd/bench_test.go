package acd

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkSwitch_CallLifecycle measures one call through the switch:
// accept, handler goroutine, answer, bridge to a second leg that hangs
// up, hang-up of the caller and the CallEnded event.
func BenchmarkSwitch_CallLifecycle(b *testing.B) {
	quiet := slog.New(slog.DiscardHandler)
	bus := NewBus(WithBusLogger(quiet))
	sw := NewSwitch(func(ctx context.Context, c *Call) error {
		other := newLeg(c.ID()+"-b", "201", SourceExtension)
		other.farEnd(CauseNormalClearing)
		return c.Bridge(ctx, other)
	}, WithBus(bus), WithLogger(quiet))
	ch := bus.Subscribe(context.Background(), WithBuffer(64))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c, err := sw.Accept(newLeg(fmt.Sprint(i), "100", SourceLine), "201")
		if err != nil {
			b.Fatal(err)
		}
		for e := range ch {
			if end, ok := e.(CallEnded); ok && end.Call.ID == c.ID() {
				break
			}
		}
	}
	hangUpAll(sw)
}

// BenchmarkBus_Publish measures publishing to four subscribers that keep
// up.
func BenchmarkBus_Publish(b *testing.B) {
	bus := NewBus(WithBusLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 4 {
		ch := bus.Subscribe(ctx, WithBuffer(1024))
		go func() {
			for range ch {
			}
		}()
	}
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(QueueJoined{Queue: "sales", CallID: "x", Position: 1})
	}
}
