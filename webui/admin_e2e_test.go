package webui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// runServer runs the fixture's server on a loopback port, as the
// firmware does, and returns its base URL; the server stops with the test.
func runServer(t *testing.T, f *fixture) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	for range 200 {
		if a := f.srv.Addr(); a != "" {
			return "http://" + a
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("server did not listen")
	return ""
}

// clickThen clicks sel (a boosted link or form button: htmx swaps the page
// without a navigation) and waits until ready is visible.
func clickThen(t *testing.T, ctx context.Context, what string, sel, ready string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var err error
	// A page still settling (htmx swapping in what it loaded) can replace
	// the node between finding it and clicking it; the click did not
	// happen then, so it is tried again on the new node.
	for range 3 {
		err = chromedp.Do(sctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(ready)))
		if err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
			break
		}
	}
	if err != nil {
		loc := evalJS[string](t, ctx, `location.href + " | " + document.body.innerText.slice(0, 400)`)
		shot(t, ctx, screenshotDir(t), "failed-"+strings.ReplaceAll(what, " ", "-"))
		t.Fatalf("%s: %v\n%s", what, err, loc)
	}
}

// visit loads path and waits for the admin pane.
func visit(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	step(t, ctx, "open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(".pane h1")))
}

func TestBrowser_AdminWizardBulkExtensionsQueueAndAgentWithScreenshots(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f, fw := newAdminFixture(t)
	base := runServer(t, f)

	// The wizard from a blank store, with the SIP fields and the network.
	step(t, ctx, "open", chromedp.Navigate(base+"/"))
	if got := text(t, ctx, "h1"); got != i18n.T(i18n.EN, "web.setup.title") {
		t.Fatalf("first page %q", got)
	}
	if got := text(t, ctx, "fieldset.readonly"); !strings.Contains(got, "192.168.1.10/24") {
		t.Fatalf("network not shown: %q", got)
	}
	step(t, ctx, "fill setup",
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.SendKeys(chromedp.ID("password2"), testPassword),
		chromedp.SetValue(chromedp.ID("siteName"), "Harbour <b>Shop</b>"),
		chromedp.SetValue(chromedp.ID("timeZone"), "Asia/Shanghai"),
		chromedp.SetValue(chromedp.ID("country"), "cn"),
		chromedp.SetValue(chromedp.ID("sipDomain"), "pbx.harbour.example"),
		chromedp.SetValue(chromedp.ID("sipPort"), "5080"),
		chromedp.SetValue(chromedp.ID("sipTLSPort"), "5081"),
	)
	shot(t, ctx, dir, "wizard-en")
	submit(t, ctx, "submit setup", `form[action="/setup"] button.primary`)
	if fw.sip.Domain != "pbx.harbour.example" || fw.sip.Port != 5080 {
		t.Fatalf("SIP settings after the wizard: %+v", fw.sip)
	}
	step(t, ctx, "log in",
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)

	// The checklist of next steps, reached from the header.
	clickThen(t, ctx, "open admin", `header nav a[href="/admin"]`, "ol.checklist")
	if n := count(t, ctx, "ol.checklist li.done"); n != 0 {
		t.Fatalf("%d steps done on a fresh box", n)
	}
	if !evalJS[bool](t, ctx, `typeof window.htmx === "object"`) {
		t.Fatal("htmx did not load under the page's CSP")
	}

	// Bulk-create 20 extensions; the sheet shows them with their secrets.
	clickThen(t, ctx, "extensions", `nav.side a[href="/admin/extensions"]`, `a[href="/admin/extensions/bulk"]`)
	clickThen(t, ctx, "bulk form", `a[href="/admin/extensions/bulk"]`, "#f-first")
	step(t, ctx, "fill bulk",
		chromedp.SendKeys(chromedp.ID("f-first"), "8000"),
		chromedp.SendKeys(chromedp.ID("f-last"), "8019"))
	submit(t, ctx, "create range", `form[action="/admin/extensions/bulk"] button.primary`)
	if n := count(t, ctx, ".sheet-rows td.ext"); n != 20 {
		t.Fatalf("sheet shows %d extensions", n)
	}
	shot(t, ctx, dir, "admin-sheet-en")
	exts, _ := store.List[store.Extension](f.st)
	if len(exts) != 20 || !strings.Contains(text(t, ctx, ".sheet-rows"), exts[7].Secret) {
		t.Fatalf("%d extensions; sheet lacks the secrets", len(exts))
	}

	// A skill, an agent on extension 8001, then a queue with the agent.
	visit(t, ctx, base, "/admin/skills/new")
	step(t, ctx, "skill", chromedp.SendKeys(chromedp.ID("f-name"), "billing"), chromedp.SendKeys(chromedp.ID("f-description"), "Invoices"))
	clickThen(t, ctx, "save skill", "form.admin-form button.primary", "p.notice")

	visit(t, ctx, base, "/admin/agents/new")
	step(t, ctx, "agent",
		chromedp.SendKeys(chromedp.ID("f-id"), "x"),
		chromedp.SetValue(chromedp.ID("f-extension"), "8001"),
		chromedp.SendKeys(chromedp.ID("f-skills"), "billing 7"))
	// An invalid ID and a missing name come back next to their fields.
	clickThen(t, ctx, "save bad agent", "form.admin-form button.primary", ".field.invalid .error")
	shot(t, ctx, dir, "admin-agent-errors-en")
	step(t, ctx, "fix agent",
		chromedp.SetValue(chromedp.ID("f-id"), "21"),
		chromedp.SendKeys(chromedp.ID("f-name"), "Wang Fang"))
	clickThen(t, ctx, "save agent", "form.admin-form button.primary", "p.notice")
	a, err := store.Get[store.Agent](f.st, "21")
	if err != nil || a.Extension != "8001" || len(a.Skills) != 1 || a.Skills[0].Level != 7 || !a.Enabled {
		t.Fatalf("agent %+v, %v", a, err)
	}

	visit(t, ctx, base, "/admin/queues/new")
	step(t, ctx, "queue",
		chromedp.SendKeys(chromedp.ID("f-name"), "sales"),
		chromedp.SendKeys(chromedp.ID("f-number"), "600"),
		chromedp.SetValue(chromedp.ID("f-strategy"), "skills"),
		chromedp.SendKeys(chromedp.ID("f-members"), "21 7"),
		chromedp.SendKeys(chromedp.ID("f-skills"), "billing 3"),
		chromedp.SendKeys(chromedp.ID("f-exitKeys"), "1 callback"),
		chromedp.SendKeys(chromedp.ID("f-overflow"), "8000"))
	shot(t, ctx, dir, "admin-queue-form-en")
	clickThen(t, ctx, "save queue", "form.admin-form button.primary", "p.notice")
	q, err := store.Get[store.Queue](f.st, "sales")
	if err != nil || q.Strategy != store.StrategySkills || len(q.Members) != 1 || q.Members[0].Level != 7 || q.ExitKeys[0].Kind != store.ExitCallback {
		t.Fatalf("queue %+v, %v", q, err)
	}
	if got := text(t, ctx, "table.list tbody"); !strings.Contains(got, "sales") {
		t.Fatalf("queue list %q", got)
	}

	// Every admin page in both languages, for people to look at.
	adminSeedBrowser(t, f)
	for _, lang := range i18n.Langs {
		if _, err := store.Update(f.st, "admin", func(u *store.User) error { u.Lang = lang; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, p := range screenshotPages {
			visit(t, ctx, base, p.path)
			shot(t, ctx, dir, "admin-"+p.name+"-"+string(lang))
		}
	}
}

// screenshotPages are the admin pages photographed in each language.
var screenshotPages = []struct{ name, path string }{
	{"home", "/admin"}, {"extensions", "/admin/extensions"}, {"extension", "/admin/extensions/8001"}, {"bulk", "/admin/extensions/bulk"},
	{"sheet", "/admin/extensions/sheet?from=8000&to=8004"}, {"trunks", "/admin/trunks"}, {"trunk", "/admin/trunks/carrier"},
	{"lines", "/admin/lines"}, {"routes", "/admin/routes"}, {"skills", "/admin/skills"}, {"agents", "/admin/agents"},
	{"agent", "/admin/agents/21"}, {"queues", "/admin/queues"}, {"queue", "/admin/queues/sales"}, {"hours", "/admin/hours"},
	{"hours-edit", "/admin/hours/office"}, {"users", "/admin/users"}, {"user", "/admin/users/admin"}, {"security", "/admin/security"},
	{"backup", "/admin/backup"}, {"logs", "/admin/logs"}, {"audit", "/admin/audit"},
}

// adminSeedBrowser adds what the browser test did not create, so every
// page has something to show.
func adminSeedBrowser(t *testing.T, f *fixture) {
	t.Helper()
	recs := []store.Record{
		store.Trunk{Name: "carrier", Host: "sip.carrier.example", Transport: store.TransportUDP, Username: "u", Secret: "p", Register: true, Enabled: true,
			CallerID: "+862155550000", DIDs: []store.TrunkDID{{Number: "+862155550000", Map: "600"}}},
		store.Trunk{Name: "backup-carrier", Host: "203.0.113.9", Transport: store.TransportTCP, Enabled: true, OptionsInterval: 30},
		store.Line{ID: "fxo1", Name: "Exchange line 1", Type: store.LineFXO, Device: "sim:1", Number: "02155551234", Route: "queue:sales", Enabled: true},
		store.Line{ID: "gsm1", Name: "GSM", Type: store.LineGSM, Device: "/dev/ttyUSB0", Enabled: true},
		store.Hours{Name: "office", TimeZone: "Asia/Shanghai", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}, {Day: time.Saturday, Start: "22:00", End: "06:00"}},
			Holidays: []store.Holiday{{Name: "National Day", From: "2026-10-01", To: "2026-10-07"}, {Name: "New Year", From: "01-01"}}},
	}
	for _, r := range recs {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	f.addUser("li.na", store.RoleAgent, testPassword, true)
	f.addUser("zhou", store.RoleSupervisor, testPassword, false)
	f.setStatus(func(s *Status) {
		s.Telephony.Lines = append(s.Telephony.Lines, LineStatus{ID: "gsm1", Device: "/dev/ttyUSB0", Enabled: true, State: "idle"})
	})
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return evalJS[int](t, ctx, `document.querySelectorAll(`+jsString(sel)+`).length`)
}

// evalJS evaluates expr in the page.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
