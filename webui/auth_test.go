package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestLogin_StartsSessionWithSafeCookie(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	wantRedirect(t, b.get("/status"), "/login?next=%2Fstatus")
	b.get("/login?next=%2Fstatus")
	r := b.post("/login", url.Values{"name": {"admin"}, "password": {testPassword}, "next": {"/status"}})
	wantRedirect(t, r, "/status")
	var sc *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure || len(sc.Value) < 43 {
		t.Fatalf("session cookie = %+v", sc)
	}
	r = b.get("/")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.home.welcome", "admin")) {
		t.Fatal("home page does not greet the user")
	}
	// Logout ends the session on the server, not only in the browser.
	old := b.cookies[sessionCookie]
	wantRedirect(t, b.post("/logout", url.Values{}), "/login?bye=1")
	b.cookies[sessionCookie] = old
	wantRedirect(t, b.get("/"), "/login")
}

func TestLogin_CookieIsSecureOverTLS(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.get("https://box.example/login")
	r := b.do(http.MethodPost, "https://box.example/login",
		strings.NewReader(url.Values{"name": {"admin"}, "password": {testPassword}, "csrf": {b.csrf}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	wantStatus(t, r, http.StatusSeeOther)
	for _, c := range r.Cookies() {
		if c.Name == sessionCookie && !c.Secure {
			t.Fatal("session cookie over TLS is not Secure")
		}
	}
}

func TestLogin_RefusesWrongPasswordUnknownAndDisabledUsers(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	u := f.addUser("gone", store.RoleAgent, testPassword, false)
	u.Disabled = true
	if _, err := store.Put(f.st, u); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, pw string }{{"admin", "Wrong-Pass-123"}, {"nobody", testPassword}, {"gone", testPassword}} {
		b := f.browser()
		b.addr = "198.51.100." + string(rune('1'+len(c.name)%8))
		b.get("/login")
		r := b.post("/login", url.Values{"name": {c.name}, "password": {c.pw}})
		wantStatus(t, r, http.StatusUnauthorized)
		if !strings.Contains(r.Body, msg(i18n.EN, "web.login.failed")) {
			t.Fatalf("%s: no failure message", c.name)
		}
		if _, ok := b.cookies[sessionCookie]; ok {
			t.Fatalf("%s: got a session", c.name)
		}
	}
}

func TestLogin_ThrottlesPerAddressAndPerUser(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.get("/login")
	try := func(b *browser, name, pw string) reply {
		return b.post("/login", url.Values{"name": {name}, "password": {pw}})
	}
	for i := range freeFailures + 1 {
		wantStatus(t, try(b, "admin", "Wrong-Pass-"+string(rune('a'+i))), http.StatusUnauthorized)
	}
	// Locked now: even the right password is refused without being checked.
	r := try(b, "admin", testPassword)
	wantStatus(t, r, http.StatusTooManyRequests)
	if got := r.Header.Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After = %q, want 2", got)
	}
	if !strings.Contains(r.Body, msg(i18n.EN, "web.login.throttled", 2)) {
		t.Fatal("no throttling message")
	}
	// The same name from another address is locked too (per user name) ...
	other := f.browser()
	other.addr = "203.0.113.7"
	other.get("/login")
	wantStatus(t, try(other, "admin", testPassword), http.StatusTooManyRequests)
	// ... and another name from the first address (per address).
	f.addUser("sup", store.RoleSupervisor, testPassword, false)
	wantStatus(t, try(b, "sup", testPassword), http.StatusTooManyRequests)

	// The window doubles with each further failure.
	f.clock.Advance(2 * time.Second)
	wantStatus(t, try(b, "admin", "Wrong-Pass-x"), http.StatusUnauthorized)
	r = try(b, "admin", testPassword)
	wantStatus(t, r, http.StatusTooManyRequests)
	if got := r.Header.Get("Retry-After"); got != "4" {
		t.Fatalf("Retry-After = %q, want 4", got)
	}
	f.clock.Advance(4 * time.Second)
	wantRedirect(t, try(b, "admin", testPassword), "/")
}

func TestLockout_DoublesUpToTheCap(t *testing.T) {
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := lockout(i + 1); got != w {
			t.Errorf("lockout(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := lockout(1000); got != maxLockout {
		t.Errorf("lockout(1000) = %v", got)
	}
}

func TestCSRF_RefusesRequestsWithoutTokenOrFromOtherSites(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)

	// A form without the token.
	r := b.post("/logout", url.Values{"csrf": {""}})
	wantStatus(t, r, http.StatusForbidden)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.error.csrf")) {
		t.Fatal("no CSRF message")
	}
	// JSON without the header.
	r = b.do(http.MethodPost, "/api/v1/extensions", strings.NewReader(`{"number":"201","secret":"Sip-Secret-201x"}`),
		http.Header{"Content-Type": {"application/json"}})
	wantStatus(t, r, http.StatusForbidden)
	// With the right token but sent by another site's page.
	r = b.do(http.MethodPost, "/logout", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"http://evil.example"},
	})
	wantStatus(t, r, http.StatusForbidden)
	// An Origin that is not this host, without Sec-Fetch-Site (older browsers).
	r = b.do(http.MethodPost, "/logout", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"http://evil.example"},
	})
	wantStatus(t, r, http.StatusForbidden)
	// Still logged in, and the token works from this site.
	wantStatus(t, b.get("/"), http.StatusOK)
	r = b.do(http.MethodPost, "/logout", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}, "Origin": {"http://example.com"},
	})
	wantRedirect(t, r, "/login")
}

