package webui

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// sourceFields are the form's inputs for a source type, in order. Their
// names are the JSON names of store.DataSource, so that the store's own
// messages land next to them.
func sourceFields(typ string) []adminField {
	name := adminField{Name: "name", Type: "text", Key: true, Hint: "wa2.h.name"}
	form := adminField{Name: "numberForm", Type: "select", Hint: "wa2.h.numberForm"}
	timeout := adminField{Name: "timeoutMs", Type: "number", Hint: "wa2.h.timeoutMs"}
	switch typ {
	case source.TypeHTTP:
		return []adminField{name,
			{Name: "url", Type: "text", Hint: "wa2.h.httpUrl"},
			{Name: "header", Type: "text", Hint: "wa2.h.header"},
			{Name: "headerValue", Type: "password", Secret: true, Hint: "wa2.h.secret"},
			{Name: "fields", Type: "lines", Hint: "wa2.h.httpFields"},
			timeout, form}
	case source.TypeSQL:
		return []adminField{name,
			{Name: "driver", Type: "select"},
			{Name: "dsn", Type: "password", Secret: true, Hint: "wa2.h.dsn"},
			{Name: "query", Type: "lines", Hint: "wa2.h.query"},
			form}
	case source.TypeLDAP:
		return []adminField{name,
			{Name: "url", Type: "text", Hint: "wa2.h.ldapUrl"},
			{Name: "bindDn", Type: "text", Hint: "wa2.h.bindDn"},
			{Name: "password", Type: "password", Secret: true, Hint: "wa2.h.secret"},
			{Name: "baseDn", Type: "text"},
			{Name: "filter", Type: "text", Hint: "wa2.h.filter"},
			{Name: "fields", Type: "lines", Hint: "wa2.h.ldapFields"},
			timeout, form}
	}
	return nil
}

// sourceOptions are the choices of a select field.
func sourceOptions(lang i18n.Lang, field string) []option {
	switch field {
	case "driver":
		return []option{{Value: "pgx", Label: "PostgreSQL"}, {Value: "mysql", Label: "MySQL / MariaDB"}}
	case "numberForm":
		return []option{{Value: "", Label: i18n.T(lang, "wa2.form.e164")}, {Value: "digits", Label: i18n.T(lang, "wa2.form.digits")},
			{Value: "national", Label: i18n.T(lang, "wa2.form.national")}}
	}
	return nil
}

// sourceValues is a source as form values; mappings one "field=path" a
// line, in field order.
func sourceValues(d store.DataSource) url.Values {
	v := url.Values{"name": {d.Name}, "url": {d.URL}, "header": {d.Header}, "headerValue": {d.HeaderValue},
		"driver": {d.Driver}, "dsn": {d.DSN}, "query": {d.Query}, "bindDn": {d.BindDN}, "password": {d.Password},
		"baseDn": {d.BaseDN}, "filter": {d.Filter}, "numberForm": {d.NumberForm}}
	if d.TimeoutMS > 0 {
		v.Set("timeoutMs", strconv.Itoa(d.TimeoutMS))
	}
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(d.Fields)) {
		lines = append(lines, k+"="+d.Fields[k])
	}
	v.Set("fields", strings.Join(lines, "\n"))
	return v
}

// sourceFormView is the form page of one source.
type sourceFormView struct {
	Type      string
	TypeLabel string
	Key       string // "" when adding
	Action    string
	Fields    []formField
	Stored    string // where the stored secret DSN points, redacted
}

// renderSourceForm shows the form; vals are what to show (secrets are
// never shown, whatever vals holds).
func (s *Server) renderSourceForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, typ, key string, vals url.Values, errs map[string]string, general string) {
	v := sourceFormView{Type: typ, TypeLabel: i18n.T(rc.lang, "wa2.type."+typ), Key: key}
	if key == "" {
		v.Action = "/admin/sources/new?type=" + url.QueryEscape(typ)
	} else {
		v.Action = "/admin/sources/" + url.PathEscape(key) + "/edit"
	}
	for _, f := range sourceFields(typ) {
		f.Options = sourceOptions(rc.lang, f.Name)
		ff := formField{adminField: f, Label: i18n.T(rc.lang, "wa2.f."+f.Name), Value: vals.Get(f.Name), Error: errs[f.Name], Fixed: f.Key && key != ""}
		if f.Hint != "" {
			ff.HintText = i18n.T(rc.lang, f.Hint)
		}
		if f.Secret {
			ff.Value = ""
			if key != "" {
				ff.HintText = i18n.T(rc.lang, "wa2.h.keep_secret")
			}
		}
		v.Fields = append(v.Fields, ff)
	}
	if typ == source.TypeSQL && key != "" {
		if cfg, err := s.directoryConfig(); err == nil {
			if i := sourceIndex(cfg, key); i >= 0 {
				v.Stored = redactDSN(cfg.Sources[i].DSN)
			}
		}
	}
	ap := adminPage{Page: v, Error: general}
	if general == "" && len(errs) > 0 {
		ap.Error = i18n.T(rc.lang, "web.form.has_errors")
	}
	s.adminRender(w, r, rc, code, "source_form", "wa2.menu.sources", ap, "")
}

