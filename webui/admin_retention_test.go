package webui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// fakePurger stands in for firmware.Retention.
type fakePurger struct {
	mu    sync.Mutex
	runs  int
	last  store.PurgeResult
	ran   bool
	disk  store.DiskUse
	start time.Time
}

func (p *fakePurger) PurgeNow(context.Context) (store.PurgeResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runs++
	p.last = store.PurgeResult{Trigger: "manual", Start: p.start, End: p.start.Add(1500 * time.Millisecond), Batches: 3,
		Counts:      []store.PurgeCount{{Class: store.PurgeCDRs, Deleted: 1200, Bytes: 3 << 30}, {Class: store.PurgeDiskCap, Deleted: 7, Bytes: 7 << 20}},
		CapExceeded: true, Problems: []string{"cdrs \"bad\": <b>unreadable</b>"}}
	p.ran = true
	return p.last, nil
}

func (p *fakePurger) LastPurge() (store.PurgeResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.ran
}

func (p *fakePurger) RecordingDisk() (store.DiskUse, error) { return p.disk, nil }

func newRetentionFixture(t *testing.T) (*fixture, *fakePurger) {
	t.Helper()
	f := newFixture(t)
	p := &fakePurger{start: f.clock.Now(), disk: store.DiskUse{Total: 100 << 30, Used: 91 << 30, Recordings: 60 << 30}}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus, Retention: p})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.finishSetup()
	return f, p
}

// retentionForm is the defaults as the page would post them.
func retentionForm() url.Values {
	return url.Values{"cdrDays": {"365"}, "recordingDays": {"90"}, "contactDays": {"365"}, "agentLogDays": {"180"},
		"messageDays": {"365"}, "voicemailDays": {"60"}, "voicemailUnheardDays": {"0"}, "recordingDiskPercent": {"85"},
		"recordingDiskGiB": {"0"}, "purgeAt": {"03:30"}}
}

func TestRetentionPage_ShowsDefaultsDiskUseAndLastPurgeInBothLanguages(t *testing.T) {
	f, p := newRetentionFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	for _, lang := range i18n.Langs {
		b.cookies[langCookie] = string(lang)
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		r := b.get("/admin/retention")
		wantStatus(t, r, http.StatusOK)
		for _, want := range []string{`name="cdrDays" value="365"`, `name="purgeAt" value="03:30"`, "/admin/retention/purge",
			msg(lang, "retention.none_yet"), msg(lang, "retention.disk.over"), "91.0 GiB"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
		if k := rawKey.FindString(r.Body); k != "" {
			t.Errorf("%s: catalogue key %q shown as is", lang, k)
		}
	}
	if _, err := p.PurgeNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := b.get("/admin/retention")
	if !strings.Contains(r.Body, "3.0 GiB") || !strings.Contains(r.Body, "&lt;b&gt;unreadable") || !strings.Contains(r.Body, msg(i18n.ZH, "retention.last.cap")) {
		t.Errorf("the last purge is not shown (or not escaped):\n%s", r.Body)
	}
	// The status page shows the same.
	r = b.get("/status")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `id="status-retention"`) || !strings.Contains(r.Body, "60.0 GiB") || !strings.Contains(r.Body, "1207") {
		t.Errorf("status page lacks the retention card:\n%s", r.Body)
	}
}

