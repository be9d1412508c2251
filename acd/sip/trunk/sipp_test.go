package trunk

import (
	"context"
	"errors"
	"testing"

	"callbox/acd"
	"callbox/firmware/store"
)

const trunkSecret = "Trunk-Pass-9x"

func TestSIPp_OutboundCallAnswersChallengeAndRelaysRTP(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, CallerID: "+861012345678", AssertIdentity: true, Enabled: true})
	var dialErr error
	bx.handle(func(ctx context.Context, c *acd.Call) error {
		leg, err := bx.set.Dial(ctx, "carrier", c.Dialed(), c.Caller().Caller(), c.Caller())
		if err != nil {
			dialErr = err
			return err
		}
		c.AddRoute("trunk:carrier")
		return c.Bridge(ctx, leg)
	})
	carrier := startSIPp(t, bin, "testdata/carrier-auth-uas.xml", carrierIP, port, 1, "", "-rtp_echo",
		"-key", "trunkuser", "boxuser", "-key", "trunkpass", trunkSecret)
	before := bx.eng.Stats().Forwarded
	caller := startSIPp(t, bin, "../testdata/sipp/call-uac.xml", "127.0.0.1", freeUDP(t, "127.0.0.1"), 1,
		bx.addr().String(), "-s", "013800138000", "-key", "caller", "201", "-au", "201", "-ap", secrets["201"])
	checkSIPp(t, "caller", caller)
	checkSIPp(t, "carrier", carrier)
	if dialErr != nil {
		t.Fatalf("dial: %v", dialErr)
	}
	// Two seconds of 20 ms packets from the caller, echoed by the carrier.
	if n := bx.eng.Stats().Forwarded - before; n < 100 {
		t.Errorf("the box relayed %d RTP packets, want the call's audio both ways", n)
	}
	rec := bx.lastEnded()
	if rec.Answer.IsZero() || rec.HangupSide != acd.SideCaller {
		t.Errorf("record: answer %v, hang-up side %q", rec.Answer, rec.HangupSide)
	}
	eventually(t, "channel released", func() bool { return bx.status("carrier").Channels == 0 })
}

func TestSIPp_InboundFromIPTrunkReachesHandlerWithMappedDID(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, store.Trunk{Name: "ipcarrier", Host: carrierIP, Transport: store.TransportUDP,
		DIDs: []store.TrunkDID{{Number: "+861012345678", Map: "8001"}}, Enabled: true})
	type seen struct {
		party  acd.Party
		dialed string
	}
	got := make(chan seen, 1)
	bx.handle(func(ctx context.Context, c *acd.Call) error {
		got <- seen{c.Caller().Caller(), c.Dialed()}
		return c.Caller().Answer(ctx) // then the switch hangs up
	})
	carrier := startSIPp(t, bin, "testdata/carrier-call-uac.xml", carrierIP, freeUDP(t, carrierIP), 1,
		bx.addr().String(), "-s", "+861012345678", "-key", "ruser", "+861012345678")
	checkSIPp(t, "carrier", carrier)
	s := <-got
	want := acd.Party{Number: "+8613911112222", Name: "Li Lei", Source: acd.SourceTrunk, Via: "ipcarrier"}
	if s.party != want || s.dialed != "8001" {
		t.Errorf("handler saw %+v dialling %q, want %+v dialling 8001", s.party, s.dialed, want)
	}
}