func (s *Server) adminSourceNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	typ := r.URL.Query().Get("type")
	if !slices.Contains(sourceTypes, typ) {
		s.notFound(w, r, rc)
		return
	}
	vals := url.Values{}
	switch typ {
	case source.TypeHTTP:
		vals.Set("fields", "name=name\ncompany=company\nvip=vip")
		vals.Set("header", "Authorization")
	case source.TypeSQL:
		vals.Set("driver", "pgx")
		vals.Set("query", "SELECT name, company, vip FROM customers WHERE phone = $1 LIMIT 1")
	case source.TypeLDAP:
		vals.Set("filter", "(|(telephoneNumber={number})(mobile={number}))")
		vals.Set("fields", "name=cn\ncompany=o")
	}
	s.renderSourceForm(w, r, rc, http.StatusOK, typ, "", vals, nil, "")
}

func (s *Server) adminSourceEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, key, ok := s.editableSource(w, r, rc)
	if !ok {
		return
	}
	s.renderSourceForm(w, r, rc, http.StatusOK, d.Type, key, sourceValues(d), nil, "")
}

// editableSource reads the configured source the path names; it answers
// itself when there is none or it is the built-in directory (which has no
// form), and on a store error.
func (s *Server) editableSource(w http.ResponseWriter, r *http.Request, rc *reqCtx) (d store.DataSource, key string, ok bool) {
	cfg, err := s.directoryConfig()
	if err != nil {
		s.storeFail(w, r, rc, err)
		return d, "", false
	}
	key = r.PathValue("name")
	i := sourceIndex(cfg, key)
	if i < 0 || cfg.Sources[i].Type == source.TypeBuiltin {
		s.notFound(w, r, rc)
		return d, "", false
	}
	return cfg.Sources[i], key, true
}

// adminSourceCreate adds a source at the end of the order; type
// "builtin" adds the built-in directory back.
func (s *Server) adminSourceCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	typ := r.URL.Query().Get("type")
	if typ == source.TypeBuiltin {
		_, _, err := s.editDirectory(func(c *store.DirectoryConfig) error {
			if sourceIndex(*c, source.TypeBuiltin) < 0 {
				c.Sources = append(c.Sources, store.DataSource{Type: source.TypeBuiltin})
			}
			return nil
		})
		if err != nil {
			s.sourceStoreFail(w, r, rc, err)
			return
		}
		s.audit(r, rc, "create", store.KindDirectoryConfig, store.DirectoryConfigKey, "source builtin")
		backTo(w, r, "/admin/sources", "admin.done.saved")
		return
	}
	if !slices.Contains(sourceTypes, typ) {
		s.notFound(w, r, rc)
		return
	}
	s.saveSource(w, r, rc, typ, "")
}

func (s *Server) adminSourceSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, key, ok := s.editableSource(w, r, rc)
	if !ok {
		return
	}
	s.saveSource(w, r, rc, d.Type, key)
}

