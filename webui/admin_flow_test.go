package webui

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func adminPagesBrowser(t *testing.T) (*fixture, *fakeFirmware, *browser) {
	t.Helper()
	f, fw := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	return f, fw, b
}

// fieldError returns the message shown next to form field name.
func fieldError(body, name string) string {
	i := strings.Index(body, `id="f-`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	end := strings.Index(rest, "</div>")
	if end < 0 {
		return ""
	}
	j := strings.Index(rest[:end], `<p class="error"`)
	if j < 0 {
		return ""
	}
	s := rest[j:end]
	s = s[strings.Index(s, ">")+1:]
	return s[:strings.Index(s, "<")]
}

func TestAdmin_InvalidFormsShowEachMessageNextToItsFieldAndStoreNothing(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	cases := []struct {
		path   string
		form   url.Values
		fields map[string]string // field -> a part of its message
	}{
		{"/admin/extensions/new", url.Values{"number": {"1"}, "secret": {"short"}, "allowedNets": {"10.0.0.0/8\nnot-a-net"}},
			map[string]string{"number": i18n.T(i18n.EN, "store.err.digits", 2, 8)[:8], "secret": "", "allowedNets": "line 2"}},
		{"/admin/extensions/new", url.Values{"number": {"201"}}, map[string]string{"number": i18n.T(i18n.EN, "admin.err.exists")}},
		{"/admin/trunks/new", url.Values{"name": {"t 1"}, "host": {"bad host!"}, "port": {"x"}, "transport": {"udp"}, "dids": {"1 2 3"}},
			map[string]string{"name": "", "host": "", "port": i18n.T(i18n.EN, "admin.err.number"), "dids": "line 1"}},
		{"/admin/queues/new", url.Values{"name": {"q"}, "strategy": {"ringall"}, "members": {"11 99"}, "exitKeys": {"x callback"}, "announcePosition": {"on"}},
			map[string]string{"members": "line 1", "exitKeys": "line 1", "announceSeconds": ""}},
		{"/admin/hours/new", url.Values{"name": {"h"}, "weekly": {"someday 09:00-18:00\nmon 25:00-18:00"}, "holidays": {"13-45 Bad"}},
			map[string]string{"weekly": "line 1", "holidays": "line 1"}},
		{"/admin/agents/new", url.Values{"id": {"x"}, "skills": {"billing eleven"}}, map[string]string{"id": "", "name": "", "skills": "line 1"}},
		{"/admin/users/new", url.Values{"name": {"eve"}, "role": {"agent"}, "password": {"weak"}}, map[string]string{"password": ""}},
		{"/admin/users/admin", url.Values{"role": {"agent"}}, map[string]string{"role": i18n.T(i18n.EN, "admin.err.last_admin")}},
	}
	before, _ := f.st.Counts()
	for _, c := range cases {
		r := b.post(c.path, c.form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, msg(i18n.EN, "web.form.has_errors")) {
			t.Errorf("%s: no summary message", c.path)
		}
		for field, want := range c.fields {
			got := fieldError(r.Body, field)
			if got == "" || !strings.Contains(got, msg(i18n.EN, "x")[:0]+htmlEsc(want)) {
				t.Errorf("%s: field %s shows %q, want a message with %q", c.path, field, got, want)
			}
		}
	}
	after, _ := f.st.Counts()
	for k, n := range before {
		if after[k] != n {
			t.Errorf("%s: %d records before, %d after refused forms", k, n, after[k])
		}
	}
	if u, _ := store.Get[store.User](f.st, "admin"); u.Role != store.RoleAdmin {
		t.Fatal("the last administrator was demoted")
	}
}

func htmlEsc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestAdmin_SavesAreAuditedWithWhoWhatAndMaskedSecrets(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	wantRedirect(t, b.post("/admin/extensions/new", url.Values{"number": {"202"}, "name": {"Back office"}, "voicemail": {"on"}}), "/admin/extensions?done=")
	e, err := store.Get[store.Extension](f.st, "202")
	if err != nil || store.CheckSecret(e.Secret) != nil || !e.Voicemail {
		t.Fatalf("created extension %+v (err %v): want a generated strong secret", e, err)
	}
	// An edit with the secret left empty keeps it.
	wantRedirect(t, b.post("/admin/extensions/202", url.Values{"name": {"Back office 2"}}), "/admin/extensions")
	e2, _ := store.Get[store.Extension](f.st, "202")
	if e2.Secret != e.Secret || e2.Name != "Back office 2" || e2.Voicemail {
		t.Fatalf("after edit: %+v", e2)
	}
	wantRedirect(t, b.post("/admin/queues/sales", url.Values{"strategy": {"ringall"}, "members": {"11 3 10 2\n12"}, "exitKeys": {"1 callback\n0 vm 201"},
		"announceSeconds": {"30"}, "announcePosition": {"on"}, "overflow": {"201"}, "callbackTries": {"3"}}), "/admin/queues")
	q, _ := store.Get[store.Queue](f.st, "sales")
	if len(q.Members) != 2 || q.Members[0] != (store.QueueMember{Agent: "11", Level: 3, Penalty: 10, Weight: 2}) || q.Members[1].Level != 1 ||
		len(q.ExitKeys) != 2 || q.ExitKeys[1].Target != "201" || !q.AnnouncePosition || q.CallbackTries != 3 {
		t.Fatalf("queue after save: %+v", q)
	}
	wantRedirect(t, b.post("/admin/hours/office", url.Values{"weekly": {"mon-fri 09:00-18:00\nsat 22:00-06:00"}, "holidays": {"2026-10-01..2026-10-07 National Day\n12-25"}}), "/admin/hours")
	h, _ := store.Get[store.Hours](f.st, "office")
	if len(h.Weekly) != 6 || h.Weekly[5].End != "06:00" || len(h.Holidays) != 2 || h.Holidays[0].To != "2026-10-07" || h.Holidays[1].From != "12-25" {
		t.Fatalf("hours after save: %+v", h)
	}
	if r := b.get("/admin/hours/office"); !strings.Contains(r.Body, "mon-fri 09:00-18:00\nsat 22:00-06:00") {
		t.Fatalf("weekly hours are not shown as entered:\n%s", r.Body)
	}
	wantRedirect(t, b.post("/admin/extensions/202/delete", url.Values{}), "/admin/extensions")
	if _, err := store.Get[store.Extension](f.st, "202"); err == nil {
		t.Fatal("not deleted")
	}

	log, _ := store.AuditTail(f.st, 10)
	want := []struct{ action, key, has string }{
		{"delete", "202", `name: was "Back office 2"`},
		{"update", "office", "weekly:"},
		{"update", "sales", "strategy: \"skills\" -> \"ringall\""},
		{"update", "202", `name: "Back office" -> "Back office 2"`},
		{"create", "202", "secret: (changed)"},
	}
	for i, w := range want {
		a := log[i]
		if a.Action != w.action || a.Name != w.key || a.User != "admin" || a.Addr != "192.0.2.10" || !strings.Contains(a.Detail, w.has) {
			t.Errorf("audit %d: %+v, want %s %s with %q", i, a, w.action, w.key, w.has)
		}
		if strings.Contains(a.Detail, e.Secret) {
			t.Errorf("audit %d shows the secret: %q", i, a.Detail)
		}
	}
	r := b.get("/admin/audit")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "Back office 2") {
		t.Error("audit page does not show the change")
	}
}