func TestRetentionPage_SavesThePolicyAndRefusesBadFieldsWithTheirMessages(t *testing.T) {
	f, _ := newRetentionFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	b.get("/admin/retention")
	form := retentionForm()
	form.Set("cdrDays", "730")
	form.Set("recordingDays", "30")
	form.Set("purgeAt", "02:15")
	r := b.post("/admin/retention/policy", form)
	wantRedirect(t, r, "/admin/retention?done=admin.done.saved")
	got, err := store.GetRetention(f.st)
	if err != nil || got.CDRDays != 730 || got.RecordingDays != 30 || got.PurgeAt != "02:15" || got.RecordingDiskPercent != 85 {
		t.Fatalf("stored %+v, %v", got, err)
	}
	audit, _ := store.AuditTail(f.st, 1)
	if len(audit) != 1 || audit[0].Of != store.KindRetention || !strings.Contains(audit[0].Detail, `cdrDays: "365" -> "730"`) {
		t.Fatalf("audit: %+v", audit)
	}

	bad := retentionForm()
	bad.Set("recordingDays", "400") // longer than the call records
	bad.Set("recordingDiskPercent", "5")
	bad.Set("purgeAt", "7pm")
	bad.Set("messageDays", "ten")
	r = b.post("/admin/retention/policy", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, want := range []string{
		msg(i18n.EN, "store.err.recording_outlives_cdr", 365),
		msg(i18n.EN, "store.err.disk_percent", store.MinDiskPercent, store.MaxDiskPercent),
		msg(i18n.EN, "store.err.purge_at"),
		msg(i18n.EN, "admin.err.number"),
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if after, _ := store.GetRetention(f.st); after != got {
		t.Fatalf("a refused form changed the policy: %+v", after)
	}
}

func TestRetentionPurge_NeedsTheAdminRole(t *testing.T) {
	f, p := newRetentionFixture(t)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	for _, who := range []string{"sam", "ann"} {
		b := f.browser()
		b.login(who, testPassword)
		b.get("/")
		wantStatus(t, b.post("/admin/retention/purge", url.Values{}), http.StatusForbidden)
		wantStatus(t, b.get("/admin/retention"), http.StatusForbidden)
		wantStatus(t, b.post("/admin/retention/policy", retentionForm()), http.StatusForbidden)
		wantStatus(t, b.json("POST", "/api/v1/retention/purge", map[string]any{}), http.StatusForbidden)
	}
	if p.runs != 0 {
		t.Fatalf("%d purges ran for non-admins", p.runs)
	}
	b := f.browser()
	b.login("admin", testPassword)
	b.get("/admin/retention")
	wantRedirect(t, b.post("/admin/retention/purge", url.Values{}), "/admin/retention?done=admin.done.purged")
	r := b.json("POST", "/api/v1/retention/purge", map[string]any{})
	wantStatus(t, r, http.StatusOK)
	res := decode[store.PurgeResult](t, r)
	if p.runs != 2 || res.Deleted() != 1207 {
		t.Fatalf("runs %d, result %+v", p.runs, res)
	}
	got := decode[retentionJSON](t, b.get("/api/v1/retention"))
	if got.Policy != store.DefaultRetention() || got.LastPurge == nil || got.Disk == nil || got.Disk.Recordings != 60<<30 {
		t.Fatalf("GET /api/v1/retention: %+v", got)
	}
}

func TestRetentionPurge_WithoutAServiceIsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/admin/retention")
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "/admin/retention/purge") {
		t.Error("purge button shown without a purge service")
	}
	wantStatus(t, b.post("/admin/retention/purge", url.Values{}), http.StatusServiceUnavailable)
}

func TestCDRHold_SupervisorHoldsAndReleasesACall(t *testing.T) {
	f, _ := newRetentionFixture(t)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	t0 := f.clock.Now()
	c := store.CDR{ID: "c1", Caller: "+8613800138000", Callee: "600", Direction: store.DirectionIn, Start: t0, End: t0.Add(time.Minute),
		Disposition: store.DispositionNoAnswer, Recording: "c1"}
	rec := store.Recording{ID: "c1", Path: "rec/2026/03/01/c1.wav", SHA256: strings.Repeat("ab", 32), CallID: "c1"}
	if _, err := store.PutAll(f.st, c, rec); err != nil {
		t.Fatal(err)
	}
	ann := f.browser()
	ann.login("ann", testPassword)
	wantStatus(t, ann.json("PUT", "/api/v1/cdrs/c1/hold", map[string]any{"hold": true}), http.StatusForbidden)

	sam := f.browser()
	sam.login("sam", testPassword)
	wantStatus(t, sam.json("PUT", "/api/v1/cdrs/c1/hold", map[string]any{"hold": true}), http.StatusOK)
	gc, _ := store.Get[store.CDR](f.st, "c1")
	gr, _ := store.Get[store.Recording](f.st, "c1")
	if !gc.Hold || !gr.Hold {
		t.Fatalf("hold: cdr %v recording %v", gc.Hold, gr.Hold)
	}
	wantStatus(t, sam.json("PUT", "/api/v1/cdrs/c1/hold", map[string]any{"hold": false}), http.StatusOK)
	if gc, _ = store.Get[store.CDR](f.st, "c1"); gc.Hold {
		t.Fatal("hold not released")
	}
	wantStatus(t, sam.json("PUT", "/api/v1/cdrs/nope/hold", map[string]any{"hold": true}), http.StatusNotFound)
	wantStatus(t, sam.json("PUT", "/api/v1/cdrs/c1/hold", map[string]any{}), http.StatusBadRequest)
	wantStatus(t, sam.json("PUT", "/api/v1/cdrs/c1/hold", map[string]any{"hold": "yes"}), http.StatusBadRequest)
	audit, _ := store.AuditTail(f.st, 2)
	if len(audit) != 2 || audit[0].Action != "release-hold" || audit[1].Action != "hold" {
		t.Fatalf("audit: %+v", audit)
	}
}

