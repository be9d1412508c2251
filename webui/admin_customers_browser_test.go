package webui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestBrowser_CustomerListFormAndImportPreviewInBothLanguages(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f, _ := customersAdmin(t)
	var recs []store.Record
	for i := range 60 {
		recs = append(recs, store.Customer{ID: "p" + pad3(i), Name: "客户 " + pad3(i), Company: "Shanghai Trading " + pad3(i%7),
			Numbers: []string{"+86138000" + pad3(i) + "00"}, VIPLevel: i % 4, Tags: []string{[]string{"retail", "wholesale", "online"}[i%3]},
			Fields: map[string]string{"tier": []string{"gold", "silver"}[i%2]}})
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(bad, []byte("id,name,numbers,vip_level,tags,tier,contract\n"+
		"n1,Sun Li,013811112222,1,retail,gold,HT-9\n"+
		"n2,,not-a-number,9,a;a,platinum,\n"+
		"n3,Qian Wu,013811113333,,,silver,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := runServer(t, f)
	step(t, ctx, "open login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "admin"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)
	waitFor(t, ctx, "home", `location.pathname === "/"`)

	for _, lang := range i18n.Langs {
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		name := func(page string) string { return "customers-" + page + "-" + string(lang) }

		visit(t, ctx, base, "/admin/customers")
		if got := text(t, ctx, `nav.side a.current`); got != i18n.T(lang, "customers.menu") {
			t.Errorf("current menu entry %q", got)
		}
		if n := evalJS[int](t, ctx, `document.querySelectorAll("tr[data-customer]").length`); n != customersPageSize {
			t.Errorf("first page shows %d rows", n)
		}
		shot(t, ctx, dir, name("list"))
		step(t, ctx, "search", chromedp.SendKeys(chromedp.ID("f-tag"), "wholesale"))
		clickThen(t, ctx, "search", `form.search button.primary`, `tr[data-customer]`)
		waitFor(t, ctx, "filtered", `location.search.includes("tag=wholesale")`)
		if got := text(t, ctx, `table.customers tbody`); strings.Contains(got, "retail") {
			t.Errorf("tag search shows other tags: %q", got)
		}
		shot(t, ctx, dir, name("search"))

		// The form of a customer with its custom fields and history, then
		// a refused save with the messages next to the fields.
		visit(t, ctx, base, "/admin/customers/c1/edit")
		waitFor(t, ctx, "history", `document.querySelector("#history a[href^='/reports/recordings/']") !== null`)
		shot(t, ctx, dir, name("form"))
		evalJS[bool](t, ctx, `(document.getElementById("f-name").value = "", document.getElementById("f-fields.since").value = "2026-02-30", true)`)
		clickThen(t, ctx, "save", `form.admin-form button.primary`, `#e-name`)
		if got := text(t, ctx, `#e-fields\.since`); got != i18n.T(lang, "store.err.date") {
			t.Errorf("since message %q", got)
		}
		shot(t, ctx, dir, name("form-errors"))

		// The import preview of a file with one bad row.
		visit(t, ctx, base, "/admin/customers/import")
		step(t, ctx, "choose file", chromedp.SetUploadFiles(`#f-file`, []string{bad}))
		submit(t, ctx, "preview", `form[enctype="multipart/form-data"] button.primary`)
		waitFor(t, ctx, "preview", `document.querySelector("#preview") !== null`)
		if got := text(t, ctx, `tr[data-line="3"]`); !strings.Contains(got, i18n.T(lang, "customers.f.vipLevel")) || !strings.Contains(got, i18n.T(lang, "customers.err.field-choice", "gold, silver")) {
			t.Errorf("bad row shows %q", got)
		}
		step(t, ctx, "scroll to preview", chromedp.ScrollIntoView(chromedp.CSS(`#preview`)))
		shot(t, ctx, dir, name("import-preview"))
	}
	if _, err := store.Get[store.Customer](f.st, "n1"); err == nil {
		t.Fatal("a previewed file was imported")
	}
}
