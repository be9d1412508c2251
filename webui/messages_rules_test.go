package webui

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func rulesAdmin(t *testing.T) (*fixture, *browser) {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	for _, r := range []store.Record{
		store.Hours{Name: "office", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}}},
		store.Queue{Name: "care", Strategy: store.StrategyRingAll},
	} {
		if _, err := store.PutAll(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	b := f.browser()
	b.login("admin", testPassword)
	return f, b
}

func ruleOrder(t *testing.T, st *store.Store) []string {
	t.Helper()
	rs, err := store.List[store.AutoReply](st)
	if err != nil {
		t.Fatal(err)
	}
	store.SortAutoReplies(rs)
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func lastAudit(t *testing.T, st *store.Store) store.Audit {
	t.Helper()
	all, err := store.List[store.Audit](st)
	if err != nil || len(all) == 0 {
		t.Fatalf("no audit entries: %v", err)
	}
	return all[len(all)-1]
}

func TestRulesPage_BadFieldsAreNamedNextToThemAndNothingIsStored(t *testing.T) {
	f, b := rulesAdmin(t)
	r := b.post("/admin/autoreplies/new", url.Values{"name": {"prices"}, "enabled": {"on"}, "regexp": {"(price"},
		"sender": {"_13a"}, "queue": {"nosuch"}, "replyEn": {"See the list."}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	body := html.UnescapeString(r.Body)
	for _, want := range []string{
		`id="e-regexp"`, "missing closing )", // the parser's own words name what is wrong
		`id="e-sender"`, `id="e-queue"`, i18n.T(i18n.EN, "messaging.err.no_queue", "nosuch"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the form does not show %q", want)
		}
	}
	if names := ruleOrder(t, f.st); len(names) != 0 {
		t.Fatalf("stored %v", names)
	}
	// A rule that would answer everything is refused with its reason.
	r = b.post("/admin/autoreplies/new", url.Values{"name": {"all"}, "replyEn": {"Hi"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "store.err.match_all")) {
		t.Fatalf("no match-all message:\n%s", r.Body)
	}
}

func TestRulesPage_CreateMoveAndDeleteAreAudited(t *testing.T) {
	f, b := rulesAdmin(t)
	for _, v := range []url.Values{
		{"name": {"hours"}, "order": {"10"}, "enabled": {"on"}, "keyword": {"hours"}, "replyEn": {"9-18"}, "replyZh": {"九点到六点"}},
		{"name": {"closed"}, "order": {"20"}, "enabled": {"on"}, "hours": {"office"}, "whenClosed": {"on"}, "replyEn": {"We are closed."}},
		{"name": {"complaints"}, "order": {"30"}, "enabled": {"on"}, "regexp": {"(?i)complain"}, "queue": {"care"}, "tag": {"complaint"}},
	} {
		wantRedirect(t, b.post("/admin/autoreplies/new", v), "/admin/autoreplies")
	}
	if a := lastAudit(t, f.st); a.Action != "create" || a.Of != store.KindAutoReply || a.Name != "complaints" || !strings.Contains(a.Detail, `queue: "care"`) {
		t.Fatalf("audit %+v", a)
	}
	page := b.get("/admin/autoreplies")
	wantStatus(t, page, http.StatusOK)
	if i, j := strings.Index(page.Body, `id="rule-hours"`), strings.Index(page.Body, `id="rule-complaints"`); i < 0 || j < i {
		t.Fatalf("rules not listed in order:\n%s", page.Body)
	}

	wantRedirect(t, b.post("/admin/autoreplies/complaints/move", url.Values{"dir": {"up"}}), "/admin/autoreplies")
	wantRedirect(t, b.post("/admin/autoreplies/complaints/move", url.Values{"dir": {"up"}}), "/admin/autoreplies")
	if got := ruleOrder(t, f.st); !slices.Equal(got, []string{"complaints", "hours", "closed"}) {
		t.Fatalf("order after moving up twice: %v", got)
	}
	if a := lastAudit(t, f.st); a.Action != "move-up" || a.Name != "complaints" || !strings.Contains(a.Detail, "complaints: order 20 -> 10") {
		t.Fatalf("audit %+v", a)
	}
	wantStatus(t, b.post("/admin/autoreplies/complaints/move", url.Values{"dir": {"sideways"}}), http.StatusBadRequest)
	wantStatus(t, b.post("/admin/autoreplies/nosuch/move", url.Values{"dir": {"up"}}), http.StatusNotFound)

	wantRedirect(t, b.post("/admin/autoreplies/closed/delete", url.Values{}), "/admin/autoreplies")
	if a := lastAudit(t, f.st); a.Action != "delete" || a.Name != "closed" {
		t.Fatalf("audit %+v", a)
	}
}

func TestRulesPage_TestBoxShowsTheRuleAMessageHits(t *testing.T) {
	f, b := rulesAdmin(t)
	for _, r := range []store.AutoReply{
		{Name: "hours", Order: 10, Enabled: true, Keyword: "hours", ReplyEN: "Open 9-18.", ReplyZH: "九点到六点营业。"},
		{Name: "closed", Order: 5, Enabled: true, Hours: "office", WhenClosed: true, Keyword: "hours", ReplyEN: "We are closed now."},
	} {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatal(err)
		}
	}
	// Monday 10:00 (UTC, the fixture's site zone): the office is open.
	q := url.Values{"from": {"+8613922220002"}, "text": {"Hours?"}, "at": {"2026-11-23T10:00"}}
	r := b.get("/admin/autoreplies?" + q.Encode())
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "msg3.test.hit", "hours")) || !strings.Contains(r.Body, "Open 9-18.") ||
		!strings.Contains(r.Body, `id="rule-hours" class="hit"`) {
		t.Fatalf("open hours:\n%s", r.Body)
	}
	q.Set("at", "2026-11-23T20:00")
	q.Set("text", "HOURS 营业时间")
	if r := b.get("/admin/autoreplies?" + q.Encode()); !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "msg3.test.hit", "closed")) {
		t.Fatalf("closed hours:\n%s", r.Body)
	}
	q.Set("text", "hello")
	if r := b.get("/admin/autoreplies?" + q.Encode()); !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "msg3.test.none")) {
		t.Fatalf("no rule:\n%s", r.Body)
	}
	q.Set("at", "yesterday")
	if r := b.get("/admin/autoreplies?" + q.Encode()); !strings.Contains(html.UnescapeString(r.Body), i18n.T(i18n.EN, "msg3.err.at")) {
		t.Fatalf("bad time:\n%s", r.Body)
	}
}

