package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// adminField is one input of an admin form. Name is the record's JSON
// field name, so the store's validation messages land next to it.
type adminField struct {
	Name    string
	Type    string // "text", "number", "password", "check", "select", "lines"
	Hint    string // a catalogue key, or ""
	Options []option
	Key     bool // the record's key: fixed once created
	Secret  bool // masked in the audit log; left blank on edit keeps it
}

// formField is an adminField with its value and message, as a template
// shows it.
type formField struct {
	adminField
	Label    string
	Value    string
	Checked  bool
	Error    string
	Fixed    bool   // a key while editing: shown, not editable
	HintText string // the hint in the page's language
}

// adminKind is one kind of record the admin pages list and edit. The
// generic functions of the store are bound by newKind, so the handlers
// work on url.Values (the form) only.
type adminKind struct {
	slug   string // URL path element, also the store kind
	kind   store.Kind
	fields func(s *Server, lang i18n.Lang) []adminField
	cols   []string   // fields shown in the list
	blank  url.Values // a new record's form
	// list returns every record as its form; get one; del removes one.
	list func(st *store.Store) ([]url.Values, error)
	get  func(st *store.Store, key string) (url.Values, error)
	del  func(st *store.Store, key string) (store.Change, error)
	// save parses the form (messages of fields it cannot parse go into
	// errs), validates and stores it. It stores nothing when errs holds a
	// message after parsing or validation.
	save func(s *Server, old, form url.Values, create bool, errs map[string]string, lang i18n.Lang) (key string, err error)
	// live is the live state of each record by key (trunks, lines).
	live func(st Status) map[string]liveState
	// single is the key of a kind that holds one record (the site
	// settings): its list opens that record, and it has no new or delete.
	single string
}

// liveState is a record's state from the running system.
type liveState struct {
	Label string // a catalogue key
	Raw   string // shown when the catalogue lacks Label (a state added later)
	Class string // "ok", "bad", "" (neutral)
	Title string
}

// errParse is returned by save when the form itself had errors.
var errParse = errors.New("webui: form has errors")

// newKind binds the store's generic functions to T.
func newKind[T store.Record](slug string, fields func(*Server, i18n.Lang) []adminField, cols []string, blank url.Values,
	toForm func(T) url.Values, fromForm func(s *Server, old, form url.Values, errs map[string]string, lang i18n.Lang) T) *adminKind {
	var zero T
	return &adminKind{
		slug: slug, kind: zero.Kind(), fields: fields, cols: cols, blank: blank,
		list: func(st *store.Store) ([]url.Values, error) {
			all, err := store.List[T](st)
			if err != nil {
				return nil, err
			}
			out := make([]url.Values, len(all))
			for i, r := range all {
				out[i] = toForm(r)
			}
			return out, nil
		},
		get: func(st *store.Store, key string) (url.Values, error) {
			r, err := store.Get[T](st, key)
			if err != nil {
				return nil, err
			}
			return toForm(r), nil
		},
		del: func(st *store.Store, key string) (store.Change, error) { return store.Delete[T](st, key) },
		save: func(s *Server, old, form url.Values, create bool, errs map[string]string, lang i18n.Lang) (string, error) {
			rec := fromForm(s, old, form, errs, lang)
			if err := rec.Validate(); err != nil && !fieldMessages(errs, err, lang) {
				return "", err
			}
			if len(errs) > 0 {
				return "", errParse
			}
			var err error
			if create {
				_, err = store.Create(s.store, rec)
			} else {
				_, err = store.Put(s.store, rec)
			}
			if errors.Is(err, store.ErrExists) {
				errs[keyField(s, lang, fields)] = i18n.T(lang, "admin.err.exists")
				return "", errParse
			}
			if err != nil && fieldMessages(errs, err, lang) {
				return "", errParse
			}
			return rec.Key(), err
		},
	}
}

// keyField names the key field of a kind's form.
func keyField(s *Server, lang i18n.Lang, fields func(*Server, i18n.Lang) []adminField) string {
	for _, f := range fields(s, lang) {
		if f.Key {
			return f.Name
		}
	}
	return ""
}

// listView is the content of a kind's list page.
type listView struct {
	Slug  string
	Title string
	Cols  []string // labels
	Rows  []listRow
	Live  bool
	Bulk  bool // extensions: bulk create and provisioning sheet
}

// listRow is one record in the list.
type listRow struct {
	Key   string
	Cells []string
	State *liveState
}

// formView is the content of a kind's form page.
type formView struct {
	Slug   string
	Title  string
	Key    string // "" when creating
	Action string
	Fields []formField
}

func (s *Server) kindOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*adminKind, bool) {
	k, ok := adminKinds[r.PathValue("kind")]
	if !ok {
		s.notFound(w, r, rc)
	}
	return k, ok
}

