package b2bua

import (
	"context"
	"strings"
	"testing"
	"time"

	"callbox/media/audiotest"
)

func TestConference_ThreePartiesHearEachOther(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
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
	// 202 and 203 speak at once; 201 hears both.
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() { _ = in.Play(ctx, 700, 2*time.Second) }()
	go func() { _ = third.Play(ctx, 1100, 2*time.Second) }()
	time.Sleep(300 * time.Millisecond)
	got := out.Listen(800 * time.Millisecond)
	if !audiotest.HasTone(got, 700, 0.2) || !audiotest.HasTone(got, 1100, 0.2) {
		t.Errorf("201 does not hear both others (700 Hz %.1f dB, 1100 Hz %.1f dB)",
			audiotest.Level(got, 700), audiotest.Level(got, 1100))
	}
	// 203 hears 202 (and not itself).
	got = third.Listen(600 * time.Millisecond)
	if !audiotest.HasTone(got, 700, 0.5) {
		t.Error("203 does not hear 202")
	}
	cancel()
	// 203 leaves: 201 and 202 go on as a plain call.
	if err := third.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !hears(t, in, out, 700) {
		t.Error("after 203 left, 201 does not hear 202")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	if r := bx.lastEnded(); !strings.Contains(r.RouteString(), "conference:203") {
		t.Errorf("route %q", r.RouteString())
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}
