package webui

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func adminBrowser(t *testing.T) (*fixture, *browser) {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	return f, b
}

func TestAPI_ExtensionsCreateReadUpdateDelete(t *testing.T) {
	f, b := adminBrowser(t)
	ext := store.Extension{Number: "201", Name: "Front desk", Secret: "Sip-Secret-201x"}
	r := b.json(http.MethodPost, "/api/v1/extensions", ext)
	wantStatus(t, r, http.StatusCreated)
	if r.Header.Get("Location") != "/api/v1/extensions/201" {
		t.Fatalf("Location = %q", r.Header.Get("Location"))
	}
	wantStatus(t, b.json(http.MethodPost, "/api/v1/extensions", ext), http.StatusConflict)

	got := decode[store.Extension](t, b.get("/api/v1/extensions/201"))
	if got.Name != "Front desk" {
		t.Fatalf("got %+v", got)
	}
	ext.Name = "Reception"
	ext.Number = "" // taken from the URL
	wantStatus(t, b.json(http.MethodPut, "/api/v1/extensions/201", ext), http.StatusOK)
	if e, _ := store.Get[store.Extension](f.st, "201"); e.Name != "Reception" {
		t.Fatalf("stored %+v", e)
	}
	ext.Number = "202"
	r = b.json(http.MethodPut, "/api/v1/extensions/201", ext)
	wantStatus(t, r, http.StatusBadRequest)
	if decode[fieldErrors](t, r).Errors["number"] == "" {
		t.Fatal("no message on number")
	}
	list := decode[[]store.Extension](t, b.get("/api/v1/extensions"))
	if len(list) != 1 {
		t.Fatalf("list = %+v", list)
	}
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/extensions/201", nil), http.StatusNoContent)
	wantStatus(t, b.get("/api/v1/extensions/201"), http.StatusNotFound)
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/extensions/201", nil), http.StatusNotFound)
	if r := b.get("/api/v1/extensions"); strings.TrimSpace(r.Body) != "[]" {
		t.Fatalf("empty list = %q", r.Body)
	}
}

func TestAPI_InvalidRecordGetsFieldMessagesInUserLanguage(t *testing.T) {
	f, b := adminBrowser(t)
	bad := store.Extension{Number: "x1", Secret: "weak", ForwardBusy: "not a number"}
	want := bad.Validate()
	var ve *store.ValidationError
	if !errors.As(want, &ve) {
		t.Fatalf("store accepts %+v", bad)
	}
	r := b.json(http.MethodPost, "/api/v1/extensions", bad)
	wantStatus(t, r, http.StatusBadRequest)
	got := decode[fieldErrors](t, r).Errors
	for field, m := range ve.Messages(i18n.EN) {
		if got[field] != m {
			t.Errorf("field %s: got %q, want %q", field, got[field], m)
		}
	}
	for _, field := range []string{"number", "secret", "forwardBusy"} {
		if got[field] == "" {
			t.Errorf("no message for %s: %v", field, got)
		}
	}
	// In Chinese for a user who chose Chinese.
	b.post("/lang", map[string][]string{"lang": {"zh"}, "next": {"/"}})
	b.get("/")
	r = b.json(http.MethodPost, "/api/v1/extensions", bad)
	got = decode[fieldErrors](t, r).Errors
	if got["secret"] != ve.Messages(i18n.ZH)["secret"] {
		t.Fatalf("secret message = %q, want Chinese %q", got["secret"], ve.Messages(i18n.ZH)["secret"])
	}
	if n, _ := f.st.Counts(); n[store.KindExtension] != 0 {
		t.Fatal("invalid extension stored")
	}
}

func TestAPI_BadBodiesAreRefusedWithMessages(t *testing.T) {
	_, b := adminBrowser(t)
	for _, c := range []struct {
		name, body, ctype string
		code              int
	}{
		{"truncated", `{"number":"201",`, "application/json", http.StatusBadRequest},
		{"wrong type", `{"number":201}`, "application/json", http.StatusBadRequest},
		{"unknown field", `{"number":"201","secrett":"x"}`, "application/json", http.StatusBadRequest},
		{"two values", `{"number":"201"}{}`, "application/json", http.StatusBadRequest},
		{"not json", `number=201`, "application/json", http.StatusBadRequest},
		{"form content type", `{"number":"201"}`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"too large", `{"name":"` + strings.Repeat("a", maxJSONBytes) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := b.do(http.MethodPost, "/api/v1/extensions", strings.NewReader(c.body),
				http.Header{"Content-Type": {c.ctype}, "X-Csrf-Token": {b.csrf}})
			wantStatus(t, r, c.code)
			if m := decode[map[string]string](t, r)["error"]; m == "" {
				t.Fatalf("no error message: %s", r.Body)
			}
		})
	}
}

