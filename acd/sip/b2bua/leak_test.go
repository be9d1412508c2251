package b2bua

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"callbox/acd/siptest"
)

// openFDs counts the process's open file descriptors (sockets included).
func openFDs(t *testing.T) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return len(es)
}

// TestCall_ThousandCallsLeaveNoGoroutinesOrPorts places short calls one
// after another (CALLBOX_LEAK_CALLS, default 1000) and checks that the
// goroutines, media ports and sockets return to what they were.
func TestCall_ThousandCallsLeaveNoGoroutinesOrPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	calls := 1000
	if s := os.Getenv("CALLBOX_LEAK_CALLS"); s != "" {
		calls, _ = strconv.Atoi(s)
	}
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	one := func() {
		out, in := connect(t, a, b, "202")
		if err := out.Hangup(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		<-in.Done()
		bx.lastEnded()
	}
	one() // warm up: sipgo's pools, the relay engine
	settle := func() (int, int) {
		eventually(t, "legs released", func() bool {
			return bx.b.Active() == 0 && bx.ports.InUse() == 0 && bx.eng.Sockets() == 0
		})
		return runtime.NumGoroutine(), openFDs(t)
	}
	g0, fd0 := settle()
	start := time.Now()
	for i := range calls {
		one()
		if time.Since(start) > 60*time.Second {
			t.Fatalf("only %d calls in a minute", i+1)
		}
	}
	t.Logf("%d calls in %v", calls, time.Since(start))
	settle()
	// Transactions linger for their RFC 3261 timers; wait them out.
	var g, fd int
	deadline := time.Now().Add(40 * time.Second)
	for {
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= g0+2 && fd <= fd0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g > g0+2 || fd > fd0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("after %d calls: goroutines %d (baseline %d), fds %d (baseline %d)\n%s",
			calls, g, g0, fd, fd0, buf[:runtime.Stack(buf, true)])
	}
}

// TestCall_FeaturesLeaveNoGoroutinesOrPorts runs calls that hold,
// resume and blind-transfer (music, parking, NOTIFYs, a third leg), are
// picked up, and grow into a conference, and checks the same baseline.
func TestCall_FeaturesLeaveNoGoroutinesOrPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	var bx *box
	bx = startBoxWith(t, Config{}, nil, pickupCode(&bx))
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	one := func() {
		transferCycle(t, bx, a, b, c)
		pickupCycle(t, bx, a, b, c)
		conferenceCycle(t, bx, a, b, c)
	}
	one()
	settle := func() (int, int) {
		eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
		return runtime.NumGoroutine(), openFDs(t)
	}
	g0, fd0 := settle()
	for range 50 {
		one()
	}
	settle()
	var g, fd int
	deadline := time.Now().Add(40 * time.Second)
	for {
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= g0+2 && fd <= fd0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g > g0+2 || fd > fd0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d (baseline %d), fds %d (baseline %d)\n%s", g, g0, fd, fd0, buf[:runtime.Stack(buf, true)])
	}
}

// transferCycle: 201 calls 202, holds and resumes, 202 transfers 201 to 203.
func transferCycle(t *testing.T, bx *box, a, b, c *siptest.Phone) {
	out, in := connect(t, a, b, "202")
	if err := out.Hold(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := out.Resume(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if res, err := in.Refer(ctxT(t), b.ReferTarget("203")); err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	target := answer(t, c)
	<-in.Done()
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-target.Done()
	bx.lastEnded()
}

// pickupCycle: 201 calls 202, 203 picks it up, 203 hangs up.
func pickupCycle(t *testing.T, bx *box, a, b, c *siptest.Phone) {
	out, rung := ringingAt(t, a, b, "202")
	pick, err := c.Dial(ctxT(t), "*8202")
	if err != nil {
		t.Fatal(err)
	}
	if err := pick.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("pickup: %d %v", pick.Status(), err)
	}
	<-rung.Done()
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := pick.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-out.Done()
	bx.lastEnded()
	bx.lastEnded()
}

// conferenceCycle: 201 calls 202, 203 joins, everyone hangs up.
func conferenceCycle(t *testing.T, bx *box, a, b, c *siptest.Phone) {
	out, in := connect(t, a, b, "202")
	call, ok := bx.sw.CallOf(findLeg(t, bx, in).ID())
	if !ok {
		t.Fatal("no call")
	}
	done := make(chan error, 1)
	go func() { done <- bx.b.Conference(ctxT(t), call, "203") }()
	third := answer(t, c)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := third.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	bx.lastEnded()
}
