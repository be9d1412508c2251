package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The customer data sources page edits the store's DirectoryConfig, the
// one place the sources are configured: source.Live follows that record
// and rebuilds the sources on every change, so an edit here applies at
// once, without a restart. Secrets (the HTTP header value, the SQL DSN,
// the LDAP password) are write-only: the page never shows them, and a
// blank field on edit keeps the stored one.

// adminDataRoutes adds the data sources, API tokens and webhooks pages.
func (s *Server) adminDataRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	handle("GET /admin/sources", p, s.adminSources)
	handle("GET /admin/sources/new", p, s.adminSourceNew)
	handle("POST /admin/sources/new", p, s.adminSourceCreate)
	handle("POST /admin/sources/settings", p, s.adminSourceSettings)
	handle("POST /admin/sources/lookup", p, s.adminSourceLookup)
	handle("GET /admin/sources/{name}/edit", p, s.adminSourceEdit)
	handle("POST /admin/sources/{name}/edit", p, s.adminSourceSave)
	handle("POST /admin/sources/{name}/delete", p, s.adminSourceDelete)
	handle("POST /admin/sources/{name}/move", p, s.adminSourceMove)
	s.adminTokenRoutes(handle, p)
	s.adminWebhookRoutes(handle, p)
}

// reservedSourceNames are path elements of the page itself.
var reservedSourceNames = []string{"new", "settings", "lookup"}

// errNoSource: the source named in the URL is not configured (any more).
var errNoSource = errors.New("webui: no such data source")

// sourceKey is how a configured source is named in URLs and on the
// status page: its name, else its type.
func sourceKey(d store.DataSource) string {
	if d.Type == source.TypeBuiltin {
		return source.TypeBuiltin // the built-in source always reports as "builtin"
	}
	if d.Name != "" {
		return d.Name
	}
	return d.Type
}

// directoryConfig reads the stored configuration, or the default one.
func (s *Server) directoryConfig() (store.DirectoryConfig, error) {
	cfg, err := store.Get[store.DirectoryConfig](s.store, store.DirectoryConfigKey)
	if errors.Is(err, store.ErrNotFound) {
		return source.DefaultConfig(), nil
	}
	return cfg, err
}

// editDirectory changes the stored configuration in one transaction
// (creating it from the default when there is none yet) and returns it
// before and after the change. An error from fn is returned as is.
func (s *Server) editDirectory(fn func(*store.DirectoryConfig) error) (before, after store.DirectoryConfig, err error) {
	apply := func(c *store.DirectoryConfig) error {
		before = *c
		before.Sources = slices.Clone(c.Sources)
		if err := fn(c); err != nil {
			return err
		}
		after = *c
		return nil
	}
	for range 3 {
		_, err = store.Update(s.store, store.DirectoryConfigKey, apply)
		if !errors.Is(err, store.ErrNotFound) {
			return before, after, err
		}
		c := source.DefaultConfig()
		if err = apply(&c); err != nil {
			return before, after, err
		}
		if _, err = store.Create(s.store, c); !errors.Is(err, store.ErrExists) {
			return before, after, err
		}
		// Another admin created it meanwhile: edit theirs.
	}
	return before, after, err
}

// sourceHealth is a source's live health as the list shows it.
type sourceHealth struct {
	Lookups, Failures int
	LastError         string
	LastErrorAt       string
	LastSuccessAt     string
	Latency           string
	Class             string // "ok", "bad", "" (not asked yet)
	State             string
}

// sourceRow is one configured source in the list.
type sourceRow struct {
	Pos             int // 1 is asked first
	Key, Name, Type string
	TypeLabel       string
	Summary         string
	Editable        bool
	First, Last     bool
	Health          *sourceHealth
}

// sourcesView is the data sources page.
type sourcesView struct {
	Rows       []sourceRow
	LiveOn     bool
	LiveErr    string
	HasBuiltin bool
	Types      []option // the types an installer can add
	Settings   []formField
	Lookup     *lookupView
}

// sourceTypes are the external source types, in the order the page
// offers them.
var sourceTypes = []string{source.TypeHTTP, source.TypeSQL, source.TypeLDAP}

func (s *Server) adminSources(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderSources(w, r, rc, http.StatusOK, adminPage{Notice: noticeOf(r, rc.lang)}, nil, nil, nil)
}