func TestRulesPage_AgentsAndSupervisorsAreRefused(t *testing.T) {
	f, _ := rulesAdmin(t)
	f.addUser("amy", store.RoleAgent, testPassword, false)
	f.addUser("sue", store.RoleSupervisor, testPassword, false)
	for _, name := range []string{"amy", "sue"} {
		b := f.browser()
		b.login(name, testPassword)
		wantStatus(t, b.get("/admin/autoreplies"), http.StatusForbidden)
		wantStatus(t, b.post("/admin/autoreplies/new", url.Values{"name": {"x"}, "keyword": {"x"}, "replyEn": {"x"}}), http.StatusForbidden)
		wantStatus(t, b.post("/admin/autoreplies/x/move", url.Values{"dir": {"up"}}), http.StatusForbidden)
	}
}

func TestMessagePages_RenderInBothLanguagesWithStoredHTMLEscaped(t *testing.T) {
	f, b := rulesAdmin(t)
	if _, err := store.Put(f.st, store.AutoReply{Name: "x", Enabled: true, Keyword: "hi", ReplyEN: "<script>alert(1)</script>", ReplyZH: "<b>您好</b>"}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Langs {
		if _, err := store.Update(f.st, "admin", func(u *store.User) error { u.Lang = lang; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/admin/autoreplies", "/admin/autoreplies/new", "/admin/autoreplies/x", "/admin/autoreplies?text=hi&from=%2B8613922220002",
			"/fax", "/fax/inbox", "/fax/outbox"} {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK)
			if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "<b>您好") {
				t.Errorf("%s (%s): stored HTML not escaped", p, lang)
			}
			if lang == i18n.ZH && !strings.Contains(r.Body, "传真") && !strings.Contains(r.Body, "规则") && !strings.Contains(r.Body, "自动回复") {
				t.Errorf("%s: not in Chinese", p)
			}
		}
	}
}