func TestCDRHold_TheCallRecordsPageButtonHoldsAndGoesBackToTheSearch(t *testing.T) {
	f, _ := newRetentionFixture(t)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	t0 := f.clock.Now().Add(-time.Hour)
	c := store.CDR{ID: store.NewID(t0), Caller: "+8613800138000", Callee: "600", Direction: store.DirectionIn, Start: t0, End: t0.Add(time.Minute),
		Disposition: store.DispositionNoAnswer}
	if _, err := store.Put(f.st, c); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("sam", testPassword)
	r := b.get("/reports")
	wantStatus(t, r, http.StatusOK)
	action := `action="/reports/cdrs/` + c.ID + `/hold"`
	if !strings.Contains(r.Body, action) || !strings.Contains(r.Body, msg(i18n.EN, "reports.hold.set")) {
		t.Fatalf("no hold button on the call records page:\n%s", r.Body)
	}
	r = b.post("/reports/cdrs/"+c.ID+"/hold", url.Values{"hold": {"on"}, "back": {"/reports?caller=138"}})
	wantRedirect(t, r, "/reports?caller=138")
	if got, _ := store.Get[store.CDR](f.st, c.ID); !got.Hold {
		t.Fatal("not held")
	}
	if r := b.get("/reports"); !strings.Contains(r.Body, msg(i18n.EN, "reports.hold.release")) {
		t.Error("a held call shows no release button")
	}
	// Elsewhere than the reports is not a place to go back to.
	wantRedirect(t, b.post("/reports/cdrs/"+c.ID+"/hold", url.Values{"hold": {"off"}, "back": {"https://evil.example/"}}), "/reports")
	if got, _ := store.Get[store.CDR](f.st, c.ID); got.Hold {
		t.Fatal("not released")
	}
}

func TestRetentionAPI_PutSavesThePolicyOrNamesTheBadFields(t *testing.T) {
	f, _ := newRetentionFixture(t)
	b := f.browser()
	b.login("admin", testPassword)
	b.get("/admin/retention")
	p := store.DefaultRetention()
	p.CDRDays, p.RecordingDays, p.RecordingDiskGiB = 0, 0, 500
	wantStatus(t, b.json("PUT", "/api/v1/retention", p), http.StatusOK)
	if got, _ := store.GetRetention(f.st); got.CDRDays != 0 || got.RecordingDiskGiB != 500 {
		t.Fatalf("stored %+v", got)
	}
	p.CDRDays, p.RecordingDays, p.PurgeAt = 30, 60, "noon"
	r := b.json("PUT", "/api/v1/retention", p)
	wantStatus(t, r, http.StatusBadRequest)
	errs := decode[fieldErrors](t, r)
	if errs.Errors["recordingDays"] == "" || errs.Errors["purgeAt"] == "" {
		t.Fatalf("field errors %+v", errs)
	}
	wantStatus(t, b.json("PUT", "/api/v1/retention", map[string]any{"cdrDays": 1, "nonsense": true}), http.StatusBadRequest)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	sam := f.browser()
	sam.login("sam", testPassword)
	wantStatus(t, sam.json("PUT", "/api/v1/retention", store.DefaultRetention()), http.StatusForbidden)
}