// renderSources shows the page; settings holds a posted settings form
// with its messages, lookup a test lookup's result.
func (s *Server) renderSources(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, ap adminPage, settings url.Values, settingsErrs map[string]string, lookup *lookupView) {
	cfg, err := s.directoryConfig()
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := sourcesView{LiveOn: s.cfg.Directory != nil, Lookup: lookup}
	loc := s.siteLocation()
	var health map[string]directory.Health
	if s.cfg.Directory != nil {
		if err := s.cfg.Directory.Err(); err != nil {
			v.LiveErr = i18n.T(rc.lang, "wa2.src.live_err", err)
		}
		health = map[string]directory.Health{}
		for _, h := range s.cfg.Directory.Health() {
			health[h.Name] = h
		}
	}
	for i, d := range cfg.Sources {
		row := sourceRow{Pos: i + 1, Key: sourceKey(d), Name: sourceKey(d), Type: d.Type, TypeLabel: i18n.T(rc.lang, "wa2.type."+d.Type),
			Summary: sourceSummary(d), Editable: d.Type != source.TypeBuiltin, First: i == 0, Last: i == len(cfg.Sources)-1}
		if d.Type == source.TypeBuiltin {
			v.HasBuiltin = true
		}
		for _, o := range sourceOptions(rc.lang, "driver") {
			if d.Type == source.TypeSQL && o.Value == d.Driver {
				row.TypeLabel = o.Label // PostgreSQL or MySQL / MariaDB
			}
		}
		if health != nil {
			row.Health = healthOf(rc.lang, health, row.Key, loc)
		}
		v.Rows = append(v.Rows, row)
	}
	for _, t := range sourceTypes {
		v.Types = append(v.Types, option{Value: t, Label: i18n.T(rc.lang, "wa2.type."+t)})
	}
	if settings == nil {
		settings = url.Values{"deadlineMs": {strconv.Itoa(cfg.DeadlineMS)}, "cacheSeconds": {strconv.Itoa(cfg.CacheSeconds)}}
	}
	for _, name := range []string{"deadlineMs", "cacheSeconds"} {
		v.Settings = append(v.Settings, formField{adminField: adminField{Name: name, Type: "number"}, Label: i18n.T(rc.lang, "wa2.f."+name),
			Value: settings.Get(name), Error: settingsErrs[name], HintText: i18n.T(rc.lang, "wa2.h."+name)})
	}
	fragment := ""
	if r.Method == http.MethodGet && r.URL.Query().Get("fragment") == "rows" {
		fragment = "rows"
	}
	ap.Page = v
	if r.Method == http.MethodPost {
		// A boosted form would put the action's URL in the address bar,
		// which answers only POST: show the page's own.
		w.Header().Set("HX-Push-Url", "/admin/sources")
	}
	s.adminRender(w, r, rc, code, "sources", "wa2.menu.sources", ap, fragment)
}

// healthOf is the health of the source named key, if it is running.
func healthOf(lang i18n.Lang, health map[string]directory.Health, key string, loc *time.Location) *sourceHealth {
	h, ok := health[key]
	if !ok {
		return &sourceHealth{State: i18n.T(lang, "wa2.src.not_running")}
	}
	out := &sourceHealth{Lookups: h.Lookups, Failures: h.Failures, LastError: h.LastError}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("01-02 15:04:05")
	}
	out.LastErrorAt, out.LastSuccessAt = stamp(h.LastErrorAt), stamp(h.LastSuccessAt)
	if h.Lookups > 0 {
		out.Latency = shortDuration(h.LastLatency)
	}
	switch {
	case h.Lookups == 0:
		out.State = i18n.T(lang, "wa2.src.idle")
	case h.LastErrorAt.After(h.LastSuccessAt):
		out.Class, out.State = "bad", i18n.T(lang, "wa2.src.failing")
	default:
		out.Class, out.State = "ok", i18n.T(lang, "wa2.src.ok")
	}
	return out
}

// shortDuration writes a latency as people read it: microseconds below
// a millisecond, else to the millisecond.
func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "" // not measured (a clock that did not move)
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < 10*time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// siteLocation is the site's time zone, for the times pages show.
func (s *Server) siteLocation() *time.Location {
	if set, err := store.GetSettings(s.store); err == nil {
		return set.Location()
	}
	return time.UTC
}

// sourceSummary is the one line the list shows of a source: where it
// is, never a secret.
func sourceSummary(d store.DataSource) string {
	switch d.Type {
	case source.TypeHTTP:
		return d.URL
	case source.TypeSQL:
		return d.Driver + " · " + redactDSN(d.DSN)
	case source.TypeLDAP:
		return d.URL + " · " + d.BaseDN
	}
	return ""
}

