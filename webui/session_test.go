package webui

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// restart closes f's store, reopens the same bbolt file and builds a new
// Server on it with the same clock: what a firmware restart does.
func (f *fixture) restart() {
	f.t.Helper()
	path := f.st.Path()
	if err := f.st.Close(); err != nil {
		f.t.Fatal(err)
	}
	st, err := store.Open(path)
	if err != nil {
		f.t.Fatalf("reopen store: %v", err)
	}
	f.t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	f.st, f.srv = st, srv
}

// rebrowse points b at f's current server, keeping its cookies and CSRF
// token: the same browser after the box restarted.
func (b *browser) rebrowse(f *fixture) *browser {
	b.h = f.srv.Handler()
	return b
}

// serve runs f's server on a loopback port until the test (or stop) ends
// and returns its base URL.
func serve(t *testing.T, srv *Server) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Addr() == "" {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("Run: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("server did not listen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return "http://" + srv.Addr(), stop
}

// fetch does one real HTTP request and returns the status and body.
func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

func TestSessions_CookieStillWorksAfterTheServerRestartsOnTheSameStore(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	base, stop := serve(t, f.srv)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, page := fetch(t, c, http.MethodGet, base+"/login", nil)
	if code, _ := fetch(t, c, http.MethodPost, base+"/login",
		url.Values{"name": {"admin"}, "password": {testPassword}, "csrf": {csrfOf(t, page)}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	code, home := fetch(t, c, http.MethodGet, base+"/", nil)
	if code != http.StatusOK {
		t.Fatalf("home before restart: %d", code)
	}
	csrf := csrfOf(t, home)

	stop()
	f.restart()
	base2, stop2 := serve(t, f.srv)
	// The jar holds the cookie for the old port; the box's address moved.
	old, _ := url.Parse(base)
	nu, _ := url.Parse(base2)
	jar.SetCookies(nu, jar.Cookies(old))

	code, home = fetch(t, c, http.MethodGet, base2+"/", nil)
	if code != http.StatusOK || !strings.Contains(home, msg(i18n.EN, "web.home.welcome", "admin")) {
		t.Fatalf("home after restart: %d\n%s", code, home)
	}
	if got := csrfOf(t, home); got != csrf {
		t.Errorf("CSRF token changed across the restart: %q then %q", csrf, got)
	}
	// The CSRF token is still checked: a forged one is refused and the
	// session stays; the right one logs out.
	if code, _ := fetch(t, c, http.MethodPost, base2+"/logout", url.Values{"csrf": {"forged-" + csrf}}); code != http.StatusForbidden {
		t.Errorf("logout with a forged CSRF token: %d, want 403", code)
	}
	if code, _ := fetch(t, c, http.MethodGet, base2+"/", nil); code != http.StatusOK {
		t.Fatalf("home after the forged request: %d", code)
	}
	session := ""
	for _, ck := range jar.Cookies(nu) {
		if ck.Name == sessionCookie {
			session = ck.Value
		}
	}
	if code, _ := fetch(t, c, http.MethodPost, base2+"/logout", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}

	// After logout and another restart, the old cookie opens nothing.
	stop2()
	f.restart()
	base3, _ := serve(t, f.srv)
	u3, _ := url.Parse(base3)
	jar.SetCookies(u3, []*http.Cookie{{Name: sessionCookie, Value: session}})
	req, _ := http.NewRequest(http.MethodGet, base3+"/", nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("logged-out cookie after restart: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if n, _ := store.List[store.Session](f.st); len(n) != 0 {
		t.Errorf("%d sessions stored after logout", len(n))
	}
}

func TestSessions_OnlyTheTokensHashIsOnDisk(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.header.Set("User-Agent", "Mozilla/5.0 (X11; Linux) Firefox/140.0\x07")
	b.login("admin", testPassword)
	token := b.cookies[sessionCookie]
	recs, err := store.List[store.Session](f.st)
	if err != nil || len(recs) != 1 {
		t.Fatalf("stored sessions %+v %v", recs, err)
	}
	r := recs[0]
	if r.ID != tokenKey(token) || r.User != "admin" || r.Role != store.RoleAdmin || r.Addr != "192.0.2.10" ||
		r.UserAgent != "Mozilla/5.0 (X11; Linux) Firefox/140.0" || !r.Expires.Equal(r.Created.Add(sessionAbsolute)) {
		t.Errorf("stored session %+v", r)
	}
	path := f.st.Path()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, secret := range map[string]string{"session token": token, "CSRF token": b.csrf} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the %s is in the bbolt file", what)
		}
	}
	if !bytes.Contains(raw, []byte(r.ID)) {
		t.Error("the token's hash is not in the file")
	}
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	t.Cleanup(func() { _ = st.Close() })
}

func TestSessions_IdleAndAbsoluteExpiryHoldAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	idle, busy := f.browser(), f.browser()
	idle.login("admin", testPassword)
	busy.login("admin", testPassword)

	f.clock.Advance(sessionIdle - time.Minute)
	f.restart()
	wantStatus(t, busy.rebrowse(f).get("/"), http.StatusOK)
	wantStatus(t, idle.rebrowse(f).get("/"), http.StatusOK)
	f.clock.Advance(sessionIdle)
	wantStatus(t, busy.get("/"), http.StatusSeeOther) // idle too, by now
	f.restart()
	wantRedirect(t, idle.rebrowse(f).get("/"), "/login?next=%2F")

	// Busy all day: the absolute limit still ends it, restart or not.
	busy = f.browser()
	busy.login("admin", testPassword)
	for elapsed := time.Duration(0); elapsed < sessionAbsolute-20*time.Minute; elapsed += 20 * time.Minute {
		f.clock.Advance(20 * time.Minute)
		if elapsed%(3*time.Hour) == 0 {
			f.restart()
			busy.rebrowse(f)
		}
		wantStatus(t, busy.get("/"), http.StatusOK)
	}
	f.clock.Advance(20 * time.Minute)
	f.restart()
	wantRedirect(t, busy.rebrowse(f).get("/"), "/login?next=%2F")
	if n, _ := store.List[store.Session](f.st); len(n) != 0 {
		t.Errorf("%d expired sessions still stored", len(n))
	}
}

func TestSessions_LastSeenIsStoredAtMostOncePerMinute(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	seq := f.st.Seq()
	for range 20 {
		f.clock.Advance(2 * time.Second)
		wantStatus(t, b.get("/"), http.StatusOK)
	}
	if got := f.st.Seq(); got != seq {
		t.Fatalf("%d store writes for 20 requests within 40 s", got-seq)
	}
	f.clock.Advance(time.Minute)
	wantStatus(t, b.get("/"), http.StatusOK)
	wantStatus(t, b.get("/"), http.StatusOK)
	if got := f.st.Seq(); got != seq+1 {
		t.Fatalf("%d store writes after a minute, want 1", got-seq)
	}
	r, err := store.Get[store.Session](f.st, tokenKey(b.cookies[sessionCookie]))
	if err != nil || !r.LastSeen.Equal(f.clock.Now()) {
		t.Fatalf("stored last seen %v, now %v (%v)", r.LastSeen, f.clock.Now(), err)
	}
}

func TestSessions_EndWhenTheUserIsDeletedOrTheirPasswordOrRoleChanges(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	login := func(name string) *browser {
		b := f.browser()
		b.login(name, testPassword)
		return b
	}
	stored := func(user string) int {
		t.Helper()
		recs, err := store.List[store.Session](f.st)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.User == user {
				n++
			}
		}
		return n
	}

	// A role changed by anyone (here straight in the store, as the
	// console would) ends the sessions, also after a restart.
	f.addUser("alice", store.RoleAgent, testPassword, false)
	a := login("alice")
	u, _ := store.Get[store.User](f.st, "alice")
	u.Role = store.RoleSupervisor
	if _, err := store.Put(f.st, u); err != nil {
		t.Fatal(err)
	}
	f.restart()
	wantRedirect(t, a.rebrowse(f).get("/"), "/login?next=%2F")
	if n := stored("alice"); n != 0 {
		t.Errorf("%d sessions of alice stored after her role changed", n)
	}

	// A password changed in the browser keeps that browser and ends the
	// others.
	a, other := login("alice"), login("alice")
	r := a.post("/password", url.Values{"current": {testPassword}, "password": {"Another-Horse-8"}, "password2": {"Another-Horse-8"}})
	wantRedirect(t, r, "/")
	wantStatus(t, a.get("/"), http.StatusOK)
	wantRedirect(t, other.get("/"), "/login?next=%2F")
	f.restart()
	wantStatus(t, a.rebrowse(f).get("/"), http.StatusOK)

	// A password set by someone else ends them all.
	u, _ = store.Get[store.User](f.st, "alice")
	if err := u.SetPassword("Third-Horse-99"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(f.st, u); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, a.get("/"), "/login?next=%2F")

	// Deleted: gone at once, from memory and the store.
	f.addUser("bob", store.RoleAgent, testPassword, false)
	bob := login("bob")
	admin := login("admin")
	wantStatus(t, admin.json(http.MethodDelete, "/api/v1/users/bob", nil), http.StatusNoContent)
	if n := stored("bob"); n != 0 {
		t.Errorf("%d sessions of bob stored after he was deleted", n)
	}
	wantRedirect(t, bob.get("/"), "/login?next=%2F")
}

