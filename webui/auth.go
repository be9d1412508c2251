package webui

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// loginView is the content of the login page.
type loginView struct {
	Name       string
	Next       string
	Error      string
	SetupDone  bool // just came from the setup page
	LoggedOut  bool
	RetryAfter int
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if rc.user != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	v := loginView{Next: localPath(q.Get("next")), SetupDone: q.Get("setup") == "done", LoggedOut: q.Get("bye") == "1"}
	s.render(w, r, rc, http.StatusOK, "login", "web.login.title", v)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	v := loginView{Name: name, Next: localPath(r.PostFormValue("next"))}
	keys := limitKeys(r, name)
	if d := s.limiter.wait(keys...); d > 0 {
		s.tooMany(w, r, rc, d, "login", "web.login.title", &v)
		return
	}
	u, ok, err := s.checkLogin(name, pw)
	if err != nil {
		s.log.Error("login", "user", name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if !ok {
		s.limiter.fail(keys...)
		s.log.Warn("login failed", "user", name, "addr", clientAddr(r))
		v.Error = i18n.T(rc.lang, "web.login.failed")
		s.render(w, r, rc, http.StatusUnauthorized, "login", "web.login.title", v)
		return
	}
	s.limiter.succeed(userKey(name))
	if rc.sess != nil {
		s.sessions.delete(rc.sess.id)
	}
	sess, err := s.sessions.create(u, clientAddr(r), r.UserAgent())
	if err != nil {
		s.log.Error("store session", "user", u.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	setCookie(w, r, sessionCookie, sess.id, 0)
	s.log.Info("login", "user", u.Name, "addr", clientAddr(r))
	if u.OneTimePassword {
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// checkLogin reports whether name and pw match an enabled user. When there
// is no such user it still hashes pw, so the answer takes as long either way.
func (s *Server) checkLogin(name, pw string) (store.User, bool, error) {
	u, err := store.Get[store.User](s.store, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		s.dummyUser().CheckPassword(pw)
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, err
	}
	return u, u.CheckPassword(pw), nil
}

// dummyUser has a random password nobody knows.
func (s *Server) dummyUser() store.User {
	s.dummyOnce.Do(func() {
		pw, err := store.GenerateSecret(24)
		if err == nil {
			s.dummy.Name = "-"
			err = s.dummy.SetPassword(pw)
		}
		if err != nil {
			s.log.Error("dummy password", "err", err)
		}
	})
	return s.dummy
}

// tooMany answers a throttled attempt: 429 with Retry-After, on the page the
// form came from.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, rc *reqCtx, d time.Duration, name, titleKey string, v *loginView) {
	secs := retrySecs(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.log.Warn("login throttled", "addr", clientAddr(r), "retry_after_s", secs)
	v.RetryAfter = secs
	v.Error = i18n.T(rc.lang, "web.login.throttled", secs)
	s.render(w, r, rc, http.StatusTooManyRequests, name, titleKey, *v)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if rc.sess != nil {
		s.sessions.delete(rc.sess.id)
		s.log.Info("logout", "user", rc.sess.user)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}

// passwordView is the content of the change-password page.
type passwordView struct {
	OneTime bool
	Errors  map[string]string
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := passwordView{OneTime: rc.user.OneTimePassword}
	s.render(w, r, rc, http.StatusOK, "password", "web.password.title", v)
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := passwordView{OneTime: rc.user.OneTimePassword, Errors: map[string]string{}}
	keys := limitKeys(r, rc.user.Name)
	if d := s.limiter.wait(keys...); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySecs(d)))
		v.Errors["current"] = i18n.T(rc.lang, "web.login.throttled", retrySecs(d))
		s.render(w, r, rc, http.StatusTooManyRequests, "password", "web.password.title", v)
		return
	}
	u, err := store.Get[store.User](s.store, rc.user.Name)
	if err != nil {
		s.log.Error("password change", "user", rc.user.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if !u.CheckPassword(r.PostFormValue("current")) {
		s.limiter.fail(keys...)
		v.Errors["current"] = i18n.T(rc.lang, "web.password.current_wrong")
	}
	newPW := r.PostFormValue("password")
	if newPW != "" && u.CheckPassword(newPW) {
		v.Errors["password"] = i18n.T(rc.lang, "web.password.same")
	} else if err := u.SetPassword(newPW); err != nil {
		if !addFieldErrors(v.Errors, err, rc.lang) {
			s.log.Error("hash password", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	} else if newPW != r.PostFormValue("password2") {
		v.Errors["password2"] = i18n.T(rc.lang, "web.form.password_mismatch")
	}
	if len(v.Errors) > 0 {
		s.render(w, r, rc, http.StatusBadRequest, "password", "web.password.title", v)
		return
	}
	u.OneTimePassword = false
	if _, err := store.Put(s.store, u); err != nil {
		s.log.Error("save password", "user", u.Name, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	s.limiter.succeed(userKey(u.Name))
	s.sessions.deleteUser(u.Name, rc.sess.id)
	s.log.Info("password changed", "user", u.Name)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// switchLang stores the language choice: on the user when logged in, and in
// a cookie so that the login page keeps it after logout.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	lang := i18n.Lang(r.PostFormValue("lang"))
	next := localPath(r.PostFormValue("next"))
	if !lang.Valid() {
		s.fail(w, r, rc, http.StatusBadRequest, "web.error.bad_lang")
		return
	}
	if rc.user != nil {
		u, err := store.Get[store.User](s.store, rc.user.Name)
		if err == nil {
			u.Lang = lang
			_, err = store.Put(s.store, u)
		}
		if err != nil {
			s.log.Error("save language", "user", rc.user.Name, "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	}
	setCookie(w, r, langCookie, string(lang), 365*24*3600)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// addFieldErrors copies a *store.ValidationError's messages into errs and
// reports whether err was one.
func addFieldErrors(errs map[string]string, err error, lang i18n.Lang) bool {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for f, m := range ve.Messages(lang) {
		if _, ok := errs[f]; !ok {
			errs[f] = m
		}
	}
	return true
}

// limitKeys are the throttling keys of a login attempt.
func limitKeys(r *http.Request, name string) []string {
	return []string{"addr:" + clientAddr(r), userKey(name)}
}

func userKey(name string) string { return "user:" + strings.ToLower(name) }

// clientAddr is the peer's IP address. The box is reached directly, not
// through a proxy, so forwarding headers are not trusted.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retrySecs rounds a wait up to whole seconds, as Retry-After wants.
func retrySecs(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
