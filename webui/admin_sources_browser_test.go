package webui

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// waitFor waits until the JavaScript expression is true in the page.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 1500)`))
		t.Fatalf("waiting for %s (%s): %v\n%s", what, expr, err, got)
	}
}

// seedDataPages gives each of the three pages something to show: a CRM
// that answers, one that is down, a customer, a used token, and webhooks
// with delivered and failed events.
func seedDataPages(t *testing.T, df *dataFixture) {
	t.Helper()
	srv, _ := crm(t, "+8613812345678", "Wang Fang")
	put(t, df.st, store.Customer{ID: "c1", Name: "Li Lei", Company: "Acme Trading", Numbers: []string{"+8613812345678"}, VIP: true})
	put(t, df.st, store.DirectoryConfig{ID: store.DirectoryConfigKey, DeadlineMS: 1200, Sources: []store.DataSource{{Type: "builtin"},
		{Type: "http", Name: "crm", URL: srv.URL + "/customers?phone={number}", Header: "Authorization", HeaderValue: "Bearer crm-secret-value",
			Fields: map[string]string{"name": "data.0.full_name", "company": "data.0.org", "tier": "data.0.tier"}, TimeoutMS: 800},
		{Type: "http", Name: "erp-backup", URL: deadURL(t), Fields: map[string]string{"name": "name"}},
		{Type: "ldap", Name: "corp", URL: "ldap://127.0.0.1:1", BaseDN: "ou=people,dc=example,dc=com", Filter: "(|(telephoneNumber={number})(mobile={number}))",
			Fields: map[string]string{"name": "cn", "company": "o"}, TimeoutMS: 500},
	}})
	df.waitSources(t, "builtin", "crm", "erp-backup", "corp")
	// Two calls' lookups give the health columns figures.
	for range 2 {
		if _, err := df.live.Lookup(t.Context(), "013812345678"); err != nil {
			t.Fatal(err)
		}
	}

	for _, spec := range []struct {
		name string
		role store.Role
		user string
		ttl  time.Duration
	}{{"CRM production", store.RoleSupervisor, "", 0}, {"Wallboard TV", store.RoleSupervisor, "", 365 * 24 * time.Hour}, {"Li Na's softphone", store.RoleAgent, "admin", 30 * 24 * time.Hour}} {
		tok, secret, err := cti.NewToken(spec.name, spec.role, spec.user, df.clock.Now(), spec.ttl)
		if err != nil {
			t.Fatal(err)
		}
		put(t, df.st, tok)
		if spec.name == "CRM production" && apiGet(t, df.srv.Handler(), secret, "/api/v1/cti/status") != http.StatusOK {
			t.Fatal("token refused")
		}
	}

	ok := newReceiver(t, http.StatusOK, df.clock.Now)
	ok.secret = "crm-hook-secret-0123456789"
	put(t, df.st, store.Webhook{ID: "crm", URL: ok.URL + "/callbox/events", Secret: ok.secret, Enabled: true,
		Events: []string{cti.EventCallOffered, cti.EventCallEnded}})
	put(t, df.st, store.Webhook{ID: "ticketing", URL: "http://127.0.0.1:9/hooks/callbox", Secret: "ticket-secret-0123456789", Enabled: true})
	put(t, df.st, store.Webhook{ID: "old-erp", URL: "https://erp.example.com/hook", Secret: "erp-secret-0123456789", Enabled: false})
	for i := range 3 {
		df.hub.Offered(t.Context(), cti.OfferInfo{CallID: "call-" + strconv.Itoa(i), Agent: "101", Extension: "201", Queue: "sales",
			Caller: acd.Party{Number: "+8613812345678"}})
	}
	for i := 0; ; i++ {
		final := 0
		for _, d := range df.hub.Deliveries() {
			if d.Final {
				final++
			}
		}
		if final >= 6 {
			break
		}
		if i > 2000 {
			t.Fatalf("deliveries did not end: %+v", df.hub.Deliveries())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBrowser_DataSourcesTokensAndWebhooksPagesInBothLanguages(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	df := newDataFixture(t)
	seedDataPages(t, df)
	base := runServer(t, df.fixture)

	step(t, ctx, "open login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "admin"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)
	waitFor(t, ctx, "home", `location.pathname === "/"`)

	for _, lang := range i18n.Langs {
		if err := setUserLang(df.fixture, "admin", lang); err != nil {
			t.Fatal(err)
		}
		name := func(page string) string { return "wa2-" + page + "-" + string(lang) }

		// The sources with their health, then a test lookup: the dead
		// source makes it partial.
		step(t, ctx, "sources", chromedp.Navigate(base+"/admin/sources"), chromedp.WaitVisible(chromedp.CSS(`tr[data-source="crm"]`)))
		if got := text(t, ctx, `nav.side a.current`); got != i18n.T(lang, "wa2.menu.sources") {
			t.Errorf("current menu entry %q", got)
		}
		shot(t, ctx, dir, name("sources"))
		step(t, ctx, "number", chromedp.SendKeys(chromedp.ID("f-number"), "138 1234 5678"))
		step(t, ctx, "look up", chromedp.Click(chromedp.CSS(`form[action="/admin/sources/lookup"] button.primary`), chromedp.NodeVisible))
		waitFor(t, ctx, "lookup result", `document.querySelector("table.tries") !== null`)
		// The address bar shows a page a reload can fetch, not the
		// POST-only action.
		waitFor(t, ctx, "sources URL", `location.pathname === "/admin/sources"`)
		if got := text(t, ctx, `#partial`); got != i18n.T(lang, "wa2.lookup.partial") {
			t.Errorf("partial mark %q", got)
		}
		if got := text(t, ctx, `table.merged`); !strings.Contains(got, "Li Lei") || !strings.Contains(got, "gold") {
			t.Errorf("merged record %q", got)
		}
		step(t, ctx, "scroll to lookup", chromedp.ScrollIntoView(chromedp.CSS(`#lookup`)))
		shot(t, ctx, dir, name("lookup"))

		// A source form refusing a spliced query, next to the field.
		step(t, ctx, "sql form", chromedp.Navigate(base+"/admin/sources/new?type=sql"), chromedp.WaitVisible(chromedp.ID("f-query")))
		step(t, ctx, "fill sql",
			chromedp.SendKeys(chromedp.ID("f-name"), "erp"),
			chromedp.SendKeys(chromedp.ID("f-dsn"), "app:pw@tcp(127.0.0.1:3306)/crm"),
			chromedp.SetValue(chromedp.ID("f-query"), "SELECT name FROM customers WHERE phone = '{number}'"))
		step(t, ctx, "save sql", chromedp.Click(chromedp.CSS(`form.admin-form button.primary`), chromedp.NodeVisible))
		waitFor(t, ctx, "query message", `document.querySelector("#e-query") !== null`)
		if got := text(t, ctx, `#e-query`); got != i18n.T(lang, "wa2.err.query_spliced", "$1") {
			t.Errorf("query message %q", got)
		}
		shot(t, ctx, dir, name("sql-refused"))
		step(t, ctx, "http form", chromedp.Navigate(base+"/admin/sources/crm/edit"), chromedp.WaitVisible(chromedp.ID("f-url")))
		shot(t, ctx, dir, name("source-http"))

		// Tokens: the list, the form with its scopes, a new token shown once.
		step(t, ctx, "tokens", chromedp.Navigate(base+"/admin/tokens"), chromedp.WaitVisible(chromedp.CSS(`table.tokens`)))
		shot(t, ctx, dir, name("tokens"))
		step(t, ctx, "token form", chromedp.Navigate(base+"/admin/tokens/new"), chromedp.WaitVisible(chromedp.CSS(`fieldset.scopes`)))
		shot(t, ctx, dir, name("token-form"))
		step(t, ctx, "fill token", chromedp.SendKeys(chromedp.ID("f-name"), "Helpdesk "+string(lang)))
		step(t, ctx, "create token", chromedp.Click(chromedp.CSS(`form.admin-form button.primary`), chromedp.NodeVisible))
		waitFor(t, ctx, "new token", `document.querySelector("#new-token") !== null`)
		if got := text(t, ctx, `#new-token`); !strings.HasPrefix(got, cti.TokenPrefix) {
			t.Errorf("token shown %q", got)
		}
		shot(t, ctx, dir, name("token-made"))

		// Webhooks: the list, then one with its log after a test event.
		step(t, ctx, "webhooks", chromedp.Navigate(base+"/admin/webhooks"), chromedp.WaitVisible(chromedp.CSS(`table.hooks`)))
		shot(t, ctx, dir, name("webhooks"))
		step(t, ctx, "webhook", chromedp.Navigate(base+"/admin/webhooks/crm/edit"), chromedp.WaitVisible(chromedp.ID("send-test")))
		step(t, ctx, "send test", chromedp.Click(chromedp.ID("send-test"), chromedp.NodeVisible))
		waitFor(t, ctx, "test notice", `(document.querySelector("p.notice") || {}).textContent?.includes("204") || (document.querySelector("p.notice") || {}).textContent?.includes("200")`)
		waitFor(t, ctx, "webhook URL", `location.pathname === "/admin/webhooks/crm/edit"`)
		shot(t, ctx, dir, name("webhook"))
		step(t, ctx, "scroll to log", chromedp.ScrollIntoView(chromedp.CSS(`table.deliveries`)))
		shot(t, ctx, dir, name("webhook-log"))
	}
}
