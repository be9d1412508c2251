package webui

import (
	"errors"
	"net/http"
	"net/url"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// fieldErrors is the answer to an invalid record: field -> message.
type fieldErrors struct {
	Errors map[string]string `json:"errors"`
}

// answerWrite turns the result of a store write into the API's answer.
func (s *Server) answerWrite(w http.ResponseWriter, rc *reqCtx, err error, okCode int, v any) {
	var ve *store.ValidationError
	switch {
	case err == nil:
		if v == nil {
			w.WriteHeader(okCode)
			return
		}
		writeJSON(w, okCode, v)
	case errors.As(err, &ve):
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: ve.Messages(rc.lang)})
	case errors.Is(err, store.ErrExists):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "web.api.exists"))
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "web.error.not_found"))
	default:
		s.log.Error("api write", "err", err)
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
	}
}

// keyMismatch answers a PUT whose body names another record than its URL.
func keyMismatch(w http.ResponseWriter, lang i18n.Lang, field string) {
	writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{field: i18n.T(lang, "web.api.key_mismatch")}})
}

// sessionJSON tells a script who it is logged in as and the token its
// state-changing requests must carry in X-CSRF-Token.
type sessionJSON struct {
	Name      string     `json:"name"`
	Role      store.Role `json:"role"`
	Lang      i18n.Lang  `json:"lang"`
	CSRFToken string     `json:"csrfToken"`
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	writeJSON(w, http.StatusOK, sessionJSON{Name: rc.user.Name, Role: rc.user.Role, Lang: rc.lang, CSRFToken: rc.sess.csrf})
}

// --- settings

func (s *Server) apiGetSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	st, err := store.GetSettings(s.store)
	s.answerWrite(w, rc, err, http.StatusOK, st)
}

func (s *Server) apiPutSettings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	st, err := decodeSettings(r.Body)
	if err != nil {
		badBody(w, rc.lang, err)
		return
	}
	st.SetupDone = true // only the setup page sets it, and nothing unsets it
	_, err = store.Put(s.store, st)
	s.answerWrite(w, rc, err, http.StatusOK, st)
}

// --- extensions

func (s *Server) apiListExtensions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := store.List[store.Extension](s.store)
	if list == nil {
		list = []store.Extension{}
	}
	s.answerWrite(w, rc, err, http.StatusOK, list)
}

func (s *Server) apiGetExtension(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	e, err := store.Get[store.Extension](s.store, r.PathValue("number"))
	s.answerWrite(w, rc, err, http.StatusOK, e)
}

func (s *Server) apiCreateExtension(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	e, ok := s.readExtension(w, r, rc)
	if !ok {
		return
	}
	_, err := store.Create(s.store, e)
	if err == nil {
		w.Header().Set("Location", "/api/v1/extensions/"+url.PathEscape(e.Number))
	}
	s.answerWrite(w, rc, err, http.StatusCreated, e)
}

func (s *Server) apiPutExtension(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	e, ok := s.readExtension(w, r, rc)
	if !ok {
		return
	}
	number := r.PathValue("number")
	if e.Number == "" {
		e.Number = number
	}
	if e.Number != number {
		keyMismatch(w, rc.lang, "number")
		return
	}
	_, err := store.Put(s.store, e)
	s.answerWrite(w, rc, err, http.StatusOK, e)
}

func (s *Server) apiDeleteExtension(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, err := store.Delete[store.Extension](s.store, r.PathValue("number"))
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}

func (s *Server) readExtension(w http.ResponseWriter, r *http.Request, rc *reqCtx) (store.Extension, bool) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return store.Extension{}, false
	}
	e, err := decodeExtension(r.Body)
	if err != nil {
		badBody(w, rc.lang, err)
		return store.Extension{}, false
	}
	return e, true
}

// --- users

func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := store.List[store.User](s.store)
	out := make([]userJSON, 0, len(list))
	for _, u := range list {
		out = append(out, userOut(u))
	}
	s.answerWrite(w, rc, err, http.StatusOK, out)
}

