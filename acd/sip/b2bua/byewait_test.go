package b2bua

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/acd"
)

// muteAt listens where a phone was, counting the BYEs that reach it and
// answering nothing: a desk phone that crashed, or a NAT that drops its
// answers.
func muteAt(t *testing.T, addr string) *atomic.Int32 {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenUDP("udp", ua)
	if err != nil {
		t.Fatal(err)
	}
	var byes atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if bytes.HasPrefix(buf[:n], []byte("BYE ")) {
				byes.Add(1)
			}
		}
	})
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return &byes
}

// TestHangup_ReturnsWhileTheFarEndNeverAnswersTheBye: a phone is gone
// when the box hangs its leg up (the callee's, a UAC dialog, or the
// caller's, a UAS one). Hangup must not hold the caller of Hangup (the
// switch's shutdown) for ByeTimeout: it returns with the BYE sent and
// unanswered, the BYE keeps being retransmitted (RFC 3261 §17.1.2), the
// call's record names the side and the cause, and the B2BUA's Run returns
// only once that BYE's goroutine has ended.
func TestHangup_ReturnsWhileTheFarEndNeverAnswersTheBye(t *testing.T) {
	for _, side := range []acd.HangupSide{acd.SideCallee, acd.SideCaller} {
		t.Run(string(side), func(t *testing.T) { hangupWithoutAnswer(t, side) })
	}
}

func hangupWithoutAnswer(t *testing.T, side acd.HangupSide) {
	rec := &logRecorder{level: slog.LevelInfo}
	unanswered := func() int {
		n := 0
		for _, m := range rec.all() {
			if strings.HasPrefix(m, "BYE unanswered") {
				n++
			}
		}
		return n
	}
	// Registered first, so it runs after the box's cleanup has waited
	// for Run.
	t.Cleanup(func() {
		if n := unanswered(); n != 1 {
			t.Errorf("after Run returned, %d unanswered BYEs were reported; want the one Run ended", n)
		}
	})
	// The BYE's own bound is long: only Run can end its wait here.
	bx := startBoxLogging(t, slog.New(rec), Config{ByeTimeout: 15 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")
	gone, otherCall := b, out
	if side == acd.SideCaller {
		gone, otherCall = a, in
	}
	var leg dialogLeg
	for _, l := range bx.legsOf() {
		if _, callee := l.(*outLeg); callee == (side == acd.SideCallee) {
			leg = l
		}
	}
	if leg == nil {
		t.Fatalf("no %s leg", side)
	}
	where := gone.Addr().String()
	gone.Close()
	byes := muteAt(t, where)

	if err := leg.Hangup(acd.CauseRecoveryOnTimerExpiry); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	select {
	case <-leg.Done():
	default:
		t.Fatal("the leg is not ended when Hangup returns")
	}
	if n := unanswered(); n != 0 {
		t.Fatalf("the BYE's outcome was known when Hangup returned (%d reports)", n)
	}
	eventually(t, "the BYE sent and retransmitted", func() bool { return byes.Load() >= 2 })
	select {
	case <-otherCall.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the other party was not hung up")
	}
	r := bx.lastEnded()
	if r.HangupSide != side || r.Cause != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("record: side %q cause %v; want side %q with the hang-up's cause", r.HangupSide, r.Cause, side)
	}
	if n := unanswered(); n != 0 {
		t.Fatalf("the BYE's wait ended before Run (%d reports)", n)
	}
}