func TestSessions_StayBoundedAndDropTheLeastRecentlyUsed(t *testing.T) {
	f := newFixture(t)
	f.addUser("keep", store.RoleAgent, testPassword, false)
	f.addUser("other", store.RoleAgent, testPassword, false)
	keep, _ := store.Get[store.User](f.st, "keep")
	other, _ := store.Get[store.User](f.st, "other")
	ss := newSessions(f.clock.Now, f.st, nil)
	ss.max = 20
	first, err := ss.create(keep, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	for range ss.max + 10 {
		f.clock.Advance(time.Millisecond)
		ss.get(first.id) // keeps the first one recently used
		if _, err := ss.create(other, "192.0.2.2", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := ss.count(); n > ss.max {
		t.Fatalf("%d sessions held, limit %d", n, ss.max)
	}
	if recs, _ := store.List[store.Session](f.st); len(recs) > ss.max {
		t.Fatalf("%d sessions stored, limit %d", len(recs), ss.max)
	}
	if _, _, ok := ss.get(first.id); !ok {
		t.Fatal("the most recently used session was dropped")
	}
}

func TestSessions_MemoryOnlyWithoutAStore(t *testing.T) {
	c := newClock()
	ss := newSessions(c.Now, nil, nil)
	s, err := ss.create(store.User{Name: "alice", Role: store.RoleAgent}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _, ok := ss.get(s.id); !ok || got.csrf != s.csrf || got.user != "alice" {
		t.Fatalf("get: %+v %v", got, ok)
	}
	ss.delete(s.id)
	if _, _, ok := ss.get(s.id); ok {
		t.Fatal("deleted session still valid")
	}
}

func TestClip_KeepsPrintableTextWithinBytes(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0\r\n": "Mozilla/5.0",
		"浏览器浏览器":          "浏览器",
		"abc\xffdef":      "abcdef",
	} {
		if got := clip(in, 11); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdminSessions_ListsWhoIsLoggedInAndLogsOneOut(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	f.addUser("alice", store.RoleAgent, testPassword, false)
	alice := f.browser()
	alice.addr = "192.0.2.44"
	alice.header.Set("User-Agent", "Agent-Desk/1.0")
	alice.login("alice", testPassword)
	admin := f.browser()
	admin.login("admin", testPassword)

	r := admin.get("/admin/sessions")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{"alice", "192.0.2.44", "Agent-Desk/1.0", msg(i18n.EN, "dialing.sess.own")} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	key := tokenKey(alice.cookies[sessionCookie])
	if strings.Contains(r.Body, alice.cookies[sessionCookie]) {
		t.Error("the page shows a session token")
	}
	if strings.Contains(r.Body, "/admin/sessions/"+tokenKey(admin.cookies[sessionCookie])+"/end") {
		t.Error("the admin is offered to log their own browser out here")
	}

	// Without the CSRF token nothing happens; with it alice is out.
	wantStatus(t, admin.post("/admin/sessions/"+key+"/end", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
	wantStatus(t, alice.get("/agent"), http.StatusOK)
	wantRedirect(t, admin.post("/admin/sessions/"+key+"/end", url.Values{}), "/admin/sessions?done=admin.done.deleted")
	wantRedirect(t, alice.get("/agent"), "/login?next=%2Fagent")
	audit, err := store.List[store.Audit](f.st)
	if err != nil || len(audit) == 0 || audit[len(audit)-1].Of != store.KindSession {
		t.Errorf("audit %+v %v", audit, err)
	}

	// Agents do not see the page.
	alice.login("alice", testPassword)
	wantStatus(t, alice.get("/admin/sessions"), http.StatusForbidden)
}
