package webui

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd/voicemail"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/wav"
)

// vmPagesFixture is a set-up box with real mailboxes: extension 201 (with two
// messages, one of them new) and queue sales.
func vmPagesFixture(t *testing.T) (*fixture, *voicemail.Store, *browser) {
	t.Helper()
	f := newFixture(t)
	vm, err := voicemail.Open(filepath.Join(t.TempDir(), "voicemail"), voicemail.Limits{}, voicemail.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus, Voicemail: vm})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.finishSetup()
	for _, r := range []store.Record{
		store.Extension{Number: "201", Name: "Front " + xss, Secret: "Sip-Secret-201x", Voicemail: true},
		store.Queue{Name: "sales", Strategy: store.StrategyRingAll},
		store.Agent{ID: "11", Name: "Li Na", Extension: "201", Enabled: true},
	} {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []string{"13800138000", "<b>01012345678</b>"} {
		d, err := vm.Begin("201", from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.Path(), toneFile(t, pcm8k, 600, time.Second), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := d.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if from == "13800138000" {
			if err := vm.Save("201", m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := f.browser()
	b.login("admin", testPassword)
	return f, vm, b
}

func TestVoicemailPages_ListBoxesWithCountsGreetingsAndPINInBothLanguages(t *testing.T) {
	f, _, b := vmPagesFixture(t)
	for _, lang := range i18n.Langs {
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/admin/voicemail", "/admin/voicemail/box/201", "/admin/voicemail/box/sales"} {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK)
			if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "<b>0101") {
				t.Errorf("%s: stored HTML is not escaped", p)
			}
			if k := rawKey.FindString(r.Body); k != "" {
				t.Errorf("%s (%s): catalogue key %q shown as is", p, lang, k)
			}
		}
		r := b.get("/admin/voicemail")
		for _, want := range []string{`href="/admin/voicemail/box/201"`, `href="/admin/voicemail/box/sales"`, `<span class="badge bad">1</span>`, msg(lang, "vmbox.pin.none")} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: the list lacks %q", lang, want)
			}
		}
	}
	wantStatus(t, b.get("/admin/voicemail/box/999"), http.StatusNotFound)
	wantStatus(t, b.get("/admin/voicemail/box/..%2Fetc"), http.StatusNotFound)
}

func TestVoicemailPages_MessagesPlayAndDelete(t *testing.T) {
	f, vm, b := vmPagesFixture(t)
	msgs, err := vm.List("201")
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages %v %v", msgs, err)
	}
	page := b.get("/admin/voicemail/box/201")
	for _, m := range msgs {
		if !strings.Contains(page.Body, `src="/admin/voicemail/box/201/messages/`+m.ID+`/audio"`) {
			t.Fatalf("no player for %s", m.ID)
		}
	}
	r := b.get("/admin/voicemail/box/201/messages/" + msgs[0].ID + "/audio")
	wantStatus(t, r, http.StatusOK)
	if rd, err := wav.NewReader(strings.NewReader(r.Body)); err != nil || rd.Header().Format != wav.FormatPCM {
		t.Fatalf("message audio: %v", err)
	}
	wantStatus(t, b.get("/admin/voicemail/box/201/messages/nope/audio"), http.StatusNotFound)
	if !strings.Contains(strings.Join(auditActions(t, f), ","), "vm-listen 201/"+msgs[0].ID) {
		t.Error("listening to a message is not logged")
	}
	wantRedirect(t, b.post("/admin/voicemail/box/201/messages/"+msgs[0].ID+"/delete", url.Values{}), "/admin/voicemail/box/201?done=admin.done.vm_deleted")
	if left, _ := vm.List("201"); len(left) != 1 {
		t.Fatalf("%d messages left, want 1", len(left))
	}
	if !strings.Contains(strings.Join(auditActions(t, f), ","), "vm-delete 201/"+msgs[0].ID) {
		t.Error("no audit entry for the deletion")
	}
}

