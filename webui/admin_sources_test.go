package webui

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// dataFixture is a set-up box whose web server has a running live
// directory and CTI hub, as the firmware wires them.
type dataFixture struct {
	*fixture
	live *source.Live
	hub  *cti.Hub
}

func newDataFixture(t testing.TB) *dataFixture {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	df := &dataFixture{fixture: f}
	log := slog.New(slog.DiscardHandler)
	df.live = source.NewLive(f.st, directory.PlanCN, log)
	// The hub signs webhooks with the fixture's clock, as the web server
	// signs the test event, so receivers check both against one clock.
	hub, err := cti.New(cti.Config{Store: f.st, Bus: acd.NewBus(), Lookup: df.live, WebhookBackoff: time.Millisecond,
		WebhookRetries: 2, Logger: log, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	df.hub = hub
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "test", CTI: hub, Directory: df.live, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{df.live.Run, hub.Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	df.waitSources(t, "builtin")
	return df
}

// waitSources waits until the live directory runs exactly these sources,
// in this order (it rebuilds them after a store change, on its own
// goroutine).
func (df *dataFixture) waitSources(t testing.TB, names ...string) {
	t.Helper()
	want := strings.Join(names, ",")
	var got []string
	for range 2000 {
		got = got[:0]
		for _, h := range df.live.Health() {
			got = append(got, h.Name)
		}
		if strings.Join(got, ",") == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("live directory runs %v, want %s", got, want)
}

func (df *dataFixture) admin() *browser {
	b := df.browser()
	b.login("admin", testPassword)
	return b
}

// auditCount counts the audit entries about kind.
func auditCount(t *testing.T, st *store.Store, kind store.Kind) int {
	t.Helper()
	all, err := store.List[store.Audit](st)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range all {
		if a.Of == kind {
			n++
		}
	}
	return n
}

// crm is a CRM over HTTP/JSON that knows one number and wants a bearer
// token.
func crm(t testing.TB, number, name string) (*httptest.Server, *sync.Map) {
	seen := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store("auth", r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer crm-secret-value" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("phone") != number {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"full_name":"` + name + `","org":"Acme","tier":"gold"}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// deadURL is an http URL on loopback where nothing listens.
func deadURL(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/lookup?n={number}"
}

func httpSourceForm(name, u string) url.Values {
	return url.Values{"name": {name}, "url": {u}, "header": {"Authorization"}, "headerValue": {"Bearer crm-secret-value"},
		"fields": {"name=data.0.full_name\ncompany=data.0.org\ntier=data.0.tier"}, "timeoutMs": {"800"}}
}

func TestAdminSources_AddedHTTPSourceAnswersWithoutRestartAndItsSecretIsNeverShown(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	srv, seen := crm(t, "+8613812345678", "Wang Fang")

	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("crm", srv.URL+"/customers?phone={number}")), "/admin/sources")
	df.waitSources(t, "builtin", "crm")
	res, err := df.live.Lookup(t.Context(), "013812345678")
	if err != nil || res.Record.Name != "Wang Fang" || res.Record.Fields["tier"] != "gold" {
		t.Fatalf("live lookup after adding the CRM: %+v, %v", res, err)
	}
	if v, _ := seen.Load("auth"); v != "Bearer crm-secret-value" {
		t.Fatalf("CRM got Authorization %q", v)
	}

	for _, p := range []string{"/admin/sources", "/admin/sources/crm/edit"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.Body, "crm-secret-value") {
			t.Fatalf("%s shows the stored header value", p)
		}
	}
	list := b.get("/admin/sources").Body
	for _, want := range []string{`data-source="crm"`, srv.URL, msg(i18n.EN, "wa2.src.ok"), msg(i18n.EN, "wa2.src.counts", 1, 0)} {
		if !strings.Contains(list, want) {
			t.Errorf("sources page lacks %q", want)
		}
	}

	// The rows the page polls for live health come without the layout.
	frag := b.get("/admin/sources?fragment=rows")
	wantStatus(t, frag, http.StatusOK)
	if body := strings.TrimSpace(frag.Body); !strings.HasPrefix(body, `<tbody id="rows"`) || strings.Contains(body, "<html") || !strings.Contains(body, `data-source="crm"`) {
		t.Errorf("rows fragment:\n%s", body)
	}

	// An edit that leaves the secret blank keeps it; the audit log says
	// it did not change, and never holds it.
	form := httpSourceForm("crm", srv.URL+"/customers?phone={number}&v=2")
	form.Set("headerValue", "")
	wantRedirect(t, b.post("/admin/sources/crm/edit", form), "/admin/sources")
	cfg, err := store.Get[store.DirectoryConfig](df.st, store.DirectoryConfigKey)
	if err != nil || len(cfg.Sources) != 2 || cfg.Sources[1].HeaderValue != "Bearer crm-secret-value" || !strings.HasSuffix(cfg.Sources[1].URL, "&v=2") {
		t.Fatalf("stored after edit: %+v, %v", cfg, err)
	}
	audits, _ := store.List[store.Audit](df.st)
	if len(audits) != 2 {
		t.Fatalf("%d audit entries, want create and update", len(audits))
	}
	for _, a := range audits {
		if strings.Contains(a.Detail, "crm-secret-value") {
			t.Fatalf("audit entry holds the secret: %q", a.Detail)
		}
	}
	if !strings.Contains(audits[0].Detail, "headerValue: (changed)") || strings.Contains(audits[1].Detail, "headerValue") {
		t.Errorf("audit details:\n%s\n--\n%s", audits[0].Detail, audits[1].Detail)
	}
}

func TestAdminSources_RefusesSplicedSQLAndNamesABadURLTemplateNextToTheField(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	cases := []struct {
		typ   string
		form  url.Values
		field string
		want  string
	}{
		{"sql", url.Values{"name": {"erp"}, "driver": {"pgx"}, "dsn": {"postgres://u:p@127.0.0.1/db"},
			"query": {"SELECT name FROM customers WHERE phone = '{number}'"}}, "query", msg(i18n.EN, "wa2.err.query_spliced", "$1")},
		{"sql", url.Values{"name": {"erp"}, "driver": {"pgx"}, "dsn": {"postgres://u:p@127.0.0.1/db"},
			"query": {"SELECT name FROM customers WHERE phone = '$1'"}}, "query", msg(i18n.EN, "wa2.err.query_param", "$1")},
		{"sql", url.Values{"name": {"erp"}, "driver": {"mysql"}, "dsn": {"u:p@tcp(127.0.0.1)/db"},
			"query": {"SELECT name FROM customers WHERE phone = $1"}}, "query", msg(i18n.EN, "wa2.err.query_param", "?")},
		{"sql", url.Values{"name": {"erp"}, "driver": {"pgx"}, "dsn": {"postgres://u:p@127.0.0.1/db"},
			"query": {"SELECT name FROM c WHERE phone = $1; DROP TABLE c"}}, "query", msg(i18n.EN, "wa2.err.query_many")},
		{"http", url.Values{"name": {"crm"}, "url": {"ftp://crm.example/{number}"}, "fields": {"name=n"}}, "url",
			msg(i18n.EN, "wa2.err.url_template", "ftp://crm.example/{number}")},
		{"http", url.Values{"name": {"crm"}, "url": {"https://crm.example/customers"}, "fields": {"name=n"}}, "url", msg(i18n.EN, "wa2.err.no_number")},
		{"http", url.Values{"name": {"crm"}, "url": {"https://crm.example/{number}"}, "fields": {"name"}}, "fields", msg(i18n.EN, "wa2.err.mapping", 1, "name")},
		{"ldap", url.Values{"name": {"corp"}, "url": {"ldap://127.0.0.1:389"}, "baseDn": {"dc=example,dc=com"},
			"filter": {"(telephoneNumber={number}"}, "fields": {"name=cn"}}, "filter", "LDAP"},
		{"ldap", url.Values{"name": {"corp"}, "url": {"http://dir.example"}, "baseDn": {"dc=x"},
			"filter": {"(mobile={number})"}, "fields": {"name=cn"}}, "url", msg(i18n.EN, "wa2.err.ldap_url", "http://dir.example")},
		{"http", url.Values{"name": {"lookup"}, "url": {"https://crm.example/{number}"}, "fields": {"name=n"}}, "name", msg(i18n.EN, "admin.err.exists")},
	}
	for _, c := range cases {
		r := b.post("/admin/sources/new?type="+c.typ, c.form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		i := strings.Index(r.Body, `id="e-`+c.field+`"`)
		if i < 0 || !strings.Contains(r.Body[i:min(len(r.Body), i+400)], c.want) {
			t.Errorf("%s %v: no %q next to %s", c.typ, c.form, c.want, c.field)
		}
		if strings.Contains(r.Body, "u:p@") {
			t.Errorf("%s: the refused form echoes the DSN", c.typ)
		}
	}
	if _, err := store.Get[store.DirectoryConfig](df.st, store.DirectoryConfigKey); err == nil {
		t.Fatal("a refused form stored a configuration")
	}
	if n := auditCount(t, df.st, store.KindDirectoryConfig); n != 0 {
		t.Fatalf("%d audit entries for refused forms", n)
	}

	// A parameterised query is taken; its DSN is shown without password.
	good := url.Values{"name": {"erp"}, "driver": {"mysql"}, "dsn": {"app:Pg-Secret-9@tcp(127.0.0.1:3306)/crm"},
		"query": {"SELECT full_name AS name FROM customers WHERE phone = ? LIMIT 1"}}
	wantRedirect(t, b.post("/admin/sources/new?type=sql", good), "/admin/sources")
	for _, p := range []string{"/admin/sources", "/admin/sources/erp/edit"} {
		body := b.get(p).Body
		if strings.Contains(body, "Pg-Secret-9") || !strings.Contains(body, "app:•••@tcp(127.0.0.1:3306)/crm") {
			t.Errorf("%s: DSN not redacted", p)
		}
	}
}

func TestAdminSources_TestLookupShowsEachSourceAndMarksADeadOrSlowOnePartial(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	srv, _ := crm(t, "+8613812345678", "Wang Fang")
	put(t, df.st, store.Customer{ID: "c1", Name: "Li Lei <b>", Numbers: []string{"+8613812345678"}, VIP: true})
	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("crm", srv.URL+"/c?phone={number}")), "/admin/sources")

	r := b.post("/admin/sources/lookup", url.Values{"number": {"13812345678"}})
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{msg(i18n.EN, "wa2.lookup.found"), msg(i18n.EN, "wa2.lookup.complete"), "Li Lei &lt;b&gt;", "Acme",
		msg(i18n.EN, "wa2.rec.sources")} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("complete lookup lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `id="partial"`) {
		t.Error("a lookup every source answered is marked partial")
	}

	// A dead CRM: the others still answer, its error is shown, and the
	// answer is marked partial.
	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("down", deadURL(t))), "/admin/sources")
	r = b.post("/admin/sources/lookup", url.Values{"number": {"+86 138 1234 5678"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `id="partial"`) || !strings.Contains(r.Body, "Li Lei &lt;b&gt;") {
		t.Fatalf("lookup with a dead source: not partial, or the found record is missing:\n%s", r.Body)
	}
	row := r.Body[strings.Index(r.Body, `<tr data-try="down">`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, msg(i18n.EN, "wa2.try.failed")) || !strings.Contains(row, "connection refused") {
		t.Errorf("dead source's row: %s", row)
	}
	crmRow := r.Body[strings.Index(r.Body, `<tr data-try="crm">`):]
	if !strings.Contains(crmRow[:strings.Index(crmRow, "</tr>")], msg(i18n.EN, "wa2.try.found")) {
		t.Errorf("CRM row: %s", crmRow[:strings.Index(crmRow, "</tr>")])
	}

	// A slow CRM, past the deadline: no answer, marked partial, and the
	// lookup returns by the deadline.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	wantRedirect(t, b.post("/admin/sources/builtin/delete", url.Values{}), "/admin/sources")
	wantRedirect(t, b.post("/admin/sources/down/delete", url.Values{}), "/admin/sources")
	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("slow", slow.URL+"/c?phone={number}")), "/admin/sources")
	wantRedirect(t, b.post("/admin/sources/settings", url.Values{"deadlineMs": {"300"}, "cacheSeconds": {"0"}}), "/admin/sources")
	r = b.post("/admin/sources/lookup", url.Values{"number": {"13812345678"}})
	wantStatus(t, r, http.StatusOK)
	slowRow := r.Body[strings.Index(r.Body, `<tr data-try="slow">`):]
	slowRow = slowRow[:strings.Index(slowRow, "</tr>")]
	if !strings.Contains(r.Body, `id="partial"`) || !strings.Contains(r.Body, "Wang Fang") ||
		!(strings.Contains(slowRow, msg(i18n.EN, "wa2.try.timeout")) || strings.Contains(slowRow, msg(i18n.EN, "wa2.try.no_answer"))) {
		t.Errorf("lookup with a slow source: %s\n%s", slowRow, r.Body)
	}

	r = b.post("/admin/sources/lookup", url.Values{"number": {"call me"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, `id="e-number"`) {
		t.Error("a number that is none has no message next to the field")
	}
}

func TestAdminSources_ReorderSettingsAndDeleteApplyAndAreAudited(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	srv, _ := crm(t, "+8613812345678", "Wang Fang")
	wantRedirect(t, b.post("/admin/sources/new?type=http", httpSourceForm("crm", srv.URL+"/c?phone={number}")), "/admin/sources")
	wantRedirect(t, b.post("/admin/sources/crm/move", url.Values{"dir": {"up"}}), "/admin/sources")
	df.waitSources(t, "crm", "builtin")
	wantStatus(t, b.post("/admin/sources/crm/move", url.Values{"dir": {"sideways"}}), http.StatusBadRequest)

	r := b.post("/admin/sources/settings", url.Values{"deadlineMs": {"99999"}, "cacheSeconds": {"60"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, msg(i18n.EN, "store.err.range", 0, 60000)) {
		t.Error("no range message next to the deadline")
	}
	wantRedirect(t, b.post("/admin/sources/settings", url.Values{"deadlineMs": {"900"}, "cacheSeconds": {"-1"}}), "/admin/sources")
	cfg, _ := store.Get[store.DirectoryConfig](df.st, store.DirectoryConfigKey)
	if cfg.DeadlineMS != 900 || cfg.CacheSeconds != -1 {
		t.Fatalf("settings stored %+v", cfg)
	}

	wantRedirect(t, b.post("/admin/sources/builtin/delete", url.Values{}), "/admin/sources")
	df.waitSources(t, "crm")
	if !strings.Contains(b.get("/admin/sources").Body, msg(i18n.EN, "wa2.src.add_builtin")) {
		t.Error("no way to add the built-in directory back")
	}
	wantRedirect(t, b.post("/admin/sources/new?type=builtin", url.Values{}), "/admin/sources")
	df.waitSources(t, "crm", "builtin")
	wantStatus(t, b.post("/admin/sources/nosuch/delete", url.Values{}), http.StatusNotFound)
	if n := auditCount(t, df.st, store.KindDirectoryConfig); n != 5 {
		t.Fatalf("%d audit entries, want 5 (create, move, settings, delete, create)", n)
	}
}

func TestAdminSources_PagesRenderInBothLanguagesWithoutRawKeys(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	put(t, df.st, store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{{Type: "builtin"},
		{Type: "ldap", Name: "corp", URL: "ldap://127.0.0.1:1", BaseDN: "dc=x" + xss, Filter: "(mobile={number})", Fields: map[string]string{"name": "cn"}}}})
	for _, lang := range i18n.Langs {
		if err := setUserLang(df.fixture, "admin", lang); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/admin/sources", "/admin/sources/corp/edit", "/admin/sources/new?type=http", "/admin/sources/new?type=sql",
			"/admin/sources/new?type=ldap", "/admin/tokens", "/admin/tokens/new", "/admin/webhooks", "/admin/webhooks/new"} {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK)
			if k := rawKey.FindString(r.Body); k != "" || strings.Contains(r.Body, ">wa2.") {
				t.Errorf("%s (%s): catalogue key shown as is: %q", p, lang, k)
			}
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("%s: stored HTML not escaped", p)
			}
		}
	}
}

func TestRedactDSN_HidesThePasswordInEveryForm(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/crm?sslmode=disable": "postgres://app:•••@db:5432/crm?sslmode=disable",
		"app:s3cret@tcp(127.0.0.1:3306)/crm":                "app:•••@tcp(127.0.0.1:3306)/crm",
		"host=db user=app password=s3cret dbname=crm":       "host=db user=app password=••• dbname=crm",
		"postgres://db/crm":                                 "postgres://db/crm",
	} {
		if got := redactDSN(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdminSources_AStoredConfigurationThatCannotStartIsShownAboveTheList(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	// Stored through the API's way round the page: the store takes it,
	// the directory cannot build it (no field mapping) and keeps the old.
	put(t, df.st, store.DirectoryConfig{ID: store.DirectoryConfigKey, Sources: []store.DataSource{{Type: "builtin"},
		{Type: "http", Name: "crm", URL: "http://127.0.0.1:9/c?n={number}"}}})
	for i := 0; df.live.Err() == nil; i++ {
		if i > 2000 {
			t.Fatal("the directory took the configuration")
		}
		time.Sleep(5 * time.Millisecond)
	}
	body := b.get("/admin/sources").Body
	if !strings.Contains(body, `<p class="alert" role="alert">`+msg(i18n.EN, "wa2.src.live_err", "")[:40]) {
		t.Fatalf("no alert about the configuration the directory could not start:\n%s", body)
	}
	row := body[strings.Index(body, `<tr data-source="crm">`):]
	if !strings.Contains(row[:strings.Index(row, "</tr>")], msg(i18n.EN, "wa2.src.not_running")) {
		t.Errorf("crm row does not say it is not running: %s", row[:strings.Index(row, "</tr>")])
	}
}
