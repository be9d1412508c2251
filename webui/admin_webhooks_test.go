package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

var shownSecret = regexp.MustCompile(`id="new-secret">([A-Za-z0-9_-]{43})<`)

// receiver is a webhook receiver that checks signatures with its secret
// and answers code.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	code   int
	got    []string // event types whose signature checked out
	bad    int      // requests whose signature did not
}

func newReceiver(t *testing.T, code int, now func() time.Time) *receiver {
	rv := &receiver{code: code}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rv.mu.Lock()
		defer rv.mu.Unlock()
		if err := cti.VerifySignature(rv.secret, r.Header.Get(cti.HeaderSignature), body, now(), time.Minute); err != nil {
			rv.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		rv.got = append(rv.got, r.Header.Get(cti.HeaderEvent))
		w.WriteHeader(rv.code)
	}))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) events() []string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]string(nil), rv.got...)
}

func TestAdminWebhooks_GeneratedSecretIsShownOnceAndTheTestEventIsSignedWithIt(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	rv := newReceiver(t, http.StatusNoContent, df.clock.Now)

	r := b.post("/admin/webhooks/new", url.Values{"id": {"crm"}, "url": {rv.URL + "/hook"}, "events": {"call.offered", "call.ended"}, "enabled": {"on"}})
	wantStatus(t, r, http.StatusCreated)
	m := shownSecret.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("generated secret not shown:\n%s", r.Body)
	}
	rv.secret = m[1]
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the secret may be cached")
	}
	hk, err := store.Get[store.Webhook](df.st, "crm")
	if err != nil || hk.Secret != m[1] || !hk.Enabled || strings.Join(hk.Events, ",") != "call.offered,call.ended" {
		t.Fatalf("stored %+v, %v", hk, err)
	}
	for _, p := range []string{"/admin/webhooks", "/admin/webhooks/crm/edit"} {
		if body := b.get(p).Body; strings.Contains(body, m[1]) {
			t.Fatalf("%s shows the secret again", p)
		}
	}

	r = b.post("/admin/webhooks/crm/test", url.Values{})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `<p class="notice" role="status">Test event delivered: HTTP 204`) {
		t.Fatalf("no delivered notice:\n%s", r.Body)
	}
	if got := rv.events(); len(got) != 1 || got[0] != testEventType {
		t.Fatalf("receiver got %v (bad signatures: %d)", got, rv.bad)
	}
	log := r.Body[strings.Index(r.Body, `class="list deliveries"`):]
	if !strings.Contains(log, "<code>test</code>") || !strings.Contains(log, ">204<") || !strings.Contains(log, msg(i18n.EN, "wa2.hook.ok")) {
		t.Errorf("delivery log lacks the test:\n%s", log)
	}

	// An edit with the secret left blank keeps it; a new one replaces it.
	wantRedirect(t, b.post("/admin/webhooks/crm/edit", url.Values{"url": {rv.URL + "/v2"}, "events": {"agent.state"}}), "/admin/webhooks")
	if hk, _ := store.Get[store.Webhook](df.st, "crm"); hk.Secret != m[1] || hk.Enabled || hk.URL != rv.URL+"/v2" {
		t.Fatalf("after edit %+v", hk)
	}
	wantRedirect(t, b.post("/admin/webhooks/crm/edit", url.Values{"url": {rv.URL}, "secret": {"a-new-secret-of-enough-length"}, "enabled": {"on"}}), "/admin/webhooks")
	audits, _ := store.List[store.Audit](df.st)
	if len(audits) != 4 { // create, test, update, update
		t.Fatalf("%d audit entries: %+v", len(audits), audits)
	}
	for _, a := range audits {
		if strings.Contains(a.Detail, m[1]) || strings.Contains(a.Detail, "a-new-secret") {
			t.Fatalf("audit entry holds a secret: %q", a.Detail)
		}
	}
	if !strings.Contains(audits[3].Detail, "secret: (changed)") || strings.Contains(audits[2].Detail, "secret") {
		t.Errorf("audit details:\n%s\n--\n%s", audits[2].Detail, audits[3].Detail)
	}

	wantRedirect(t, b.post("/admin/webhooks/crm/delete", url.Values{}), "/admin/webhooks")
	if _, err := store.Get[store.Webhook](df.st, "crm"); err == nil {
		t.Fatal("deleted webhook still stored")
	}
}

