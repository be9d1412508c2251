package queue_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/queue"
	"callbox/firmware/store"
)

// memRig is the live side on in-memory legs (no media): for the paths
// where no audio matters.
type memRig struct {
	live  *queue.Live
	sw    *acd.Switch
	ended chan acd.CallRecord
	errs  chan error
}

func startMemRig(t *testing.T, cfgs []queue.Config, opts ...queue.LiveOption) *memRig {
	t.Helper()
	never := func(ctx context.Context, ext string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
		<-ctx.Done()
		return nil, &acd.CauseError{Cause: acd.CauseNoAnswer, Err: ctx.Err()}
	}
	live, err := queue.NewLive(append([]queue.LiveOption{queue.WithDial(never), queue.WithLiveLogger(quiet())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	d := live.Dispatcher()
	d.SetAgent(agent.Profile{ID: "101", Name: "Li"})
	for _, c := range cfgs {
		if err := d.SetQueue(c); err != nil {
			t.Fatal(err)
		}
	}
	r := &memRig{live: live, ended: make(chan acd.CallRecord, 8), errs: make(chan error, 8)}
	bus := acd.NewBus()
	r.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		err := live.Wait(ctx, c, queue.Request{Queue: c.Dialed()})
		r.errs <- err
		return err
	}, acd.WithBus(bus), acd.WithLogger(quiet()))
	ctx, cancel := context.WithCancel(context.Background())
	events := bus.Subscribe(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = live.Run(ctx) })
	wg.Go(func() {
		for e := range events {
			if ce, ok := e.(acd.CallEnded); ok {
				r.ended <- ce.Call
			}
		}
	})
	t.Cleanup(func() {
		_ = r.sw.Shutdown(context.Background())
		cancel()
		wg.Wait()
	})
	return r
}

// memCaller is an in-memory caller leg that can press keys.
type memCaller struct {
	*memLeg
	keys chan byte
}

func (c memCaller) Digits() <-chan byte { return c.keys }

func (r *memRig) dial(t *testing.T, queueName string) memCaller {
	t.Helper()
	c := memCaller{memLeg: newMemLeg("caller", "13800000001"), keys: make(chan byte, 4)}
	if _, err := r.sw.Accept(c, queueName); err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *memRig) result(t *testing.T) (acd.CallRecord, error) {
	t.Helper()
	var err error
	select {
	case err = <-r.errs:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}
	select {
	case rec := <-r.ended:
		return rec, err
	case <-time.After(10 * time.Second):
		t.Fatal("call did not end")
	}
	return acd.CallRecord{}, err
}

func TestLiveUnit_JoinRefusedWithoutOverflowReturnsTheReason(t *testing.T) {
	r := startMemRig(t, []queue.Config{{Name: "sales", Members: []queue.Member{{Agent: "101"}}, JoinWhen: queue.LoggedIn}})
	r.dial(t, "sales")
	rec, err := r.result(t)
	if !errors.Is(err, queue.ErrNoAgents) {
		t.Errorf("Wait: %v, want ErrNoAgents", err)
	}
	if rec.Queue != "sales" {
		t.Errorf("record queue %q", rec.Queue)
	}
}

func TestLiveUnit_MaxWaitWithoutOverflowEndsWithNoService(t *testing.T) {
	r := startMemRig(t, []queue.Config{{Name: "sales", Members: []queue.Member{{Agent: "101"}}, MaxWait: 50 * time.Millisecond}})
	r.dial(t, "sales")
	rec, err := r.result(t)
	if !errors.Is(err, queue.ErrNoService) {
		t.Errorf("Wait: %v, want ErrNoService", err)
	}
	if c, ok := acd.CauseOf(err); !ok || c != acd.CauseNormalUnspecified {
		t.Errorf("cause %v", c)
	}
	if s, _ := r.live.Dispatcher().Snapshot("sales"); s.Day.Overflowed != 1 || rec.Cause != acd.CauseNormalUnspecified {
		t.Errorf("figures %+v, record cause %v", s.Day, rec.Cause)
	}
}

func TestLiveUnit_ExitKeyWithoutRouterFailsClearly(t *testing.T) {
	r := startMemRig(t, []queue.Config{{Name: "sales", Members: []queue.Member{{Agent: "101"}},
		ExitKeys: map[string]queue.Exit{"9": {Kind: queue.ExitVoicemail, Target: "201"}}}})
	c := r.dial(t, "sales")
	eventually(t, "waiting", func() bool { s, _ := r.live.Dispatcher().Snapshot("sales"); return s.Waiting == 1 })
	c.keys <- '5' // not an exit: nothing happens
	c.keys <- '9'
	_, err := r.result(t)
	if !errors.Is(err, queue.ErrNoRoute) {
		t.Errorf("Wait: %v, want ErrNoRoute", err)
	}
}

func TestLiveUnit_CallerHangsUpWhileWaitingIsAbandoned(t *testing.T) {
	r := startMemRig(t, []queue.Config{{Name: "sales", Members: []queue.Member{{Agent: "101"}}}})
	c := r.dial(t, "sales")
	eventually(t, "waiting", func() bool { s, _ := r.live.Dispatcher().Snapshot("sales"); return s.Waiting == 1 })
	c.Hangup(acd.CauseNormalClearing)
	rec, err := r.result(t)
	if !errors.Is(err, acd.ErrHungUp) {
		t.Errorf("Wait: %v, want ErrHungUp", err)
	}
	if rec.Disposition != acd.DispositionAbandoned {
		t.Errorf("disposition %q, want abandoned", rec.Disposition)
	}
	if s, _ := r.live.Dispatcher().Snapshot("sales"); s.Day.Abandoned != 1 || s.Waiting != 0 {
		t.Errorf("figures %+v waiting %d", s.Day, s.Waiting)
	}
}

func TestLiveUnit_UnansweredRingIsAMissAndTheCallWaitsOn(t *testing.T) {
	r := startMemRig(t, []queue.Config{{Name: "sales", Members: []queue.Member{{Agent: "101"}}, RingTime: 50 * time.Millisecond}})
	d := r.live.Dispatcher()
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	c := r.dial(t, "sales")
	eventually(t, "missed once", func() bool { s, _ := d.Agent("101"); return s.Counters.Missed >= 1 })
	if s, _ := d.Snapshot("sales"); s.Waiting != 1 {
		t.Errorf("waiting %d after the miss, want the caller still waiting", s.Waiting)
	}
	c.Hangup(acd.CauseNormalClearing)
	r.result(t)
}

func TestLiveUnit_TodaysFiguresSurviveARestart(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Agent{ID: "101", Name: "Li", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Queue{Name: "sales", Strategy: store.StrategyLongestIdle,
		Members: []store.QueueMember{{Agent: "101", Level: 1, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	none := func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) {
		return nil, errors.New("no phones")
	}
	first, err := queue.NewLive(queue.WithStore(st), queue.WithDial(none), queue.WithLiveLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	d := first.Dispatcher()
	for _, id := range []string{"a", "b"} {
		if _, err := d.Join(queue.Call{ID: id, Queue: "sales"}); err != nil {
			t.Fatal(err)
		}
		if err := d.Leave(id, queue.LeftAbandoned); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	cancel()
	<-done // Run stores the running interval on its way out

	second, err := queue.NewLive(queue.WithStore(st), queue.WithDial(none), queue.WithLiveLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := second.Dispatcher().Snapshot("sales")
	if err != nil {
		t.Fatal(err)
	}
	if s.Day.Offered != 2 || s.Day.Abandoned != 2 {
		t.Errorf("after restart the day shows %+v; want the 2 abandoned calls", s.Day)
	}
}
