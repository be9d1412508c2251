package webui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"callbox/acd/messaging"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The auto-reply rules page (/admin/autoreplies). Creating, editing and
// deleting a rule go through the generic admin form (autoReplyKind, with
// the store's messages next to each field and the audit log); this file
// adds what a list of records sorted by key cannot show: the order rules
// are tried in, moving a rule up or down, and a test box that runs a
// sample message through the rules exactly as the messaging service will.

const autoReplySlug = "autoreplies"

func init() {
	// The page is an admin page: the layout, the admin partials and ours.
	base := template.Must(template.New("layout.html").ParseFS(templateFS, "templates/layout.html"))
	template.Must(base.ParseFS(adminFS, "templates/admin/_common.html"))
	adminTemplates["messages_rules"] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/messages_rules.html"))
	adminGuards[store.KindAutoReply] = autoReplyGuard
}

func autoReplyKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "order", Type: "number", Hint: "msg3.h.order"},
			{Name: "enabled", Type: "check"},
			{Name: "keyword", Type: "text", Hint: "msg3.h.keyword"},
			{Name: "regexp", Type: "text", Hint: "msg3.h.regexp"},
			{Name: "sender", Type: "text", Hint: "msg3.h.sender"},
			{Name: "line", Type: "select", Options: recordOptions(s, lang, func(l store.Line) string { return withName(l.ID, l.Name) })},
			{Name: "hours", Type: "select", Options: recordOptions(s, lang, func(h store.Hours) string { return h.Name })},
			{Name: "whenClosed", Type: "check", Hint: "msg3.h.whenClosed"},
			{Name: "replyEn", Type: "lines", Hint: "msg3.h.reply"},
			{Name: "replyZh", Type: "lines", Hint: "msg3.h.reply"},
			{Name: "queue", Type: "select", Options: recordOptions(s, lang, func(q store.Queue) string { return withName(q.Name, q.Number) })},
			{Name: "tag", Type: "text", Hint: "msg3.h.tag"},
		}
	}
	to := func(r store.AutoReply) url.Values {
		return url.Values{"name": {r.Name}, "order": {itoa(r.Order)}, "enabled": {check(r.Enabled)}, "keyword": {r.Keyword},
			"regexp": {r.Regexp}, "sender": {r.Sender}, "line": {r.Line}, "hours": {r.Hours}, "whenClosed": {check(r.WhenClosed)},
			"replyEn": {r.ReplyEN}, "replyZh": {r.ReplyZH}, "queue": {r.Queue}, "tag": {r.Tag}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.AutoReply {
		return store.AutoReply{Name: f.Get("name"), Order: atoi(f, "order", errs, lang), Enabled: f.Get("enabled") == "on",
			Keyword: f.Get("keyword"), Regexp: f.Get("regexp"), Sender: f.Get("sender"), Line: f.Get("line"), Hours: f.Get("hours"),
			WhenClosed: f.Get("whenClosed") == "on", ReplyEN: f.Get("replyEn"), ReplyZH: f.Get("replyZh"), Queue: f.Get("queue"), Tag: f.Get("tag")}
	}
	return newKind(autoReplySlug, fields, []string{"name", "keyword", "queue", "enabled"}, url.Values{"enabled": {"on"}}, to, from)
}

// autoReplyGuard refuses a rule naming a line, schedule or queue that does
// not exist: it could never match, or would route into nothing.
func autoReplyGuard(s *Server, rc *reqCtx, _ string, form url.Values, errs map[string]string) {
	exists := func(field, msgKey string, get func(string) error) {
		v := form.Get(field)
		if v == "" {
			return
		}
		if err := get(v); errors.Is(err, store.ErrNotFound) {
			errs[field] = i18n.T(rc.lang, msgKey, v)
		}
	}
	exists("line", "messaging.err.no_line", func(v string) error { _, err := store.Get[store.Line](s.store, v); return err })
	exists("hours", "messaging.err.no_hours", func(v string) error { _, err := store.Get[store.Hours](s.store, v); return err })
	exists("queue", "messaging.err.no_queue", func(v string) error { _, err := store.Get[store.Queue](s.store, v); return err })
}

// rulesView is the content of the rules page.
type rulesView struct {
	Rules []ruleRow
	Test  *ruleTest
	Lines []option
}

// ruleRow is one rule as the list shows it, in the order rules are tried.
type ruleRow struct {
	Name    string
	Order   int
	Enabled bool
	When    []string // the match conditions, in words
	Do      []string // the actions, in words
	First   bool
	Last    bool
	Hit     bool // the rule the test message hit
}

// ruleTest is the test box: the sample and what the rules made of it.
type ruleTest struct {
	From, Line, Text, At string
	Ran                  bool
	Errors               map[string]string
	Decision             messaging.Decision
	Skipped              string // rules that could not be read, by name
}

// messageRuleRoutes adds the rules page's own routes; the generic admin
// routes do the rest.
func (s *Server) messageRuleRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	handle("GET /admin/autoreplies", p, s.rulesPage)
	handle("POST /admin/autoreplies/{key}/move", p, s.moveRule)
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	rules, err := store.List[store.AutoReply](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	store.SortAutoReplies(rules)
	v := rulesView{Lines: recordOptions(s, rc.lang, func(l store.Line) string { return withName(l.ID, l.Name) })}
	q := r.URL.Query()
	if q.Has("text") {
		v.Test = s.runRuleTest(rc, q)
	}
	for i, ar := range rules {
		row := ruleRow{Name: ar.Name, Order: ar.Order, Enabled: ar.Enabled, First: i == 0, Last: i == len(rules)-1,
			When: ruleConditions(rc.lang, ar), Do: ruleActions(rc.lang, ar)}
		row.Hit = v.Test != nil && v.Test.Decision.Stored && v.Test.Decision.Rule == ar.Name
		v.Rules = append(v.Rules, row)
	}
	s.adminRender(w, r, rc, http.StatusOK, "messages_rules", "web.kind.autoreplies", adminPage{Notice: noticeOf(r, rc.lang), Page: v}, "")
}

// runRuleTest evaluates the test box's sample. At is the local time of the
// site ("2006-01-02T15:04", a datetime-local input); empty is now.
func (s *Server) runRuleTest(rc *reqCtx, q url.Values) *ruleTest {
	t := &ruleTest{From: strings.TrimSpace(q.Get("from")), Line: q.Get("line"), Text: q.Get("text"), At: q.Get("at"), Errors: map[string]string{}}
	if t.From != "" && !store.IsDialable(t.From) {
		t.Errors["from"] = i18n.T(rc.lang, "store.err.number")
	}
	at := s.now()
	if t.At != "" {
		parsed, err := time.ParseInLocation("2006-01-02T15:04", t.At, s.faxLocation())
		if err != nil {
			t.Errors["at"] = i18n.T(rc.lang, "msg3.err.at")
		}
		at = parsed
	}
	if len(t.Errors) > 0 {
		return t
	}
	from := t.From
	if from == "" {
		from = "+0"
	}
	// The service tries its configured rules (the demo's) after the
	// stored ones; the page knows only the stored ones.
	d, err := messaging.Evaluate(s.store, nil, messaging.Sample{From: from, Line: t.Line, Text: t.Text, At: at})
	if err != nil {
		s.log.Error("auto-reply test", "err", err)
		t.Errors["text"] = i18n.T(rc.lang, "web.error.internal")
		return t
	}
	t.Ran, t.Decision, t.Skipped = true, d, strings.Join(d.Skipped, ", ")
	return t
}

// ruleConditions says when a rule matches, one phrase per condition.
func ruleConditions(lang i18n.Lang, r store.AutoReply) []string {
	var out []string
	add := func(key, v string) {
		if v != "" {
			out = append(out, i18n.T(lang, key, v))
		}
	}
	add("msg3.when.keyword", r.Keyword)
	add("msg3.when.regexp", r.Regexp)
	add("msg3.when.sender", r.Sender)
	add("msg3.when.line", r.Line)
	if r.WhenClosed {
		add("msg3.when.closed", r.Hours)
	} else {
		add("msg3.when.open", r.Hours)
	}
	if len(out) == 0 {
		out = append(out, i18n.T(lang, "msg3.when.any"))
	}
	return out
}

// ruleActions says what a rule does.
func ruleActions(lang i18n.Lang, r store.AutoReply) []string {
	var out []string
	if r.ReplyEN != "" {
		out = append(out, i18n.T(lang, "msg3.do.reply", "EN", r.ReplyEN))
	}
	if r.ReplyZH != "" {
		out = append(out, i18n.T(lang, "msg3.do.reply", "中文", r.ReplyZH))
	}
	if r.Queue != "" {
		out = append(out, i18n.T(lang, "msg3.do.queue", r.Queue))
	}
	if r.Tag != "" {
		out = append(out, i18n.T(lang, "msg3.do.tag", r.Tag))
	}
	return out
}

// moveRule moves a rule one place up or down: the rules are numbered
// again 10, 20, 30... in their new order, in one transaction, so that
// equal orders (ties broken by name) move predictably too.
func (s *Server) moveRule(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	key, dir := r.PathValue("key"), r.PostForm.Get("dir")
	if dir != "up" && dir != "down" {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	rules, err := store.List[store.AutoReply](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	store.SortAutoReplies(rules)
	i := slices.IndexFunc(rules, func(a store.AutoReply) bool { return a.Name == key })
	if i < 0 {
		s.notFound(w, r, rc)
		return
	}
	j := i - 1
	if dir == "down" {
		j = i + 1
	}
	if j < 0 || j >= len(rules) {
		backTo(w, r, "/admin/"+autoReplySlug, "admin.done.saved")
		return
	}
	rules[i], rules[j] = rules[j], rules[i]
	var changed []store.Record
	var detail strings.Builder
	for n := range rules {
		want := (n + 1) * 10
		if rules[n].Order == want {
			continue
		}
		fmt.Fprintf(&detail, "%s: order %d -> %d\n", rules[n].Name, rules[n].Order, want)
		rules[n].Order = want
		changed = append(changed, rules[n])
	}
	if want := len(rules) * 10; want > store.MaxRuleOrder {
		s.fail(w, r, rc, http.StatusConflict, "admin.err.bad_request")
		return
	}
	if len(changed) == 0 {
		backTo(w, r, "/admin/"+autoReplySlug, "admin.done.saved")
		return
	}
	if _, err := store.PutAll(s.store, changed...); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "move-"+dir, store.KindAutoReply, key, strings.TrimSuffix(detail.String(), "\n"))
	backTo(w, r, "/admin/"+autoReplySlug, "admin.done.saved")
}
