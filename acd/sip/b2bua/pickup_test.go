package b2bua

import (
	"context"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/firmware/store"
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
	if err := none.WaitAnswer(ctxT(t)); err == nil || none.Status() != 480 {
		t.Fatalf("a pickup with nothing ringing: %d, want 480", none.Status())
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
