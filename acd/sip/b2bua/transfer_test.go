package b2bua

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/acd/siptest"
)

// frag waits for the next sipfrag NOTIFY body of c.
func frag(t *testing.T, c *siptest.Call) string {
	t.Helper()
	select {
	case f := <-c.Sipfrags():
		return strings.TrimSpace(f)
	case <-time.After(10 * time.Second):
		t.Fatal("no NOTIFY")
	}
	return ""
}

// finalFrag skips provisional sipfrags and returns the final one.
func finalFrag(t *testing.T, c *siptest.Call) string {
	t.Helper()
	for {
		f := frag(t, c)
		if !strings.HasPrefix(f, "SIP/2.0 1") {
			return f
		}
	}
}

func TestTransfer_BlindByCalleeConnectsCallerToTarget(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	out, in := connect(t, a, b, "202")

	res, err := in.Refer(ctxT(t), b.ReferTarget("203"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	if f := frag(t, in); f != "SIP/2.0 100 Trying" {
		t.Errorf("first NOTIFY %q", f)
	}
	if res, err := in.Refer(ctxT(t), b.ReferTarget("201")); err != nil || res.StatusCode != 491 {
		t.Errorf("a second REFER during the transfer: %v %v, want 491", res, err)
	}
	target := answer(t, c)
	if name, number, _ := target.From(); number != "201" || name != "Desk 201" {
		t.Errorf("the target sees %q <%s>, want the transferee", name, number)
	}
	if f := finalFrag(t, in); f != "SIP/2.0 200 OK" {
		t.Errorf("final NOTIFY %q", f)
	}
	select {
	case <-in.Done(): // the box hangs up the transferor
	case <-time.After(10 * time.Second):
		t.Fatal("the transferor's leg is still up")
	}
	if !hears(t, out, target, 1000) || !hears(t, target, out, 700) {
		t.Fatal("the transferee and the target do not hear each other")
	}
	if err := target.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-out.Done()
	rec := bx.lastEnded()
	if !strings.Contains(rec.RouteString(), "transfer:203") || rec.Callee.Number != "203" {
		t.Errorf("CDR route %q callee %v", rec.RouteString(), rec.Callee)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestTransfer_BlindByCallerWhoHangsUpAtOnce(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	out, in := connect(t, a, b, "202")

	res, err := out.Refer(ctxT(t), a.ReferTarget("203"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	// Some phones hang up right after 202: the transferee must stay.
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if rms(in.Listen(600*time.Millisecond)) < 500 {
		t.Error("the transferee hears no music while the target rings")
	}
	target := answer(t, c)
	if name, number, _ := target.From(); number != "202" {
		t.Errorf("the target sees %q <%s>, want the transferee 202", name, number)
	}
	if !hears(t, in, target, 1000) || !hears(t, target, in, 700) {
		t.Fatal("the transferee and the target do not hear each other")
	}
	if err := in.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-target.Done()
	bx.lastEnded()
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestTransfer_FailedBlindTransferKeepsTheCall(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b := bx.phone("201"), bx.phone("202")
	out, in := connect(t, a, b, "202")

	res, err := in.Refer(ctxT(t), b.ReferTarget("203")) // 203 is not registered
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	if f := finalFrag(t, in); !strings.HasPrefix(f, "SIP/2.0 480") {
		t.Errorf("final NOTIFY %q, want 480", f)
	}
	if !hears(t, out, in, 1000) || !hears(t, in, out, 700) {
		t.Fatal("the call did not come back after the failed transfer")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
}

func TestTransfer_AttendedJoinsTheFarEndsOfTwoCalls(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	// 202 talks to 201, puts it on hold, consults 203, then joins them.
	aOut, bIn := connect(t, a, b, "202")
	if err := bIn.Hold(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bOut, cIn := connect(t, b, c, "203")

	res, err := bIn.Refer(ctxT(t), b.AttendedTarget(bOut, "203"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER with Replaces: %v %v", res, err)
	}
	if f := finalFrag(t, bIn); f != "SIP/2.0 200 OK" {
		t.Errorf("final NOTIFY %q", f)
	}
	for _, d := range []*siptest.Call{bIn, bOut} {
		select {
		case <-d.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a transferor's dialog is still up")
		}
	}
	if !hears(t, aOut, cIn, 1000) || !hears(t, cIn, aOut, 700) {
		t.Fatal("201 and 203 do not hear each other")
	}
	if err := cIn.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-aOut.Done()
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestTransfer_InviteWithReplacesTakesOverALeg(t *testing.T) {
	bx := startBox(t, Config{}, nil)
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	aOut, bIn := connect(t, a, b, "202")

	// 203 takes 202's place in the call (as a phone told to by a REFER
	// would): its INVITE names the box's dialog with 202.
	leg := findLeg(t, bx, bIn)
	d := leg.(*outLeg).Dialog()
	rep := d.CallID + ";to-tag=" + d.LocalTag + ";from-tag=" + d.RemoteTag
	cOut, err := c.DialWith(ctxT(t), "202", sip.NewHeader("Replaces", rep))
	if err != nil {
		t.Fatal(err)
	}
	if err := cOut.WaitAnswer(ctxT(t)); err != nil {
		t.Fatalf("INVITE with Replaces: %d %v", cOut.Status(), err)
	}
	select {
	case <-bIn.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the replaced dialog is still up")
	}
	if !hears(t, aOut, cOut, 1000) || !hears(t, cOut, aOut, 700) {
		t.Fatal("201 and 203 do not hear each other")
	}
	if err := aOut.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-cOut.Done()

	bad, err := c.DialWith(ctxT(t), "202", sip.NewHeader("Replaces", "nope;to-tag=1;from-tag=2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.WaitAnswer(ctxT(t)); err == nil || bad.Status() != 481 {
		t.Errorf("Replaces of an unknown dialog: %d, want 481", bad.Status())
	}
}

// findLeg returns the box's leg of a phone's call, by Call-ID.
func findLeg(t *testing.T, bx *box, c *siptest.Call) dialogLeg {
	t.Helper()
	cid := c.CallID()
	for _, l := range bx.legsOf() {
		if d, ok := DialogOf(l); ok && d.CallID == cid {
			return l
		}
	}
	t.Fatalf("no leg for call %s", cid)
	return nil
}

func TestSIPp_BlindTransferByREFER(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	b, c := bx.phone("202"), bx.phone("203")
	uac := startSIPp(t, bin, "b2bua/refer-uac.xml", freeUDP(t), bx.addr().String(),
		"-s", "202", "-key", "caller", "201", "-key", "target", "203", "-au", "201", "-ap", secrets["201"])
	in := answer(t, b)
	target := answer(t, c)
	checkSIPp(t, "transferor", uac)
	if name, number, _ := target.From(); number != "202" {
		t.Errorf("the target sees %q <%s>, want the transferee 202", name, number)
	}
	if !hears(t, in, target, 1000) || !hears(t, target, in, 700) {
		t.Fatal("the transferee and the target do not hear each other")
	}
	if err := target.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-in.Done()
	if r := bx.lastEnded(); !strings.Contains(r.RouteString(), "transfer:203") {
		t.Errorf("route %q", r.RouteString())
	}
}

func TestTransfer_HookReachesTargetsForTheTransferee(t *testing.T) {
	var bx *box
	seen := make(chan acd.Leg, 1)
	bx = startBoxWith(t, Config{}, nil, WithTransfer(func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error) {
		seen <- party
		// The router's way: "9" + extension stands for an outside number here.
		return bx.b.Dial(ctx, strings.TrimPrefix(target, "9"), party.Caller(), party)
	}))
	a, b, c := bx.phone("201"), bx.phone("202"), bx.phone("203")
	out, in := connect(t, a, b, "202")
	if res, err := in.Refer(ctxT(t), b.ReferTarget("9203")); err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER: %v %v", res, err)
	}
	party := <-seen
	if party.Caller().Number != "201" || party.Media() != nil {
		t.Errorf("the hook sees %v with media %v; want the transferee without its media", party.Caller(), party.Media())
	}
	target := answer(t, c)
	if !hears(t, out, target, 1000) {
		t.Fatal("the transferee does not reach the hook's target")
	}
	if err := out.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-target.Done()
}