func TestAdminWebhooks_DeliveryLogShowsTheHubsAttemptsAndAFailedTestSaysWhy(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	ok := newReceiver(t, http.StatusOK, df.clock.Now)
	ok.secret = "ok-secret-0123456789"
	down := newReceiver(t, http.StatusServiceUnavailable, df.clock.Now)
	down.secret = "down-secret-0123456789"
	put(t, df.st, store.Webhook{ID: "good", URL: ok.URL, Secret: ok.secret, Enabled: true})
	put(t, df.st, store.Webhook{ID: "flaky", URL: down.URL, Secret: down.secret, Enabled: true, Events: []string{cti.EventCallOffered}})

	df.hub.Offered(t.Context(), cti.OfferInfo{CallID: "call-1", Agent: "101", Extension: "201", Queue: "sales",
		Caller: acd.Party{Number: "+8613812345678"}})
	final := func(id string) bool {
		for _, d := range df.hub.Deliveries() {
			if d.Webhook == id && d.Final {
				return true
			}
		}
		return false
	}
	for i := 0; !final("good") || !final("flaky"); i++ {
		if i > 2000 {
			t.Fatalf("deliveries did not end: %+v", df.hub.Deliveries())
		}
		time.Sleep(5 * time.Millisecond)
	}

	body := b.get("/admin/webhooks/flaky/edit").Body
	log := body[strings.Index(body, `class="list deliveries"`):]
	row := log[strings.Index(log, "<code>call.offered</code>"):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{">503<", ">3<", msg(i18n.EN, "wa2.hook.failed"), "Service Unavailable"} {
		if !strings.Contains(row, want) {
			t.Errorf("flaky webhook's row lacks %q: %s", want, row)
		}
	}
	list := b.get("/admin/webhooks").Body
	if !strings.Contains(list, msg(i18n.EN, "wa2.hook.ok")) || !strings.Contains(list, msg(i18n.EN, "wa2.hook.failed")) {
		t.Errorf("list does not show the last deliveries:\n%s", list)
	}

	// The test event to a receiver that refuses it, then to none at all.
	r := b.post("/admin/webhooks/flaky/test", url.Values{})
	if !strings.Contains(r.Body, msg(i18n.EN, "wa2.hook.test_status", 503, "")[:40]) {
		t.Errorf("refused test not reported:\n%s", r.Body)
	}
	down.Close()
	r = b.post("/admin/webhooks/flaky/test", url.Values{})
	if !strings.Contains(r.Body, `<p class="alert" role="alert">`+msg(i18n.EN, "wa2.hook.test_err", "")) || !strings.Contains(r.Body, "connection refused") {
		t.Errorf("unreachable receiver not reported:\n%s", r.Body)
	}
}

func TestAdminWebhooks_BadURLAndUnknownEventsAreRefusedNextToTheirFields(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	r := b.post("/admin/webhooks/new", url.Values{"id": {"x y"}, "url": {"ftp://crm.example/hook"}, "events": {"call.exploded"}, "secret": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for field, want := range map[string]string{"events": msg(i18n.EN, "wa2.err.event", "call.exploded")} {
		i := strings.Index(r.Body, `id="e-`+field+`"`)
		if i < 0 || !strings.Contains(r.Body[i:min(len(r.Body), i+200)], want) {
			t.Errorf("no %q next to %s", want, field)
		}
	}
	r = b.post("/admin/webhooks/new", url.Values{"id": {"x y"}, "url": {"ftp://crm.example/hook"}, "secret": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for _, field := range []string{"id", "url", "secret"} {
		if !strings.Contains(r.Body, `id="e-`+field+`"`) {
			t.Errorf("no message next to %s", field)
		}
	}
	if strings.Contains(r.Body, `value="short"`) {
		t.Error("the refused form echoes the secret")
	}
	if hooks, _ := store.List[store.Webhook](df.st); len(hooks) != 0 {
		t.Fatalf("refused forms stored %+v", hooks)
	}
}

// adminDataPosts are the state-changing endpoints of the three pages,
// each with a form that would be accepted.
var adminDataPosts = map[string]url.Values{
	"/admin/sources/new?type=http":  httpSourceForm("crm", "http://127.0.0.1:9/c?n={number}"),
	"/admin/sources/builtin/move":   {"dir": {"down"}},
	"/admin/sources/builtin/delete": {},
	"/admin/sources/settings":       {"deadlineMs": {"900"}},
	"/admin/sources/lookup":         {"number": {"13812345678"}},
	"/admin/tokens/new":             {"name": {"crm"}, "role": {"admin"}, "expires": {"0"}},
	"/admin/webhooks/new":           {"id": {"h2"}, "url": {"http://127.0.0.1:9/"}},
	"/admin/webhooks/h1/edit":       {"url": {"http://127.0.0.1:9/x"}},
	"/admin/webhooks/h1/test":       {},
	"/admin/webhooks/h1/delete":     {},
}

var adminDataPages = []string{"/admin/sources", "/admin/sources/new?type=sql", "/admin/tokens", "/admin/tokens/new",
	"/admin/webhooks", "/admin/webhooks/new", "/admin/webhooks/h1/edit"}

func TestAdminData_AgentsAndSupervisorsGet403AndPostsWithoutCSRFChangeNothing(t *testing.T) {
	df := newDataFixture(t)
	put(t, df.st, store.Webhook{ID: "h1", URL: "http://127.0.0.1:9/", Secret: "0123456789abcdef0", Enabled: true})
	df.addUser("ann", store.RoleAgent, testPassword, false)
	df.addUser("sam", store.RoleSupervisor, testPassword, false)
	for _, who := range []string{"ann", "sam"} {
		b := df.browser()
		b.login(who, testPassword)
		for _, p := range adminDataPages {
			wantStatus(t, b.get(p), http.StatusForbidden)
		}
		for p, form := range adminDataPosts {
			wantStatus(t, b.post(p, form), http.StatusForbidden)
		}
	}
	b := df.admin()
	for p, form := range adminDataPosts {
		form.Set("csrf", "")
		r := b.post(p, form)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(r.Body, msg(i18n.EN, "web.error.csrf")) {
			t.Errorf("%s: no CSRF message", p)
		}
		form.Del("csrf")
	}
	if audits, _ := store.List[store.Audit](df.st); len(audits) != 0 {
		t.Fatalf("refused posts wrote audit entries: %+v", audits)
	}
	if _, err := store.Get[store.DirectoryConfig](df.st, store.DirectoryConfigKey); err == nil {
		t.Fatal("a refused post stored the directory configuration")
	}
	if toks, _ := store.List[store.APIToken](df.st); len(toks) != 0 {
		t.Fatal("a refused post made a token")
	}
}
