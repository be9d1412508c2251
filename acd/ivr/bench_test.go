package ivr

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"callbox/acd/hours"
)

// BenchmarkRun_DemoToSales runs the demo flow from the language menu to
// the sales queue: the per-call cost of the engine without media.
func BenchmarkRun_DemoToSales(b *testing.B) {
	sched, err := hours.FromStore(DemoHours(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := Parse(DemoFlow("http://127.0.0.1:1/orders"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := Compile(doc, DemoFlowID, 1, Checks{})
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(WithHours(func(string) (*hours.Schedule, bool) { return sched, true }),
		WithClock(func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Run(ctx, f, newFakeCall("1", "1"), Input{ANI: "13800001111"})
		if err != nil || res.End != EndServed {
			b.Fatal(res.End, err)
		}
	}
}

// BenchmarkPublish_Demo parses, validates and compiles the demo flow.
func BenchmarkPublish_Demo(b *testing.B) {
	data := DemoFlow("http://127.0.0.1:1/orders")
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(doc, DemoFlowID, 1, Checks{}); err != nil {
			b.Fatal(err)
		}
	}
}
