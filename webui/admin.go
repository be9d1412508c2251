package webui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The installer's admin pages live under /admin: one generic list and
// form per kind of configuration record (admin_kinds.go describes each
// kind's fields), bulk extensions with a provisioning sheet
// (admin_ext.go), and the pages that are not one record each: routes,
// SIP security, backup, logs and the audit log (admin_pages.go). They are
// admin-only on the server; every change is validated by the store, shown
// next to its field, and written to the audit log.

//go:embed templates/admin/*.html
var adminFS embed.FS

// NetInterface is one network interface as the setup wizard and the admin
// menu show it (read-only; the network is changed on the console).
type NetInterface struct {
	Name    string
	Addrs   []string // "192.168.1.10/24"
	Gateway string
	DNS     []string
}

// SIPSettings are the SIP domain and ports the setup wizard asks for; the
// firmware stores and applies them (Config.LoadSIP, Config.SaveSIP).
type SIPSettings struct {
	Domain  string // the domain phones register to; "" means the box's address
	Port    int    // UDP and TCP
	TLSPort int
}

// adminTemplates holds one template per admin page: the layout, the
// admin partials (_common.html) and the page.
var adminTemplates = func() map[string]*template.Template {
	base := template.Must(template.New("layout.html").ParseFS(templateFS, "templates/layout.html"))
	template.Must(base.ParseFS(adminFS, "templates/admin/_common.html"))
	names, err := fs.Glob(adminFS, "templates/admin/*.html")
	if err != nil {
		panic(err) // cannot happen: the pattern is constant and valid
	}
	out := map[string]*template.Template{}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/admin/"), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(adminFS, file))
	}
	return out
}()

// adminPage is what every admin template sees in View: the menu with the
// current entry, and the page's own content.
type adminPage struct {
	Menu   []menuItem
	Notice string
	Error  string
	Page   any
}

// menuItem is one entry of the admin menu.
type menuItem struct {
	Href    string
	Label   string
	Current bool
}

// adminMenu lists the admin pages in the order an installer sets a box up.
var adminMenu = []struct{ href, key string }{
	{"/admin", "admin.menu.overview"},
	{"/admin/extensions", "web.kind.extensions"},
	{"/admin/trunks", "web.kind.trunks"},
	{"/admin/lines", "web.kind.lines"},
	{"/admin/routes", "admin.menu.routes"},
	{"/admin/inroutes", "web.kind.inroutes"},
	{"/admin/outroutes", "web.kind.outroutes"},
	{"/admin/skills", "web.kind.skills"},
	{"/admin/agents", "web.kind.agents"},
	{"/admin/queues", "web.kind.queues"},
	{"/admin/hours", "web.kind.hours"},
	{"/admin/autoreplies", "web.kind.autoreplies"},
	{"/admin/prompts", "admin.menu.prompts"},
	{"/admin/voicemail", "admin.menu.vm"},
	{"/admin/wrapups", "web.kind.wrapups"},
	{"/admin/users", "web.kind.users"},
	{"/admin/sessions", "dialing.menu.sessions"},
	{"/admin/site", "web.kind.settings"},
	{"/admin/customers", "customers.menu"},
	{"/admin/sources", "wa2.menu.sources"},
	{"/admin/tokens", "wa2.menu.tokens"},
	{"/admin/webhooks", "wa2.menu.webhooks"},
	{"/admin/security", "admin.menu.security"},
	{"/admin/backup", "admin.menu.backup"},
	{"/admin/retention", "web.kind.retention"},
	{"/admin/logs", "admin.menu.logs"},
	{"/admin/audit", "admin.menu.audit"},
}

func menuFor(lang i18n.Lang, path string) []menuItem {
	out := make([]menuItem, 0, len(adminMenu))
	for _, m := range adminMenu {
		cur := path == m.href || m.href != "/admin" && strings.HasPrefix(path, m.href+"/")
		out = append(out, menuItem{Href: m.href, Label: i18n.T(lang, m.key), Current: cur})
	}
	return out
}

