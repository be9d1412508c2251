package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"callbox/firmware/store"
)

// The end-to-end tests of the switch against the binary; the helpers are
// in sipp_helpers_test.go.

func TestCallbox_PhonesRegisterAndCallEachOtherThroughTheBox(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	b := startBox(t, data)

	wrong := runSIPp(t, bin, "register.xml", freeUDP(t), b.sip, "-s", "203", "-au", "203", "-ap", "not-the-secret-1A")
	if err := wrong.wait(); err == nil {
		t.Fatalf("a wrong password registered\n%s", wrong.out.String())
	}

	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "202", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	callee.check(t, "callee 202")
	// Two seconds of 20 ms packets from the caller reach the callee
	// through the box's relay (from the box's media port, not SIPp's).
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the callee got %d RTP packets, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Caller != "201" || c.Callee != "202" || c.Source != "ext:201" || c.Route != "ext:202" || c.Answer.IsZero() ||
		c.HangupSide != store.HangupSide("caller") {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_CallFromASimulatedPSTNLineRingsAnExtension(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	b := startBox(t, data)
	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	pstn := runSIPp(t, bin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase),
		"-s", "80081", "-key", "callerid", "13800138000", "-key", "callername", "PSTN caller")
	pstn.check(t, "PSTN caller")
	callee.check(t, "callee 202")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the extension got %d RTP packets from the line, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Caller != "13800138000" || c.Source != "line:line1" || c.Direction != store.Direction("in") ||
		!strings.Contains(c.Route, "inbound:line-line1") || !strings.HasSuffix(c.Route, "ext:202") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_OutsideNumberGoesOutOverASimulatedLine(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	// The far end of the simulated lines: a SIPp UAS playing the
	// exchange and the called party.
	peerPort := freeUDP(t)
	sink := newMediaSink(t)
	far := runSIPp(t, bin, "answer-uas.xml", peerPort, "", "-s", "13800138000", "-key", "mport", strconv.Itoa(sink.port()))
	far.waitBound(t, "127.0.0.1", peerPort)
	b := startBox(t, data, "--sim-peer", "127.0.0.1:"+strconv.Itoa(peerPort))
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "013800138000", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	far.check(t, "far end")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the far end got %d RTP packets over the line, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "outbound:default>line:line1" || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_OutsideNumberGoesOutOverASIPTrunkWithItsCallerID(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	carrierPort := freeUDP(t)
	s := seed(t, data, withTrunk(carrierPort))
	sink := newMediaSink(t)
	carrier := runCarrierSIPp(t, bin, "carrier-uas.xml", carrierPort, "", "-s", "13800138000", "-key", "mport", strconv.Itoa(sink.port()))
	carrier.waitBound(t, carrierAddr, carrierPort)
	b := startBox(t, data)
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "013800138000", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	carrier.check(t, "carrier")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the carrier got %d RTP packets, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "outbound:default>trunk:carrier" || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_CallFromASIPTrunkRingsTheExtensionItsDIDNames(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, withTrunk(freeUDP(t)))
	b := startBox(t, data)
	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	// The carrier sends a call for DID 202 without digest: it is known by
	// its address.
	in := runCarrierSIPp(t, bin, "pstn-call.xml", freeUDP(t), b.sip, "-s", "202", "-key", "callerid", "13900001111",
		"-key", "callername", "Carrier caller")
	in.check(t, "carrier caller")
	callee.check(t, "callee 202")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the extension got %d RTP packets from the trunk, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Source != "trunk:carrier" || c.Caller != "13900001111" || c.Route != "inbound:did-ext-202>ext:202" {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_DemoLineCallerHearsTheIVR(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	b := startBox(t, data, "--demo")
	sink := newMediaSink(t)
	sink.echo.Store(false)
	caller := runSIPp(t, bin, "pstn-listen.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase),
		"-s", "80081", "-key", "callerid", "13800138000", "-key", "callername", "Demo caller", "-key", "mport", strconv.Itoa(sink.port()))
	caller.check(t, "PSTN caller")
	// Three seconds of the demo flow's greeting: 20 ms packets.
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the caller heard %d RTP packets, want the IVR's greeting", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Source != "line:line1" || !strings.HasPrefix(c.Route, "inbound:line-line1>flow:demo") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
	t.Logf("route through the IVR: %s", c.Route)
}

func TestCallbox_PSTNCallerQueuesForAnAgentWhoLoggedInByFeatureCode(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, func(st *store.Store) error {
		for _, r := range []func() error{
			func() error { _, err := store.Put(st, store.Skill{Name: "sales"}); return err },
			func() error {
				_, err := store.Put(st, store.Agent{ID: "802", Name: "Anna", Extension: "202", Enabled: true,
					Skills: []store.SkillLevel{{Skill: "sales", Level: 5}}})
				return err
			},
			func() error {
				_, err := store.Put(st, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll,
					Members: []store.QueueMember{{Agent: "802", Level: 1, Weight: 1}}, RingSeconds: 20})
				return err
			},
			func() error {
				_, err := store.Put(st, store.Line{ID: "line2", Type: store.LineFXO, Device: "sim:2", Route: "queue:sales", Enabled: true})
				return err
			},
		} {
			if err := r(); err != nil {
				return err
			}
		}
		return nil
	})
	b := startBox(t, data)
	login := runSIPp(t, bin, "feature-uac.xml", freeUDP(t), b.sip, "-s", "*45", "-key", "caller", "202",
		"-au", "202", "-ap", s.secrets["202"])
	login.check(t, "agent log-in *45 at 202")
	sink := newMediaSink(t)
	desk := phone(t, bin, b, s, "202", sink)
	pstn := runSIPp(t, bin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase+1),
		"-s", "80082", "-key", "callerid", "13800138000", "-key", "callername", "Customer")
	pstn.check(t, "PSTN caller")
	desk.check(t, "agent's desk 202")
	if n := sink.packets.Load(); n < 25 {
		t.Errorf("the agent got %d RTP packets from the caller", n)
	}
	var queued *store.CDR
	cdrs := b.cdrs(t)
	for i, c := range cdrs {
		if c.Source == "line:line2" {
			queued = &cdrs[i]
		}
	}
	if queued == nil {
		t.Fatalf("no CDR of the queued call: %+v", cdrs)
	}
	if queued.Route != "inbound:line-line2>queue:sales" || queued.Queue != "sales" || queued.Agent != "802" || queued.Answer.IsZero() {
		t.Errorf("CDR %+v", *queued)
	}
}

func TestCallbox_CallerLeavesAMessageWhenTheExtensionIsNotRegistered(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, func(st *store.Store) error {
		secret, err := store.GenerateSecret(20)
		if err != nil {
			return err
		}
		_, err = store.Put(st, store.Extension{Number: "204", Name: "Away desk", Secret: secret, Voicemail: true})
		return err
	})
	b := startBox(t, data)
	caller := runSIPp(t, bin, "message-uac.xml", freeUDP(t), b.sip, "-s", "204", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "ext:204>voicemail:204" || c.Disposition != store.Disposition("voicemail") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
	st, err := store.Open(filepath.Join(data, "callbox.db"), store.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := store.List[store.Recording](st)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings %+v %v, want the message", recs, err)
	}
}

func TestCallbox_ACallCutByShutdownStillLeavesACDR(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	b := startBox(t, data)
	sink := newMediaSink(t)
	phone(t, bin, b, s, "202", sink)
	// A long call (message-uac.xml stays twelve seconds); the box is
	// stopped while it is up. The SIPp ends see a BYE they did not
	// expect, which is the point.
	runSIPp(t, bin, "message-uac.xml", freeUDP(t), b.sip, "-s", "202", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	deadline := time.Now().Add(15 * time.Second)
	for sink.packets.Load() < 10 {
		if time.Now().After(deadline) {
			t.Fatal("the call never carried audio")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want the cut call's: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Answer.IsZero() || c.End.IsZero() || c.Route != "ext:202" {
		t.Errorf("CDR %+v", c)
	}
}