func TestLoginForm_RefusesForeignToken(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.get("/login")
	r := b.post("/login", url.Values{"name": {"admin"}, "password": {testPassword}, "csrf": {randomToken()}})
	wantStatus(t, r, http.StatusForbidden)
}

func TestRoles_AgentGetsForbiddenOnAdminPagesAndAPI(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	f.addUser("alice", store.RoleAgent, testPassword, false)
	b := f.browser()
	b.login("alice", testPassword)
	wantStatus(t, b.get("/"), http.StatusOK)
	wantStatus(t, b.get("/status"), http.StatusForbidden)
	for _, p := range []string{"/api/v1/status", "/api/v1/extensions", "/api/v1/users", "/api/v1/settings", "/api/v1/users/admin"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: 403 not in JSON", p)
		}
	}
	wantStatus(t, b.json(http.MethodPost, "/api/v1/extensions", map[string]string{"number": "200", "secret": "Sip-Secret-200x"}), http.StatusForbidden)
	wantStatus(t, b.json(http.MethodPut, "/api/v1/users/alice", map[string]string{"role": "admin"}), http.StatusForbidden)
	if u, _ := store.Get[store.User](f.st, "alice"); u.Role != store.RoleAgent {
		t.Fatal("agent promoted itself")
	}
	// The home page shows the agent no status or configuration.
	r := b.get("/")
	if strings.Contains(r.Body, `href="/status"`) || strings.Contains(r.Body, "/api/v1/extensions") {
		t.Fatal("agent's home page links to admin sections")
	}
	// A supervisor may read the status but not the records.
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	s := f.browser()
	s.addr = "192.0.2.11"
	s.login("sam", testPassword)
	wantStatus(t, s.get("/status"), http.StatusOK)
	wantStatus(t, s.get("/api/v1/status"), http.StatusOK)
	wantStatus(t, s.get("/api/v1/extensions"), http.StatusForbidden)
}

func TestRoles_ARoleChangeOrDisablingEndsOpenSessions(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	f.addUser("boss", store.RoleAdmin, testPassword, false)
	b := f.browser()
	b.login("boss", testPassword)
	wantStatus(t, b.get("/api/v1/users"), http.StatusOK)
	a := f.browser()
	a.addr = "192.0.2.12"
	a.login("admin", testPassword)
	wantStatus(t, a.json(http.MethodPut, "/api/v1/users/boss", map[string]any{"role": "agent"}), http.StatusOK)
	// The demoted user logs in again and works with the new role only.
	wantStatus(t, b.get("/api/v1/users"), http.StatusUnauthorized)
	b.login("boss", testPassword)
	wantStatus(t, b.get("/api/v1/users"), http.StatusForbidden)
	wantStatus(t, a.json(http.MethodPut, "/api/v1/users/boss", map[string]any{"disabled": true}), http.StatusOK)
	wantRedirect(t, b.get("/"), "/login")
}

func TestSession_ExpiresWhenIdleAndAfterAbsoluteLimit(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	f.clock.Advance(sessionIdle - time.Second)
	wantStatus(t, b.get("/"), http.StatusOK)
	f.clock.Advance(sessionIdle)
	wantRedirect(t, b.get("/"), "/login")

	b.login("admin", testPassword)
	step := sessionIdle / 2
	for range sessionAbsolute/step - 1 {
		f.clock.Advance(step) // always active, never idle
		wantStatus(t, b.get("/"), http.StatusOK)
	}
	f.clock.Advance(step)
	wantRedirect(t, b.get("/"), "/login")
}

func TestOneTimePassword_MustBeChangedBeforeAnythingElse(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	f.addUser("temp", store.RoleSupervisor, "Given-Once-123", true)
	b := f.browser()
	b.get("/login")
	wantRedirect(t, b.post("/login", url.Values{"name": {"temp"}, "password": {"Given-Once-123"}}), "/password")
	wantRedirect(t, b.get("/status"), "/password")
	wantStatus(t, b.get("/api/v1/status"), http.StatusForbidden)
	r := b.get("/password")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.password.one_time")) {
		t.Fatal("no one-time notice")
	}
	r = b.post("/password", url.Values{"current": {"Given-Once-123"}, "password": {"Given-Once-123"}, "password2": {"Given-Once-123"}})
	wantStatus(t, r, http.StatusBadRequest)
	r = b.post("/password", url.Values{"current": {"Given-Once-123"}, "password": {testPassword}, "password2": {testPassword}})
	wantRedirect(t, r, "/")
	wantStatus(t, b.get("/status"), http.StatusOK)
	if u, _ := store.Get[store.User](f.st, "temp"); u.OneTimePassword || !u.CheckPassword(testPassword) {
		t.Fatal("password not changed")
	}
}

