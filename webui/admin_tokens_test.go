package webui

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

var shownToken = regexp.MustCompile(`id="new-token">(cbx_[0-9a-f]{12}_[A-Za-z0-9_-]{43})<`)

// apiGet calls the API with a bearer token, as a CRM does.
func apiGet(t *testing.T, h http.Handler, tok, path string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.50:41000"
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestAdminTokens_TheSecretIsShownOnceUseIsNotedAndRevokeRefusesIt(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	df.addUser("ann", store.RoleAgent, testPassword, false)

	r := b.post("/admin/tokens/new", url.Values{"name": {"CRM <prod>"}, "role": {"supervisor"}, "user": {""}, "expires": {"90"}})
	wantStatus(t, r, http.StatusCreated)
	m := shownToken.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no token shown:\n%s", r.Body)
	}
	tok := m[1]
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page with the token has Cache-Control %q", cc)
	}
	all, _ := store.List[store.APIToken](df.st)
	if len(all) != 1 || all[0].Role != store.RoleSupervisor || all[0].Name != "CRM <prod>" || all[0].ExpiresAt.Sub(all[0].CreatedAt).Hours() != 90*24 {
		t.Fatalf("stored tokens %+v", all)
	}
	secret := tok[len("cbx_")+13:]
	if strings.Contains(all[0].Hash, secret) {
		t.Fatal("the secret is stored in clear")
	}

	list := b.get("/admin/tokens").Body
	if strings.Contains(list, secret) || !strings.Contains(list, "CRM &lt;prod&gt;") || !strings.Contains(list, msg(i18n.EN, "wa2.tok.unused")) {
		t.Fatalf("token list shows the secret, or not the token:\n%s", list)
	}

	// A CRM uses it: the list says when.
	if code := apiGet(t, df.srv.Handler(), tok, "/api/v1/cti/status"); code != http.StatusOK {
		t.Fatalf("API with the new token: %d", code)
	}
	if code := apiGet(t, df.srv.Handler(), tok[:len(tok)-1]+"x", "/api/v1/cti/status"); code != http.StatusUnauthorized {
		t.Fatalf("API with a forged token: %d", code)
	}
	list = b.get("/admin/tokens").Body
	if strings.Contains(list, msg(i18n.EN, "wa2.tok.unused")) || !strings.Contains(list, df.clock.Now().Format("2006-01-02 15:04:05")) {
		t.Errorf("last use not shown:\n%s", list)
	}

	wantRedirect(t, b.post("/admin/tokens/"+all[0].ID+"/revoke", url.Values{}), "/admin/tokens")
	if code := apiGet(t, df.srv.Handler(), tok, "/api/v1/cti/status"); code != http.StatusUnauthorized {
		t.Fatalf("API with a revoked token: %d", code)
	}
	audits, _ := store.List[store.Audit](df.st)
	if len(audits) != 2 || audits[0].Action != "create" || audits[1].Action != "delete" || audits[0].Of != store.KindAPIToken {
		t.Fatalf("audit %+v", audits)
	}
	for _, a := range audits {
		if strings.Contains(a.Detail, secret) || strings.Contains(a.Detail, all[0].Hash) {
			t.Fatal("the audit log holds the token")
		}
	}
}

func TestAdminTokens_FormExplainsScopesAndRefusesBadInputNextToTheField(t *testing.T) {
	df := newDataFixture(t)
	b := df.admin()
	for _, lang := range i18n.Langs {
		if err := setUserLang(df.fixture, "admin", lang); err != nil {
			t.Fatal(err)
		}
		body := b.get("/admin/tokens/new").Body
		for _, sc := range tokenScopes {
			if !strings.Contains(body, msg(lang, "wa2.scope."+string(sc)+".h")) || !strings.Contains(body, `value="`+string(sc)+`"`) {
				t.Errorf("%s: scope %s not offered with its explanation", lang, sc)
			}
		}
	}
	if err := setUserLang(df.fixture, "admin", i18n.EN); err != nil {
		t.Fatal(err)
	}
	r := b.post("/admin/tokens/new", url.Values{"name": {""}, "role": {"root"}, "user": {"nobody"}, "expires": {"7"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for field, key := range map[string]string{"name": "store.err.required", "role": "wa2.err.scope", "user": "wa2.err.user", "expires": "wa2.err.expiry"} {
		i := strings.Index(r.Body, `id="e-`+field+`"`)
		if i < 0 || !strings.Contains(r.Body[i:min(len(r.Body), i+200)], msg(i18n.EN, key)) {
			t.Errorf("no %s message next to %s", key, field)
		}
	}
	if all, _ := store.List[store.APIToken](df.st); len(all) != 0 {
		t.Fatalf("a refused form made tokens: %+v", all)
	}
	wantStatus(t, b.post("/admin/tokens/000000000000/revoke", url.Values{}), http.StatusNotFound)
}

func TestAdminTokens_AnOpenEventStreamCountsAsUseFromItsStart(t *testing.T) {
	df := newDataFixture(t)
	base := runServer(t, df.fixture)
	tok, secret, err := cti.NewToken("wallboard", store.RoleSupervisor, "", df.clock.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	put(t, df.st, tok)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", res.StatusCode)
	}
	if line, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("first line %q: %v", line, err)
	}
	// The stream is still open: its use is already noted.
	list := df.admin().get("/admin/tokens").Body
	if strings.Contains(list, msg(i18n.EN, "wa2.tok.unused")) {
		t.Fatalf("open stream not counted as use:\n%s", list)
	}
}