func (s *Server) apiGetUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	u, err := store.Get[store.User](s.store, r.PathValue("name"))
	s.answerWrite(w, rc, err, http.StatusOK, userOut(u))
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	in, ok := s.readUser(w, r, rc)
	if !ok {
		return
	}
	u := store.User{Name: in.Name, CreatedAt: s.now()}
	errs := map[string]string{}
	if in.Password == nil {
		errs["password"] = i18n.T(rc.lang, "web.api.password_required")
	}
	if !s.applyUser(&u, in, errs, rc.lang) {
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
		return
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: errs})
		return
	}
	_, err := store.Create(s.store, u)
	if err == nil {
		w.Header().Set("Location", "/api/v1/users/"+url.PathEscape(u.Name))
		s.log.Info("user created", "user", u.Name, "role", u.Role, "by", rc.user.Name)
	}
	s.answerWrite(w, rc, err, http.StatusCreated, userOut(u))
}

func (s *Server) apiPutUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	in, ok := s.readUser(w, r, rc)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if in.Name != "" && in.Name != name {
		keyMismatch(w, rc.lang, "name")
		return
	}
	u, err := store.Get[store.User](s.store, name)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	wasAdmin := u.Role == store.RoleAdmin && !u.Disabled
	errs := map[string]string{}
	if !s.applyUser(&u, in, errs, rc.lang) {
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
		return
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: errs})
		return
	}
	if wasAdmin && (u.Role != store.RoleAdmin || u.Disabled) && !s.otherAdmin(name) {
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "web.api.last_admin"))
		return
	}
	if _, err := store.Put(s.store, u); err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	if in.Password != nil || u.Disabled {
		// A new password or a disabled account logs out the user's other
		// browsers; the admin's own session stays.
		s.sessions.deleteUser(u.Name, rc.sess.id)
	}
	s.log.Info("user changed", "user", u.Name, "role", u.Role, "disabled", u.Disabled, "by", rc.user.Name)
	writeJSON(w, http.StatusOK, userOut(u))
}

func (s *Server) apiDeleteUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := r.PathValue("name")
	u, err := store.Get[store.User](s.store, name)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusNoContent, nil)
		return
	}
	if u.Role == store.RoleAdmin && !u.Disabled && !s.otherAdmin(name) {
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "web.api.last_admin"))
		return
	}
	_, err = store.Delete[store.User](s.store, name)
	if err == nil {
		s.sessions.deleteUser(name, "")
		s.log.Info("user deleted", "user", name, "by", rc.user.Name)
	}
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}

func (s *Server) readUser(w http.ResponseWriter, r *http.Request, rc *reqCtx) (userInput, bool) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return userInput{}, false
	}
	in, err := decodeUserInput(r.Body)
	if err != nil {
		badBody(w, rc.lang, err)
		return userInput{}, false
	}
	return in, true
}

// applyUser copies the fields present in in onto u and validates the
// result, collecting field messages in errs. It returns false only on an
// internal failure (hashing).
func (s *Server) applyUser(u *store.User, in userInput, errs map[string]string, lang i18n.Lang) bool {
	if in.Role != nil {
		u.Role = *in.Role
	}
	if in.Lang != nil {
		u.Lang = *in.Lang
	}
	if in.OneTimePassword != nil {
		u.OneTimePassword = *in.OneTimePassword
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	if in.Password != nil {
		if err := u.SetPassword(*in.Password); err != nil && !addFieldErrors(errs, err, lang) {
			s.log.Error("hash password", "err", err)
			return false
		}
	}
	if err := u.Validate(); err != nil {
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			return false
		}
		for _, f := range ve.Fields {
			// A missing hash is already reported as a missing or weak
			// password above.
			if f.Field == "password" && errs["password"] != "" {
				continue
			}
			if _, ok := errs[f.Field]; !ok {
				errs[f.Field] = f.Message(lang)
			}
		}
	}
	return true
}

// otherAdmin reports whether an enabled administrator other than name
// exists, so that the last one cannot be removed, demoted or disabled.
func (s *Server) otherAdmin(name string) bool {
	users, err := store.List[store.User](s.store)
	if err != nil {
		s.log.Error("list users", "err", err)
		return false
	}
	for _, u := range users {
		if u.Name != name && u.Role == store.RoleAdmin && !u.Disabled {
			return true
		}
	}
	return false
}