func TestAPI_UsersNeverShowPasswordHashes(t *testing.T) {
	f, b := adminBrowser(t)
	r := b.json(http.MethodPost, "/api/v1/users", map[string]any{"name": "alice", "role": "agent", "password": "Alice-Pass-123", "lang": "zh"})
	wantStatus(t, r, http.StatusCreated)
	for _, p := range []string{"/api/v1/users", "/api/v1/users/alice", "/api/v1/users/admin"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.Body, "argon2") || strings.Contains(strings.ToLower(r.Body), "hash") {
			t.Fatalf("%s shows a hash: %s", p, r.Body)
		}
	}
	u, err := store.Get[store.User](f.st, "alice")
	if err != nil || !u.CheckPassword("Alice-Pass-123") || u.Lang != i18n.ZH || u.Role != store.RoleAgent {
		t.Fatalf("stored %+v, %v", u, err)
	}
	// A weak password, a missing one and a bad role get field messages.
	r = b.json(http.MethodPost, "/api/v1/users", map[string]any{"name": "bob", "role": "king", "password": "bob"})
	wantStatus(t, r, http.StatusBadRequest)
	errs := decode[fieldErrors](t, r).Errors
	if errs["password"] == "" || errs["role"] == "" {
		t.Fatalf("errors = %v", errs)
	}
	r = b.json(http.MethodPost, "/api/v1/users", map[string]any{"name": "bob", "role": "agent"})
	wantStatus(t, r, http.StatusBadRequest)
	if decode[fieldErrors](t, r).Errors["password"] != i18n.T(i18n.EN, "web.api.password_required") {
		t.Fatalf("missing password: %s", r.Body)
	}
	// PUT changes only what it names.
	wantStatus(t, b.json(http.MethodPut, "/api/v1/users/alice", map[string]any{"role": "supervisor"}), http.StatusOK)
	u, _ = store.Get[store.User](f.st, "alice")
	if u.Role != store.RoleSupervisor || !u.CheckPassword("Alice-Pass-123") || u.Lang != i18n.ZH {
		t.Fatalf("after PUT %+v", u)
	}
	wantStatus(t, b.json(http.MethodPut, "/api/v1/users/nobody", map[string]any{"role": "agent"}), http.StatusNotFound)
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/users/alice", nil), http.StatusNoContent)
	wantStatus(t, b.get("/api/v1/users/alice"), http.StatusNotFound)
}

func TestAPI_KeepsTheLastAdministrator(t *testing.T) {
	_, b := adminBrowser(t)
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/users/admin", nil), http.StatusConflict)
	wantStatus(t, b.json(http.MethodPut, "/api/v1/users/admin", map[string]any{"role": "agent"}), http.StatusConflict)
	wantStatus(t, b.json(http.MethodPut, "/api/v1/users/admin", map[string]any{"disabled": true}), http.StatusConflict)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/users", map[string]any{"name": "second", "role": "admin", "password": "Second-Pass-1"}), http.StatusCreated)
	wantStatus(t, b.json(http.MethodDelete, "/api/v1/users/second", nil), http.StatusNoContent)
}

func TestAPI_SettingsReadAndValidate(t *testing.T) {
	f, b := adminBrowser(t)
	st := decode[store.Settings](t, b.get("/api/v1/settings"))
	if st.SiteName != "Test site" || !st.SetupDone {
		t.Fatalf("settings = %+v", st)
	}
	st.SiteName = "Branch"
	st.TimeZone = "Europe/London"
	st.SetupDone = false // ignored: setup stays done
	wantStatus(t, b.json(http.MethodPut, "/api/v1/settings", st), http.StatusOK)
	got, _ := store.GetSettings(f.st)
	if got.SiteName != "Branch" || got.TimeZone != "Europe/London" || !got.SetupDone {
		t.Fatalf("stored %+v", got)
	}
	st.TimeZone = "Nowhere/City"
	st.Country = "xx"
	r := b.json(http.MethodPut, "/api/v1/settings", st)
	wantStatus(t, r, http.StatusBadRequest)
	errs := decode[fieldErrors](t, r).Errors
	if errs["timeZone"] == "" || errs["country"] == "" {
		t.Fatalf("errors = %v", errs)
	}
}

func TestAPI_NeedsLogin(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	for _, p := range []string{"/api/v1/status", "/api/v1/extensions", "/api/v1/users", "/api/v1/settings"} {
		r := b.get(p)
		wantStatus(t, r, http.StatusUnauthorized)
		if decode[map[string]string](t, r)["error"] == "" {
			t.Fatalf("%s: no message", p)
		}
	}
	wantStatus(t, b.get("/api/v1/nothing"), http.StatusNotFound)
}

func TestAPI_SessionGivesTheTokenForScripts(t *testing.T) {
	_, b := adminBrowser(t)
	got := decode[sessionJSON](t, b.get("/api/v1/session"))
	if got.Name != "admin" || got.Role != store.RoleAdmin || got.CSRFToken != b.csrf {
		t.Fatalf("session = %+v", got)
	}
	b.csrf = ""
	wantStatus(t, b.json(http.MethodPut, "/api/v1/settings", map[string]string{"siteName": "x"}), http.StatusForbidden)
	b.csrf = got.CSRFToken
	wantStatus(t, b.json(http.MethodPut, "/api/v1/settings", map[string]string{"siteName": "Script", "lang": "en", "country": "us", "timeZone": "America/New_York"}), http.StatusOK)
}

func TestTimeZones_EveryListedZoneLoads(t *testing.T) {
	zones, err := timeZones()
	if err != nil || len(zones) < 300 {
		t.Fatalf("%d zones, %v", len(zones), err)
	}
	for _, z := range zones {
		st := store.Settings{SiteName: "x", Lang: i18n.EN, Country: "cn", TimeZone: z}
		if err := st.Validate(); err != nil {
			t.Errorf("zone %s: %v", z, err)
		}
	}
}
