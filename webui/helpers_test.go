package webui

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// testPassword passes the store's strength rule.
const testPassword = "Correct-Horse-7"

// clock is a settable clock for session expiry and throttling.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a server over a real store in a temporary directory.
type fixture struct {
	t      testing.TB
	srv    *Server
	st     *store.Store
	clock  *clock
	status Status
	mu     sync.Mutex
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, st: st, clock: newClock()}
	f.status = Status{
		Version:   "v1.2.3-test",
		StartedAt: f.clock.Now(),
		Hardware: []Hardware{
			{Kind: "gpio", Name: "gpiochip0", Simulated: true, Detail: "no /dev/gpiochip*"},
			{Kind: "linecard", Name: "sim", Simulated: true, Detail: "4 lines"},
		},
		Services: []ServiceState{
			{Name: "store", State: StateRunning, Since: f.clock.Now()},
			{Name: "web", State: StateRunning, Since: f.clock.Now()},
		},
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.srv = srv
	return f
}

func (f *fixture) currentStatus() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.status
	s.Uptime = f.clock.Now().Sub(s.StartedAt)
	ss, err := StoreStatusOf(f.st)
	if err != nil {
		f.t.Errorf("store status: %v", err)
	}
	s.Store = ss
	return s
}

func (f *fixture) setStatus(mut func(*Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mut(&f.status)
}

// finishSetup stores a finished setup and an administrator, as if the
// setup page had run.
func (f *fixture) finishSetup() {
	f.t.Helper()
	f.addUser("admin", store.RoleAdmin, testPassword, false)
	st := store.DefaultSettings()
	st.SiteName = "Test site"
	st.SetupDone = true
	if _, err := store.Put(f.st, st); err != nil {
		f.t.Fatalf("put settings: %v", err)
	}
}

func (f *fixture) addUser(name string, role store.Role, pw string, oneTime bool) store.User {
	f.t.Helper()
	u := store.User{Name: name, Role: role, OneTimePassword: oneTime, CreatedAt: f.clock.Now()}
	if err := u.SetPassword(pw); err != nil {
		f.t.Fatalf("set password: %v", err)
	}
	if _, err := store.Put(f.st, u); err != nil {
		f.t.Fatalf("put user: %v", err)
	}
	return u
}

// browser drives the handler like a browser: it keeps cookies, remembers
// the last CSRF token it saw on a page and comes from one address.
type browser struct {
	t       testing.TB
	h       http.Handler
	addr    string
	cookies map[string]string
	csrf    string
	header  http.Header // added to every request
}

func (f *fixture) browser() *browser {
	return &browser{t: f.t, h: f.srv.Handler(), addr: "192.0.2.10", cookies: map[string]string{}, header: http.Header{}}
}

// reply is a response with its body read.
type reply struct {
	*http.Response
	Body string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, target string, body io.Reader, header http.Header) reply {
	b.t.Helper()
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = b.addr + ":40000"
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for name, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(res.Body)
	r := reply{Response: res, Body: string(raw)}
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return r
}

func (b *browser) get(target string) reply { return b.do(http.MethodGet, target, nil, nil) }

// post sends a form, adding the last CSRF token seen unless vals has one.
func (b *browser) post(target string, vals url.Values) reply {
	b.t.Helper()
	if _, ok := vals["csrf"]; !ok {
		vals.Set("csrf", b.csrf)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return b.do(http.MethodPost, target, strings.NewReader(vals.Encode()), h)
}

// json sends v as JSON with the CSRF header.
func (b *browser) json(method, target string, v any) reply {
	b.t.Helper()
	var body io.Reader
	if v != nil {
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	return b.raw(method, target, body)
}

func (b *browser) raw(method, target string, body io.Reader) reply {
	h := http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {b.csrf}}
	return b.do(method, target, body, h)
}

// login logs in and loads the home page, which carries the session's token.
func (b *browser) login(name, pw string) {
	b.t.Helper()
	b.get("/login")
	r := b.post("/login", url.Values{"name": {name}, "password": {pw}})
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d, body %s", name, r.StatusCode, r.Body)
	}
	b.get(r.Header.Get("Location"))
}

func wantStatus(t *testing.T, r reply, code int) {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", r.Request.Method, r.Request.URL, r.StatusCode, code, r.Body)
	}
}

func wantRedirect(t *testing.T, r reply, prefix string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, prefix) {
		t.Fatalf("%s %s: redirect to %q, want %q", r.Request.Method, r.Request.URL, loc, prefix)
	}
}

func decode[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %s: %v\n%s", r.Request.URL, err, r.Body)
	}
	return v
}

// msg is the catalogue text, HTML-escaped as a page shows it.
func msg(lang i18n.Lang, key string, args ...any) string {
	return html.EscapeString(i18n.T(lang, key, args...))
}