// manyKindOf is kindOf for the pages that add or remove records, which a
// kind of one record does not have.
func (s *Server) manyKindOf(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*adminKind, bool) {
	k, ok := adminKinds[r.PathValue("kind")]
	if !ok || k.single != "" {
		s.notFound(w, r, rc)
		return nil, false
	}
	return k, true
}

func (s *Server) adminList(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := s.kindOf(w, r, rc)
	if !ok {
		return
	}
	if k.single != "" {
		http.Redirect(w, r, "/admin/"+k.slug+"/"+k.single, http.StatusSeeOther)
		return
	}
	all, err := k.list(s.store)
	if err != nil {
		s.log.Error("admin list", "kind", k.slug, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	fields := map[string]adminField{}
	for _, f := range k.fields(s, rc.lang) {
		fields[f.Name] = f
	}
	v := listView{Slug: k.slug, Title: kindLabel(rc.lang, string(k.kind)), Live: k.live != nil, Bulk: k.kind == store.KindExtension}
	for _, c := range k.cols {
		v.Cols = append(v.Cols, i18n.T(rc.lang, "admin.f."+c))
	}
	var live map[string]liveState
	if k.live != nil {
		live = k.live(s.status())
	}
	key := keyField(s, rc.lang, k.fields)
	for _, rec := range all {
		row := listRow{Key: rec.Get(key)}
		for _, c := range k.cols {
			row.Cells = append(row.Cells, cellText(rc.lang, fields[c], rec.Get(c)))
		}
		if live != nil {
			st, ok := live[row.Key]
			if !ok {
				st = liveState{Label: i18n.T(rc.lang, "admin.live.unknown")}
			}
			row.State = &st
		}
		v.Rows = append(v.Rows, row)
	}
	fragment := ""
	if r.URL.Query().Get("fragment") == "rows" {
		fragment = "rows"
	}
	s.adminRender(w, r, rc, http.StatusOK, "list", "web.kind."+string(k.kind), adminPage{Notice: noticeOf(r, rc.lang), Page: v}, fragment)
}

// cellText is how a list shows a field's value.
func cellText(lang i18n.Lang, f adminField, v string) string {
	switch {
	case f.Secret:
		if v == "" {
			return ""
		}
		return "••••••"
	case f.Type == "check":
		if v == "on" {
			return i18n.T(lang, "admin.yes")
		}
		return i18n.T(lang, "admin.no")
	case f.Type == "select":
		for _, o := range f.Options {
			if o.Value == v {
				return o.Label
			}
		}
	case f.Type == "lines":
		return strings.Join(strings.Fields(strings.ReplaceAll(v, "\n", ", ")), " ")
	}
	return v
}

// formFields fills a kind's fields with values and messages.
func (s *Server) formFields(k *adminKind, lang i18n.Lang, vals url.Values, errs map[string]string, editing bool) []formField {
	var out []formField
	for _, f := range k.fields(s, lang) {
		ff := formField{adminField: f, Label: i18n.T(lang, "admin.f."+f.Name), Value: vals.Get(f.Name), Error: errs[f.Name], Fixed: f.Key && editing}
		if f.Type == "check" {
			ff.Checked = ff.Value == "on"
		}
		if f.Hint != "" {
			ff.HintText = i18n.T(lang, f.Hint)
		}
		if f.Secret && editing {
			ff.Value = ""
		}
		out = append(out, ff)
	}
	return out
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, k *adminKind, key string, vals url.Values, errs map[string]string) {
	v := formView{Slug: k.slug, Title: kindLabel(rc.lang, string(k.kind)), Key: key, Fields: s.formFields(k, rc.lang, vals, errs, key != "")}
	if key == "" {
		v.Action = "/admin/" + k.slug + "/new"
	} else {
		v.Action = "/admin/" + k.slug + "/" + url.PathEscape(key)
	}
	ap := adminPage{Page: v}
	if len(errs) > 0 {
		ap.Error = i18n.T(rc.lang, "web.form.has_errors")
	}
	s.adminRender(w, r, rc, code, "form", "web.kind."+string(k.kind), ap, "")
}

func (s *Server) adminNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := s.manyKindOf(w, r, rc)
	if !ok {
		return
	}
	s.renderForm(w, r, rc, http.StatusOK, k, "", k.blank, nil)
}

func (s *Server) adminEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, key, vals, ok := s.recordOf(w, r, rc, s.kindOf)
	if !ok {
		return
	}
	s.renderForm(w, r, rc, http.StatusOK, k, key, vals, nil)
}

// recordOf reads the record the path names (kind, found with find:
// kindOf or manyKindOf; and key) as form values; it answers 404 itself
// for an unknown kind or key, 500 for a store error.
func (s *Server) recordOf(w http.ResponseWriter, r *http.Request, rc *reqCtx,
	find func(http.ResponseWriter, *http.Request, *reqCtx) (*adminKind, bool)) (k *adminKind, key string, vals url.Values, ok bool) {
	if k, ok = find(w, r, rc); !ok {
		return nil, "", nil, false
	}
	key = r.PathValue("key")
	vals, err := k.get(s.store, key)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return nil, "", nil, false
	}
	return k, key, vals, true
}

