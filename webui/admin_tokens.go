package webui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The API tokens page lists the tokens programs (a CRM) use instead of a
// browser session, makes new ones (the token is shown once: only its
// hash is stored) and revokes them. A token's scope is a role: it may
// do what a user of that role may, and when it acts as a user, no more
// than that user either (see tokenGate).

// tokenScopes are the roles a token can have, most powerful first.
var tokenScopes = []store.Role{store.RoleAdmin, store.RoleSupervisor, store.RoleAgent}

// tokenLifetimes are the expiry choices, in days (0: never).
var tokenLifetimes = []int{0, 30, 90, 365}

func (s *Server) adminTokenRoutes(handle func(string, access, handlerFunc), p access) {
	handle("GET /admin/tokens", p, s.adminTokens)
	handle("GET /admin/tokens/new", p, s.adminTokenNew)
	handle("POST /admin/tokens/new", p, s.adminTokenCreate)
	handle("POST /admin/tokens/{id}/revoke", p, s.adminTokenRevoke)
}

// tokenUseLog remembers when each token was last accepted, since the box
// started: writing the store on every API call would wear the flash for
// a figure that is only informative.
type tokenUseLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// maxTokenUses bounds the log; the store holds far fewer tokens.
const maxTokenUses = 10000

func (l *tokenUseLog) note(id string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if _, ok := l.last[id]; !ok && len(l.last) >= maxTokenUses {
		return
	}
	l.last[id] = at
}

func (l *tokenUseLog) get(id string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.last[id]
	return t, ok
}

// noteTokenUse records the use of every API token the gate accepted: a
// request carrying a bearer token that was not answered 401 and whose
// token checks out. It notes the use when the answer starts, so that an
// event stream open for hours counts from its start.
func (s *Server) noteTokenUse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		tw := &tokenUseWriter{ResponseWriter: w, on: func(code int) {
			if code == http.StatusUnauthorized {
				return
			}
			if t, err := cti.CheckToken(s.store, tok, s.now()); err == nil {
				s.tokenUses.note(t.ID, s.now())
			}
		}}
		next.ServeHTTP(tw, r)
		// Nothing written: a hijacked WebSocket, or an empty 200.
		tw.started(http.StatusOK)
	})
}

// tokenUseWriter calls on with the status when the answer starts.
type tokenUseWriter struct {
	http.ResponseWriter
	seen bool
	on   func(code int)
}

func (w *tokenUseWriter) started(code int) {
	if !w.seen {
		w.seen = true
		w.on(code)
	}
}

