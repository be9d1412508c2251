package b2bua

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media/audiotest"
)

// pickupCode routes "*8" + extension to directed pickup and "*8" alone to
// group pickup, as the router's feature codes do.
func pickupCode(bx **box) Option {
	return WithFallback(func(ctx context.Context, c *acd.Call) error {
		if target, ok := strings.CutPrefix(c.Dialed(), "*8"); ok {
			return (*bx).b.Pickup(ctx, c, target)
		}
		return acd.Reject(acd.CauseNoRoute)
	})
}

// ringingAt dials ext from a and waits until the box rings one device.
func ringingAt(t *testing.T, a, ringing *siptest.Phone, ext string) (out, rung *siptest.Call) {
	t.Helper()
	out, err := a.Dial(ctxT(t), ext)
	if err != nil {
		t.Fatal(err)
	}
	rung, err = ringing.Incoming(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rung.Ring(); err != nil {
		t.Fatal(err)
	}
	<-out.Ringing()
	return out, rung
}

func TestPickup_DirectedAnswersTheRingingCall(t *testing.T) {
	var bx *box
	bx = startBoxWith(t, Config{}, nil, pickupCode(&bx))
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	out, rung := ringingAt(t, a, b, "202")

	pick, err := c.Dial(ctxT(t), "*8202")
	if err != nil {
		t.Fatal(err)
	}
	if err := pick.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("pickup: %d %v", pick.Status(), err)
	}
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("the caller was not answered: %v", err)
	}
	select {
	case <-rung.Done(): // 202 stops ringing (CANCEL)
	case <-time.After(10 * time.Second):
		t.Fatal("202 still rings")
	}
	if !hears(t, out, pick, 1000) || !hears(t, pick, out, 700) {
		t.Fatal("the caller and the picker do not hear each other")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-pick.Done()
	for range 2 {
		if r := bx.lastEnded(); r.Caller.Number == "201" && !strings.Contains(r.RouteString(), "pickup:203") {
			t.Errorf("picked call route %q", r.RouteString())
		}
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestPickup_GroupAnswersACallOfTheGroupOnly(t *testing.T) {
	var bx *box
	bx = startBoxWith(t, Config{}, func(exts map[string]*store.Extension) {
		exts["202"].PickupGroup = "sales"
		exts["203"].PickupGroup = "sales"
	}, pickupCode(&bx))
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")

	// Nothing rings: the picker is refused.
	none, err := c.Dial(ctxT(t), "*8")
	if err != nil {
		t.Fatal(err)
	}
	if err := none.WaitAnswer(ctxT(t)); err == nil {
		t.Fatal("a pickup with nothing ringing was answered")
	}
	// 201 is in no group: it cannot pick up a call for 202.
	out, rung := ringingAt(t, c, b, "202")
	outsider, err := a.Dial(ctxT(t), "*8")
	if err != nil {
		t.Fatal(err)
	}
	if err := outsider.WaitAnswer(ctxT(t)); err == nil {
		t.Fatal("a phone outside the group picked up")
	}
	out.Cancel()
	<-rung.Done()

	out, rung = ringingAt(t, a, b, "202")
	pick, err := c.Dial(ctxT(t), "*8")
	if err != nil {
		t.Fatal(err)
	}
	if err := pick.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("group pickup: %d %v", pick.Status(), err)
	}
	<-rung.Done()
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !hears(t, pick, out, 700) {
		t.Fatal("the caller does not hear the picker")
	}
	if err := pick.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-out.Done()
}

func TestPickup_GroupNameIsValidated(t *testing.T) {
	e := store.Extension{Number: "209", Secret: "Blue-Sky-42x", PickupGroup: "bad group!"}
	if err := e.Validate(); err == nil {
		t.Fatal("a pickup group with spaces and punctuation was accepted")
	}
	e.PickupGroup = "sales-2"
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
}

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

func TestMWI_NotifiesEveryRegisteredDevice(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	p1, p2 := bx.phone("201"), bx.phone("201")
	if err := bx.b.NotifyMWI(ctxT(t), "201", 2, 5); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*siptest.Phone{p1, p2} {
		select {
		case req := <-p.Notifies():
			if ev := req.GetHeader("Event"); ev == nil || ev.Value() != "message-summary" {
				t.Errorf("Event %v", ev)
			}
			m, err := ParseMessageSummary(req.Body())
			if err != nil || !m.Waiting || m.New != 2 || m.Old != 5 || !strings.HasPrefix(m.Account, "sip:201@") {
				t.Errorf("summary %+v, %v from %q", m, err, req.Body())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a device got no NOTIFY")
		}
	}
	if err := bx.b.NotifyMWI(ctxT(t), "203", 0, 1); !errors.Is(err, ErrNoDevice) {
		t.Errorf("MWI to an unregistered extension: %v, want ErrNoDevice", err)
	}
}

func TestParseMessageSummary(t *testing.T) {
	m, err := ParseMessageSummary([]byte("Messages-Waiting: no\r\nVoice-Message: 0/3 (0/1)\r\nFax-Message: 1/1\r\n"))
	if err != nil || m.Waiting || m.New != 0 || m.Old != 3 {
		t.Fatalf("%+v %v", m, err)
	}
	back, err := ParseMessageSummary(MessageSummary{Waiting: true, Account: "sip:1@x", New: 4, Old: 2}.Marshal())
	if err != nil || back != (MessageSummary{Waiting: true, Account: "sip:1@x", New: 4, Old: 2}) {
		t.Fatalf("round trip %+v %v", back, err)
	}
	for _, bad := range []string{"", "Voice-Message: 1/2", "Messages-Waiting: maybe", "Messages-Waiting: yes\nVoice-Message: x/1"} {
		if _, err := ParseMessageSummary([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseMessageSummary(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nMessage-Account: sip:201@box\r\nVoice-Message: 2/8 (0/0)\r\n"))
	f.Add([]byte("Messages-Waiting: no\r\n"))
	f.Add([]byte(":\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessageSummary(body)
		if err != nil {
			return
		}
		if m.New < 0 || m.Old < 0 {
			t.Fatalf("negative counts %+v", m)
		}
		if _, err := ParseMessageSummary(m.Marshal()); err != nil && !strings.ContainsAny(m.Account, "\r\n") {
			t.Fatalf("cannot read back %+v: %v", m, err)
		}
	})
}

func TestSessionTimer_CallerThatStopsRefreshingIsHungUp(t *testing.T) {
	// Session-Expires 3 s: without a refresh the box ends the session 2 s
	// (SE - SE/3) after the last one.
	bx := startBox(t, Config{MinSE: time.Second, SessionExpires: 3 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", "3;refresher=uac"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if h := out.Response().GetHeader("Session-Expires"); h == nil || h.Value() != "3;refresher=uac" {
		t.Fatalf("200 Session-Expires %v", h)
	}
	// Refreshes every half second keep it up for twice the expiry.
	for range 8 {
		time.Sleep(500 * time.Millisecond)
		res, err := out.Update(ctxT(t))
		if err != nil || res.StatusCode != 200 || res.GetHeader("Session-Expires") == nil {
			t.Fatalf("refresh: %v %v", res, err)
		}
	}
	select {
	case <-out.Done():
		t.Fatal("the box hung up a refreshed session")
	default:
	}
	// Then the phone goes silent on signalling.
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
	bx := startBox(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, err := a.DialWith(ctxT(t), "202", sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, NOTIFY"),
		sip.NewHeader("Session-Expires", "2;refresher=uas"))
	if err != nil {
		t.Fatal(err)
	}
	in := answer(t, b)
	if err := out.WaitAnswer(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two refreshes from the box", func() bool { return out.UpdatesReceived() >= 2 })
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