// saveSource parses, checks and stores a source form: a new one (key "")
// goes last, an edited one keeps its place and, for every secret left
// blank, its stored secret.
func (s *Server) saveSource(w http.ResponseWriter, r *http.Request, rc *reqCtx, typ, key string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	form := url.Values{}
	for _, f := range sourceFields(typ) {
		v := r.PostForm.Get(f.Name)
		if f.Type != "lines" && !f.Secret {
			v = strings.TrimSpace(v)
		}
		form.Set(f.Name, v)
	}
	if key != "" {
		form.Set("name", key) // the name is fixed once created
	}
	errs := map[string]string{}
	d := parseSource(typ, form, errs, rc.lang)
	if key == "" && slices.Contains(reservedSourceNames, d.Name) {
		errs["name"] = i18n.T(rc.lang, "admin.err.exists")
	}
	general := ""
	var before, after store.DirectoryConfig
	var err error
	if len(errs) == 0 {
		before, after, err = s.editDirectory(func(c *store.DirectoryConfig) error {
			i := sourceIndex(*c, key)
			switch {
			case key == "":
				if sourceIndex(*c, d.Name) >= 0 {
					errs["name"] = i18n.T(rc.lang, "admin.err.exists")
					return errParse
				}
				c.Sources = append(c.Sources, d)
				i = len(c.Sources) - 1
			case i < 0:
				return errNoSource
			default:
				keepSecrets(&d, c.Sources[i])
				c.Sources[i] = d
			}
			if err := c.Validate(); err != nil {
				if !sourceMessages(errs, err, i, rc.lang) {
					return err
				}
				if len(errs) == 0 {
					// The stored list itself is wrong elsewhere: say so.
					general = i18n.T(rc.lang, "wa2.err.config", err)
				}
				return errParse
			}
			// Build the source once, so that one the directory could not
			// use is refused now, not found broken on the status page.
			set, err := source.Build([]source.Config{source.ConfigOf(c.Sources[i])}, s.store, s.plan())
			if err != nil {
				general = i18n.T(rc.lang, "wa2.err.build", err)
				return errParse
			}
			_ = set.Close()
			return nil
		})
	}
	if len(errs) > 0 || general != "" || errors.Is(err, errParse) {
		s.renderSourceForm(w, r, rc, http.StatusUnprocessableEntity, typ, key, form, errs, general)
		return
	}
	if err != nil {
		s.sourceStoreFail(w, r, rc, err)
		return
	}
	action, old := "create", url.Values(nil)
	if key != "" {
		action = "update"
		old = sourceValues(before.Sources[sourceIndex(before, key)])
	}
	now := sourceValues(after.Sources[sourceIndex(after, sourceKey(d))])
	s.audit(r, rc, action, store.KindDirectoryConfig, store.DirectoryConfigKey,
		"source "+sourceKey(d)+"\n"+diffForms(sourceFields(typ), old, now))
	backTo(w, r, "/admin/sources", "admin.done.saved")
}

// keepSecrets keeps the stored secrets the form left blank.
func keepSecrets(d *store.DataSource, old store.DataSource) {
	if d.HeaderValue == "" {
		d.HeaderValue = old.HeaderValue
	}
	if d.DSN == "" {
		d.DSN = old.DSN
	}
	if d.Password == "" {
		d.Password = old.Password
	}
}

// sourceMessages puts the store's messages about source i next to their
// fields ("sources[2].url" at "url"), and the ones about the list (a
// name used twice) at "name". It returns false when err is no
// validation error.
func sourceMessages(errs map[string]string, err error, i int, lang i18n.Lang) bool {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	prefix := fmt.Sprintf("sources[%d].", i)
	for _, f := range ve.Fields {
		field, ok := strings.CutPrefix(f.Field, prefix)
		switch {
		case ok:
			if k, _, nested := strings.Cut(field, "."); nested {
				field = k // fields.<name>
			}
		case f.Field == "sources":
			field = "name"
		default:
			continue // another source's problem: not this form's
		}
		if _, taken := errs[field]; !taken {
			errs[field] = f.Message(lang)
		}
	}
	return true
}

