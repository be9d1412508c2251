package queue_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
	"callbox/media"
)

// memLeg is a leg without media, for measuring the live side alone.
type memLeg struct {
	id    string
	party acd.Party
	done  chan struct{}
	once  sync.Once
}

func newMemLeg(id, number string) *memLeg {
	return &memLeg{id: id, party: acd.Party{Number: number, Source: acd.SourceTrunk}, done: make(chan struct{})}
}

func (l *memLeg) ID() string                   { return l.id }
func (l *memLeg) Caller() acd.Party            { return l.party }
func (l *memLeg) Answer(context.Context) error { return nil }
func (l *memLeg) Media() media.Endpoint        { return nil }
func (l *memLeg) Done() <-chan struct{}        { return l.done }
func (l *memLeg) Hangup(acd.Cause) error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// BenchmarkLive_QueueCallToAgentAndBack measures what the live side adds
// to a call: Wait joins, the dispatcher offers, the agent's (in-memory)
// phone answers at once and hangs up, the bridge ends and the call is
// counted. 8 agents, calls one after another.
func BenchmarkLive_QueueCallToAgentAndBack(b *testing.B) {
	var n atomic.Int64
	dial := func(ctx context.Context, ext string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
		l := newMemLeg("agent-"+strconv.FormatInt(n.Add(1), 10), ext)
		l.Hangup(acd.CauseNormalClearing) // talks for no time at all
		return l, nil
	}
	live, err := queue.NewLive(queue.WithDial(dial), queue.WithLiveLogger(quiet()))
	if err != nil {
		b.Fatal(err)
	}
	d := live.Dispatcher()
	cfg := queue.Config{Name: "sales"}
	for i := range 8 {
		id := strconv.Itoa(101 + i)
		cfg.Members = append(cfg.Members, queue.Member{Agent: id})
		d.SetAgent(agent.Profile{ID: id, Name: id})
		if err := d.Login(id, strconv.Itoa(201+i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.SetQueue(cfg); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = live.Run(ctx) })
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		return live.Wait(ctx, c, queue.Request{Queue: "sales"})
	}, acd.WithLogger(quiet()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		leg := newMemLeg("caller-"+strconv.Itoa(i), "13800000000")
		if _, err := sw.Accept(leg, "500"); err != nil {
			b.Fatal(err)
		}
		<-leg.done
	}
	b.StopTimer()
	_ = sw.Shutdown(context.Background())
	cancel()
	wg.Wait()
	s, _ := d.Snapshot("sales")
	if s.Day.Answered != b.N {
		b.Fatalf("answered %d of %d", s.Day.Answered, b.N)
	}
}