// storeFail answers a store error: 404 for a missing record, else 500.
func (s *Server) storeFail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, rc)
		return
	}
	s.log.Error("admin store", "path", r.URL.Path, "err", err)
	s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
}

func (s *Server) adminCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, ok := s.manyKindOf(w, r, rc)
	if !ok {
		return
	}
	s.saveForm(w, r, rc, k, "", nil)
}

func (s *Server) adminSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, key, old, ok := s.recordOf(w, r, rc, s.kindOf)
	if !ok {
		return
	}
	s.saveForm(w, r, rc, k, key, old)
}

// saveForm stores the posted form as a new record (old nil) or over old,
// writes the audit entry, and redirects to the list; on errors it shows
// the form again with each message next to its field.
func (s *Server) saveForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, k *adminKind, key string, old url.Values) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	form := url.Values{}
	for _, f := range k.fields(s, rc.lang) {
		form[f.Name] = []string{strings.TrimSpace(r.PostForm.Get(f.Name))}
		if f.Key && key != "" {
			form.Set(f.Name, key) // a key is fixed once created
		}
	}
	errs := map[string]string{}
	if g, ok := adminGuards[k.kind]; ok {
		g(s, rc, key, form, errs)
	}
	saved, err := k.save(s, old, form, old == nil, errs, rc.lang)
	if errors.Is(err, errParse) || len(errs) > 0 {
		s.renderForm(w, r, rc, http.StatusUnprocessableEntity, k, key, form, errs)
		return
	}
	if err != nil {
		s.log.Error("admin save", "kind", k.slug, "key", key, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	action := "update"
	if old == nil {
		action = "create"
	}
	now, _ := k.get(s.store, saved)
	s.audit(r, rc, action, k.kind, saved, diffForms(k.fields(s, rc.lang), old, now))
	if k.kind == store.KindUser && old != nil && old.Get("password") != now.Get("password") {
		// A new password logs the user out everywhere else.
		s.sessions.deleteUser(saved, rc.sess.id)
	}
	backTo(w, r, "/admin/"+k.slug, "admin.done.saved")
}

func (s *Server) adminDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k, key, old, ok := s.recordOf(w, r, rc, s.manyKindOf)
	if !ok {
		return
	}
	if msg := deleteRefused(s, rc, k.kind, key); msg != "" {
		s.adminRender(w, r, rc, http.StatusConflict, "message", "web.kind."+string(k.kind),
			adminPage{Error: i18n.T(rc.lang, msg), Page: "/admin/" + k.slug}, "")
		return
	}
	if _, err := k.del(s.store, key); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", k.kind, key, diffForms(k.fields(s, rc.lang), old, nil))
	backTo(w, r, "/admin/"+k.slug, "admin.done.deleted")
}

// diffForms writes what changed between two forms of a record, one
// "field: old -> new" per line; secrets show only that they changed. A
// nil old is a creation, a nil now a deletion.
func diffForms(fields []adminField, old, now url.Values) string {
	var b strings.Builder
	for _, f := range fields {
		o, n := old.Get(f.Name), now.Get(f.Name)
		if o == n {
			continue
		}
		if f.Secret {
			fmt.Fprintf(&b, "%s: (changed)\n", f.Name)
			continue
		}
		switch {
		case old == nil:
			fmt.Fprintf(&b, "%s: %q\n", f.Name, n)
		case now == nil:
			fmt.Fprintf(&b, "%s: was %q\n", f.Name, o)
		default:
			fmt.Fprintf(&b, "%s: %q -> %q\n", f.Name, o, n)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// adminGuards are checks across records before a save, by kind: they add
// messages to errs.
var adminGuards = map[store.Kind]func(s *Server, rc *reqCtx, key string, form url.Values, errs map[string]string){
	store.KindUser: func(s *Server, rc *reqCtx, key string, form url.Values, errs map[string]string) {
		if key == "" {
			return
		}
		// The last enabled administrator cannot be demoted or disabled:
		// nobody could administer the box any more.
		losing := form.Get("role") != string(store.RoleAdmin) || form.Get("disabled") == "on"
		if u, err := store.Get[store.User](s.store, key); err == nil && u.Role == store.RoleAdmin && !u.Disabled && losing && !s.otherAdmin(key) {
			errs["role"] = i18n.T(rc.lang, "admin.err.last_admin")
		}
	},
}

// deleteRefused returns the message key why a record cannot be deleted,
// or "".
func deleteRefused(s *Server, rc *reqCtx, kind store.Kind, key string) string {
	if kind != store.KindUser {
		return ""
	}
	if key == rc.user.Name {
		return "admin.err.delete_self"
	}
	if u, err := store.Get[store.User](s.store, key); err == nil && u.Role == store.RoleAdmin && !s.otherAdmin(key) {
		return "admin.err.last_admin"
	}
	return ""
}