// parseSource reads a source form, with a message for each field it
// cannot take as it is.
func parseSource(typ string, form url.Values, errs map[string]string, lang i18n.Lang) store.DataSource {
	d := store.DataSource{Type: typ, Name: form.Get("name"), URL: form.Get("url"), Header: form.Get("header"),
		HeaderValue: form.Get("headerValue"), Driver: form.Get("driver"), DSN: form.Get("dsn"), Query: strings.TrimSpace(form.Get("query")),
		BindDN: form.Get("bindDn"), Password: form.Get("password"), BaseDN: form.Get("baseDn"), Filter: form.Get("filter"),
		NumberForm: form.Get("numberForm")}
	if d.Name == "" {
		errs["name"] = i18n.T(lang, "store.err.required")
	}
	if v := form.Get("timeoutMs"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 60000 {
			errs["timeoutMs"] = i18n.T(lang, "store.err.range", 0, 60000)
		}
		d.TimeoutMS = n
	}
	if typ == source.TypeHTTP || typ == source.TypeLDAP {
		d.Fields = parseMappings(form.Get("fields"), errs, lang)
	}
	switch typ {
	case source.TypeHTTP:
		if msg := checkURLTemplate(d.URL, lang); msg != "" {
			errs["url"] = msg
		}
		if d.Header != "" && !validHeaderName(d.Header) {
			errs["header"] = i18n.T(lang, "wa2.err.header")
		}
	case source.TypeSQL:
		if msg := checkQuery(d.Driver, d.Query, lang); msg != "" {
			errs["query"] = msg
		}
	case source.TypeLDAP:
		if u, err := url.Parse(d.URL); d.URL != "" && (err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "") {
			errs["url"] = i18n.T(lang, "wa2.err.ldap_url", d.URL)
		}
		switch {
		case d.Filter == "":
			errs["filter"] = i18n.T(lang, "store.err.required")
		case !strings.Contains(d.Filter, "{number}"):
			errs["filter"] = i18n.T(lang, "wa2.err.no_number")
		default:
			if _, err := ldap.CompileFilter(strings.ReplaceAll(d.Filter, "{number}", "0")); err != nil {
				errs["filter"] = i18n.T(lang, "wa2.err.filter", err)
			}
		}
	}
	return d
}

// parseMappings reads "field=path" lines (blank lines skipped).
func parseMappings(text string, errs map[string]string, lang i18n.Lang) map[string]string {
	out := map[string]string{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" || strings.ContainsAny(k, " \t") {
			errs["fields"] = i18n.T(lang, "wa2.err.mapping", n+1, line)
			return out
		}
		if _, dup := out[k]; dup {
			errs["fields"] = i18n.T(lang, "wa2.err.mapping_dup", n+1, k)
			return out
		}
		out[k] = v
	}
	if len(out) == 0 {
		errs["fields"] = i18n.T(lang, "wa2.err.no_mapping")
	}
	return out
}

// checkURLTemplate names what is wrong with an HTTP URL template, or "".
func checkURLTemplate(tmpl string, lang i18n.Lang) string {
	if tmpl == "" {
		return i18n.T(lang, "store.err.required")
	}
	if !strings.Contains(tmpl, "{number}") {
		return i18n.T(lang, "wa2.err.no_number")
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{number}", "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || strings.ContainsAny(tmpl, " \t\r\n") {
		return i18n.T(lang, "wa2.err.url_template", tmpl)
	}
	if rest := strings.ReplaceAll(tmpl, "{number}", ""); strings.ContainsAny(rest, "{}") {
		return i18n.T(lang, "wa2.err.url_braces", tmpl)
	}
	return ""
}

// validHeaderName accepts an HTTP header field name (RFC 9110 token).
func validHeaderName(h string) bool {
	if len(h) > 128 {
		return false
	}
	for _, c := range []byte(h) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return h != ""
}

// checkQuery refuses an SQL query that does not take the caller's number
// as a bound parameter: the number must never be spliced into SQL text.
// It names the problem, or returns "".
func checkQuery(driver, q string, lang i18n.Lang) string {
	if q == "" {
		return i18n.T(lang, "store.err.required")
	}
	ph := "$1"
	if driver == "mysql" {
		ph = "?"
	}
	if strings.Contains(q, "{number}") || strings.Contains(q, "%s") || strings.Contains(q, "%v") {
		return i18n.T(lang, "wa2.err.query_spliced", ph)
	}
	body := strings.TrimSuffix(strings.TrimSpace(q), ";")
	if strings.Contains(body, ";") {
		return i18n.T(lang, "wa2.err.query_many")
	}
	if !paramOutsideQuotes(body, ph) {
		return i18n.T(lang, "wa2.err.query_param", ph)
	}
	return ""
}

// paramOutsideQuotes reports whether ph occurs in q outside quoted
// strings and identifiers ('$1' is text, not a parameter).
func paramOutsideQuotes(q, ph string) bool {
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case strings.HasPrefix(q[i:], ph):
			// "$1" must not be the start of "$10".
			end := i + len(ph)
			if ph == "?" || end == len(q) || q[end] < '0' || q[end] > '9' {
				return true
			}
		}
	}
	return false
}
