package messaging_test

import (
	"strings"
	"testing"

	"callbox/acd/messaging"
	"callbox/drivers/modem/modemsim"
	"callbox/drivers/modem/sms"
	"callbox/firmware/store"
)

func TestSimulator_SimDevicesRunTheRealDriverAndFollowLineChanges(t *testing.T) {
	sim := messaging.NewSimulator(modemsim.NewNetwork("+8613800100500"))
	t.Cleanup(func() { sim.Close() })
	b := newBox(t, messaging.Config{Open: sim.Open, Rules: []messaging.Rule{{Name: "hi", Keyword: "hi", Reply: "hello"}}})
	for _, l := range []store.Line{
		{ID: "gsm0", Type: store.LineGSM, Device: "sim:gsm0", Number: boxGSM, Enabled: true},
		{ID: "fax0", Type: store.LineGSM, Device: "sim:fax0", Enabled: true},
		{ID: "fxo1", Type: store.LineFXO, Device: "sim:1", Enabled: true}, // a voice line: not a modem
		{ID: "gsm9", Type: store.LineGSM, Device: "/dev/callbox-no-such-modem", Enabled: true},
	} {
		if _, err := store.Put(b.st, l); err != nil {
			t.Fatal(err)
		}
	}
	b.start()
	b.lineUp("gsm0", true, false)
	b.lineUp("fax0", false, true)
	// A device that does not open is on the status page with why; the
	// other lines work.
	waitFor(t, "open error shown", func() bool {
		for _, s := range b.svc.Status() {
			if s.Line == "gsm9" && strings.Contains(s.Error, "no such file") {
				return true
			}
		}
		return false
	})
	if n := len(b.svc.Status()); n != 3 {
		t.Fatalf("%d modem lines, want 3", n)
	}
	gsm := sim.Modem("sim:gsm0")
	if err := gsm.Deliver(sms.Deliver{From: customer, Text: "hi there"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reply", func() bool { return len(sentTo(gsm, customer)) == 1 })

	// Disabling a line stops its modem; the status page loses it.
	if _, err := store.Update(b.st, "fax0", func(l *store.Line) error { l.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fax line gone", func() bool { return len(b.svc.Status()) == 2 })
	if s := b.svc.Status()[0]; s.Line != "gsm0" || s.Modem.Info.Model != "simulated GSM modem" || s.Modem.Info.SIM != "READY" {
		t.Fatalf("status %+v", s)
	}
}

func TestDemo_LinesRulesAndDocumentAreValid(t *testing.T) {
	for _, l := range messaging.DemoLines("sales") {
		if err := l.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range messaging.DemoRules() {
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := messaging.New(messaging.Config{Store: newBox(t, messaging.Config{}).st, Rules: messaging.DemoRules()}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	doc, err := messaging.DemoDocument(t.Context(), dir)
	if err != nil || doc.Name != "100" || doc.Pages != 1 {
		t.Fatalf("%+v, %v", doc, err)
	}
}
