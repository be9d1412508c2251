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

// TestHangup_ReturnsWhileTheFarEndNeverAnswersTheBye: the callee's phone
// is gone when the box hangs its leg up. Hangup must not hold the caller
// (the switch's shutdown) for ByeTimeout: it returns with the BYE sent
// and unanswered, the BYE keeps being retransmitted (RFC 3261 §17.1.2),
// the call's record names the cause, and the B2BUA's Run returns only
// once that BYE's goroutine has ended.
func TestHangup_ReturnsWhileTheFarEndNeverAnswersTheBye(t *testing.T) {
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
	out, _ := connect(t, a, b, "202")
	var callee *outLeg
	for _, l := range bx.legsOf() {
		if o, ok := l.(*outLeg); ok {
			callee = o
		}
	}
	if callee == nil {
		t.Fatal("no callee leg")
	}
	where := b.Addr().String()
	b.Close()
	byes := muteAt(t, where)

	if err := callee.Hangup(acd.CauseRecoveryOnTimerExpiry); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	select {
	case <-callee.Done():
	default:
		t.Fatal("the leg is not ended when Hangup returns")
	}
	if n := unanswered(); n != 0 {
		t.Fatalf("the BYE's outcome was known when Hangup returned (%d reports)", n)
	}
	eventually(t, "the BYE sent and retransmitted", func() bool { return byes.Load() >= 2 })
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the caller was not hung up")
	}
	r := bx.lastEnded()
	if r.HangupSide != acd.SideCallee || r.Cause != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("record: side %q cause %v; want the callee's side with the hang-up's cause", r.HangupSide, r.Cause)
	}
	if n := unanswered(); n != 0 {
		t.Fatalf("the BYE's wait ended before Run (%d reports)", n)
	}
}
