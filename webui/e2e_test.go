package webui

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/webui/browsertest"
)

// newChromium starts a headless chromium with a fresh profile, sized like
// the smallest screen the UI must suit (1366x768).
func newChromium(t *testing.T) context.Context { return browsertest.Start(t) }

// screenshotDir is where the PNGs go: $CALLBOX_SCREENSHOTS, else a
// temporary directory.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("CALLBOX_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot writes what the 1366x768 window shows as dir/name.png.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", p)
}

// step runs browser actions with a bound on their time.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks sel and waits for the page it leads to.
func submit(t *testing.T, ctx context.Context, what string, sel chromedp.CSS) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(sctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func TestBrowser_SetupLoginAndStatusInBothLanguages(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f := newFixture(t)
	f.setStatus(func(s *Status) {
		s.StartedAt = f.clock.Now().Add(-3*time.Hour - 25*time.Minute)
		for i := range s.Services {
			s.Services[i].Since = s.StartedAt.Add(2 * time.Second)
		}
		s.Hardware = append(s.Hardware, Hardware{Kind: "modem", Name: "ttyUSB0", Detail: "Quectel EC20, signal 21/31"})
		s.Services = append(s.Services,
			ServiceState{Name: "sip", State: StateRunning, Since: f.clock.Now().Add(-3 * time.Hour)},
			ServiceState{Name: "acd", State: StateRestarting, Restarts: 2, LastError: "queue sales: no agents logged in", Since: f.clock.Now().Add(-time.Minute)})
	})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()

	// A fresh box leads to the setup page.
	step(t, ctx, "open", chromedp.Navigate(ts.URL+"/"))
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.EN, "web.setup.title") {
		t.Fatalf("first page heading %q, want the setup page", got)
	}
	shot(t, ctx, dir, "setup-en")

	// Switch to Chinese with the header's switch; fill in a weak password
	// first to see the message next to the field.
	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.ZH, "web.setup.title") {
		t.Fatalf("heading after switch %q", got)
	}
	shot(t, ctx, dir, "setup-zh")
	step(t, ctx, "fill weak",
		chromedp.SendKeys(chromedp.ID("password"), "short"),
		chromedp.SendKeys(chromedp.ID("password2"), "short"),
	)
	submit(t, ctx, "submit weak", `form[action="/setup"] button.primary`)
	if got := text(t, ctx, ".field.invalid .error"); got == "" {
		t.Fatal("no message next to the weak password")
	}
	shot(t, ctx, dir, "setup-zh-errors")

	step(t, ctx, "fill setup",
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.SendKeys(chromedp.ID("password2"), testPassword),
		chromedp.SetValue(chromedp.ID("siteName"), "上海呼叫中心"),
		chromedp.SetValue(chromedp.ID("timeZone"), "Asia/Shanghai"),
		chromedp.SetValue(chromedp.ID("country"), "cn"),
	)
	submit(t, ctx, "submit setup", `form[action="/setup"] button.primary`)
	if got := text(t, ctx, ".notice"); got != i18n.T(i18n.ZH, "web.login.setup_done") {
		t.Fatalf("after setup: %q", got)
	}
	if st, _ := store.GetSettings(f.st); !st.SetupDone || st.TimeZone != "Asia/Shanghai" || st.SiteName != "上海呼叫中心" || st.Lang != i18n.ZH {
		t.Fatalf("settings after browser setup: %+v", st)
	}

	shot(t, ctx, dir, "login-zh")

	// Log in and open the status page from the home page.
	step(t, ctx, "fill login",
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)
	// The first login after setup opens the checklist of next steps.
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.ZH, "admin.menu.overview") {
		t.Fatalf("first page after setup %q, want the admin checklist", got)
	}
	step(t, ctx, "open home", chromedp.Navigate(ts.URL+"/"))
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.ZH, "web.home.welcome", "admin") {
		t.Fatalf("home heading %q", got)
	}
	shot(t, ctx, dir, "home-zh")
	submit(t, ctx, "open status", `a.button[href="/status"]`)
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.ZH, "web.status.title") {
		t.Fatalf("status heading %q", got)
	}
	shot(t, ctx, dir, "status-zh")
	submit(t, ctx, "switch to en", `form.langs button[value="en"]`)
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.EN, "web.status.title") {
		t.Fatalf("status heading after switch %q", got)
	}
	if got := text(t, ctx, ".badge.bad"); got != i18n.T(i18n.EN, "web.status.unhealthy") {
		t.Fatalf("health badge %q", got)
	}
	shot(t, ctx, dir, "status-en")
	if u, _ := store.Get[store.User](f.st, "admin"); u.Lang != i18n.EN {
		t.Fatalf("language switch not stored on the user: %q", u.Lang)
	}
}
