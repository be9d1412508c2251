package queue_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
)

// BenchmarkReach_ConsultationAnsweredAndEnded measures what a
// consultation of a queue costs the box: Reach joins the dispatcher,
// the offer rings an (in-memory) phone that answers at once, the agent
// is on the call, their leg ends and they go through wrap-up. 8 agents,
// one consultation after another.
func BenchmarkReach_ConsultationAnsweredAndEnded(b *testing.B) {
	var n atomic.Int64
	dial := func(ctx context.Context, ext string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
		return newMemLeg("agent-"+strconv.FormatInt(n.Add(1), 10), ext), nil
	}
	live, err := queue.NewLive(queue.WithDial(dial), queue.WithLiveLogger(quiet()))
	if err != nil {
		b.Fatal(err)
	}
	d := live.Dispatcher()
	cfg := queue.Config{Name: "support"}
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
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { <-ctx.Done(); return nil }, acd.WithLogger(quiet()))
	defer func() {
		now, cancel := context.WithCancel(context.Background())
		cancel()
		_ = sw.Shutdown(now)
	}()
	call, err := sw.Accept(newMemLeg("cust", "13800000009"), "100")
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		leg, got, err := live.Reach(ctx, queue.ReachRequest{Queue: "support", Call: call})
		if err != nil {
			b.Fatal(err)
		}
		_ = leg.Hangup(acd.CauseNormalClearing)
		// The watch reports the hang-up; end the wrap-up so the agent is
		// free for a later round.
		for {
			s, _ := d.Agent(got.Agent)
			if s.State == agent.WrapUp || s.State == agent.Available {
				break
			}
			runtime.Gosched()
		}
		_ = d.EndWrapUp(got.Agent)
	}
}
