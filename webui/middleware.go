package webui

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// maxFormBytes bounds a form body; maxJSONBytes bounds a JSON body.
const (
	maxFormBytes = 64 << 10
	maxJSONBytes = 256 << 10
)

// accessKind says who may reach a route.
type accessKind int

const (
	open      accessKind = iota // no setup gate, no session: /healthz
	setupOnly                   // only before setup is done
	anyone                      // after setup, with or without a login
	loggedIn                    // after setup, with a login holding one of the roles
)

// access is the rule written next to each route in routes.
type access struct {
	kind         accessKind
	roles        []store.Role
	api          bool  // answer in JSON, not with pages and redirects
	passwordPage bool  // reachable while the user must still change a one-time password
	beforeSetup  bool  // reachable before setup too (the language switch)
	token        bool  // an API token (Authorization: Bearer) may stand in for a session
	bodyLimit    int64 // a larger body limit than maxJSONBytes (CSV uploads)
}

func page(roles ...store.Role) access { return access{kind: loggedIn, roles: roles} }
func api(roles ...store.Role) access  { return access{kind: loggedIn, roles: roles, api: true} }

// reqCtx is what the gate learned about a request, handed to the handler.
type reqCtx struct {
	lang i18n.Lang
	sess *session    // nil when not logged in
	user *store.User // nil when not logged in
	csrf string      // the token forms on this page must carry
	api  bool
}

// handlerFunc is a handler behind the gate.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx)

// wrap puts the gate in front of h: security headers, cross-origin check,
// setup redirect, session, role, one-time password, CSRF token, language.
func (s *Server) wrap(a access, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		rc := &reqCtx{api: a.api || strings.HasPrefix(r.URL.Path, "/api/")}
		if a.kind == open {
			rc.lang = s.resolveLang(r, rc)
			h(w, r, rc)
			return
		}
		if a.token && bearer(r) != "" {
			// A bearer token is no ambient credential (browsers never
			// attach it on their own), so neither the cross-origin check
			// nor CSRF tokens apply; the token gate checks the rest.
			s.tokenGate(w, r, rc, a, h)
			return
		}
		unsafe := !isSafeMethod(r.Method)
		if unsafe {
			if err := s.cop.Check(r); err != nil {
				s.crossOriginDenied(w, r)
				return
			}
		}
		done, err := s.isSetupDone()
		if err != nil {
			s.log.Error("read settings", "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		switch {
		case a.kind == setupOnly && done:
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		case a.beforeSetup:
		case a.kind != setupOnly && !done && rc.api:
			rc.lang = s.resolveLang(r, rc)
			apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "web.api.setup_required"))
			return
		case a.kind != setupOnly && !done:
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		s.loadSession(w, r, rc)
		rc.lang = s.resolveLang(r, rc)
		if a.kind == loggedIn && !s.allowed(w, r, rc, a) {
			return
		}
		if unsafe {
			limit := int64(maxFormBytes)
			if rc.api {
				limit = maxJSONBytes
			}
			if a.bodyLimit > 0 {
				limit = a.bodyLimit
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if !s.csrfValid(r, rc) {
				s.forbidden(w, r, rc, "web.error.csrf")
				return
			}
		}
		if rc.sess != nil {
			rc.csrf = rc.sess.csrf
		} else if !rc.api {
			rc.csrf = ensurePreToken(w, r)
		}
		h(w, r, rc)
	})
}

// allowed enforces login, role and the one-time password rule; it has
// answered the request when it returns false.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, rc *reqCtx, a access) bool {
	if rc.user == nil {
		if rc.api {
			apiError(w, http.StatusUnauthorized, i18n.T(rc.lang, "web.api.login_required"))
		} else {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		}
		return false
	}
	if !slices.Contains(a.roles, rc.user.Role) {
		s.forbidden(w, r, rc, "web.error.role")
		return false
	}
	if rc.user.OneTimePassword && !a.passwordPage {
		if rc.api {
			apiError(w, http.StatusForbidden, i18n.T(rc.lang, "web.api.password_change_required"))
		} else {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
		}
		return false
	}
	return true
}

