package webui

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func setupForm(pw, pw2 string) url.Values {
	return url.Values{
		"password": {pw}, "password2": {pw2},
		"siteName": {"Head office"}, "lang": {"zh"}, "timeZone": {"Asia/Shanghai"}, "country": {"cn"},
	}
}

func TestSetup_EveryPageLeadsToSetupUntilDone(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	for _, p := range []string{"/", "/login", "/status", "/password", "/no/such/page"} {
		wantRedirect(t, b.get(p), "/setup")
	}
	r := b.get("/api/v1/status")
	wantStatus(t, r, http.StatusServiceUnavailable)
	wantStatus(t, b.get("/healthz"), http.StatusOK)
	wantStatus(t, b.get("/setup"), http.StatusOK)
	wantStatus(t, b.get(cssURL), http.StatusOK)
}

func TestSetup_SetsAdminAndSettingsExactlyOnce(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	r := b.get("/setup")
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, `name="proof"`) {
		t.Fatal("fresh store: setup asks for a one-time password")
	}
	if !strings.Contains(r.Body, `<option selected>UTC</option>`) || !strings.Contains(r.Body, "<option>Asia/Shanghai</option>") {
		t.Fatal("time zone select lacks UTC selected or Asia/Shanghai")
	}

	// A weak password gets the store's message next to the field.
	r = b.post("/setup", setupForm("short", "short"))
	wantStatus(t, r, http.StatusBadRequest)
	u := store.User{Name: "admin"}
	var ve *store.ValidationError
	if !errors.As(u.SetPassword("short"), &ve) {
		t.Fatal("store accepts a weak password")
	}
	if want := html.EscapeString(ve.Messages(i18n.EN)["password"]); !strings.Contains(r.Body, `<p class="error" role="alert">`+want) {
		t.Fatalf("weak password message %q missing:\n%s", want, r.Body)
	}

	// Mismatched repeat.
	r = b.post("/setup", setupForm(testPassword, testPassword+"x"))
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.form.password_mismatch")) {
		t.Fatal("mismatch message missing")
	}
	// An unknown zone is refused.
	bad := setupForm(testPassword, testPassword)
	bad.Set("timeZone", "Mars/Olympus")
	r = b.post("/setup", bad)
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.setup.zone_unknown")) {
		t.Fatal("zone message missing")
	}
	if done, _ := f.srv.isSetupDone(); done {
		t.Fatal("failed submissions finished setup")
	}

	r = b.post("/setup", setupForm(testPassword, testPassword))
	wantRedirect(t, r, "/login?setup=done")

	st, err := store.GetSettings(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if !st.SetupDone || st.SiteName != "Head office" || st.Lang != i18n.ZH || st.TimeZone != "Asia/Shanghai" || st.Country != "cn" {
		t.Fatalf("settings = %+v", st)
	}
	admin, err := store.Get[store.User](f.st, "admin")
	if err != nil || admin.Role != store.RoleAdmin || !admin.CheckPassword(testPassword) || admin.Lang != i18n.ZH {
		t.Fatalf("admin = %+v, err %v", admin, err)
	}

	// Setup is closed now: the page and a second submission lead to login
	// and change nothing.
	wantRedirect(t, b.get("/setup"), "/login")
	other := f.browser()
	other.get("/login")
	r = other.post("/setup", setupForm("Another-Pass-99", "Another-Pass-99"))
	wantRedirect(t, r, "/login")
	admin, _ = store.Get[store.User](f.st, "admin")
	if !admin.CheckPassword(testPassword) {
		t.Fatal("second setup changed the admin password")
	}
	// The new site language shows on the login page.
	r = other.get("/login")
	if !strings.Contains(r.Body, msg(i18n.ZH, "web.login.title")) {
		t.Fatal("login page not in the site language")
	}
}

func TestSetup_AsksForSeededOneTimePassword(t *testing.T) {
	f := newFixture(t)
	otp, err := store.GenerateSecret(16)
	if err != nil {
		t.Fatal(err)
	}
	f.addUser("admin", store.RoleAdmin, otp, true)
	b := f.browser()
	r := b.get("/setup")
	if !strings.Contains(r.Body, `name="proof"`) || !strings.Contains(r.Body, msg(i18n.EN, "web.setup.proof.otp")) {
		t.Fatalf("setup does not ask for the one-time password:\n%s", r.Body)
	}
	form := setupForm(testPassword, testPassword)
	form.Set("proof", "Wrong-Guess-123")
	r = b.post("/setup", form)
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, msg(i18n.EN, "web.setup.proof_wrong.otp")) {
		t.Fatal("wrong one-time password not reported")
	}
	if done, _ := f.srv.isSetupDone(); done {
		t.Fatal("setup done with a wrong one-time password")
	}
	form.Set("proof", otp)
	wantRedirect(t, b.post("/setup", form), "/login?setup=done")
	admin, _ := store.Get[store.User](f.st, "admin")
	if admin.OneTimePassword || !admin.CheckPassword(testPassword) || admin.CheckPassword(otp) {
		t.Fatalf("admin after setup = %+v", admin)
	}
	b.login("admin", testPassword)
	wantStatus(t, b.get("/"), http.StatusOK)
}

func TestSetup_RefusesFormWithoutToken(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get("/setup")
	form := setupForm(testPassword, testPassword)
	form.Set("csrf", "forged")
	wantStatus(t, b.post("/setup", form), http.StatusForbidden)
	if done, _ := f.srv.isSetupDone(); done {
		t.Fatal("forged setup went through")
	}
}