func TestSIPp_InboundToRegisteredContactFromAnyAddress(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	startSIPp(t, bin, "testdata/registrar-once-uas.xml", carrierIP, port, 1, "")
	bx := startBox(t, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, Register: true, Enabled: true})
	eventually(t, "registered", func() bool { return bx.status("carrier").Registered })
	got := make(chan acd.Party, 1)
	dialed := make(chan string, 1)
	bx.handle(func(ctx context.Context, c *acd.Call) error {
		got <- c.Caller().Caller()
		dialed <- c.Dialed()
		return c.Caller().Answer(ctx)
	})
	// The carrier's media gateway, at an address that is not the
	// registrar's, sends the call to the Contact the box registered.
	token := bx.set.entry("carrier").token
	call := startSIPp(t, bin, "testdata/carrier-call-uac.xml", "127.0.0.5", freeUDP(t, "127.0.0.5"), 1,
		bx.addr().String(), "-s", "+8675500001111", "-key", "ruser", token)
	checkSIPp(t, "carrier", call)
	if p, d := <-got, <-dialed; p.Source != acd.SourceTrunk || p.Via != "carrier" || d != "+8675500001111" {
		t.Errorf("handler saw %+v dialling %q", p, d)
	}
	// Without the token, the same address must authenticate.
	if code := rawInvite(t, "127.0.0.5", bx.addr(), "sip:+8675500001111@"+bx.addr().String()); code != 407 {
		t.Errorf("INVITE without the registered contact answered %d, want 407", code)
	}
}

func TestSIPp_RegistersWithChallengeRefreshesAndUnregistersOnDelete(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	registrar := startSIPp(t, bin, "testdata/registrar-uas.xml", carrierIP, port, 1, "",
		"-key", "trunkuser", "boxuser", "-key", "trunkpass", trunkSecret)
	bx := startBox(t, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, Register: true, Expires: 300, Enabled: true})
	eventually(t, "registered", func() bool { return bx.status("carrier").Registered })
	st := bx.status("carrier")
	if st.RegisteredUntil.Sub(st.NextRegister) <= 0 {
		t.Errorf("refresh at %v is not before expiry %v", st.NextRegister, st.RegisteredUntil)
	}
	// The refresh: the loop waits on the clock for it.
	eventually(t, "refresh due", func() bool { return bx.clock.fire() > 0 })
	eventually(t, "refreshed", func() bool {
		s := bx.status("carrier")
		return s.Registered && s.NextRegister.After(st.NextRegister)
	})
	if _, err := store.Delete[store.Trunk](bx.st, "carrier"); err != nil {
		t.Fatal(err)
	}
	checkSIPp(t, "registrar", registrar)
	eventually(t, "trunk gone from status", func() bool { return len(bx.set.Status()) == 0 })
}

func TestSIPp_HealthGoesDownWhenCarrierStopsAnsweringAndBackUp(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	carrier := startSIPp(t, bin, "testdata/options-uas.xml", carrierIP, port, 100, "")
	bx := startBox(t, Config{DownAfter: 2, UpAfter: 2}, store.Trunk{Name: "carrier", Host: carrierIP, Port: port,
		Transport: store.TransportUDP, OptionsInterval: 5, Enabled: true})
	eventually(t, "up", func() bool { bx.clock.fire(); return bx.status("carrier").Health == HealthUp })
	if bx.status("carrier").RTT <= 0 {
		t.Errorf("no round-trip time measured")
	}

	carrier.stop()
	eventually(t, "down", func() bool { bx.clock.fire(); return bx.status("carrier").Health == HealthDown })
	// A down trunk fails at once with a cause that makes the failover
	// order go on to the next gateway.
	_, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
	cause, ok := acd.CauseOf(err)
	if !ok || !cause.Retryable() {
		t.Fatalf("dial over a down trunk: %v, want a retryable cause", err)
	}
	var tried []string
	_, _, err = acd.DialInOrder(ctxT(t), []string{"trunk:carrier", "trunk:backup"}, func(ctx context.Context, gw string) (acd.Leg, error) {
		tried = append(tried, gw)
		return bx.set.Gateway("013800138000", acd.Party{}, nil)(ctx, gw)
	})
	if len(tried) != 2 || err == nil {
		t.Errorf("failover tried %v (err %v), want both gateways", tried, err)
	}

	startSIPp(t, bin, "testdata/options-uas.xml", carrierIP, port, 100, "")
	eventually(t, "up again", func() bool { bx.clock.fire(); return bx.status("carrier").Health == HealthUp })
	if s := bx.status("carrier"); s.LastError == "" {
		t.Errorf("status lost the last error: %+v", s)
	}
}

var _ = errors.Is
