package cti

import (
	"context"
	"fmt"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// benchRig is a hub over a store with n customers, each with one past
// call, and the built-in directory.
func benchRig(b *testing.B, n int) *rig {
	b.Helper()
	late := &lateLookup{}
	r := newRigTB(b, Config{Lookup: late})
	recs := make([]store.Record, 0, 2*n)
	for i := range n {
		num := fmt.Sprintf("+86138%08d", i)
		recs = append(recs, store.Customer{ID: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("Customer %d", i), Numbers: []string{num}},
			store.Contact{ID: fmt.Sprintf("k%06d", i), Number: num, Channel: store.ChannelCall, Direction: store.DirectionIn, At: t0})
	}
	if _, err := store.PutAll(r.st, recs...); err != nil {
		b.Fatal(err)
	}
	late.l = builtinDirectory(b, r.st, nil)
	return r
}

// BenchmarkHub_Offered is one screen pop: lookup (cached after the first
// offer of a number), history scan, script, publish to one subscriber.
func BenchmarkHub_Offered(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			r := benchRig(b, n)
			ctx := context.Background()
			ch, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
			go func() {
				for range ch {
				}
			}()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r.hub.Offered(ctx, OfferInfo{CallID: fmt.Sprintf("call-%d", i), Agent: "11",
					Caller: acd.Party{Number: fmt.Sprintf("+86138%08d", i%n)}})
			}
		})
	}
}

// BenchmarkHub_CallerName is the desk-phone name of a caller whose lookup
// is cached by the directory.
func BenchmarkHub_CallerName(b *testing.B) {
	r := benchRig(b, 1000)
	ctx := context.Background()
	r.hub.CallerName(ctx, "+8613800000007")
	for b.Loop() {
		if name, _ := r.hub.CallerName(ctx, "+8613800000007"); name == "" {
			b.Fatal("no name")
		}
	}
}

// BenchmarkStream_Publish fans one event out to 100 agents' streams
// (each sees its own) and 5 supervisors.
func BenchmarkStream_Publish(b *testing.B) {
	s := newStream(1024, uint64(time.Now().UnixMicro()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 105 {
		f := Filter{Agent: fmt.Sprint(i)}
		if i >= 100 {
			f = Filter{All: true}
		}
		ch, _ := s.subscribe(ctx, f, 0)
		go func() {
			for range ch {
			}
		}()
	}
	data := []byte(`{"agent":"7","to":"available"}`)
	i := 0
	for b.Loop() {
		s.publish(Event{Type: EventAgentState, Agent: fmt.Sprint(i % 100), Data: data})
		i++
	}
}