func (w *tokenUseWriter) WriteHeader(code int) {
	w.started(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *tokenUseWriter) Write(b []byte) (int, error) {
	w.started(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushing
// event streams, hijacking WebSockets).
func (w *tokenUseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tokenRow is one token in the list.
type tokenRow struct {
	ID, Name, Scope, User string
	Created, Expires      string
	LastUsed              string
	State                 string
	Class                 string
}

// scopeChoice is one scope of the form, with what it allows.
type scopeChoice struct {
	Value, Label, Help string
	Checked            bool
}

// tokenFormView is the new-token form, or the token just made.
type tokenFormView struct {
	Name     string
	Scopes   []scopeChoice
	Users    []option
	User     string
	Expiry   []option
	Expires  string
	Errors   map[string]string
	Token    string // the new token, shown once
	TokenFor string
}

func (s *Server) adminTokens(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	all, err := store.List[store.APIToken](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	loc, now := s.siteLocation(), s.now()
	var rows []tokenRow
	for _, t := range all {
		row := tokenRow{ID: t.ID, Name: t.Name, Scope: i18n.T(rc.lang, "wa2.scope."+string(t.Role)), User: t.User,
			Created: t.CreatedAt.In(loc).Format("2006-01-02 15:04"), Expires: i18n.T(rc.lang, "wa2.tok.never"),
			LastUsed: i18n.T(rc.lang, "wa2.tok.unused"), State: i18n.T(rc.lang, "wa2.tok.active"), Class: "ok"}
		if !t.ExpiresAt.IsZero() {
			row.Expires = t.ExpiresAt.In(loc).Format("2006-01-02 15:04")
		}
		if at, ok := s.tokenUses.get(t.ID); ok {
			row.LastUsed = at.In(loc).Format("2006-01-02 15:04:05")
		}
		switch {
		case t.Disabled:
			row.State, row.Class = i18n.T(rc.lang, "wa2.tok.disabled"), "bad"
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
			row.State, row.Class = i18n.T(rc.lang, "wa2.tok.expired"), "bad"
		}
		rows = append(rows, row)
	}
	s.adminRender(w, r, rc, http.StatusOK, "tokens", "wa2.menu.tokens", adminPage{Notice: noticeOf(r, rc.lang), Page: rows}, "")
}

// tokenForm fills the form's choices around the values given.
func (s *Server) tokenForm(lang i18n.Lang, name, role, user, expires string, errs map[string]string) (tokenFormView, error) {
	v := tokenFormView{Name: name, User: user, Expires: expires, Errors: errs}
	for _, sc := range tokenScopes {
		v.Scopes = append(v.Scopes, scopeChoice{Value: string(sc), Label: i18n.T(lang, "wa2.scope."+string(sc)),
			Help: i18n.T(lang, "wa2.scope."+string(sc)+".h"), Checked: string(sc) == role})
	}
	users, err := store.List[store.User](s.store)
	if err != nil {
		return v, err
	}
	v.Users = append(v.Users, option{Value: "", Label: i18n.T(lang, "wa2.tok.no_user")})
	for _, u := range users {
		if !u.Disabled {
			v.Users = append(v.Users, option{Value: u.Name, Label: u.Name + " (" + i18n.T(lang, "wa2.scope."+string(u.Role)) + ")"})
		}
	}
	for _, d := range tokenLifetimes {
		label := i18n.T(lang, "wa2.tok.never")
		if d > 0 {
			label = i18n.T(lang, "wa2.tok.days", d)
		}
		v.Expiry = append(v.Expiry, option{Value: fmt.Sprint(d), Label: label})
	}
	return v, nil
}

func (s *Server) adminTokenNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, err := s.tokenForm(rc.lang, "", string(store.RoleSupervisor), "", "90", nil)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.adminRender(w, r, rc, http.StatusOK, "token_new", "wa2.menu.tokens", adminPage{Page: v}, "")
}

// adminTokenCreate makes a token and shows it, once.
func (s *Server) adminTokenCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	role, user, expires := r.PostForm.Get("role"), r.PostForm.Get("user"), r.PostForm.Get("expires")
	errs := map[string]string{}
	switch {
	case name == "":
		errs["name"] = i18n.T(rc.lang, "store.err.required")
	case utf8.RuneCountInString(name) > 64:
		errs["name"] = i18n.T(rc.lang, "wa2.err.long", 64)
	}
	if !slices.Contains(tokenScopes, store.Role(role)) {
		errs["role"] = i18n.T(rc.lang, "wa2.err.scope")
	}
	if user != "" {
		if u, err := store.Get[store.User](s.store, user); err != nil || u.Disabled {
			errs["user"] = i18n.T(rc.lang, "wa2.err.user")
		}
	}
	days := -1
	for _, d := range tokenLifetimes {
		if fmt.Sprint(d) == expires {
			days = d
		}
	}
	if days < 0 {
		errs["expires"] = i18n.T(rc.lang, "wa2.err.expiry")
	}
	if len(errs) == 0 {
		tok, secret, err := cti.NewToken(name, store.Role(role), user, s.now(), time.Duration(days)*24*time.Hour)
		if err == nil {
			_, err = store.Create(s.store, tok)
		}
		if err == nil {
			detail := fmt.Sprintf("name: %q\nrole: %s", name, role)
			if user != "" {
				detail += "\nuser: " + user
			}
			if days > 0 {
				detail += fmt.Sprintf("\nexpires: %s", tok.ExpiresAt.UTC().Format(time.RFC3339))
			}
			s.audit(r, rc, "create", store.KindAPIToken, tok.ID, detail)
			// The page holds a secret: no cache may keep it.
			w.Header().Set("Cache-Control", "no-store")
			v := tokenFormView{Token: secret, TokenFor: name}
			s.adminRender(w, r, rc, http.StatusCreated, "token_new", "wa2.menu.tokens", adminPage{Notice: i18n.T(rc.lang, "wa2.tok.made"), Page: v}, "")
			return
		}
		if !fieldMessages(errs, err, rc.lang) {
			s.log.Error("create API token", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	}
	v, err := s.tokenForm(rc.lang, name, role, user, expires, errs)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.adminRender(w, r, rc, http.StatusUnprocessableEntity, "token_new", "wa2.menu.tokens",
		adminPage{Error: i18n.T(rc.lang, "web.form.has_errors"), Page: v}, "")
}

// adminTokenRevoke deletes a token: the next request with it is refused.
func (s *Server) adminTokenRevoke(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	old, err := store.Get[store.APIToken](s.store, id)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	if _, err := store.Delete[store.APIToken](s.store, id); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", store.KindAPIToken, id, fmt.Sprintf("name: %q\nrole: %s", old.Name, old.Role))
	backTo(w, r, "/admin/tokens", "admin.done.deleted")
}
