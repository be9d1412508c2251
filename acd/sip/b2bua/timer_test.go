package b2bua

import (
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/media/rtp"
)

// handClock is a clock for session timers that moves only when told;
// due timers run inside Advance.
type handClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*handTimer
}

type handTimer struct {
	c       *handClock
	at      time.Time
	f       func()
	stopped bool
}

func (h *handTimer) Stop() bool {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	was := !h.stopped
	h.stopped = true
	return was
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *handClock) AfterFunc(d time.Duration, f func()) rtp.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &handTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// armed counts the timers set and not yet stopped or run.
func (c *handClock) armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// Advance moves the clock and runs the timers that fell due.
func (c *handClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*handTimer
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

func TestSessionTimer_CallerThatStopsRefreshingIsHungUp(t *testing.T) {
	clock := &handClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	// Session-Expires 90 s: without a refresh the box ends the session
	// 60 s (SE - SE/3) after the last one.
	bx := startBoxWith(t, Config{}, nil, WithSessionClock(clock))
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", "90;refresher=uac"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if h := out.Response().GetHeader("Session-Expires"); h == nil || h.Value() != "90;refresher=uac" {
		t.Fatalf("200 Session-Expires %v", h)
	}
	// The box arms the timer once the ACK for its 200 came. The phone
	// has sent it, but the box may not have it yet (a lost ACK waits for
	// the 200's retransmission, 500 ms): armed after the clock moved on,
	// the deadline would fall after the last Advance (CI, 2026-11-29).
	eventually(t, "the box armed the session timer", func() bool { return clock.armed() > 0 })
	// A refresh every 50 s keeps it up well past the first deadline.
	for range 3 {
		clock.Advance(50 * time.Second)
		res, err := out.Update(ctxT(t))
		if err != nil || res.StatusCode != 200 || res.GetHeader("Session-Expires") == nil {
			t.Fatalf("refresh: %v %v", res, err)
		}
	}
	if n := bx.b.Active(); n != 2 {
		t.Fatalf("%d legs after refreshed intervals, want 2", n)
	}
	// Then the phone goes silent on signalling.
	clock.Advance(60 * time.Second)
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the box never ended the unrefreshed session")
	}
	<-in.Done()
	if r := bx.lastEnded(); r.Cause != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("CDR cause %v, want %v", r.Cause, acd.CauseRecoveryOnTimerExpiry)
	}
}

func TestSessionTimer_BoxRefreshesWhenItIsTheRefresher(t *testing.T) {
	clock := &handClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	bx := startBoxWith(t, Config{}, nil, WithSessionClock(clock))
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, NOTIFY"),
		sip.NewHeader("Session-Expires", "90;refresher=uas"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Each half interval the box sends an UPDATE (and re-arms once it is
	// answered).
	eventually(t, "two refreshes from the box", func() bool {
		clock.Advance(45 * time.Second)
		return out.UpdatesReceived() >= 2
	})
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()

	// An interval under Min-SE is refused with 422 and the box's floor.
	short, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"), sip.NewHeader("Session-Expires", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := short.WaitAnswer(ctxT(t)); err == nil || short.Status() != 400 {
		t.Errorf("Session-Expires 0: %d, want 400", short.Status())
	}
}

func TestSessionTimer_IntervalBelowMinSEIsRefused(t *testing.T) {
	bx := startBox(t, Config{MinSE: 5 * time.Second}, nil)
	a := bx.phone("201")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Session-Expires", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err == nil || out.Status() != 422 {
		t.Fatalf("status %d, want 422", out.Status())
	}
	if h := out.Response(); h != nil {
		if mse := h.GetHeader("Min-SE"); mse == nil || mse.Value() != "5" {
			t.Errorf("Min-SE %v", mse)
		}
	}
}