func TestVoicemailPages_GreetingsUploadPlayRemoveWithMessagesNextToTheField(t *testing.T) {
	f, vm, b := vmPagesFixture(t)
	b.get("/admin/voicemail/box/201")
	r := b.postFile("/admin/voicemail/box/201/greetings/busy", url.Values{}, "notwav.wav", []byte("ID3 this is an mp3"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, `id="e-greeting-busy">`+msg(i18n.EN, "vmbox.err.audio")) {
		t.Error("no message next to the busy greeting's file")
	}
	r = b.postFile("/admin/voicemail/box/201/greetings/busy", url.Values{}, "", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantRedirect(t, b.postFile("/admin/voicemail/box/201/greetings/busy", url.Values{}, "busy.wav", toneFile(t, pcm16k, 800, 2*time.Second)),
		"/admin/voicemail/box/201?done=admin.done.vm_greeting")
	if _, ok := vm.GreetingFile("201", voicemail.GreetingBusy); !ok {
		t.Fatal("the busy greeting was not stored")
	}
	page := b.get("/admin/voicemail/box/201")
	if !strings.Contains(page.Body, `src="/admin/voicemail/box/201/greetings/busy/audio"`) {
		t.Error("no player for the busy greeting")
	}
	wantStatus(t, b.get("/admin/voicemail/box/201/greetings/busy/audio"), http.StatusOK)
	wantStatus(t, b.get("/admin/voicemail/box/201/greetings/name/audio"), http.StatusNotFound)
	wantStatus(t, b.get("/admin/voicemail/box/201/greetings/party/audio"), http.StatusNotFound)
	wantRedirect(t, b.post("/admin/voicemail/box/201/greetings/busy/remove", url.Values{}), "/admin/voicemail/box/201?done=admin.done.vm_greeting_removed")
	if _, ok := vm.GreetingFile("201", voicemail.GreetingBusy); ok {
		t.Fatal("the busy greeting was not removed")
	}
	acts := strings.Join(auditActions(t, f), ",")
	if !strings.Contains(acts, "vm-greeting 201/busy") || !strings.Contains(acts, "vm-greeting-remove 201/busy") {
		t.Errorf("audit: %s", acts)
	}
}

func TestVoicemailPages_PINResetChecksThePINAndStoresOnlyItsHash(t *testing.T) {
	f, _, b := vmPagesFixture(t)
	b.get("/admin/voicemail/box/201")
	r := b.post("/admin/voicemail/box/201/pin", url.Values{"pin": {"1234"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, `id="e-pin">`) {
		t.Error("a weak PIN has no message next to the field")
	}
	wantRedirect(t, b.post("/admin/voicemail/box/201/pin", url.Values{"pin": {"739215"}}), "/admin/voicemail/box/201?done=admin.done.vm_pin")
	e, err := store.Get[store.Extension](f.st, "201")
	if err != nil {
		t.Fatal(err)
	}
	if !e.CheckVoicemailPIN("739215") || strings.Contains(e.VoicemailPIN, "739215") {
		t.Fatal("the PIN is not set, or kept in the clear")
	}
	audits, _ := store.List[store.Audit](f.st)
	for _, a := range audits {
		if strings.Contains(a.Detail, "739215") {
			t.Fatal("the PIN is in the audit log")
		}
	}
	wantStatus(t, b.post("/admin/voicemail/box/sales/pin", url.Values{"pin": {"739215"}}), http.StatusConflict)
	wantRedirect(t, b.post("/admin/voicemail/box/201/pin", url.Values{"pin": {""}}), "/admin/voicemail/box/201?done=")
	if e, _ := store.Get[store.Extension](f.st, "201"); e.VoicemailPIN != "" {
		t.Fatal("an empty PIN did not clear it")
	}
}

func TestVoicemailPages_AgentsGet403AndPostsWithoutCSRFAreRefused(t *testing.T) {
	f, vm, b := vmPagesFixture(t)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	msgs, _ := vm.List("201")
	posts := []string{"/admin/voicemail/box/201/messages/" + msgs[0].ID + "/delete", "/admin/voicemail/box/201/greetings/name",
		"/admin/voicemail/box/201/greetings/name/remove", "/admin/voicemail/box/201/pin"}
	before := len(auditActions(t, f))
	for _, who := range []string{"ann", "sam"} {
		o := f.browser()
		o.login(who, testPassword)
		for _, p := range []string{"/admin/voicemail", "/admin/voicemail/box/201", "/admin/voicemail/box/201/messages/" + msgs[0].ID + "/audio"} {
			wantStatus(t, o.get(p), http.StatusForbidden)
		}
		for _, p := range posts {
			wantStatus(t, o.postFile(p, url.Values{"pin": {"739215"}}, "g.wav", toneFile(t, pcm8k, 500, time.Second)), http.StatusForbidden)
		}
	}
	for _, p := range posts {
		wantStatus(t, b.postFile(p, url.Values{"csrf": {""}, "pin": {"739215"}}, "g.wav", toneFile(t, pcm8k, 500, time.Second)), http.StatusForbidden)
	}
	if left, _ := vm.List("201"); len(left) != 2 {
		t.Fatal("a refused request deleted a message")
	}
	if _, ok := vm.GreetingFile("201", voicemail.GreetingName); ok {
		t.Fatal("a refused request stored a greeting")
	}
	if after := len(auditActions(t, f)); after != before {
		t.Fatal("refused requests were audited as changes")
	}
}

func TestVoicemailPages_WithoutVoicemailTheListSaysSo(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/admin/voicemail")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, msg(i18n.EN, "vmbox.unavailable")) {
		t.Error("no note that voicemail is off")
	}
	wantStatus(t, b.get("/admin/voicemail/box/201"), http.StatusServiceUnavailable)
}