func TestLang_SwitchesPerUserAndBeforeLogin(t *testing.T) {
	f := newFixture(t)
	// Before setup the browser's language decides.
	b := f.browser()
	b.header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	if r := b.get("/setup"); !strings.Contains(r.Body, msg(i18n.ZH, "web.setup.title")) {
		t.Fatal("setup page not in the browser's language")
	}
	// The switch works on the setup page too.
	wantRedirect(t, b.post("/lang", url.Values{"lang": {"en"}, "next": {"/setup"}}), "/setup")
	if r := b.get("/setup"); !strings.Contains(r.Body, msg(i18n.EN, "web.setup.title")) {
		t.Fatal("language switch ignored before setup")
	}
	delete(b.cookies, langCookie)
	f.finishSetup() // site language: English
	b.header.Del("Accept-Language")
	if r := b.get("/login"); !strings.Contains(r.Body, msg(i18n.EN, "web.login.title")) {
		t.Fatal("login page not in the site language")
	}
	wantRedirect(t, b.post("/lang", url.Values{"lang": {"zh"}, "next": {"/login"}}), "/login")
	if r := b.get("/login"); !strings.Contains(r.Body, msg(i18n.ZH, "web.login.title")) || !strings.Contains(r.Body, `<html lang="zh-CN">`) {
		t.Fatal("language cookie ignored")
	}
	// Logged in, the choice is stored on the user.
	b.login("admin", testPassword)
	wantRedirect(t, b.post("/lang", url.Values{"lang": {"en"}, "next": {"//evil.example/"}}), "/")
	if u, _ := store.Get[store.User](f.st, "admin"); u.Lang != i18n.EN {
		t.Fatalf("user language = %q", u.Lang)
	}
	b.post("/lang", url.Values{"lang": {"zh"}, "next": {"/"}})
	fresh := f.browser()
	fresh.addr = "192.0.2.99"
	fresh.login("admin", testPassword)
	if r := fresh.get("/"); !strings.Contains(r.Body, msg(i18n.ZH, "web.home.welcome", "admin")) {
		t.Fatal("user language not used in a new browser")
	}
	wantStatus(t, b.post("/lang", url.Values{"lang": {"fr"}}), http.StatusBadRequest)
}

func TestPages_EscapeHTMLFromStoredFields(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	evil := `<script>alert("x")</script>`
	st, _ := store.GetSettings(f.st)
	st.SiteName = evil
	if _, err := store.Put(f.st, st); err != nil {
		t.Fatal(err)
	}
	f.setStatus(func(s *Status) {
		s.Version = evil
		s.Hardware = append(s.Hardware, Hardware{Kind: "modem", Name: evil, Detail: evil})
		s.Services = append(s.Services, ServiceState{Name: "sip", State: StateFailed, LastError: evil})
	})
	b := f.browser()
	b.login("admin", testPassword)
	for _, p := range []string{"/", "/status", "/password", "/nowhere"} {
		r := b.get(p)
		if strings.Contains(r.Body, "<script>") {
			t.Fatalf("%s: raw script tag in page", p)
		}
		if !strings.Contains(r.Body, "&lt;script&gt;") {
			t.Fatalf("%s: escaped site name missing", p)
		}
	}
}

func TestLocalPath_KeepsOnlyPathsOnThisServer(t *testing.T) {
	for in, want := range map[string]string{
		"/status": "/status", "/a?b=c": "/a?b=c", "": "/", "//evil.example": "/", "http://evil.example/": "/",
		`/\evil.example`: "/", "status": "/", "/x\r\nSet-Cookie: a=b": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAcceptLanguage_PicksChineseOnlyWhenPreferred(t *testing.T) {
	for in, want := range map[string]i18n.Lang{
		"": i18n.EN, "zh-CN": i18n.ZH, "zh-TW,en;q=0.1": i18n.ZH, "en-US,zh;q=0.5": i18n.EN, "fr,de": i18n.EN, ";;;": i18n.EN,
		"fr;q=1, zh;q=0.2, en;q=0.1": i18n.ZH, "zh;q=0": i18n.EN, "EN;Q=0.9, zh-Hant;q=0.95": i18n.ZH,
	} {
		if got := acceptLanguage(in); got != want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecurityHeaders_OnEveryPage(t *testing.T) {
	f := newFixture(t)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/setup", nil))
	h := rec.Result().Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers = %v", h)
	}
}

func TestLimiter_StaysBounded(t *testing.T) {
	c := newClock()
	l := newLimiter(c.Now)
	for i := range maxLimitKeys + 100 {
		c.Advance(time.Millisecond) // all within forgetAfter
		l.fail("addr:" + strconv.Itoa(i))
	}
	if n := len(l.m); n > maxLimitKeys {
		t.Fatalf("%d keys held, limit %d", n, maxLimitKeys)
	}
}