// answerTimer waits for the next call at p and answers it with a
// session timer of its choosing.
func answerTimer(t *testing.T, p *siptest.Phone, se string) *siptest.Call {
	t.Helper()
	in, err := p.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if h := in.Invite().GetHeader("Session-Expires"); h == nil {
		t.Fatal("the box offered no session timer")
	}
	if err := in.AnswerWith(ctxT(t), sip.NewHeader("Session-Expires", se), sip.NewHeader("Require", "timer"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE")); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSessionTimer_CalleeLegs(t *testing.T) {
	clock := &handClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	bx := startBoxWith(t, Config{}, nil, WithSessionClock(clock))
	a, b := bx.phone("201"), bx.phone("202")

	// The callee makes the box the refresher: UPDATEs keep it up.
	out, err := a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in := answerTimer(t, b, "90;refresher=uac")
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the box refreshes the callee", func() bool {
		clock.Advance(45 * time.Second)
		return in.UpdatesReceived() >= 2
	})
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	bx.lastEnded()

	// The callee is the refresher and never refreshes: the box ends it.
	out, err = a.Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	in = answerTimer(t, b, "90;refresher=uas")
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the callee's timer armed", func() bool { return findLeg(t, bx, in).(*outLeg).sessionTimer() != nil })
	clock.Advance(60 * time.Second)
	select {
	case <-in.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the box never ended the unrefreshed callee")
	}
	<-out.Done()
	if r := bx.lastEnded(); r.Cause != acd.CauseRecoveryOnTimerExpiry || r.HangupSide != acd.SideCallee {
		t.Errorf("CDR %s %v, want the callee's timer expiry", r.HangupSide, r.Cause)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestSessionTimer_BoxRefreshesWithReinviteWithoutUpdate(t *testing.T) {
	clock := &handClock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	bx := startBoxWith(t, Config{}, nil, WithSessionClock(clock))
	a, b := bx.phone("201"), bx.phone("202")
	// Neither phone allows UPDATE: the caller asks the box to refresh,
	// the callee makes the box refresh.
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", "90;refresher=uas"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.AnswerWith(ctxT(t), sip.NewHeader("Session-Expires", "90;refresher=uac"),
		sip.NewHeader("Require", "timer")); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "re-INVITE refreshes to both phones", func() bool {
		clock.Advance(45 * time.Second)
		return out.ReinvitesReceived() >= 2 && in.ReinvitesReceived() >= 2
	})
	if bx.b.Active() != 2 {
		t.Fatalf("%d legs after the refreshes", bx.b.Active())
	}
	if !hears(t, out, in, 1000) || !hears(t, in, out, 700) {
		t.Fatal("the refreshes broke the audio")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
}

// calleeIntervals lists the session intervals of the callee legs' timers.
func calleeIntervals(bx *box) []time.Duration {
	bx.b.mu.Lock()
	defer bx.b.mu.Unlock()
	var out []time.Duration
	for _, st := range bx.b.timers {
		out = append(out, st.interval)
	}
	return out
}

func TestSessionTimer_CalleeRefusingWith422IsCalledAgainWithItsMinSE(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "b2bua/too-small-uas.xml")
	out, err := bx.phone("201").Dial(ctxT(t), "202")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("the call failed instead of retrying the 422: %v (status %d)", err, out.Status())
	}
	eventually(t, "the callee's timer armed at its Min-SE", func() bool {
		iv := calleeIntervals(bx)
		return len(iv) == 1 && iv[0] == time.Hour
	})
	// The callee echoes the audio: the media of the second INVITE runs.
	if !hears(t, out, out, 1000) {
		t.Error("the caller did not hear its tone echoed by the callee")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	checkSIPp(t, "callee", uas)
	if rec := bx.lastEnded(); rec.Answer.IsZero() || rec.HangupSide != acd.SideCaller {
		t.Errorf("record: answer %v, side %q", rec.Answer, rec.HangupSide)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestRetryInterval_OnlyARaiseIsRetried(t *testing.T) {
	offer := func(se string) *sip.Request {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "202", Host: "127.0.0.1"})
		if se != "" {
			req.AppendHeader(sip.NewHeader("Session-Expires", se))
		}
		return req
	}
	tooSmall := func(minSE string) *sip.Response {
		res := sip.NewResponseFromRequest(offer(""), 422, "Session Interval Too Small", nil)
		if minSE != "" {
			res.AppendHeader(sip.NewHeader("Min-SE", minSE))
		}
		return res
	}
	for _, c := range []struct {
		offered, minSE string
		want           int
		ok             bool
	}{
		{"1800;refresher=uas", "3600", 3600, true},
		{"1800;refresher=uas", "1800", 0, false}, // it refused what it asks for
		{"1800;refresher=uas", "", 0, false},
		{"1800;refresher=uas", "ten", 0, false},
		{"1800;refresher=uas", "999999999", 0, false},
		{"", "120", 120, true},
	} {
		got, ok := retryInterval(offer(c.offered), tooSmall(c.minSE))
		if got != c.want || ok != c.ok {
			t.Errorf("offer %q, Min-SE %q: %d %v, want %d %v", c.offered, c.minSE, got, ok, c.want, c.ok)
		}
	}
	req := offer("1800;refresher=uac")
	req.AppendHeader(sip.NewHeader("Min-SE", "90"))
	raiseInterval(req, 3600)
	if se, mse := req.GetHeaders("Session-Expires"), req.GetHeaders("Min-SE"); len(se) != 1 || se[0].Value() != "3600;refresher=uac" ||
		len(mse) != 1 || mse[0].Value() != "3600" {
		t.Errorf("raised offer: Session-Expires %v, Min-SE %v", se, mse)
	}
}

// FuzzRetryInterval feeds a 422's Min-SE and the offer it answers: no
// panic, and a retry only ever raises the interval, within bounds.
func FuzzRetryInterval(f *testing.F) {
	for _, s := range [][2]string{{"1800;refresher=uas", "3600"}, {"90", "90"}, {"", "0"}, {"x;;", "-5"}, {"1800", "4000;x=y"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, offered, minSE string) {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "202", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Session-Expires", offered))
		res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
		res.AppendHeader(sip.NewHeader("Min-SE", minSE))
		secs, ok := retryInterval(req, res)
		if !ok {
			return
		}
		if secs <= 0 || secs > maxRetrySE {
			t.Fatalf("retry with %d s", secs)
		}
		if se, err := parseSessionExpires(offered); err == nil && secs <= se.Seconds {
			t.Fatalf("retry with %d s after offering %d", secs, se.Seconds)
		}
		raiseInterval(req, secs)
		if se, err := parseSessionExpires(req.GetHeader("Session-Expires").Value()); err != nil || se.Seconds != secs {
			t.Fatalf("raised offer unreadable: %v %v", se, err)
		}
	})
}