// adminRoutes adds the admin pages; every one is for admins only.
func (s *Server) adminRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	handle("GET /admin", p, s.adminHome)
	handle("GET /admin/extensions/bulk", p, s.adminBulkForm)
	handle("POST /admin/extensions/bulk", p, s.adminBulkSubmit)
	handle("GET /admin/extensions/sheet", p, s.adminSheet)
	handle("GET /admin/routes", p, s.adminRoutesPage)
	handle("GET /admin/security", p, s.adminSecurity)
	handle("POST /admin/security/lift", p, s.adminLiftBan)
	handle("POST /admin/security/nets", p, s.adminSaveNets)
	certUpload := p
	certUpload.bodyLimit = maxCertBytes
	handle("POST /admin/security/certificate", certUpload, s.adminInstallCert)
	handle("GET /admin/backup", p, s.adminBackup)
	handle("GET /admin/backup/download", p, s.adminBackupDownload)
	upload := p
	upload.bodyLimit = maxRestoreBytes
	handle("POST /admin/backup/restore", upload, s.adminRestore)
	handle("GET /admin/logs", p, s.adminLogs)
	handle("GET /admin/audit", p, s.adminAudit)
	handle("GET /admin/{kind}", p, s.adminList)
	handle("GET /admin/{kind}/new", p, s.adminNew)
	handle("POST /admin/{kind}/new", p, s.adminCreate)
	handle("GET /admin/{kind}/{key}", p, s.adminEdit)
	handle("POST /admin/{kind}/{key}", p, s.adminSave)
	handle("POST /admin/{kind}/{key}/delete", p, s.adminDelete)
}

// adminRender writes an admin page, or with fragment set only that named
// template of the page (htmx polling), without the layout.
func (s *Server) adminRender(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, name, titleKey string, ap adminPage, fragment string) {
	t, ok := adminTemplates[name]
	if !ok {
		s.log.Error("no such admin template", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	ap.Menu = menuFor(rc.lang, r.URL.Path)
	site := ""
	if st, err := store.GetSettings(s.store); err == nil {
		site = st.SiteName
	}
	data := pageData{
		Lang: rc.lang, TitleKey: titleKey, SiteName: site, User: rc.user, CSRF: rc.csrf,
		Here: localPath(r.URL.RequestURI()), CSS: cssURL, View: ap,
	}
	root := "layout"
	if fragment != "" {
		root = fragment
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, root, data); err != nil {
		s.log.Error("render admin page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// htmx fetches the pages it swaps in: the admin pages allow requests
	// to the box itself, and nothing else.
	if csp := h.Get("Content-Security-Policy"); csp != "" && !strings.Contains(csp, "connect-src") {
		h.Set("Content-Security-Policy", csp+"; connect-src 'self'")
	}
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// audit writes one entry of the audit log. A failure to write it is
// logged: the change itself has been made and must not be reported lost.
func (s *Server) audit(r *http.Request, rc *reqCtx, action string, kind store.Kind, key, detail string) {
	if utf8.RuneCountInString(detail) > store.MaxAuditDetail {
		detail = string([]rune(detail)[:store.MaxAuditDetail-1]) + "…"
	}
	now := s.now()
	a := store.Audit{At: now, User: rc.user.Name, Addr: clientAddr(r), Action: action, Of: kind, Name: key, Detail: detail}
	// The key is the time and the store's next change number, so entries
	// of one instant still list in the order they were made; a concurrent
	// writer that took the number makes Create fail, and the next try
	// takes the next one.
	var err error
	for range 5 {
		a.ID = fmt.Sprintf("%s-%012d", now.UTC().Format("20060102T150405.000000Z"), s.store.Seq()+1)
		if _, err = store.Create(s.store, a); !errors.Is(err, store.ErrExists) {
			break
		}
	}
	if err != nil {
		s.log.Error("audit log", "action", action, "kind", kind, "key", key, "err", err)
		return
	}
	s.log.Info("config change", "user", a.User, "action", action, "kind", kind, "key", key)
}

// fieldMessages turns a validation error into messages by form field: a
// nested field such as "members[2].level" is shown at "members" as
// "line 3: ...". It returns false when err is no validation error.
func fieldMessages(errs map[string]string, err error, lang i18n.Lang) bool {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	// A field the form parsing already found wrong keeps that message: the
	// store's complaint would be about the value the parse left behind.
	parsed := map[string]bool{}
	for f := range errs {
		parsed[f] = true
	}
	for _, f := range ve.Fields {
		field, msg := f.Field, f.Message(lang)
		if i := strings.IndexAny(field, "[."); i > 0 {
			var n int
			if _, err := fmt.Sscanf(field[i:], "[%d]", &n); err == nil {
				msg = i18n.T(lang, "admin.err.line", n+1, msg)
			}
			field = field[:i]
		}
		if parsed[field] {
			continue
		}
		if old, ok := errs[field]; ok {
			if strings.Contains(old, msg) {
				continue
			}
			msg = old + "; " + msg
		}
		errs[field] = msg
	}
	return true
}

// backTo redirects after a successful change, with a notice key the next
// page shows.
func backTo(w http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(w, r, path+"?done="+url.QueryEscape(notice), http.StatusSeeOther)
}

// noticeOf reads the notice a redirect carried, if it is a known message.
func noticeOf(r *http.Request, lang i18n.Lang) string {
	k := r.URL.Query().Get("done")
	if k == "" || !strings.HasPrefix(k, "admin.done.") || !i18n.Has(k) {
		return ""
	}
	return i18n.T(lang, k)
}