// isSetupDone reads the settings until setup is done, then trusts the cache:
// nothing can make setup undone.
func (s *Server) isSetupDone() (bool, error) {
	if s.setupDone.Load() {
		return true, nil
	}
	st, err := store.GetSettings(s.store)
	if err != nil {
		return false, err
	}
	if st.SetupDone {
		s.setupDone.Store(true)
	}
	return st.SetupDone, nil
}

// loadSession finds the request's session and its user. A session whose
// user was deleted or disabled since is ended.
func (s *Server) loadSession(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return
	}
	// get has read the user to check the session; it is the request's.
	if sess, u, ok := s.sessions.get(c.Value); ok {
		rc.sess, rc.user = &sess, &u
		return
	}
	setCookie(w, r, sessionCookie, "", -1)
}

// csrfValid checks the token of a state-changing request: the session's
// token, or before login the double-submit token of the pre cookie. JSON
// clients send it in X-CSRF-Token, forms in the "csrf" field.
func (s *Server) csrfValid(r *http.Request, rc *reqCtx) bool {
	want := ""
	if rc.sess != nil {
		want = rc.sess.csrf
	} else if c, err := r.Cookie(preCookie); err == nil {
		want = c.Value
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && !rc.api {
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// ensurePreToken returns the anonymous CSRF token, setting the cookie that
// carries it when the browser has none yet.
func ensurePreToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	t := randomToken()
	setCookie(w, r, preCookie, t, 0)
	return t
}

// resolveLang picks the language of a response: the user's choice, then the
// language cookie, then the site language, then the browser's
// Accept-Language.
func (s *Server) resolveLang(r *http.Request, rc *reqCtx) i18n.Lang {
	if rc.user != nil && rc.user.Lang.Valid() {
		return rc.user.Lang
	}
	if c, err := r.Cookie(langCookie); err == nil && i18n.Lang(c.Value).Valid() {
		return i18n.Lang(c.Value)
	}
	if s.setupDone.Load() {
		if st, err := store.GetSettings(s.store); err == nil && st.Lang.Valid() {
			return st.Lang
		}
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// acceptLanguage picks en or zh from an Accept-Language header: the
// language with the highest weight among those the box speaks, English when
// none is listed. Any Chinese variant (zh-CN, zh-TW, zh-Hant) counts as
// Chinese: the catalogue has one Chinese.
func acceptLanguage(header string) i18n.Lang {
	best, bestQ := i18n.EN, 0.0
	if len(header) > 1024 {
		return best
	}
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var l i18n.Lang
		switch base {
		case "zh":
			l = i18n.ZH
		case "en":
			l = i18n.EN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// securityHeaders forbid framing, sniffing and any script or style not served
// by the box itself.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// localPath returns next if it is a path on this server, else "/": the
// login form's "next" must not send people to another site.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// crossOriginDenied answers a state-changing request from another site.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	rc := &reqCtx{api: strings.HasPrefix(r.URL.Path, "/api/")}
	rc.lang = s.resolveLang(r, rc)
	s.forbidden(w, r, rc, "web.error.cross_origin")
}

// forbidden answers 403 with the reason in key.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, rc *reqCtx, key string) {
	s.fail(w, r, rc, http.StatusForbidden, key)
}

// fail answers an error as JSON or as a page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, key string) {
	if rc.api {
		apiError(w, code, i18n.T(rc.lang, key))
		return
	}
	s.render(w, r, rc, code, "error", "web.error.title", errorView{Code: code, Message: i18n.T(rc.lang, key)})
}

// errorView is the content of the error page.
type errorView struct {
	Code    int
	Message string
}

// notFound answers any path no route claims.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.fail(w, r, rc, http.StatusNotFound, "web.error.not_found")
}

// apiNotFound answers unknown API paths in JSON.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	rc.api = true
	s.fail(w, r, rc, http.StatusNotFound, "web.error.not_found")
}