// redactDSN hides the password of a connection string (URL form
// "postgres://user:pass@host/db", MySQL form "user:pass@tcp(host)/db",
// keyword form "host=h password=p"), so that the page can say which
// database a source uses without showing its secret.
func redactDSN(dsn string) string {
	const mask = "•••"
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "x")
			return strings.Replace(u.String(), ":x@", ":"+mask+"@", 1)
		}
		return u.String()
	}
	if at := strings.LastIndex(dsn, "@"); at > 0 && !strings.Contains(dsn[:at], " ") {
		user, _, _ := strings.Cut(dsn[:at], ":")
		return user + ":" + mask + dsn[at:]
	}
	words := strings.Fields(dsn)
	for i, w := range words {
		if k, _, ok := strings.Cut(w, "="); ok && strings.EqualFold(k, "password") {
			words[i] = k + "=" + mask
		}
	}
	return strings.Join(words, " ")
}

// adminSourceSettings saves the directory's deadline and cache TTL.
func (s *Server) adminSourceSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	form := url.Values{}
	errs := map[string]string{}
	var deadline, cache int
	for _, f := range []struct {
		name     string
		to       *int
		min, max int
	}{{"deadlineMs", &deadline, 0, 60000}, {"cacheSeconds", &cache, -1, 86400}} {
		v := strings.TrimSpace(r.PostForm.Get(f.name))
		form.Set(f.name, v)
		if v == "" {
			v = "0"
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < f.min || n > f.max {
			errs[f.name] = i18n.T(rc.lang, "store.err.range", f.min, f.max)
			continue
		}
		*f.to = n
	}
	if len(errs) > 0 {
		s.renderSources(w, r, rc, http.StatusUnprocessableEntity, adminPage{Error: i18n.T(rc.lang, "web.form.has_errors")}, form, errs, nil)
		return
	}
	before, after, err := s.editDirectory(func(c *store.DirectoryConfig) error {
		c.DeadlineMS, c.CacheSeconds = deadline, cache
		return nil
	})
	if err != nil {
		s.sourceStoreFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "update", store.KindDirectoryConfig, store.DirectoryConfigKey,
		fmt.Sprintf("deadlineMs: %d -> %d\ncacheSeconds: %d -> %d", before.DeadlineMS, after.DeadlineMS, before.CacheSeconds, after.CacheSeconds))
	backTo(w, r, "/admin/sources", "admin.done.saved")
}

// adminSourceMove moves a source up or down the order the directory
// asks them in (the first source's answer wins field by field).
func (s *Server) adminSourceMove(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	name, dir := r.PathValue("name"), r.PostForm.Get("dir")
	if dir != "up" && dir != "down" {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	var order []string
	_, _, err := s.editDirectory(func(c *store.DirectoryConfig) error {
		i := sourceIndex(*c, name)
		if i < 0 {
			return errNoSource
		}
		j := i - 1
		if dir == "down" {
			j = i + 1
		}
		if j >= 0 && j < len(c.Sources) {
			c.Sources[i], c.Sources[j] = c.Sources[j], c.Sources[i]
		}
		for _, d := range c.Sources {
			order = append(order, sourceKey(d))
		}
		return nil
	})
	if err != nil {
		s.sourceStoreFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "update", store.KindDirectoryConfig, store.DirectoryConfigKey, "order: "+strings.Join(order, ", "))
	backTo(w, r, "/admin/sources", "admin.done.saved")
}

func (s *Server) adminSourceDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := r.PathValue("name")
	var gone store.DataSource
	_, _, err := s.editDirectory(func(c *store.DirectoryConfig) error {
		i := sourceIndex(*c, name)
		if i < 0 {
			return errNoSource
		}
		gone = c.Sources[i]
		c.Sources = slices.Delete(c.Sources, i, i+1)
		return nil
	})
	if err != nil {
		s.sourceStoreFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", store.KindDirectoryConfig, store.DirectoryConfigKey,
		"source "+name+"\n"+diffForms(sourceFields(gone.Type), sourceValues(gone), nil))
	backTo(w, r, "/admin/sources", "admin.done.deleted")
}

// sourceIndex finds the source named key, or -1.
func sourceIndex(c store.DirectoryConfig, key string) int {
	return slices.IndexFunc(c.Sources, func(d store.DataSource) bool { return sourceKey(d) == key })
}

// sourceStoreFail answers an error of editDirectory.
func (s *Server) sourceStoreFail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	if errors.Is(err, errNoSource) {
		s.notFound(w, r, rc)
		return
	}
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		msgs := ve.Messages(rc.lang)
		parts := make([]string, 0, len(msgs))
		for f, m := range msgs {
			parts = append(parts, f+": "+m)
		}
		slices.Sort(parts)
		s.adminRender(w, r, rc, http.StatusUnprocessableEntity, "message", "wa2.menu.sources",
			adminPage{Error: strings.Join(parts, "; "), Page: "/admin/sources"}, "")
		return
	}
	s.storeFail(w, r, rc, err)
}
