package webui

import (
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// sipBox is a web UI whose firmware stored SIP ports 5070/5071 but
// listens on live (fixed: set by --sip).
type sipBox struct {
	stored SIPSettings
	saved  int // SaveSIP calls
	live   SIPSettings
	fixed  bool
}

func newSIPFixture(t *testing.T, fw *sipBox) *fixture {
	t.Helper()
	f := newFixture(t)
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus,
		LoadSIP:      func() (SIPSettings, error) { return fw.stored, nil },
		SaveSIP:      func(s SIPSettings) error { fw.stored = s; fw.saved++; return nil },
		SIPListening: func() (SIPSettings, bool) { return fw.live, fw.fixed }})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f
}

// TestSetup_ShowsPortsTheCommandLineSetReadOnly: started with --sip, the
// box listens on 25060/25061 whatever setup saved (5070/5071); the setup
// page shows the ports it listens on, read-only, and saving setup leaves
// the stored SIP settings alone.
func TestSetup_ShowsPortsTheCommandLineSetReadOnly(t *testing.T) {
	fw := &sipBox{stored: SIPSettings{Domain: "old.example.cn", Port: 5070, TLSPort: 5071},
		live: SIPSettings{Port: 25060, TLSPort: 25061}, fixed: true}
	f := newSIPFixture(t, fw)
	b := f.browser()
	r := b.get("/setup")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `<td id="sipPortLive">25060</td>`) || !strings.Contains(r.Body, `<td id="sipTLSPortLive">25061</td>`) {
		t.Fatalf("setup does not show the ports the box listens on:\n%s", r.Body)
	}
	if strings.Contains(r.Body, "5070") || strings.Contains(r.Body, `name="sipPort"`) {
		t.Fatal("setup offers the stored ports, which the command line overrides")
	}
	if !strings.Contains(r.Body, msg(i18n.EN, "sipleft.setup.fixed")) {
		t.Fatal("setup does not say the command line sets the ports")
	}
	// The form has no SIP fields then; setup goes through and stores
	// nothing of SIP.
	wantRedirect(t, b.post("/setup", setupForm(testPassword, testPassword)), "/login?setup=done")
	if fw.saved != 0 || fw.stored.Port != 5070 {
		t.Fatalf("setup saved SIP settings %+v (%d times) though the command line sets them", fw.stored, fw.saved)
	}
}

// TestSetup_StoredPortsStayEditableWithoutCommandLine: without --sip the
// form edits the stored ports, as before.
func TestSetup_StoredPortsStayEditableWithoutCommandLine(t *testing.T) {
	fw := &sipBox{stored: SIPSettings{Port: 5070, TLSPort: 5071}, live: SIPSettings{Port: 5070, TLSPort: 5071}}
	f := newSIPFixture(t, fw)
	b := f.browser()
	r := b.get("/setup")
	if !strings.Contains(r.Body, `name="sipPort" value="5070"`) {
		t.Fatalf("setup lacks the editable stored port:\n%s", r.Body)
	}
	form := setupForm(testPassword, testPassword)
	form.Set("sipPort", "5080")
	form.Set("sipTLSPort", "5081")
	wantRedirect(t, b.post("/setup", form), "/login?setup=done")
	if fw.stored.Port != 5080 || fw.stored.TLSPort != 5081 {
		t.Fatalf("stored %+v", fw.stored)
	}
}

// TestSheet_ShowsPortsTheBoxListensOn: the provisioning sheet and the
// overview name the ports the box listens on, not the stored ones.
func TestSheet_ShowsPortsTheBoxListensOn(t *testing.T) {
	fw := &sipBox{stored: SIPSettings{Domain: "old.example.cn", Port: 5070, TLSPort: 5071},
		live: SIPSettings{Port: 25060, TLSPort: 25061}, fixed: true}
	f := newSIPFixture(t, fw)
	f.finishSetup()
	if _, err := store.Put(f.st, store.Extension{Number: "8001", Name: "Desk", Secret: "Sheet-Secret-Blue7x"}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/admin/extensions/sheet")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "25060 (UDP/TCP), 25061 (TLS)") {
		t.Fatalf("sheet does not show the ports the box listens on:\n%s", r.Body)
	}
	if strings.Contains(r.Body, "5070") || strings.Contains(r.Body, "old.example.cn") {
		t.Fatal("sheet shows stored settings the command line overrides")
	}
	r = b.get("/admin")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "<td>25060</td>") || strings.Contains(r.Body, "<td>5070</td>") {
		t.Fatalf("overview does not show the ports the box listens on:\n%s", r.Body)
	}
}
