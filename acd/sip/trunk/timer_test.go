package trunk

import (
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

func timerTrunk(port int) store.Trunk {
	return store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		CallerID: "+861012345678", Enabled: true}
}

func TestSIPp_TrunkCallRetries422AndRefreshesTheSession(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{}, timerTrunk(port))
	carrier := startSIPp(t, bin, "testdata/carrier-timer-uas.xml", carrierIP, port, 1, "")
	leg, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
	if err != nil {
		t.Fatalf("dial after the 422: %v", err)
	}
	armed := bx.sclock.timersArmed()
	if armed == 0 {
		t.Fatal("the answered trunk leg runs no session timer")
	}
	// Half the 1900 s interval: the box refreshes with UPDATE and, once
	// the carrier answers it, arms the next refresh.
	bx.sclock.Advance(950 * time.Second)
	eventually(t, "the refresh answered and re-armed", func() bool { return bx.sclock.timersArmed() > armed })
	select {
	case <-leg.Done():
		t.Fatal("the refreshed call ended")
	default:
	}
	if err := leg.Hangup(acd.CauseNormalClearing); err != nil {
		t.Fatal(err)
	}
	checkSIPp(t, "carrier", carrier)
	eventually(t, "channel released", func() bool { return bx.status("carrier").Channels == 0 })
}

func TestSIPp_TrunkCallIsHungUpWhenTheCarrierStopsRefreshing(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{}, timerTrunk(port))
	carrier := startSIPp(t, bin, "testdata/carrier-timer-silent-uas.xml", carrierIP, port, 1, "")
	leg, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Not yet: the carrier has until SE - 32 s (RFC 4028 §10).
	bx.sclock.Advance(1700 * time.Second)
	select {
	case <-leg.Done():
		t.Fatal("the call ended before the session expired")
	default:
	}
	bx.sclock.Advance(100 * time.Second)
	select {
	case <-leg.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the box never ended the unrefreshed trunk call")
	}
	if c := leg.(acd.CauseReporter).EndCause(); c != acd.CauseRecoveryOnTimerExpiry {
		t.Errorf("end cause %v, want %v", c, acd.CauseRecoveryOnTimerExpiry)
	}
	checkSIPp(t, "carrier", carrier)
	eventually(t, "channel released", func() bool { return bx.status("carrier").Channels == 0 })
}

func TestSIPp_TrunkCallRetries422OnlyOnce(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{}, timerTrunk(port))
	carrier := startSIPp(t, bin, "testdata/carrier-422-twice-uas.xml", carrierIP, port, 1, "")
	_, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
	if c, ok := acd.CauseOf(err); !ok || c != acd.CauseFromSIP(422) {
		t.Fatalf("dial: %v (cause %v), want the second 422's cause", err, c)
	}
	checkSIPp(t, "carrier", carrier)
	if n := bx.status("carrier").Channels; n != 0 {
		t.Errorf("%d channels held after the refused call", n)
	}
}
