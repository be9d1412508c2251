package b2bua

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestCall_ChurnLeavesNoLegsAndNoReachableSessions places calls one
// after another (CALLBOX_CHURN_CALLS, default 100) over real loopback
// UDP, each carrying a little audio through the relay both ways, and
// checks afterwards that the B2BUA holds no leg, no RTP port or relay
// socket stays open, and every call's RTP sessions (the caller's and the
// callee's, opened in b2bua.invite) can be collected once sipgo's
// transactions have ended: nothing else, not a history, keeps a closed
// session reachable. (The relay loop's batch used to keep the sockets it
// served last, and so their sessions, until more traffic came.)
func TestCall_ChurnLeavesNoLegsAndNoReachableSessions(t *testing.T) {
	calls := 100
	if testing.Short() {
		calls = 20
	}
	if s := os.Getenv("CALLBOX_CHURN_CALLS"); s != "" {
		calls, _ = strconv.Atoi(s)
	}
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	var opened, freed atomic.Int64
	for i := range calls {
		out, in := connect(t, a, b, "202")
		legs := bx.legsOf()
		if len(legs) != 2 || bx.b.Active() != 2 {
			t.Fatalf("call %d: %d legs, Active() %d; want the caller's and the callee's", i, len(legs), bx.b.Active())
		}
		for _, l := range legs {
			s, ok := SessionOf(l)
			if !ok {
				t.Fatalf("leg %T has no session", l)
			}
			opened.Add(1)
			runtime.AddCleanup(s, func(c *atomic.Int64) { c.Add(1) }, &freed)
		}
		legs = nil
		// A few packets each way, so the relay forwards between the two
		// sessions' sockets.
		ctx, cancel := context.WithTimeout(ctxT(t), 5*time.Second)
		_ = out.Play(ctx, 1000, 60*time.Millisecond)
		_ = in.Play(ctx, 700, 60*time.Millisecond)
		cancel()
		if i%2 == 0 {
			if err := out.Hangup(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			<-in.Done()
		} else {
			if err := in.Hangup(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			<-out.Done()
		}
		bx.lastEnded()
	}
	eventually(t, "legs released", func() bool {
		return bx.b.Active() == 0 && bx.ports.InUse() == 0 && bx.eng.Sockets() == 0 && bx.sw.Active() == 0
	})
	// sipgo's transactions of the last calls keep their sessions for
	// their lifetime (Timers I and K: T4, 5 s on UDP), so a session may
	// be collected only after it: wait longer than that, no more.
	want := opened.Load()
	for deadline := time.Now().Add(3 * sip.T4); freed.Load() != want && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(50 * time.Millisecond) // cleanups run on their own goroutine
	}
	if got := freed.Load(); got != want {
		t.Fatalf("after %d calls, %d of %d RTP sessions still reachable", calls, want-got, want)
	}
}
