package acd

import (
	"context"
	"testing"
)

func TestBus_EverySubscriberSeesPublishOrder(t *testing.T) {
	b := NewBus()
	a := b.Subscribe(t.Context())
	c := b.Subscribe(t.Context())
	for i := range 100 {
		b.Publish(QueueJoined{Queue: "sales", Position: i})
	}
	for _, ch := range []<-chan Event{a, c} {
		for i := range 100 {
			e := recv(t, ch).(QueueJoined)
			if e.Position != i || e.M.Seq != uint64(i+1) {
				t.Fatalf("event %d: position %d seq %d", i, e.Position, e.M.Seq)
			}
		}
	}
}

func TestBus_SlowSubscriberDropsWithoutBlocking(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(t.Context(), WithBuffer(4), WithName("slow"))
	fast := b.Subscribe(t.Context(), WithBuffer(100), WithName("fast"))
	// Nobody reads slow: Publish must still return every time.
	for i := range 10 {
		b.Publish(AgentStateChanged{Agent: "201", To: AgentAvailable, Reason: string(rune('a' + i))})
	}
	stats := map[string]SubscriberStats{}
	for _, s := range b.Stats() {
		stats[s.Name] = s
	}
	if stats["slow"].Dropped != 6 || stats["fast"].Dropped != 0 {
		t.Fatalf("stats %+v", stats)
	}
	// The slow one kept the oldest four; the gap shows in Seq.
	for want := uint64(1); want <= 4; want++ {
		if got := recv(t, slow).Meta().Seq; got != want {
			t.Fatalf("slow got seq %d, want %d", got, want)
		}
	}
	b.Publish(QueueLeft{Queue: "sales"})
	if got := recv(t, slow).Meta().Seq; got != 11 {
		t.Fatalf("after the gap seq %d, want 11", got)
	}
	if n := len(fast); n != 11 {
		t.Fatalf("fast holds %d events", n)
	}
}

func TestBus_ChannelClosesWhenContextEnds(t *testing.T) {
	b := NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Subscribe(ctx)
	cancel()
	for range ch {
	}
	if len(b.Stats()) != 0 {
		t.Fatal("subscriber still registered")
	}
	b.Publish(CallRinging{}) // nobody left; must not panic on the closed channel
	b.Close()
	if _, ok := <-b.Subscribe(context.Background()); ok {
		t.Fatal("subscribe after Close got an open channel")
	}
}