func TestAdmin_BulkCreatesARangeWithStrongSecretsAndPrintsTheSheet(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	r := b.post("/admin/extensions/bulk", url.Values{"first": {"0300"}, "last": {"0319"}, "name": {"Desk {n}"}, "allowedNets": {"192.168.1.0/24"}, "voicemail": {"on"}})
	wantStatus(t, r, http.StatusOK)
	exts, _ := store.List[store.Extension](f.st)
	if len(exts) != 21 {
		t.Fatalf("%d extensions, want 1 + 20", len(exts))
	}
	secrets := map[string]bool{}
	for _, e := range exts[:20] {
		if !strings.HasPrefix(e.Number, "03") || e.Name != "Desk "+e.Number || store.CheckSecret(e.Secret) != nil || len(e.AllowedNets) != 1 {
			t.Fatalf("bulk extension %+v", e)
		}
		if secrets[e.Secret] {
			t.Fatal("two extensions share a secret")
		}
		secrets[e.Secret] = true
		if !strings.Contains(r.Body, e.Secret) || !strings.Contains(r.Body, ">"+e.Number+"<") {
			t.Fatalf("sheet lacks %s", e.Number)
		}
	}
	if !strings.Contains(r.Body, "pbx.example.cn") {
		t.Error("sheet does not name the SIP domain")
	}
	// An overlapping range creates nothing and names the taken numbers.
	r = b.post("/admin/extensions/bulk", url.Values{"first": {"0318"}, "last": {"0325"}, "name": {"x"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldError(r.Body, "first"); !strings.Contains(got, "0318, 0319") {
		t.Fatalf("overlap message %q", got)
	}
	for _, c := range []url.Values{{"first": {"10"}, "last": {"9"}}, {"first": {"10"}, "last": {"100"}}, {"first": {"1000"}, "last": {"9999"}}} {
		r = b.post("/admin/extensions/bulk", c)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if fieldError(r.Body, "last") == "" {
			t.Errorf("%v: no message at the last number", c)
		}
	}
	if n, _ := store.List[store.Extension](f.st); len(n) != 21 {
		t.Fatalf("refused ranges created extensions: %d", len(n))
	}
	r = b.get("/admin/extensions/sheet?from=0305&to=0306")
	if strings.Count(r.Body, `class="ext"`) != 2 {
		t.Fatalf("sheet of two: %s", r.Body)
	}
}

func TestAdmin_SecurityListsBansLiftsOneAndSetsAllowedNetworks(t *testing.T) {
	f, fw, b := adminPagesBrowser(t)
	r := b.get("/admin/security")
	if !strings.Contains(r.Body, "198.51.100.7/32") || !strings.Contains(r.Body, msg(i18n.EN, "sip.fail.wrong_password")) {
		t.Fatalf("ban not shown:\n%s", r.Body)
	}
	wantRedirect(t, b.post("/admin/security/lift", url.Values{"addr": {"198.51.100.7"}}), "/admin/security")
	if len(fw.lifted) != 1 || len(fw.bans) != 0 {
		t.Fatalf("lifted %v", fw.lifted)
	}
	wantStatus(t, b.post("/admin/security/lift", url.Values{"addr": {"198.51.100.7"}}), http.StatusNotFound)
	r = b.post("/admin/security/nets", url.Values{"number": {"201"}, "allowedNets": {"10.1.0.0/16\nnonsense"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, "nonsense") {
		t.Error("the refused text is not shown again")
	}
	wantRedirect(t, b.post("/admin/security/nets", url.Values{"number": {"201"}, "allowedNets": {"10.1.0.0/16\n192.168.5.7"}}), "/admin/security")
	if e, _ := store.Get[store.Extension](f.st, "201"); len(e.AllowedNets) != 2 {
		t.Fatalf("allowed nets %v", e.AllowedNets)
	}
	if a, _ := store.AuditTail(f.st, 2); a[0].Action != "update" || a[1].Action != "lift-ban" {
		t.Fatalf("audit %+v", a)
	}
}

func TestAdmin_BackupDownloadsAndRestoreAcceptsOnlyACheckedStore(t *testing.T) {
	f, fw, b := adminPagesBrowser(t)
	r := b.get("/admin/backup/download")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") || len(r.Body) < 4096 {
		t.Fatalf("backup: %v, %d bytes", r.Header, len(r.Body))
	}
	snapshot := r.Body
	upload := func(data string) reply {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf", b.csrf)
		w, _ := mw.CreateFormFile("file", "callbox.db")
		_, _ = w.Write([]byte(data))
		_ = mw.Close()
		return b.do(http.MethodPost, "/admin/backup/restore", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
	}
	r = upload(snapshot[:len(snapshot)/2])
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if fw.restored != nil {
		t.Fatal("a truncated file reached the firmware")
	}
	r = upload("not a database at all")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantRedirect(t, upload(snapshot), "/admin/backup?done=")
	if string(fw.restored) != snapshot {
		t.Fatal("the firmware did not get the upload")
	}
	if a, _ := store.AuditTail(f.st, 2); a[0].Action != "restore" || a[1].Action != "backup" {
		t.Fatalf("audit %+v", a)
	}
	if m, _ := filepath.Glob(filepath.Join(t.TempDir(), "..", "callbox-restore-*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}

func TestAdmin_LiveStateAndLogTailAreServedAsFragments(t *testing.T) {
	_, _, b := adminPagesBrowser(t)
	r := b.get("/admin/trunks?fragment=rows")
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, msg(i18n.EN, "admin.live.registered")) {
		t.Fatalf("trunk rows fragment:\n%s", r.Body)
	}
	r = b.get("/admin/lines")
	if !strings.Contains(r.Body, msg(i18n.EN, "admin.live.line.in-call")) {
		t.Fatal("line state not shown")
	}
	r = b.get("/admin/logs?fragment=tail")
	if strings.Contains(r.Body, "<b>bold") || !strings.Contains(r.Body, "&lt;b&gt;bold") || strings.Contains(r.Body, "<html") {
		t.Fatalf("log tail:\n%s", r.Body)
	}
}

func TestAdmin_SetupAsksSIPDomainAndPortsAndShowsTheNetwork(t *testing.T) {
	f, fw := newAdminFixture(t)
	b := f.browser()
	r := b.get("/setup")
	if !strings.Contains(r.Body, "192.168.1.10/24") || !strings.Contains(r.Body, `name="sipPort"`) {
		t.Fatalf("setup page lacks network or SIP:\n%s", r.Body)
	}
	form := url.Values{"password": {testPassword}, "password2": {testPassword}, "siteName": {"Shop"}, "lang": {"en"}, "country": {"us"},
		"timeZone": {"America/New_York"}, "sipDomain": {"bad_domain!"}, "sipPort": {"80"}, "sipTLSPort": {"5061"}}
	r = b.post("/setup", form)
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "admin.setup.domain_bad")) || !strings.Contains(r.Body, msg(i18n.EN, "admin.setup.port_range")) {
		t.Fatalf("no SIP messages:\n%s", r.Body)
	}
	form.Set("sipDomain", "pbx.shop.example")
	form.Set("sipPort", "5080")
	form.Set("sipTLSPort", "5081")
	wantRedirect(t, b.post("/setup", form), "/login?setup=done")
	if fw.sip != (SIPSettings{Domain: "pbx.shop.example", Port: 5080, TLSPort: 5081}) {
		t.Fatalf("SIP settings %+v", fw.sip)
	}
	if a, _ := store.AuditTail(f.st, 1); len(a) != 1 || a[0].Action != "setup" || a[0].User != "admin" {
		t.Fatalf("setup audit %+v", a)
	}
}

func TestAdmin_QueueRecordingPolicyIsKeptAcrossSaves(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	form := url.Values{"strategy": {"ringall"}, "members": {"11"}, "record": {"none"}}
	wantRedirect(t, b.post("/admin/queues/sales", form), "/admin/queues")
	if q, _ := store.Get[store.Queue](f.st, "sales"); q.Record != store.RecordNone {
		t.Fatalf("policy after save: %q, want none", q.Record)
	}
	// The edit page shows it chosen, so saving the page again keeps it.
	page := b.get("/admin/queues/sales")
	wantStatus(t, page, 200)
	if !strings.Contains(page.Body, `<option value="none" selected>`) {
		t.Fatal("the edit page does not show the stored policy chosen")
	}
	form.Set("record", "sometimes")
	r := b.post("/admin/queues/sales", form)
	if fieldError(r.Body, "record") == "" {
		t.Fatalf("an unknown policy was not refused next to its field (status %d)", r.StatusCode)
	}
}

func TestAdmin_VoicemailPINIsStoredHashedAndKeptWhenLeftBlank(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	wantRedirect(t, b.post("/admin/extensions/new", url.Values{"number": {"203"}, "voicemail": {"on"}, "voicemailPin": {"4096"}}), "/admin/extensions?done=")
	e, err := store.Get[store.Extension](f.st, "203")
	if err != nil || !e.CheckVoicemailPIN("4096") || strings.Contains(e.VoicemailPIN, "4096") {
		t.Fatalf("extension %+v (err %v): want the PIN's hash", e, err)
	}
	page := b.get("/admin/extensions/203")
	wantStatus(t, page, 200)
	if strings.Contains(page.Body, e.VoicemailPIN) {
		t.Fatal("the edit page shows the PIN's hash")
	}
	wantRedirect(t, b.post("/admin/extensions/203", url.Values{"name": {"Reception"}, "voicemail": {"on"}}), "/admin/extensions")
	if e2, _ := store.Get[store.Extension](f.st, "203"); e2.VoicemailPIN != e.VoicemailPIN {
		t.Fatal("an edit with the PIN left blank changed it")
	}
	r := b.post("/admin/extensions/203", url.Values{"voicemailPin": {"1234"}})
	if fieldError(r.Body, "voicemailPin") == "" {
		t.Fatalf("a run of digits was accepted as a PIN (status %d)", r.StatusCode)
	}
}

func TestAdmin_RoutesAreEditedAsRecordsWithFieldMessages(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	wantRedirect(t, b.post("/admin/inroutes/new", url.Values{"name": {"hotline"}, "order": {"10"}, "did": {"4008001234"},
		"target": {"queue:sales"}}), "/admin/inroutes")
	in, err := store.Get[store.InboundRoute](f.st, "hotline")
	if err != nil || in.DID != "4008001234" || in.Target != "queue:sales" || in.Order != 10 {
		t.Fatalf("inbound route %+v, %v", in, err)
	}
	r := b.post("/admin/inroutes/new", url.Values{"name": {"bad"}, "target": {"somewhere"}})
	if fieldError(r.Body, "target") == "" {
		t.Fatalf("a target without a kind was not refused next to its field (status %d)", r.StatusCode)
	}
	wantRedirect(t, b.post("/admin/outroutes/new", url.Values{"name": {"national"}, "pattern": {"_90."}, "strip": {"1"},
		"callerId": {"01088886666"}, "gateways": {"trunk:carrier\nline:fxo1"}}), "/admin/outroutes")
	out, err := store.Get[store.OutboundRoute](f.st, "national")
	if err != nil || out.Strip != 1 || len(out.Gateways) != 2 || out.Gateways[1] != "line:fxo1" {
		t.Fatalf("outbound route %+v, %v", out, err)
	}
	r = b.post("/admin/outroutes/new", url.Values{"name": {"worse"}, "pattern": {"_9."}, "gateways": {"carrier"}})
	if fieldError(r.Body, "gateways") == "" {
		t.Fatalf("a gateway without its kind was not refused next to its field (status %d)", r.StatusCode)
	}
}

func TestAdmin_SiteSettingsKeepWhatTheFormDoesNotShow(t *testing.T) {
	f, _, b := adminPagesBrowser(t)
	// One record: the list opens it, and there is nothing to add or delete.
	wantRedirect(t, b.get("/admin/site"), "/admin/site/site")
	wantStatus(t, b.get("/admin/site/new"), http.StatusNotFound)
	wantStatus(t, b.post("/admin/site/site/delete", url.Values{}), http.StatusNotFound)
	page := b.get("/admin/site/site")
	wantStatus(t, page, 200)
	before, _ := store.GetSettings(f.st)
	form := url.Values{"siteName": {"Hotline"}, "lang": {"zh"}, "country": {"cn"}, "timeZone": {"Asia/Shanghai"},
		"faxDestination": {"209"}, "featureCodes": {"voicemail *97\npickup"}, "emergency": {"110\n119\n120"}}
	wantRedirect(t, b.post("/admin/site/site", form), "/admin/site")
	st, err := store.GetSettings(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if st.SiteName != "Hotline" || st.FaxDestination != "209" || st.FeatureCodes["voicemail"] != "*97" ||
		st.FeatureCodes["pickup"] != "" || len(st.Emergency) != 3 || st.SetupDone != before.SetupDone || !st.SetupDone {
		t.Fatalf("settings after save: %+v", st)
	}
	form.Set("country", "atlantis")
	form.Set("featureCodes", "voicemail *97 extra")
	r := b.post("/admin/site/site", form)
	if fieldError(r.Body, "country") == "" || fieldError(r.Body, "featureCodes") == "" {
		t.Fatalf("bad country and feature line not refused next to their fields (status %d)", r.StatusCode)
	}
}

func TestAdmin_TLSCertificateUploadIsCheckedAndAudited(t *testing.T) {
	f, fw, b := adminPagesBrowser(t)
	b.get("/admin/security") // the page's CSRF token
	upload := func(cert, key string) reply {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf", b.csrf)
		for name, data := range map[string]string{"cert": cert, "key": key} {
			if data == "" {
				continue
			}
			w, _ := mw.CreateFormFile(name, name+".pem")
			_, _ = w.Write([]byte(data))
		}
		_ = mw.Close()
		return b.do(http.MethodPost, "/admin/security/certificate", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
	}
	r := upload("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", "")
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "admin.security.cert_missing")) {
		t.Fatal("a missing key is not explained")
	}
	r = upload("hello", "world")
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "admin.security.cert_bad")) || fw.cert != nil {
		t.Fatal("a refused pair is not explained, or reached the firmware")
	}
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	wantRedirect(t, upload(cert, "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"), "/admin/security")
	if string(fw.cert) != cert {
		t.Fatal("the certificate did not reach the firmware")
	}
	audits, _ := store.AuditTail(f.st, 1)
	if len(audits) != 1 || audits[0].Action != "install-certificate" {
		t.Fatalf("audit %+v", audits)
	}
}
